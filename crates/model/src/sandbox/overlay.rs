//! Overlay CNIs in the sandbox: pod CIDRs per node from the cluster CIDR
//! (kube-controller-manager), pod addresses from the node's range
//! (host-local), released at once (no warm pool, no cooldown).

use std::collections::BTreeSet;

use super::Sandbox;
use crate::cni::flannel::HostLocal;
use crate::cni::CniMode;
use crate::events::{Event, EventKind};
use crate::ids::{NodeId, PodId};

impl Sandbox {
    /// Gives a new node its pod CIDR (the lowest free one, as
    /// `cidr_set.go` does for a fresh cluster), or the CIDRNotAvailable event.
    pub(super) fn assign_pod_cidr(&mut self, node: NodeId, events: &mut Vec<Event>) {
        let CniMode::Flannel(f) = &self.cni else {
            return;
        };
        let taken: BTreeSet<ipnet::Ipv4Net> = self
            .nodes
            .values()
            .filter_map(|n| n.overlay.as_ref().map(|o| o.cidr))
            .collect();
        let free = (0..f.pod_cidrs())
            .filter_map(|i| f.pod_cidr(i))
            .find(|c| !taken.contains(c));
        let kind = match (free, f.network()) {
            (Some(cidr), _) => {
                if let Some(n) = self.nodes.get_mut(&node) {
                    n.overlay = Some(HostLocal::new(cidr));
                }
                EventKind::PodCidrAssigned { node, cidr }
            }
            (None, Some(cluster_cidr)) => EventKind::CidrNotAvailable { node, cluster_cidr },
            (None, None) => return,
        };
        self.event(events, kind);
    }

    /// The overlay CNI ADD: an address from the node's range, or the
    /// plugin's error.
    pub(super) fn overlay_add(
        &mut self,
        node: NodeId,
        pod: PodId,
    ) -> Result<std::net::Ipv4Addr, (String, String)> {
        let Some(n) = self.nodes.get_mut(&node) else {
            return Err(("flannel".into(), "node is gone".into()));
        };
        match n.overlay.as_mut() {
            Some(range) => range.allocate(pod).map_err(|e| ("flannel".into(), e)),
            // flanneld cannot start without a pod CIDR (FLANNEL pkg/subnet/kube/kube.go).
            None => Err((
                "flannel".into(),
                format!("loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file or directory (flanneld: Error registering network: failed to acquire lease: node \"{}\" pod cidr not assigned)", n.name),
            )),
        }
    }

    /// Frees a pod's overlay address.
    pub(super) fn overlay_release(&mut self, node: NodeId, pod: PodId) {
        if let Some(range) = self.nodes.get_mut(&node).and_then(|n| n.overlay.as_mut()) {
            range.release(pod);
        }
    }
}
