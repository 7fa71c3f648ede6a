//! Overlay CNIs in the sandbox: pod CIDRs per node from the cluster CIDR
//! (kube-controller-manager), pod addresses from the node's range
//! (host-local), released at once (no warm pool, no cooldown).

use std::collections::BTreeSet;

use super::Sandbox;
use crate::cni::node_range::{NodeRange, RangeKind};
use crate::events::{Event, EventKind};
use crate::ids::{NodeId, PodId};

impl Sandbox {
    /// Gives a new node its pod CIDR (the lowest free one, as
    /// kube-controller-manager's `cidr_set.go` and the cilium-operator do
    /// for a fresh cluster), or the allocator's failure.
    pub(super) fn assign_pod_cidr(&mut self, node: NodeId, events: &mut Vec<Event>) {
        let Some(plan) = self.cni.plan() else { return };
        let taken: BTreeSet<ipnet::Ipv4Net> = self
            .nodes
            .values()
            .filter_map(|n| n.overlay.as_ref().map(|o| o.cidr))
            .collect();
        let free = (0..plan.count())
            .filter_map(|i| plan.range(i))
            .find(|c| !taken.contains(c));
        let kind = match (free, plan.kind) {
            (Some(cidr), _) => {
                if let Some(n) = self.nodes.get_mut(&node) {
                    n.overlay = Some(NodeRange::new(cidr, plan.kind));
                }
                EventKind::PodCidrAssigned { node, cidr }
            }
            (None, RangeKind::HostLocal) => EventKind::CidrNotAvailable {
                node,
                cluster_cidr: plan.cluster,
            },
            (None, RangeKind::CiliumPool) => {
                // The agent waits for its podCIDR and the node stays NotReady.
                let reason = format!("cilium-operator: Failed to allocate PodCIDRs to node: the cluster pool {} has no free /{} left; the cilium agent cannot start", plan.cluster, plan.node_len);
                if let Some(n) = self.nodes.get_mut(&node) {
                    n.not_ready = Some(reason.clone());
                }
                EventKind::NodeNotReady { node, reason }
            }
        };
        self.event(events, kind);
    }

    /// The overlay CNI ADD: an address from the node's range, or the
    /// plugin's error.
    pub(super) fn overlay_add(
        &mut self,
        node: NodeId,
        pod: PodId,
    ) -> Result<(std::net::Ipv4Addr, String), (String, String)> {
        let Some(n) = self.nodes.get_mut(&node) else {
            return Err(("cni".into(), "node is gone".into()));
        };
        match n.overlay.as_mut() {
            Some(range) => {
                let (plugin, ipam) = (range.plugin().to_owned(), range.ipam().to_owned());
                range.allocate(pod).map(|ip| (ip, ipam)).map_err(|e| (plugin, e))
            }
            // flanneld cannot start without a pod CIDR (FLANNEL pkg/subnet/kube/kube.go);
            // a Cilium node without one is NotReady, so no pod gets here.
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
