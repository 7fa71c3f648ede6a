//! Who may connect to whom on one port: the NetworkPolicy verdict of each
//! ordered pair of pods (and of any added addresses), on each side, as the
//! CNI enforces it. A pod to itself is not listed (a pod cannot block
//! access to itself: Kubernetes "Network Policies").

use std::net::Ipv4Addr;

use serde::Serialize;

use crate::cni::{Cni as _, Enforcement};
use crate::netpol::{Direction, Endpoint, Evaluator, Protocol, Verdict};
use crate::sandbox::Sandbox;

/// What decided one side of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The policies' verdict, enforced.
    Policy(Verdict),
    /// To or from the pod's own node: always allowed (Kubernetes "Network
    /// Policies": "traffic to and from the node where a Pod is running is
    /// always allowed"), except a pod's egress to its node where the
    /// enforcer polices it ([`Enforcement::polices_own_node_egress`]).
    OwnNode,
    /// The VPC CNI's strict mode: no policy selects the pod, so it is
    /// denied.
    StrictUnselected,
    /// Nothing enforces policy: allowed, whatever the policies say (the
    /// verdict they would give).
    NotEnforced(Verdict),
    /// The pod has its own security groups and the enforcer leaves such
    /// pods to them (Calico on the VPC CNI): allowed by policy, whatever
    /// the policies say (the verdict they would give).
    SecurityGroups(Verdict),
}

impl Decision {
    /// Whether the side lets the connection through.
    pub fn allows(&self) -> bool {
        match self {
            Self::Policy(v) => v.allows(),
            Self::OwnNode | Self::NotEnforced(_) | Self::SecurityGroups(_) => true,
            Self::StrictUnselected => false,
        }
    }
}

/// One party: a pod (`namespace/name`) or an added address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// `namespace/name`, or the address itself.
    pub name: String,
    /// Its IP.
    pub ip: Ipv4Addr,
    /// A pod's node IP.
    #[serde(skip)]
    pub node_ip: Option<Ipv4Addr>,
    /// Whether it declares the port (an address is taken to serve it).
    #[serde(skip)]
    pub serves: bool,
    /// A pod, not an added address.
    #[serde(skip)]
    pub pod: bool,
    /// One of CoreDNS's pods (the add-on's, labelled `k8s-app: kube-dns`).
    #[serde(skip)]
    pub dns: bool,
    /// A pod with its own security groups (a branch ENI).
    #[serde(skip)]
    pub branch: bool,
}

/// Whether a pod takes part in the matrix: not host-network (policies do
/// not select those; they are their node's address), and with an IP.
pub fn is_party(p: &crate::cluster::Pod) -> bool {
    !p.host_network && p.ip.is_some()
}

/// A pod's name as the matrix, `podnet reach` and the `reach` check write
/// it: `namespace/name`.
pub fn party_name(p: &crate::cluster::Pod) -> String {
    format!("{}/{}", p.namespace, p.name)
}

/// The matrix for one port and protocol.
pub struct Reach<'a> {
    sb: &'a Sandbox,
    /// The parties, pods first (by namespace, then name), then addresses.
    pub parties: Vec<Party>,
    eval: Evaluator<'a>,
    /// The port.
    pub port: u16,
    /// The protocol.
    pub protocol: Protocol,
    /// Who enforces.
    pub enforcement: Enforcement,
}

impl<'a> Reach<'a> {
    /// Every non-host-network pod that has an IP, plus `with`.
    pub fn new(sb: &'a Sandbox, port: u16, protocol: Protocol, with: &[Ipv4Addr]) -> Self {
        Self::among(sb, port, protocol, with, |_| true)
    }

