//! Who may talk to whom under a set of NetworkPolicies, and which policy
//! and rule decided, on each side (Kubernetes "Network Policies":
//! a pod is isolated for a direction when a policy selecting it has that
//! policy type; an isolated pod's connections are those some selecting
//! policy's rule allows; policies add up; a connection needs the source's
//! egress and the destination's ingress; replies to an allowed connection
//! are allowed). The same reading as policy-assistant's `matcher`
//! (kubernetes-sigs/network-policy-api, `cmd/policy-assistant`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::api::Labels;
use super::validate::{PortMatch, Rule, RulePeer};
use super::{PolicySet, Protocol};

/// A port a container declares (`containers[].ports[]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(expecting = "a container port object (name, port, protocol)")]
pub struct NamedPort {
    /// Its name, which policies can use instead of the number.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The number.
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(default)]
    pub protocol: Protocol,
}

/// One end of a connection.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint<'a> {
    /// A pod (not a host-network one: policies do not select those).
    Pod {
        /// Its namespace.
        namespace: &'a str,
        /// Its labels.
        labels: &'a Labels,
        /// Its declared ports.
        ports: &'a [NamedPort],
        /// Its IP.
        ip: Ipv4Addr,
    },
    /// An address that is not a pod's (a VPC host, the internet, the
    /// control plane's X-ENIs): policies match it only by `ipBlock`.
    Address(Ipv4Addr),
    /// A node's address (its host-network pods, the kubelet): an address
    /// to the API, which some enforcers do not match by `ipBlock`.
    Node(Ipv4Addr),
}

impl Endpoint<'_> {
    fn ip(&self) -> Ipv4Addr {
        match self {
            Self::Pod { ip, .. } | Self::Address(ip) | Self::Node(ip) => *ip,
        }
    }

    /// The name of the port `port`/`protocol` it declares, if any.
    fn port_name(&self, port: u16, protocol: Protocol) -> Option<&str> {
        match self {
            Self::Pod { ports, .. } => ports
                .iter()
                .find(|p| p.port == port && p.protocol == protocol && !p.name.is_empty())
                .map(|p| p.name.as_str()),
            Self::Address(_) | Self::Node(_) => None,
        }
    }
}

/// Egress (the source's policies) or ingress (the destination's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Leaving the source.
    Egress,
    /// Entering the destination.
    Ingress,
}

impl Direction {
    /// `egress` or `ingress`, as the API's field names have it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Egress => "egress",
            Self::Ingress => "ingress",
        }
    }
}

/// One side's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// This side is not a pod: no policy applies to it.
    NotAPod,
    /// No policy selects the pod for this direction: everything is allowed.
    NotIsolated,
    /// Allowed by rule `rule` (0-based) of policy `policy` (an index into
    /// [`PolicySet::policies`]), the first that allows it.
    Allowed {
        /// The policy.
        policy: usize,
        /// Its rule.
        rule: usize,
    },
    /// The pod is isolated by these policies and none allows it.
    Denied {
        /// The policies that select the pod for this direction.
        policies: Vec<usize>,
    },
}

impl Verdict {
    /// Whether this side lets the connection through.
    pub fn allows(&self) -> bool {
        !matches!(self, Self::Denied { .. })
    }
}

/// Precomputed matches of a policy set over a fixed list of endpoints,
/// so that a matrix of every pair costs bit tests, not selector matches.
pub struct Evaluator<'a> {
    set: &'a PolicySet,
    endpoints: Vec<Endpoint<'a>>,
    /// Per endpoint: the policies selecting it for ingress / egress.
    selected: [Vec<Vec<usize>>; 2],
    /// Per policy, per direction, per rule, per peer: which endpoints
    /// match (a bitset).
    hits: Vec<[Vec<Vec<Bits>>; 2]>,
}

/// How an enforcer reads the parts of the API it implements its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Whether an `ipBlock` matches a pod by its IP (the API's reading;
    /// Cilium matches pods by identity only).
    pub ip_block_selects_pods: bool,
    /// Whether an `ipBlock` matches a node's address (the API's reading;
    /// Cilium only with `policy-cidr-match-mode: nodes`, v1.15+).
    pub ip_block_selects_nodes: bool,
}

impl Default for Dialect {
    /// The API's reading.
    fn default() -> Self {
        Self {
            ip_block_selects_pods: true,
            ip_block_selects_nodes: true,
        }
    }
}

#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
}

