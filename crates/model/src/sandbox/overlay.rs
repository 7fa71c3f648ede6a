//! Overlay CNIs in the sandbox: pod CIDRs per node from the cluster CIDR
//! (kube-controller-manager), pod addresses from the node's range
//! (host-local), released at once (no warm pool, no cooldown).

use crate::cni::Cni as _;
use crate::ordered::Ordered as _;
use std::collections::BTreeSet;

use super::Sandbox;
use crate::cni::calico::{Assigned, Calico, CalicoHolder};
use crate::cni::node_range::NodeRange;
use crate::cni::{AddFailure, Addressing, AllocateError};
use crate::events::{EventKind, Recorder};
use crate::ids::{NodeId, PodId};

impl Sandbox {
    /// Gives a new node its pod CIDR (the lowest free one: the
    /// cilium-operator does so for a fresh cluster; flanneld's etcd manager
    /// picks at random among the 100 lowest free, which podnet simplifies
    /// to the lowest so replays match), or the allocator's failure. Under
    /// flannel's `--kube-subnet-mgr` EKS gives none.
    pub(crate) fn assign_pod_cidr(&mut self, node: NodeId, events: &mut Recorder) {
        let cni = self.cni.clone();
        let plan = match cni.strategy().addressing() {
            Addressing::Blocks(cfg) => {
                self.calico_tunnel(node, cfg, events);
                return;
            }
            Addressing::Enis(_) => return,
            Addressing::NodeRanges(ranges) => match ranges.plan() {
                Some(plan) => (ranges, plan),
                None => return,
            },
        };
        let (ranges, plan) = plan;
        let name = self
            .nodes
            .get(&node)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        if let Some(reason) = cni.strategy().cannot_start(&name) {
            if let Some(n) = self.nodes.get_mut(&node) {
                n.not_ready = Some(reason.clone());
            }
            self.event(events, EventKind::NodeNotReady { node, reason });
            return;
        }
        let taken: BTreeSet<ipnet::Ipv4Net> = self
            .nodes
            .values()
            .filter_map(|n| n.overlay.as_ref().map(|o| o.cidr))
            .into_set();
        let free = (0..plan.count())
            .filter_map(|i| plan.range(i))
            .find(|c| !taken.contains(c));
        let kind = match free {
            Some(cidr) => {
                if let Some(n) = self.nodes.get_mut(&node) {
                    n.overlay = Some(NodeRange::new(cidr, plan.kind));
                }
                EventKind::PodCidrAssigned {
                    node,
                    cidr,
                    by: ranges.assigned_by().into(),
                }
            }
            None => {
                let reason = ranges.out_of_ranges(&plan);
                if let Some(n) = self.nodes.get_mut(&node) {
                    n.not_ready = Some(reason.clone());
                }
                EventKind::NodeNotReady { node, reason }
            }
        };
        self.event(events, kind);
        if let Some(cidr) = free {
            self.warn_of_range_in_services(node, cidr, events);
        }
    }

    /// calico-node's tunnel address, taken from the node's first block as
    /// any other address (calico `node/pkg/allocateip/allocateip.go`).
    /// Without a free address the node runs without it and its pods fail
    /// the same way, so the failure is only logged.
    fn calico_tunnel(&mut self, node: NodeId, cfg: &Calico, events: &mut Recorder) {
        // The tunnel device of its datapath; none without encapsulation.
        let Some(device) = self.cni.strategy().datapath().crossing.device() else {
            return;
        };
        match self.calico_assign(node, None, cfg, events) {
            Ok(got) => self.event(
                events,
                EventKind::CalicoTunnelAddress {
                    node,
                    device: device.into(),
                    ip: got.ip,
                },
            ),
            Err(reason) => self.event(
                events,
                EventKind::CalicoTunnelFailed {
                    node,
                    device: device.into(),
                    reason: reason.to_string(),
                },
            ),
        }
    }

