//! What the API server refuses, in its words, and the checked policy the
//! evaluator reads (`pkg/apis/networking/validation/validation.go`,
//! `ValidateNetworkPolicy`; `pkg/apis/networking/v1/defaults.go`).

use std::fmt;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net};

use super::api::{IntOrString, LabelSelector, NetworkPolicy, Peer, PolicyPort};
use super::names;
use super::Protocol;

/// One field's error (`field.Error`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's path (`spec.ingress[0].from[0]`).
    pub field: String,
    /// What is wrong.
    pub kind: FieldErrorKind,
}

/// `field.ErrorType` with its detail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum FieldErrorKind {
    /// `Required value`.
    Required(&'static str),
    /// `Forbidden`.
    Forbidden(&'static str),
    /// `Invalid value`: the value as the API server prints it (strings
    /// quoted), and why.
    Invalid {
        /// The value.
        value: String,
        /// Why.
        detail: String,
    },
    /// `Unsupported value`, with the supported ones.
    NotSupported {
        /// The value, quoted.
        value: String,
        /// What is supported.
        supported: &'static [&'static str],
    },
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.field)?;
        match &self.kind {
            FieldErrorKind::Required(d) => write!(f, "Required value: {d}"),
            FieldErrorKind::Forbidden(d) => write!(f, "Forbidden: {d}"),
            FieldErrorKind::Invalid { value, detail } => {
                write!(f, "Invalid value: {value}: {detail}")
            }
            FieldErrorKind::NotSupported { value, supported } => {
                let list: Vec<String> = supported.iter().map(|s| format!("\"{s}\"")).collect();
                write!(
                    f,
                    "Unsupported value: {value}: supported values: {}",
                    list.join(", ")
                )
            }
        }
    }
}

/// A value as the API server quotes it; a long one cut (the message names
/// the field either way).
fn quoted(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{:?}…", s.get(..at).unwrap_or_default()),
        None => format!("{s:?}"),
    }
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn required(&mut self, field: String, d: &'static str) {
        self.0.push(FieldError {
            field,
            kind: FieldErrorKind::Required(d),
        });
    }
    fn forbidden(&mut self, field: String, d: &'static str) {
        self.0.push(FieldError {
            field,
            kind: FieldErrorKind::Forbidden(d),
        });
    }
    fn invalid(&mut self, field: &str, value: String, details: Vec<String>) {
        for detail in details {
            self.0.push(FieldError {
                field: field.to_owned(),
                kind: FieldErrorKind::Invalid {
                    value: value.clone(),
                    detail,
                },
            });
        }
    }
    fn not_supported(&mut self, field: String, value: &str, supported: &'static [&'static str]) {
        self.0.push(FieldError {
            field,
            kind: FieldErrorKind::NotSupported {
                value: quoted(value),
                supported,
            },
        });
    }
}

const PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];
const POLICY_TYPES: &[&str] = &["Ingress", "Egress"];