    /// [`Reach::new`] over the pods `keep` keeps: a side's verdict depends
    /// only on its own pod's policies and the other end, so a pair's is the
    /// same in any matrix that holds both.
    pub fn among(
        sb: &'a Sandbox,
        port: u16,
        protocol: Protocol,
        with: &[Ipv4Addr],
        keep: impl Fn(&crate::cluster::Pod) -> bool,
    ) -> Self {
        let mut pods: Vec<&crate::cluster::Pod> = sb
            .pods
            .values()
            .filter(|p| is_party(p) && keep(p))
            .collect();
        pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut parties = Vec::with_capacity(pods.len() + with.len());
        let mut endpoints = Vec::with_capacity(pods.len() + with.len());
        for p in pods {
            let Some(ip) = p.ip else { continue };
            parties.push(Party {
                name: party_name(p),
                ip,
                node_ip: p.node.and_then(|n| sb.nodes.get(&n)).and_then(|n| n.ip()),
                serves: p
                    .ports
                    .iter()
                    .any(|x| x.port == port && x.protocol == protocol),
                pod: true,
                dns: p.addon && p.labels.get("k8s-app").is_some_and(|v| v == "kube-dns"),
                branch: p.security_groups,
            });
            endpoints.push(Endpoint::Pod {
                namespace: &p.namespace,
                labels: &p.labels,
                ports: &p.ports,
                ip,
            });
        }
        let node_ips: std::collections::HashSet<Ipv4Addr> =
            sb.nodes.values().filter_map(|n| n.ip()).collect();
        for ip in with {
            parties.push(Party {
                name: ip.to_string(),
                ip: *ip,
                node_ip: None,
                serves: true,
                pod: false,
                dns: false,
                branch: false,
            });
            endpoints.push(if node_ips.contains(ip) {
                Endpoint::Node(*ip)
            } else {
                Endpoint::Address(*ip)
            });
        }
        let enforcement = sb.cni.strategy().policy_enforcement();
        Self {
            sb,
            parties,
            eval: Evaluator::read_as(
                &sb.policies,
                &sb.namespaces,
                endpoints,
                enforcement.dialect(),
            ),
            port,
            protocol,
            enforcement,
        }
    }

    /// The decision of `direction` for `from` → `to` (party indices).
    pub fn decide(&self, direction: Direction, from: usize, to: usize) -> Decision {
        let verdict = self
            .eval
            .verdict(direction, from, to, self.port, self.protocol);
        let (subject, peer) = match direction {
            Direction::Egress => (from, to),
            Direction::Ingress => (to, from),
        };
        let own_node = self.parties.get(subject).and_then(|s| s.node_ip);
        match self.enforcement {
            Enforcement::None { .. } => Decision::NotEnforced(verdict),
            Enforcement::Enforced { .. } if verdict == Verdict::NotAPod => {
                Decision::Policy(verdict)
            }
            _ if own_node.is_some()
                && self.parties.get(peer).map(|p| p.ip) == own_node
                && (direction == Direction::Ingress
                    || !self.enforcement.polices_own_node_egress()) =>
            {
                Decision::OwnNode
            }
            _ if self.enforcement.exempts_branch_pods()
                && self.parties.get(subject).is_some_and(|s| s.branch) =>
            {
                Decision::SecurityGroups(verdict)
            }
            Enforcement::Enforced {
                unselected_denied: true,
                ..
            } if !self.eval.selected(subject) => Decision::StrictUnselected,
            Enforcement::Enforced { .. } => Decision::Policy(verdict),
        }
    }

    /// Both sides of `from` → `to`, and whether it connects (both allow
    /// and the destination serves the port).
    pub fn pair(&self, from: usize, to: usize) -> Pair {
        let egress = self.decide(Direction::Egress, from, to);
        let ingress = self.decide(Direction::Ingress, from, to);
        Pair {
            allowed: egress.allows() && ingress.allows(),
            served: self.parties.get(to).is_some_and(|p| p.serves),
            egress,
            ingress,
        }
    }