    /// Calico IPAM for one address, with an event for each block claimed.
    fn calico_assign(
        &mut self,
        node: NodeId,
        pod: Option<PodId>,
        cfg: &Calico,
        events: &mut Recorder,
    ) -> Result<Assigned, AllocateError> {
        let got = self
            .cni_state
            .blocks_mut()
            .ok_or(AllocateError::NoPool)?
            .assign(cfg, CalicoHolder { node, pod })?;
        if let Some(block) = got.claimed {
            self.event(events, EventKind::CalicoBlockClaimed { node, block });
            self.warn_of_range_in_services(node, block, events);
        }
        Ok(got)
    }

    /// The overlay CNI ADD: an address from the node's range (or Calico's
    /// pool), or the plugin's error.
    pub(super) fn overlay_add(
        &mut self,
        node: NodeId,
        pod: PodId,
        events: &mut Recorder,
    ) -> Result<(std::net::Ipv4Addr, String), AddFailure> {
        let cni = self.cni.clone();
        if let Addressing::Blocks(cfg) = cni.strategy().addressing() {
            let plugin = cni.strategy().plugin();
            return match self.calico_assign(node, Some(pod), cfg, events) {
                Ok(got) => {
                    let from = if got.borrowed {
                        "calico-ipam (borrowed from another node's block)"
                    } else {
                        "calico-ipam (a block affine to the node)"
                    };
                    Ok((got.ip, from.to_owned()))
                }
                Err(e) => Err(AddFailure::new(plugin, e)),
            };
        }
        let plugin = cni.strategy().plugin();
        let Addressing::NodeRanges(ranges) = cni.strategy().addressing() else {
            // ENI strategies do not come here (their pods take ENI addresses).
            return Err(AddFailure::new(plugin, AllocateError::NoPool));
        };
        let Some(n) = self.nodes.get_mut(&node) else {
            return Err(AddFailure::new(plugin, ranges.add_without_range("(gone)")));
        };
        match n.overlay.as_mut() {
            Some(range) => {
                let ipam = range.ipam().to_owned();
                range
                    .allocate(pod)
                    .map(|ip| (ip, ipam))
                    .map_err(|e| AddFailure::new(plugin, e))
            }
            None => Err(AddFailure::new(plugin, ranges.add_without_range(&n.name))),
        }
    }

    /// Where an overlay node's pods take addresses from, in one line
    /// (`None` under the VPC CNI): its pod CIDR, or its Calico blocks.
    pub fn pod_ranges(&self, node: NodeId) -> Option<String> {
        if let Addressing::Blocks(_) = self.cni.strategy().addressing() {
            let blocks: Vec<String> = self
                .cni_state
                .blocks()
                .into_iter()
                .flat_map(|b| b.blocks_of(node))
                .map(|b| {
                    let size = crate::addr::total_count(b.cidr);
                    format!("{} ({} of {size} used)", b.cidr, b.used())
                })
                .collect();
            return Some(if blocks.is_empty() {
                "Calico blocks: none claimed".to_owned()
            } else {
                format!("Calico blocks {}", blocks.join(", "))
            });
        }
        let range = self.nodes.get(&node)?.overlay.as_ref()?;
        Some(format!(
            "PodCIDR {} · {} of {} pod addresses used",
            range.cidr,
            range.used.len(),
            range.capacity()
        ))
    }

    /// Frees a pod's overlay address.
    pub(super) fn overlay_release(&mut self, node: NodeId, pod: PodId) {
        if let Addressing::Blocks(_) = self.cni.strategy().addressing() {
            let ip = self.pods.get(&pod).and_then(|p| p.ip);
            if let Some(blocks) = self.cni_state.blocks_mut() {
                blocks.release_pod(pod, ip);
            }
            return;
        }
        if let Some(range) = self.nodes.get_mut(&node).and_then(|n| n.overlay.as_mut()) {
            range.release(pod);
        }
    }
}