/// The errors `kubectl apply` would get for `p`, in the API server's
/// order; empty when it is accepted.
pub fn field_errors(p: &NetworkPolicy) -> Vec<FieldError> {
    let mut e = Errors(Vec::new());
    // ValidateObjectMeta: a name is required and is a DNS subdomain; the
    // namespace, a DNS label.
    if p.metadata.name.is_empty() {
        e.required("metadata.name".into(), "name or generateName is required");
    } else {
        e.invalid(
            "metadata.name",
            quoted(&p.metadata.name),
            names::dns_subdomain(&p.metadata.name),
        );
    }
    if let Some(ns) = &p.metadata.namespace {
        e.invalid("metadata.namespace", quoted(ns), names::dns_label(ns));
    }
    for (k, v) in p.metadata.labels.iter().flatten() {
        e.invalid("metadata.labels", quoted(k), names::qualified_name(k));
        e.invalid("metadata.labels", quoted(v), names::label_value(v));
    }
    let spec = &p.spec;
    selector(&mut e, &spec.pod_selector, "spec.podSelector");
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        let path = format!("spec.ingress[{i}]");
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            policy_port(&mut e, port, &format!("{path}.ports[{j}]"));
        }
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            policy_peer(&mut e, peer, &format!("{path}.from[{j}]"));
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let path = format!("spec.egress[{i}]");
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            policy_port(&mut e, port, &format!("{path}.ports[{j}]"));
        }
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            policy_peer(&mut e, peer, &format!("{path}.to[{j}]"));
        }
    }
    let types = spec.policy_types.as_deref().unwrap_or_default();
    if types.len() > POLICY_TYPES.len() {
        let shown: Vec<String> = types.iter().take(3).map(|t| quoted(t)).collect();
        let more = if types.len() > 3 { ", …" } else { "" };
        e.invalid(
            "spec.policyTypes",
            format!("[{}{more}]", shown.join(", ")),
            vec!["may not specify more than two policyTypes".into()],
        );
    } else {
        for (i, t) in types.iter().enumerate() {
            if !POLICY_TYPES.contains(&t.as_str()) {
                e.not_supported(format!("spec.policyTypes[{i}]"), t, POLICY_TYPES);
            }
        }
    }
    e.0
}

