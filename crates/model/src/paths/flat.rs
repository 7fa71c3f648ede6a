//! "Can every pod reach every other pod without NAT?" for the cluster as it
//! is, and what the control plane can reach.

use crate::cni::Cni as _;
use serde::{Deserialize, Serialize};

use super::trace::Endpoint;
use crate::cluster::{Node, PodStatus};
use crate::ids::NodeId;
use crate::sandbox::Sandbox;

/// One pair of pods the check tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCheck {
    /// How the two relate, e.g. `another node, another AZ`.
    pub kind: String,
    /// The source pod.
    pub from: String,
    /// The destination pod.
    pub to: String,
    /// Whether the packet arrives.
    pub reachable: bool,
    /// Whether its addresses are rewritten on the way.
    pub nat: bool,
    /// The path's verdict.
    pub verdict: String,
}

/// The answer for the whole cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlatCheck {
    /// Every pod reaches every other pod, no NAT.
    pub flat: bool,
    /// The answer in words.
    pub answer: String,
    /// One pair per kind of placement found in the cluster.
    pub pairs: Vec<PairCheck>,
    /// The control plane reaches pod IPs (webhooks work without hostNetwork).
    pub control_plane_reaches_pods: bool,
    /// What the control plane can reach, in words.
    pub control_plane: String,
}

impl Sandbox {
    /// Checks one pair of running pods for each kind of placement in the
    /// cluster (same node, same subnet, another subnet, another AZ), and the
    /// control plane's reach.
    pub fn flat_network(&self) -> FlatCheck {
        // Pods whose placement looks alike give the same path: keep two
        // pods on different nodes for each placement (the node's subnet,
        // the subnet of the pod's address, own security groups or not), and
        // two pods on one node, so the pairs stay few at any cluster size.
        let mut reps: Vec<(NodeId, crate::ids::PodId)> = Vec::new();
        let mut by_place: std::collections::BTreeMap<_, Vec<NodeId>> = Default::default();
        let mut first_on: std::collections::BTreeMap<NodeId, crate::ids::PodId> =
            Default::default();
        let mut two_on: Option<(crate::ids::PodId, crate::ids::PodId)> = None;
        for p in self
            .pods
            .values()
            .filter(|p| p.status == PodStatus::Running && !p.host_network)
        {
            let Some(n) = p.node else { continue };
            if let Some(first) = first_on.get(&n) {
                if two_on.is_none() {
                    two_on = Some((*first, p.id));
                }
                continue;
            }
            first_on.insert(n, p.id);
            let node_subnet = self.nodes.get(&n).map(|x| x.subnet);
            let pod_subnet = p.ip.and_then(|ip| {
                self.vpc
                    .subnets
                    .values()
                    .find(|s| s.cidr.contains(&ip))
                    .map(|s| s.id)
            });
            let seen = by_place
                .entry((node_subnet, pod_subnet, p.security_groups))
                .or_default();
            if seen.len() < 2 {
                seen.push(n);
                reps.push((n, p.id));
            }
        }
        let mut pairs = Vec::new();
        let mut seen = Vec::new();
        let mut push = |s: &Self, a, b| {
            if let Ok(path) = s.trace(Endpoint::Pod { pod: a }, Endpoint::Pod { pod: b }) {
                if !seen.contains(&path.kind) {
                    seen.push(path.kind.clone());
                    pairs.push(PairCheck {
                        kind: path.kind,
                        from: path.from,
                        to: path.to,
                        reachable: path.reachable,
                        nat: path.nat,
                        verdict: path.verdict,
                    });
                }
            }
        };
        if let Some((a, b)) = two_on {
            push(self, a, b);
        }
        for (i, (_, a)) in reps.iter().enumerate() {
            for (_, b) in reps.iter().skip(i + 1) {
                push(self, *a, *b);
            }
        }
        let flat = pairs.iter().all(|p| p.reachable && !p.nat);
        let routable = self.cni.strategy().datapath().vpc_routable;
        let name = self.cni.strategy().name();
        let answer = match (pairs.is_empty(), flat) {
            (true, _) => "No two running pods to check yet: add nodes and pods.".to_owned(),
            (false, true) => format!("Yes: under {name} every pod reaches every other pod at its own address, with no NAT ({} kinds of placement checked).", pairs.len()),
            (false, false) => {
                let bad = pairs.iter().find(|p| !p.reachable || p.nat).map(|p| format!("{} ({}): {}", p.kind, p.from, p.verdict)).unwrap_or_default();
                format!("No: {bad}")
            }
        };
        let nodes: Vec<&Node> = self.nodes.values().collect();
        let rules = self.cluster.as_ref().map(|c| c.rules);
        let kubelet = rules.is_none_or(|r| r.kubelet_10250);
        let control_plane = match (self.cluster.is_some(), routable) {
            (false, _) => "No cluster yet.".to_owned(),
            (true, true) => format!("Through its X-ENIs the control plane reaches every node ({} on 10250) and every pod IP: pod IPs are VPC addresses, so webhooks in pods work.", if kubelet { "kubelets" } else { "but the node security group blocks kubelets" }),
            (true, false) => format!("Through its X-ENIs the control plane reaches the {} nodes ({}), but not pod IPs: they exist only inside the {name} overlay, so webhooks must run with hostNetwork: true.", nodes.len(), if kubelet { "kubelets on 10250" } else { "10250 blocked by the node security group" }),
        };
        FlatCheck {
            flat: flat && !pairs.is_empty(),
            answer,
            pairs,
            control_plane_reaches_pods: routable && self.cluster.is_some(),
            control_plane,
        }
    }
}