    /// Every ordered pair of distinct parties, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let n = self.parties.len();
        (0..n).flat_map(move |i| (0..n).filter(move |j| *j != i).map(move |j| (i, j)))
    }

    /// A side's decision in words.
    pub fn explain(&self, d: &Decision, direction: Direction) -> String {
        let side = direction.name();
        match d {
            Decision::Policy(v) => self.sb.policies.explain(v, direction),
            Decision::OwnNode if self.enforcement.polices_own_node_egress() => format!(
                "{side}: allowed, {} always lets a pod's own node reach it (what the pod sends to its node goes through its egress policy)",
                self.enforcement.enforcer()
            ),
            Decision::OwnNode => {
                format!("{side}: allowed, traffic to and from a pod's own node always is")
            }
            Decision::StrictUnselected => {
                format!("{side}: denied, strict mode denies a pod no policy selects")
            }
            Decision::NotEnforced(Verdict::Denied { policies }) => {
                let names: Vec<String> = policies
                    .iter()
                    .map(|p| self.sb.policies.name_of(*p))
                    .collect();
                format!(
                    "{side}: allowed, {}; enforced, {} would deny it",
                    self.enforcement.describe(),
                    names.join(" and ")
                )
            }
            Decision::NotEnforced(_) => format!("{side}: allowed, {}", self.enforcement.describe()),
            Decision::SecurityGroups(_) => format!(
                "{side}: allowed by policy, the pod has its own security groups and {} leaves such pods to them (podnet does not model security group rules)",
                self.enforcement.enforcer()
            ),
        }
    }

    /// The deciding policy (`namespace/name`) and rule (1-based), if one
    /// allowed it.
    pub fn rule(&self, d: &Decision) -> Option<(String, usize)> {
        match d {
            Decision::Policy(Verdict::Allowed { policy, rule }) => {
                Some((self.sb.policies.name_of(*policy), rule + 1))
            }
            _ => None,
        }
    }
}

/// Pods as policies' selectors see them: one namespace and one label set
/// (an ipBlock or a named port can still tell members apart, so a cell
/// counts each pair), or one added address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `namespace {k=v, …}`, or the address.
    pub name: String,
    /// Its parties (indices into [`Reach::parties`]).
    pub members: Vec<usize>,
}

/// The pairs between two groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupCell {
    /// Pairs allowed.
    pub allowed: usize,
    /// Pairs in all (a pod to itself is not one).
    pub total: usize,
    /// One allowed pair (party indices), if any.
    pub allowed_pair: Option<(usize, usize)>,
    /// One denied pair, if any.
    pub denied_pair: Option<(usize, usize)>,
}

impl Reach<'_> {
    /// The parties grouped by namespace and labels, in order of their
    /// first member.
    pub fn groups(&self) -> Vec<Group> {
        let mut order: Vec<Group> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for (i, e) in self.eval.endpoints().iter().enumerate() {
            let name = match e {
                Endpoint::Pod {
                    namespace, labels, ..
                } => {
                    let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("{namespace} {{{}}}", l.join(", "))
                }
                Endpoint::Address(ip) | Endpoint::Node(ip) => ip.to_string(),
            };
            match index.get(&name).and_then(|g| order.get_mut(*g)) {
                Some(g) => g.members.push(i),
                None => {
                    index.insert(name.clone(), order.len());
                    order.push(Group {
                        name,
                        members: vec![i],
                    });
                }
            }
        }
        order
    }

    /// Every pair from a member of `a` to a member of `b`.
    pub fn group_cell(&self, a: &Group, b: &Group) -> GroupCell {
        let mut cell = GroupCell::default();
        for &i in &a.members {
            for &j in b.members.iter().filter(|j| **j != i) {
                cell.total += 1;
                if self.pair(i, j).allowed {
                    cell.allowed += 1;
                    cell.allowed_pair.get_or_insert((i, j));
                } else {
                    cell.denied_pair.get_or_insert((i, j));
                }
            }
        }
        cell
    }
}

/// The policy verdicts on one traced connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PolicyCheck {
    /// The destination port.
    pub port: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// Who enforces, in words.
    pub enforcement: String,
    /// Whether both sides let it through.
    pub allowed: bool,
    /// The source's side, in words.
    pub egress: String,
    /// The destination's side, in words.
    pub ingress: String,
    /// Whether the source's side is the one that denies.
    #[serde(skip)]
    pub egress_denies: bool,
}

/// The matrix with `from` and `to` found in it (named as [`Party::name`]
/// gives them: `namespace/pod`, or an address, which `addresses` adds);
/// `None` when either is not a party.
pub fn between<'a>(
    sb: &'a Sandbox,
    from: &str,
    to: &str,
    port: u16,
    protocol: Protocol,
    addresses: &[Ipv4Addr],
) -> Option<(Reach<'a>, usize, usize)> {
    let wanted = |p: &crate::cluster::Pod| {
        let n = party_name(p);
        n == from || n == to
    };
    let r = Reach::among(sb, port, protocol, addresses, wanted);
    let i = r.parties.iter().position(|p| p.name == from)?;
    let j = r.parties.iter().position(|p| p.name == to)?;
    Some((r, i, j))
}

