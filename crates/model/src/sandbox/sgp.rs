//! Security groups for pods across the cluster: where trunk ENIs go, which
//! node a pod with its own security groups can use, and its branch ENI.
//! The per-node rules are in [`crate::cni::ipamd`] (`trunk.rs`).

use std::collections::BTreeSet;

use super::nodes::Access;
use super::pods::NodeMiss;
use super::Sandbox;
use crate::cluster::Node;
use crate::cni::AllocateError;
use crate::events::{EventKind, Recorder};
use crate::ids::{NodeId, PodId, SubnetId};

/// The extended resource a pod with a `SecurityGroupPolicy` requests.
pub const POD_ENI_RESOURCE: &str = "vpc.amazonaws.com/pod-eni";

impl Sandbox {
    /// The subnet of `node`'s trunk and branch ENIs: its ENIConfig's under
    /// custom networking (the controller reads the node's ENIConfig), else
    /// the node's own.
    fn trunk_subnet(&self, node: &Node) -> Option<SubnetId> {
        if !node.ipam.custom_networking {
            return Some(node.subnet);
        }
        let az = &self.vpc.subnets.get(&node.subnet)?.az;
        self.eni_config_subnets().get(az).copied()
    }

    /// Attaches trunk ENIs to the `nodes` that want one and have a free ENI
    /// slot; says why when one cannot be attached (once per reason).
    pub(crate) fn ensure_trunks(&mut self, nodes: &BTreeSet<NodeId>, events: &mut Recorder) {
        let eni_configs = self.eni_config_subnets();
        for id in nodes {
            let Some(node) = self.nodes.get(id) else {
                continue;
            };
            // The controller acts on nodes whose aws-node labelled them.
            if !node.registered || !node.ipam.keeps_trunk_slot() {
                continue;
            }
            let subnet = self.trunk_subnet(node);
            let (attached, max) = (node.ipam.enis.len(), node.ipam.limits.max_enis);
            let Some(node) = self.nodes.get_mut(id) else {
                continue;
            };
            let mut access = Access {
                subnets: &mut self.vpc.subnets,
                next_eni: &mut self.next.eni,
                discovery: false,
                eni_configs: &eni_configs,
            };
            let waiting = match subnet {
                None => Some("the node's ENIConfig names no subnet".to_owned()),
                Some(subnet) => match node.ipam.attach_trunk(subnet, &mut access, self.now_ms, events) {
                    Ok(true) => None,
                    Ok(false) => Some(format!("all {max} ENI slots are in use ({attached} attached); it is attached when ipamd frees one")),
                    Err(e) => Some(format!("{} ({})", e.ec2_message(), e.numbers())),
                },
            };
            if let Some(reason) = waiting {
                let repeated = node.trunk_waiting.as_deref() == Some(reason.as_str());
                node.trunk_waiting = Some(reason.clone());
                if !repeated {
                    self.event(events, EventKind::TrunkEniWaiting { node: *id, reason });
                }
            }
        }
    }

    /// The node a pod with its own security groups goes to: ready, below
    /// its max pods, with a free `vpc.amazonaws.com/pod-eni`; the least
    /// loaded first.
    pub(super) fn pick_for_branch_pod(
        &self,
        wants: Option<NodeId>,
        system: bool,
    ) -> Option<NodeId> {
        let fits = |n: &&Node| {
            (n.ready() || system)
                && n.pods < n.max_pods()
                && n.branch_pods < n.ipam.branch_capacity()
        };
        match wants {
            Some(w) => self.nodes.get(&w).filter(fits).map(|n| n.id),
            None => self
                .nodes
                .values()
                .filter(fits)
                .min_by_key(|n| (n.pods, n.id))
                .map(|n| n.id),
        }
    }

    /// kube-scheduler's message when no node has a `pod-eni` for the pod.
    pub(super) fn branch_unschedulable_message(&self, wants: Option<NodeId>) -> String {
        let candidates: Vec<&Node> = match wants {
            Some(w) => self
                .nodes
                .get(&w)
                .filter(|n| n.registered)
                .into_iter()
                .collect(),
            None => self.nodes.values().filter(|n| n.registered).collect(),
        };
        let total = self.nodes.values().filter(|n| n.registered).count();
        if total == 0 {
            return super::pods::NO_NODES.into();
        }
        let (mut not_ready, mut full, mut no_eni) = (0, 0, 0);
        for n in &candidates {
            if !n.ready() {
                not_ready += 1;
            } else if n.pods >= n.max_pods() {
                full += 1;
            } else {
                no_eni += 1;
            }
        }
        // Nodes the pod is not pinned to fail TaintToleration first when
        // NotReady, then NodeAffinity.
        let (mut others_not_ready, mut others) = (0, 0);
        if wants.is_some() {
            for n in self.nodes.values().filter(|n| n.registered) {
                if Some(n.id) == wants {
                    continue;
                }
                if n.ready() {
                    others += 1;
                } else {
                    others_not_ready += 1;
                }
            }
        }
        super::pods::fit_error(
            total,
            &[
                (NodeMiss::NotReady, not_ready + others_not_ready),
                (NodeMiss::NotWanted, others),
                (NodeMiss::TooManyPods, full),
                (NodeMiss::NoPodEni, no_eni),
            ],
        )
    }

    /// The controller's part of the CNI ADD for a pod with its own security
    /// groups: a branch ENI, whose IP becomes the pod IP.
    pub(super) fn branch_add(
        &mut self,
        node_id: NodeId,
        pod: PodId,
    ) -> Result<EventKind, AllocateError> {
        let eni_configs = self.eni_config_subnets();
        let Some(node) = self.nodes.get_mut(&node_id) else {
            return Err(AllocateError::NoBranch {
                reason: "the node is gone".into(),
            });
        };
        let mut access = Access {
            subnets: &mut self.vpc.subnets,
            next_eni: &mut self.next.eni,
            discovery: false,
            eni_configs: &eni_configs,
        };
        match node.ipam.assign_branch(pod, &mut access) {
            Ok(Some(b)) => Ok(EventKind::BranchEniCreated {
                pod,
                node: node_id,
                eni: b.id,
                ip: b.ip,
                vlan: b.vlan,
            }),
            Ok(None) => Err(AllocateError::NoBranch {
                reason: format!("{} has no free branch ENI on a trunk", node.name),
            }),
            Err(e) => Err(AllocateError::NoBranch {
                reason: format!("{} ({})", e.ec2_message(), e.numbers()),
            }),
        }
    }

    /// A deleted pod's branch ENI goes, and its address is free at once.
    pub(super) fn release_branch(&mut self, node: NodeId, pod: PodId, events: &mut Recorder) {
        let eni_configs = self.eni_config_subnets();
        let Some(n) = self.nodes.get_mut(&node) else {
            return;
        };
        n.branch_pods = n.branch_pods.saturating_sub(1);
        let mut access = Access {
            subnets: &mut self.vpc.subnets,
            next_eni: &mut self.next.eni,
            discovery: false,
            eni_configs: &eni_configs,
        };
        if let Some(b) = n.ipam.release_branch(pod, &mut access) {
            self.event(
                events,
                EventKind::BranchEniDeleted {
                    pod,
                    eni: b.id,
                    ip: b.ip,
                },
            );
        }
    }
}