/// `ValidateLabelSelector`.
fn selector(e: &mut Errors, s: &LabelSelector, path: &str) {
    let labels_path = format!("{path}.matchLabels");
    for (k, v) in s.match_labels.iter().flatten() {
        e.invalid(&labels_path, quoted(k), names::qualified_name(k));
        e.invalid(&labels_path, quoted(v), names::label_value(v));
    }
    for (i, r) in s.match_expressions.iter().flatten().enumerate() {
        let rp = format!("{path}.matchExpressions[{i}]");
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => e.required(
                format!("{rp}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            ),
            "In" | "NotIn" => {}
            "Exists" | "DoesNotExist" if !values.is_empty() => e.forbidden(
                format!("{rp}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
            "Exists" | "DoesNotExist" => {}
            other => e.invalid(
                &format!("{rp}.operator"),
                quoted(other),
                vec!["not a valid selector operator".into()],
            ),
        }
        e.invalid(
            &format!("{rp}.key"),
            quoted(&r.key),
            names::qualified_name(&r.key),
        );
        for (j, v) in values.iter().enumerate() {
            e.invalid(
                &format!("{rp}.values[{j}]"),
                quoted(v),
                names::label_value(v),
            );
        }
    }
}

/// `ValidateNetworkPolicyPort`.
fn policy_port(e: &mut Errors, port: &PolicyPort, path: &str) {
    if let Some(p) = &port.protocol {
        if !PROTOCOLS.contains(&p.as_str()) {
            e.not_supported(format!("{path}.protocol"), p, PROTOCOLS);
        }
    }
    let end = format!("{path}.endPort");
    match (&port.port, port.end_port) {
        (Some(IntOrString::Int(n)), end_port) => {
            e.invalid(
                &format!("{path}.port"),
                n.to_string(),
                names::port_number(*n),
            );
            if let Some(ep) = end_port {
                if ep < *n {
                    e.invalid(
                        &end,
                        ep.to_string(),
                        vec!["must be greater than or equal to `port`".into()],
                    );
                }
                e.invalid(&end, ep.to_string(), names::port_number(ep));
            }
        }
        (Some(IntOrString::Str(name)), end_port) => {
            if let Some(ep) = end_port {
                e.invalid(
                    &end,
                    ep.to_string(),
                    vec!["may not be specified when `port` is non-numeric".into()],
                );
            }
            e.invalid(
                &format!("{path}.port"),
                quoted(name),
                names::port_name(name),
            );
        }
        (None, Some(ep)) => {
            e.invalid(
                &end,
                ep.to_string(),
                vec!["may not be specified when `port` is not specified".into()],
            );
        }
        (None, None) => {}
    }
}

/// `ValidateNetworkPolicyPeer`.
fn policy_peer(e: &mut Errors, peer: &Peer, path: &str) {
    let mut kinds = 0;
    if let Some(s) = &peer.pod_selector {
        kinds += 1;
        selector(e, s, &format!("{path}.podSelector"));
    }
    if let Some(s) = &peer.namespace_selector {
        kinds += 1;
        selector(e, s, &format!("{path}.namespaceSelector"));
    }
    if let Some(b) = &peer.ip_block {
        kinds += 1;
        ip_block(
            e,
            &b.cidr,
            b.except.as_deref().unwrap_or_default(),
            &format!("{path}.ipBlock"),
        );
    }
    if kinds == 0 {
        e.required(path.to_owned(), "must specify a peer");
    } else if kinds > 1 && peer.ip_block.is_some() {
        e.forbidden(
            path.to_owned(),
            "may not specify both ipBlock and another peer",
        );
    }
}

/// A CIDR as the API parses it (`netutils.ParseCIDRSloppy`: host bits
/// may be set).
fn parse_cidr(s: &str) -> Option<IpNet> {
    let (ip, len) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    IpNet::new(ip, len).ok()
}

/// `ValidateIPBlock`.
fn ip_block(e: &mut Errors, cidr: &str, except: &[String], path: &str) {
    if cidr.is_empty() {
        e.required(format!("{path}.cidr"), "");
        return;
    }
    let Some(net) = parse_cidr(cidr) else {
        e.invalid(
            &format!("{path}.cidr"),
            quoted(cidr),
            vec!["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)".into()],
        );
        return;
    };
    for (i, x) in except.iter().enumerate() {
        let xp = format!("{path}.except[{i}]");
        match parse_cidr(x) {
            None => e.invalid(
                &xp,
                quoted(x),
                vec!["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)".into()],
            ),
            Some(xn) if !net.contains(&xn.network()) || net.prefix_len() >= xn.prefix_len() => {
                e.invalid(
                    &xp,
                    quoted(x),
                    vec!["must be a strict subset of `cidr`".into()],
                );
            }
            Some(_) => {}
        }
    }
}

/// A policy the API server accepted, ready to evaluate: defaults applied
/// (`policyTypes`, `protocol: TCP`) and ranges parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The pods it applies to, in its namespace.
    pub pod_selector: LabelSelector,
    /// Its ingress rules when it isolates for ingress.
    pub ingress: Option<Vec<Rule>>,
    /// Its egress rules when it isolates for egress.
    pub egress: Option<Vec<Rule>>,
    /// The object as applied, for export.
    pub object: NetworkPolicy,
}

/// A rule: peers (empty: every peer) and ports (empty: every port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Who; empty is everyone.
    pub peers: Vec<RulePeer>,
    /// Which ports; empty is every port.
    pub ports: Vec<RulePort>,
}

/// A peer of a checked rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulePeer {
    /// Pods: `namespaces` `None` is the policy's own namespace; `pods`
    /// `None` is every pod of the namespaces.
    Pods {
        /// The pod selector.
        pods: Option<LabelSelector>,
        /// The namespace selector.
        namespaces: Option<LabelSelector>,
    },
    /// Addresses: `cidr` `None` for an IPv6 block, which no IPv4 address
    /// matches.
    Block {
        /// The block.
        cidr: Option<Ipv4Net>,
        /// Excluded ranges.
        except: Vec<Ipv4Net>,
        /// As written.
        text: String,
    },
}

/// A port of a checked rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulePort {
    /// Its protocol (TCP when absent).
    pub protocol: Protocol,
    /// Which ports.
    pub port: PortMatch,
}

/// Which port numbers a rule port covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortMatch {
    /// Every port of the protocol.
    Any,
    /// `port` through `endPort` (the same for one port).
    Range(u16, u16),
    /// A container port's name, resolved on the destination pod.
    Named(String),
}