/// The verdicts between two parties, in words (see [`between`]).
pub fn check_between(
    sb: &Sandbox,
    from: &str,
    to: &str,
    port: u16,
    protocol: Protocol,
    addresses: &[Ipv4Addr],
) -> Option<PolicyCheck> {
    let (r, i, j) = between(sb, from, to, port, protocol, addresses)?;
    let pair = r.pair(i, j);
    Some(PolicyCheck {
        port,
        protocol,
        enforcement: r.enforcement.describe(),
        allowed: pair.allowed,
        egress: r.explain(&pair.egress, Direction::Egress),
        ingress: r.explain(&pair.ingress, Direction::Ingress),
        egress_denies: !pair.egress.allows(),
    })
}

/// One ordered pair's verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// Whether the policies, as enforced, let it through on both sides.
    pub allowed: bool,
    /// Whether the destination declares the port.
    pub served: bool,
    /// The source's side.
    pub egress: Decision,
    /// The destination's side.
    pub ingress: Decision,
}

/// The traps people fall into, as warnings: policies nothing enforces,
/// egress policies that cut pods off CoreDNS (53 UDP and TCP) or off the
/// API server (the `kubernetes` Service's endpoints, which on EKS are the
/// X-ENIs' addresses, on 443).
pub fn warnings(sb: &Sandbox) -> Vec<String> {
    let mut out = Vec::new();
    if sb.policies.is_empty() {
        return out;
    }
    let enforcement = sb.cni.strategy().policy_enforcement();
    if let Enforcement::None { why, .. } = enforcement {
        let stored = match sb.policies.policies().len() {
            1 => "1 NetworkPolicy is stored".to_owned(),
            n => format!("{n} NetworkPolicies are stored"),
        };
        out.push(format!("{stored} but not enforced: {why}"));
        return out;
    }
    out.extend(dialect_warnings(sb, &enforcement));
    // Who cannot reach any CoreDNS pod on 53 over `protocol`.
    let cut_off = |protocol: Protocol| -> Vec<String> {
        let r = Reach::new(sb, 53, protocol, &[]);
        let dns: Vec<usize> = (0..r.parties.len())
            .filter(|i| r.parties.get(*i).is_some_and(|p| p.dns))
            .collect();
        if dns.is_empty() {
            return Vec::new();
        }
        (0..r.parties.len())
            .filter(|i| r.parties.get(*i).is_some_and(|p| !p.dns))
            .filter(|i| {
                dns.iter()
                    .all(|d| !r.decide(Direction::Egress, *i, *d).allows())
            })
            .filter_map(|i| r.parties.get(i).map(|p| p.name.clone()))
            .collect()
    };
    let (udp, tcp) = (cut_off(Protocol::Udp), cut_off(Protocol::Tcp));
    if let Some(first) = udp.first() {
        out.push(format!(
            "{} pod(s), {first} among them, cannot reach CoreDNS on 53/UDP: an egress policy selects them and no rule allows DNS; allow UDP and TCP 53 to the pods labelled k8s-app: kube-dns in kube-system (one peer with both a namespaceSelector and a podSelector)",
            udp.len()
        ));
    }
    let tcp_only: Vec<&String> = tcp.iter().filter(|n| !udp.contains(n)).collect();
    if let Some(first) = tcp_only.first() {
        out.push(format!(
            "{} pod(s), {first} among them, reach CoreDNS on 53/UDP but not on 53/TCP: an answer too large for UDP is retried over TCP (RFC 7766), so those lookups fail; allow TCP 53 too",
            tcp_only.len()
        ));
    }
    let xenis: Vec<Ipv4Addr> = sb
        .cluster
        .iter()
        .flat_map(|c| c.xenis.iter().map(|e| e.primary_ip))
        .collect();
    if let Some(api) = xenis.first() {
        let r = Reach::new(sb, 443, Protocol::Tcp, &xenis);
        if let Some(a) = r.parties.iter().position(|p| p.ip == *api && !p.pod) {
            let cut: Vec<&str> = (0..r.parties.len())
                .filter(|i| r.parties.get(*i).is_some_and(|p| p.pod))
                .filter(|i| !r.decide(Direction::Egress, *i, a).allows())
                .filter_map(|i| r.parties.get(i).map(|p| p.name.as_str()))
                .collect();
            if let Some(first) = cut.first() {
                let ips: Vec<String> = xenis.iter().map(ToString::to_string).collect();
                out.push(format!(
                    "{} pod(s), {first} among them, cannot reach the API server: the kubernetes Service's endpoints are the X-ENIs' addresses ({}) on 443, and no egress rule allows them (an ipBlock does)",
                    cut.len(),
                    ips.join(", ")
                ));
            }
        }
    }
    out
}