fn slot(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

fn rules(p: &super::validate::Policy, d: Direction) -> Option<&[Rule]> {
    match d {
        Direction::Ingress => p.ingress.as_deref(),
        Direction::Egress => p.egress.as_deref(),
    }
}

/// Whether `peer` of a policy in `policy_ns` matches `e`.
fn peer_matches(
    peer: &RulePeer,
    policy_ns: &str,
    namespaces: &BTreeMap<String, Labels>,
    e: &Endpoint,
    dialect: Dialect,
) -> bool {
    match peer {
        RulePeer::Pods {
            pods,
            namespaces: ns_sel,
        } => {
            let Endpoint::Pod {
                namespace, labels, ..
            } = e
            else {
                return false;
            };
            let ns_ok = match ns_sel {
                None => *namespace == policy_ns,
                Some(sel) => namespaces.get(*namespace).is_some_and(|l| sel.matches(l)),
            };
            ns_ok && pods.as_ref().is_none_or(|s| s.matches(labels))
        }
        RulePeer::Block { .. }
            if !dialect.ip_block_selects_pods && matches!(e, Endpoint::Pod { .. })
                || !dialect.ip_block_selects_nodes && matches!(e, Endpoint::Node(_)) =>
        {
            false
        }
        RulePeer::Block { cidr, except, .. } => {
            let ip = e.ip();
            cidr.is_some_and(|c| c.contains(&ip)) && !except.iter().any(|x| x.contains(&ip))
        }
    }
}

impl<'a> Evaluator<'a> {
    /// Matches `set` against `endpoints`, whose namespaces have the labels
    /// `namespaces` gives, as the API reads it.
    pub fn new(
        set: &'a PolicySet,
        namespaces: &BTreeMap<String, Labels>,
        endpoints: Vec<Endpoint<'a>>,
    ) -> Self {
        Self::read_as(set, namespaces, endpoints, Dialect::default())
    }

    /// [`Evaluator::new`], as an enforcer with `dialect` reads it.
    pub fn read_as(
        set: &'a PolicySet,
        namespaces: &BTreeMap<String, Labels>,
        endpoints: Vec<Endpoint<'a>>,
        dialect: Dialect,
    ) -> Self {
        let n = endpoints.len();
        let mut selected = [vec![Vec::new(); n], vec![Vec::new(); n]];
        for (pi, p) in set.policies().iter().enumerate() {
            for (ei, e) in endpoints.iter().enumerate() {
                let Endpoint::Pod {
                    namespace, labels, ..
                } = e
                else {
                    continue;
                };
                if *namespace != p.namespace || !p.pod_selector.matches(labels) {
                    continue;
                }
                for d in [Direction::Ingress, Direction::Egress] {
                    if rules(p, d).is_some() {
                        if let Some(list) = selected[slot(d)].get_mut(ei) {
                            list.push(pi);
                        }
                    }
                }
            }
        }
        let words = n.div_ceil(64);
        let hits = set
            .policies()
            .iter()
            .map(|p| {
                [Direction::Ingress, Direction::Egress].map(|d| {
                    rules(p, d)
                        .unwrap_or_default()
                        .iter()
                        .map(|r| {
                            r.peers
                                .iter()
                                .map(|peer| {
                                    let mut bits = vec![0u64; words];
                                    for (ei, e) in endpoints.iter().enumerate() {
                                        if peer_matches(peer, &p.namespace, namespaces, e, dialect)
                                        {
                                            if let Some(w) = bits.get_mut(ei / 64) {
                                                *w |= 1 << (ei % 64);
                                            }
                                        }
                                    }
                                    Bits(bits)
                                })
                                .collect()
                        })
                        .collect()
                })
            })
            .collect();
        Self {
            set,
            endpoints,
            selected,
            hits,
        }
    }

    /// The endpoints, in the order given.
    pub fn endpoints(&self) -> &[Endpoint<'a>] {
        &self.endpoints
    }

    /// Whether some policy selects endpoint `i`, for either direction.
    pub fn selected(&self, i: usize) -> bool {
        self.selected
            .iter()
            .any(|d| d.get(i).is_some_and(|l| !l.is_empty()))
    }

    /// The verdict of `direction` for a connection from endpoint `from`
    /// to endpoint `to` (indices into the endpoints), on `port`/`protocol`.
    pub fn verdict(
        &self,
        direction: Direction,
        from: usize,
        to: usize,
        port: u16,
        protocol: Protocol,
    ) -> Verdict {
        let (subject, peer) = match direction {
            Direction::Ingress => (to, from),
            Direction::Egress => (from, to),
        };
        let Some(Endpoint::Pod { .. }) = self.endpoints.get(subject) else {
            return Verdict::NotAPod;
        };
        let list = self.selected[slot(direction)]
            .get(subject)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if list.is_empty() {
            return Verdict::NotIsolated;
        }
        // A named port names a port of the destination pod.
        let name = self
            .endpoints
            .get(to)
            .and_then(|e| e.port_name(port, protocol));
        let policies = self.set.policies();
        for &pi in list {
            let Some(p) = policies.get(pi) else { continue };
            let hits = self.hits.get(pi).map(|h| &h[slot(direction)]);
            for (ri, r) in rules(p, direction).unwrap_or_default().iter().enumerate() {
                let peer_ok = r.peers.is_empty()
                    || hits
                        .and_then(|h| h.get(ri))
                        .is_some_and(|bits| bits.iter().any(|b| b.get(peer)));
                let port_ok = r.ports.is_empty()
                    || r.ports.iter().any(|rp| {
                        rp.protocol == protocol
                            && match &rp.port {
                                PortMatch::Any => true,
                                PortMatch::Range(lo, hi) => (*lo..=*hi).contains(&port),
                                PortMatch::Named(n) => name == Some(n.as_str()),
                            }
                    });
                if peer_ok && port_ok {
                    return Verdict::Allowed {
                        policy: pi,
                        rule: ri,
                    };
                }
            }
        }
        Verdict::Denied {
            policies: list.to_vec(),
        }
    }
}