impl Policy {
    /// The directions it isolates its pods for, in words.
    pub fn isolates(&self) -> &'static str {
        match (self.ingress.is_some(), self.egress.is_some()) {
            (true, true) => "ingress and egress",
            (true, false) => "ingress",
            (false, true) => "egress",
            (false, false) => "nothing",
        }
    }

    /// Whether it applies to a pod of `namespace` with `labels` (policies
    /// never select host-network pods).
    pub fn selects(&self, namespace: &str, labels: &super::Labels, host_network: bool) -> bool {
        !host_network && namespace == self.namespace && self.pod_selector.matches(labels)
    }

    /// Checks `p` as the API server does and applies its defaults;
    /// `namespace` is where it goes when its metadata names none.
    pub fn new(p: NetworkPolicy, namespace: &str) -> Result<Self, super::PolicyError> {
        if p.api_version != "networking.k8s.io/v1" || p.kind != "NetworkPolicy" {
            return Err(super::PolicyError::NoMatch {
                kind: p.kind.clone(),
                api_version: p.api_version.clone(),
            });
        }
        let errors = field_errors(&p);
        if !errors.is_empty() {
            return Err(super::PolicyError::Invalid {
                name: p.metadata.name.clone(),
                errors,
            });
        }
        let spec = &p.spec;
        // SetDefaults_NetworkPolicy: no policyTypes means Ingress, plus
        // Egress when there are egress rules.
        let (ingress, egress) = match spec.policy_types.as_deref() {
            Some(t) if !t.is_empty() => (
                t.iter().any(|x| x == "Ingress"),
                t.iter().any(|x| x == "Egress"),
            ),
            _ => (true, spec.egress.as_ref().is_some_and(|e| !e.is_empty())),
        };
        let ingress_rules = ingress.then(|| {
            spec.ingress
                .iter()
                .flatten()
                .map(|r| rule(r.from.as_deref(), r.ports.as_deref()))
                .collect()
        });
        let egress_rules = egress.then(|| {
            spec.egress
                .iter()
                .flatten()
                .map(|r| rule(r.to.as_deref(), r.ports.as_deref()))
                .collect()
        });
        Ok(Self {
            namespace: p
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| namespace.to_owned()),
            name: p.metadata.name.clone(),
            pod_selector: spec.pod_selector.clone(),
            ingress: ingress_rules,
            egress: egress_rules,
            object: p,
        })
    }
}

fn v4(s: &str) -> Option<Ipv4Net> {
    match parse_cidr(s)? {
        IpNet::V4(n) => Some(n),
        IpNet::V6(_) => None,
    }
}

fn rule(peers: Option<&[Peer]>, ports: Option<&[PolicyPort]>) -> Rule {
    let peers = peers
        .unwrap_or_default()
        .iter()
        .map(|p| match &p.ip_block {
            Some(b) => RulePeer::Block {
                cidr: v4(&b.cidr),
                except: b.except.iter().flatten().filter_map(|x| v4(x)).collect(),
                text: b.cidr.clone(),
            },
            None => RulePeer::Pods {
                pods: p.pod_selector.clone(),
                namespaces: p.namespace_selector.clone(),
            },
        })
        .collect();
    let ports = ports
        .unwrap_or_default()
        .iter()
        .map(|p| RulePort {
            protocol: p
                .protocol
                .as_deref()
                .and_then(Protocol::from_name)
                .unwrap_or(Protocol::Tcp),
            port: match (&p.port, p.end_port) {
                (None, _) => PortMatch::Any,
                (Some(IntOrString::Int(n)), end) => {
                    let lo = u16::try_from(*n).unwrap_or(0);
                    let hi = end.map_or(lo, |e| u16::try_from(e).unwrap_or(lo));
                    PortMatch::Range(lo, hi)
                }
                (Some(IntOrString::Str(s)), _) => PortMatch::Named(s.clone()),
            },
        })
        .collect();
    Rule { peers, ports }
}