/// A policy's rules, with their direction and 0-based index.
fn rules(
    p: &crate::netpol::Policy,
) -> impl Iterator<Item = (Direction, usize, &crate::netpol::validate::Rule)> {
    [
        (Direction::Ingress, &p.ingress),
        (Direction::Egress, &p.egress),
    ]
    .into_iter()
    .flat_map(|(d, r)| r.iter().flatten().enumerate().map(move |(i, r)| (d, i, r)))
}

/// Where the policies use what the enforcer reads its own way: parts of
/// the API its documentation says it lacks, and (Cilium) an `ipBlock`
/// holding pods' IPs, which does not select them.
fn dialect_warnings(sb: &Sandbox, enforcement: &Enforcement) -> Vec<String> {
    use crate::netpol::validate::{PortMatch, RulePeer};
    let Enforcement::Enforced {
        gaps,
        ip_block_selects_pods,
        ip_block_selects_nodes,
        ..
    } = enforcement
    else {
        return Vec::new();
    };
    let policies = sb.policies.policies();
    let mut out = Vec::new();
    for gap in gaps.iter() {
        let uses = |r: &crate::netpol::validate::Rule| {
            r.ports.iter().any(|p| match gap {
                crate::cni::Gap::EndPort => matches!(p.port, PortMatch::Range(lo, hi) if lo != hi),
                crate::cni::Gap::Sctp => p.protocol == Protocol::Sctp,
            })
        };
        if let Some(p) = policies.iter().find(|p| rules(p).any(|(_, _, r)| uses(r))) {
            let (feature, issue) = gap.describe();
            out.push(format!(
                "{}/{} uses {feature}, which the CNI's documentation lists among the NetworkPolicy features it lacks ({issue}): podnet evaluates it as the API defines it, a real cluster may not",
                p.namespace, p.name
            ));
        }
    }
    let pods: Vec<Ipv4Addr> = sb
        .pods
        .values()
        .filter(|p| is_party(p))
        .filter_map(|p| p.ip)
        .collect();
    let nodes: Vec<Ipv4Addr> = sb.nodes.values().filter_map(|n| n.ip()).collect();
    let unmatched = [
        (
            !ip_block_selects_pods,
            &pods,
            "pod(s), but Cilium matches pods by identity, never by IP (a known missing feature, cilium issue 9209): it does not select them; select pods with a podSelector or namespaceSelector",
        ),
        (
            !ip_block_selects_nodes,
            &nodes,
            "node(s) (their host-network pods, the kubelet), which Cilium does not select by ipBlock unless policy-cidr-match-mode includes nodes (v1.15+, cilium issue 20550); traffic from a pod's own node is allowed anyway",
        ),
    ];
    for (applies, ips, what) in unmatched {
        if !applies {
            continue;
        }
        let found = policies.iter().find_map(|p| {
            rules(p).find_map(|(d, i, r)| {
                r.peers.iter().find_map(|peer| {
                    let RulePeer::Block {
                        cidr: Some(c),
                        except,
                        text,
                    } = peer
                    else {
                        return None;
                    };
                    let held = ips
                        .iter()
                        .filter(|ip| c.contains(*ip) && !except.iter().any(|x| x.contains(*ip)))
                        .count();
                    (held > 0).then(|| {
                        format!(
                            "the ipBlock {text} of {}/{} ({} rule {}) holds the IPs of {held} {what}",
                            p.namespace,
                            p.name,
                            d.name(),
                            i + 1
                        )
                    })
                })
            })
        });
        out.extend(found);
    }
    out
}
