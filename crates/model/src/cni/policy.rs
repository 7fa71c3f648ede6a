//! Who enforces NetworkPolicy. The API server stores every valid policy
//! whatever the CNI; only an agent on the node makes it true.

use serde::Serialize;

/// Whether and how the CNI applies NetworkPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "enforced", rename_all = "kebab-case")]
pub enum Enforcement {
    /// Nothing applies the policies: they are stored and ignored.
    None {
        /// Why, in a sentence.
        why: &'static str,
        /// Where that comes from.
        source: &'static str,
    },
    /// An agent on each node applies them.
    Enforced {
        /// The agent's short name, as sentences name it ("Calico",
        /// "cilium-agent").
        enforcer: &'static str,
        /// The agent and how it filters.
        agent: &'static str,
        /// Where that comes from.
        source: &'static str,
        /// The VPC CNI's strict mode: a pod no policy selects is denied
        /// everything ("you must have a network policy defined for every
        /// pod"), host-network pods excepted.
        unselected_denied: bool,
        /// What to know about when the policies start to apply.
        note: Option<&'static str>,
        /// Whether an `ipBlock` matches a pod by its IP. Cilium matches
        /// pods by their identity only: "`ipBlock` set with a pod IP" is
        /// among its known missing features (cilium
        /// Documentation/network/kubernetes/policy.rst, issue 9209).
        ip_block_selects_pods: bool,
        /// Whether an `ipBlock` matches a node's address. Cilium's does
        /// not unless `policy-cidr-match-mode` includes `nodes` (v1.15+;
        /// before, "nodes were excluded from `ipBlock`", cilium
        /// Documentation/network/kubernetes/policy.rst, issue 20550).
        ip_block_selects_nodes: bool,
        /// Whether pods with their own security groups (branch ENIs) are
        /// left out: Calico does not police their traffic ("Traffic flow to
        /// and from Pods with associated security groups are not subjected
        /// to Calico network policy enforcement", EKS User Guide
        /// alternate-cni-plugins).
        branch_pods_exempt: bool,
        /// Whether a pod's egress to its own node goes through its egress
        /// policy. The Kubernetes docs say traffic to and from a pod's node
        /// is always allowed; Cilium and Calico exempt only the node's
        /// traffic into its pods. Cilium adds the localhost allow on
        /// ingress only (pkg/policy mapstate.go
        /// determineAllowLocalhostIngress, `allow-localhost` always on
        /// Kubernetes). Calico sends what a pod sends to its host through
        /// the pod's egress policy first (felix rules/static.go: INPUT
        /// from a workload interface goes to cali-wl-to-host, which jumps
        /// to cali-from-wl-dispatch before DefaultEndpointToHostAction;
        /// "Host -> pod traffic is always allowed", felix PR 2228).
        own_node_egress_policed: bool,
        /// Parts of the API its own documentation says it lacks.
        gaps: &'static [Gap],
    },
}

/// A part of the NetworkPolicy API an enforcer's documentation lists as
/// not implemented; podnet still evaluates it as the API defines it, and
/// warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gap {
    /// Port ranges (`endPort`).
    EndPort,
    /// The SCTP protocol.
    Sctp,
}

impl Gap {
    /// The feature, and the enforcer's tracking issue.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Self::EndPort => ("port ranges (endPort)", "cilium issue 16622"),
            Self::Sctp => ("SCTP", "cilium issue 5719"),
        }
    }
}

impl Enforcement {
    /// Whether verdicts are enforced.
    pub fn enforced(&self) -> bool {
        matches!(self, Self::Enforced { .. })
    }

    /// How the enforcer reads the API where it departs from it.
    pub fn dialect(&self) -> crate::netpol::Dialect {
        match self {
            Self::Enforced {
                ip_block_selects_pods,
                ip_block_selects_nodes,
                ..
            } => crate::netpol::Dialect {
                ip_block_selects_pods: *ip_block_selects_pods,
                ip_block_selects_nodes: *ip_block_selects_nodes,
            },
            Self::None { .. } => crate::netpol::Dialect::default(),
        }
    }

    /// Whether pods with their own security groups are left out.
    pub fn exempts_branch_pods(&self) -> bool {
        matches!(
            self,
            Self::Enforced {
                branch_pods_exempt: true,
                ..
            }
        )
    }

    /// Whether a pod's egress to its own node is decided by its egress
    /// policy rather than always allowed.
    pub fn polices_own_node_egress(&self) -> bool {
        matches!(
            self,
            Self::Enforced {
                own_node_egress_policed: true,
                ..
            }
        )
    }

    /// The enforcing agent's short name ("Calico", "aws-network-policy-agent"),
    /// or "nothing".
    pub fn enforcer(&self) -> &'static str {
        match self {
            Self::Enforced { enforcer, .. } => enforcer,
            Self::None { .. } => "nothing",
        }
    }

    /// In words: who enforces, or why nothing does.
    pub fn describe(&self) -> String {
        match self {
            Self::None { why, .. } => format!("not enforced: {why}"),
            Self::Enforced {
                agent, note: None, ..
            } => format!("enforced by {agent}"),
            Self::Enforced {
                agent,
                note: Some(n),
                ..
            } => format!("enforced by {agent}; {n}"),
        }
    }
}
