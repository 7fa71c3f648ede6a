//! The predicates an exercise's goals are made of, and their evaluation
//! against the sandbox: each says whether it holds and, in words, what it
//! sees ("4 of 6 nodes Ready").

use crate::cni::Cni as _;
use serde::{Deserialize, Serialize};

use crate::cluster::PodStatus;
use crate::events::Event;
use crate::sandbox::Sandbox;

/// One predicate over the model's state and events.
///
/// Read through [`RawCheck`] (one flat struct, then matched on `check`)
/// rather than serde's internally tagged enum: the same JSON and messages,
/// a fraction of the code in the `.wasm`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "check", rename_all = "kebab-case")]
pub enum Check {
    /// At least `min` pods (DaemonSet pods not counted) are Running.
    PodsRunning {
        /// How many.
        min: u32,
    },
    /// No pod is stuck: none Pending or ContainerCreating, or, with
    /// `status`, none in that status.
    NoPodsStuck {
        /// Only this status counts as stuck.
        status: Option<PodStatus>,
    },
    /// At least `min` nodes are Ready.
    NodesReady {
        /// How many.
        min: u32,
    },
    /// A subnet keeps at least `min` free addresses.
    SubnetFree {
        /// The subnet (name or CIDR).
        subnet: String,
        /// Free addresses at least.
        min: u32,
    },
    /// The subnets that hold nodes have at most `max` usable addresses
    /// together (a subnet sized to fit, not a `/16` for everything).
    NodeSubnetsUsableAtMost {
        /// Usable addresses at most.
        max: u32,
    },
    /// The VPC addresses held (nodes, ENIs, warm pools, X-ENIs) are at most `max`.
    VpcAddressesAtMost {
        /// At most.
        max: u32,
    },
    /// The control plane runs this Kubernetes version.
    ControlPlaneVersion {
        /// e.g. `1.32`.
        version: String,
    },
    /// The API server endpoint's access is this one (`public`,
    /// `public-and-private`, `private`).
    EndpointAccess {
        /// The access.
        is: crate::cluster::EndpointAccess,
    },
    /// The public endpoint's access CIDRs do not include `0.0.0.0/0`.
    PublicAccessRestricted,
    /// No subnet's route table sends `0.0.0.0/0` anywhere: the VPC has no
    /// way out (a private cluster).
    NoWayOut,
    /// The CNI strategy is this one (`aws-vpc-cni`, `flannel`, `calico`,
    /// `cilium`, `cilium-eni`).
    Cni {
        /// The strategy's tag.
        is: String,
    },
    /// A CNI setting has this value (`prefix_delegation`, `warm_ip_target`…,
    /// as in the scenario's `cni`).
    CniSetting {
        /// The setting's name.
        name: String,
        /// Its value.
        equals: serde_json::Value,
    },
    /// Pod IPs are (or are not) VPC addresses, so routable in the VPC.
    PodIpsVpcRoutable {
        /// Routable or not (default: routable).
        value: bool,
    },
    /// Every pod reaches every other pod without NAT.
    FlatNetwork,
    /// The control plane reaches pod IPs (an admission webhook in a pod works).
    ControlPlaneReachesPods,
    /// Every node's max pods is at least `min`.
    MaxPodsAtLeast {
        /// At least.
        min: u32,
    },
    /// Some event so far contains this text.
    Event {
        /// The text.
        contains: String,
    },
    /// A connection from `from` to `to` (`namespace/pod`, or an address)
    /// on `port`/`protocol` is (or is not) allowed by the NetworkPolicies
    /// as the CNI enforces them (what `podnet reach` says).
    Reach {
        /// The source.
        from: String,
        /// The destination.
        to: String,
        /// The port.
        port: u16,
        /// TCP (the default), UDP or SCTP.
        protocol: crate::netpol::Protocol,
        /// Allowed, or not.
        allowed: bool,
    },
}

/// Every field any check takes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    check: String,
    min: Option<u32>,
    max: Option<u32>,
    status: Option<PodStatus>,
    subnet: Option<String>,
    version: Option<String>,
    is: Option<String>,
    name: Option<String>,
    equals: Option<serde_json::Value>,
    value: Option<bool>,
    contains: Option<String>,
    from: Option<String>,
    to: Option<String>,
    port: Option<u16>,
    protocol: Option<crate::netpol::Protocol>,
    allowed: Option<bool>,
}

/// The `check` names, as serde would list them.
pub const CHECKS: &[&str] = &[
    "pods-running",
    "no-pods-stuck",
    "nodes-ready",
    "subnet-free",
    "node-subnets-usable-at-most",
    "vpc-addresses-at-most",
    "control-plane-version",
    "endpoint-access",
    "public-access-restricted",
    "no-way-out",
    "cni",
    "cni-setting",
    "pod-ips-vpc-routable",
    "flat-network",
    "control-plane-reaches-pods",
    "max-pods-at-least",
    "event",
    "reach",
];

impl<'de> Deserialize<'de> for Check {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use crate::command::need;
        use serde::de::Error as _;
        let r = RawCheck::deserialize(deserializer)?;
        Ok(match r.check.as_str() {
            "pods-running" => Self::PodsRunning {
                min: need(r.min, "min")?,
            },
            "no-pods-stuck" => Self::NoPodsStuck { status: r.status },
            "nodes-ready" => Self::NodesReady {
                min: need(r.min, "min")?,
            },
            "subnet-free" => Self::SubnetFree {
                subnet: need(r.subnet, "subnet")?,
                min: need(r.min, "min")?,
            },
            "node-subnets-usable-at-most" => Self::NodeSubnetsUsableAtMost {
                max: need(r.max, "max")?,
            },
            "vpc-addresses-at-most" => Self::VpcAddressesAtMost {
                max: need(r.max, "max")?,
            },
            "control-plane-version" => Self::ControlPlaneVersion {
                version: need(r.version, "version")?,
            },
            "endpoint-access" => Self::EndpointAccess {
                is: match need(r.is, "is")?.as_str() {
                    "public" => crate::cluster::EndpointAccess::Public,
                    "public-and-private" => crate::cluster::EndpointAccess::PublicAndPrivate,
                    "private" => crate::cluster::EndpointAccess::Private,
                    other => {
                        return Err(D::Error::unknown_variant(
                            other,
                            &["public", "public-and-private", "private"],
                        ))
                    }
                },
            },
            "public-access-restricted" => Self::PublicAccessRestricted,
            "no-way-out" => Self::NoWayOut,
            "cni" => Self::Cni {
                is: need(r.is, "is")?,
            },
            "cni-setting" => Self::CniSetting {
                name: need(r.name, "name")?,
                equals: need(r.equals, "equals")?,
            },
            "pod-ips-vpc-routable" => Self::PodIpsVpcRoutable {
                value: r.value.unwrap_or(true),
            },
            "flat-network" => Self::FlatNetwork,
            "control-plane-reaches-pods" => Self::ControlPlaneReachesPods,
            "max-pods-at-least" => Self::MaxPodsAtLeast {
                min: need(r.min, "min")?,
            },
            "event" => Self::Event {
                contains: need(r.contains, "contains")?,
            },
            "reach" => Self::Reach {
                from: need(r.from, "from")?,
                to: need(r.to, "to")?,
                port: need(r.port, "port")?,
                protocol: r.protocol.unwrap_or_default(),
                allowed: need(r.allowed, "allowed")?,
            },
            other => return Err(D::Error::unknown_variant(other, CHECKS)),
        })
    }
}

impl Check {
    /// Whether the check can apply to `sandbox` (the exercise's start):
    /// the subnet it names exists, the CNI it names is one podnet has.
    pub(super) fn validate(&self, sandbox: &Sandbox) -> Result<(), String> {
        match self {
            Self::SubnetFree { subnet, .. } => sandbox
                .subnet(subnet)
                .map(|_| ())
                .map_err(|e| format!("subnet: {e}")),
            Self::Cni { is } if !crate::cni::CNIS.contains(&is.as_str()) => Err(format!(
                "is: {} is not a CNI; use one of {}",
                crate::json::quoted(is),
                crate::cni::CNIS.join(", ")
            )),
            Self::CniSetting { name, .. } if name.trim().is_empty() => Err("name: is empty".into()),
            Self::Event { contains } if contains.trim().is_empty() => {
                Err("contains: is empty".into())
            }
            Self::Reach { port: 0, .. } => Err("port: must be between 1 and 65535".into()),
            _ => Ok(()),
        }
    }

    /// Whether it holds, and what it sees.
    pub fn eval<'a>(
        &self,
        sb: &Sandbox,
        events: impl Iterator<Item = &'a Event>,
    ) -> (bool, String) {
        let apps = || sb.pods.values().filter(|p| p.is_workload());
        match self {
            Self::PodsRunning { min } => {
                let n = apps().filter(|p| p.status == PodStatus::Running).count() as u32;
                (n >= *min, format!("{n} pods Running (want at least {min})"))
            }
            Self::NoPodsStuck { status } => {
                let stuck: Vec<_> = apps()
                    .filter(|p| match status {
                        Some(s) => p.status == *s,
                        None => p.status != PodStatus::Running,
                    })
                    .collect();
                let why = match stuck.first() {
                    None => "no pod is stuck".to_owned(),
                    Some(p) => format!(
                        "{} pod(s) stuck, e.g. {} {}: {}",
                        stuck.len(),
                        p.name,
                        p.status,
                        p.reason.clone().unwrap_or_default()
                    ),
                };
                (stuck.is_empty(), why)
            }
            Self::NodesReady { min } => {
                let n = sb.nodes.values().filter(|n| n.ready()).count() as u32;
                (
                    n >= *min,
                    format!(
                        "{n} of {} nodes Ready (want at least {min})",
                        sb.nodes.len()
                    ),
                )
            }
            Self::SubnetFree { subnet, min } => match sb.subnet(subnet) {
                Ok(s) => {
                    let free = s.pool.free();
                    (
                        free >= *min,
                        format!(
                            "{} has {free} free address{} (want at least {min})",
                            s.name,
                            if free == 1 { "" } else { "es" }
                        ),
                    )
                }
                Err(e) => (false, e.to_string()),
            },
            Self::NodeSubnetsUsableAtMost { max } => {
                let mut ids: Vec<_> = sb.nodes.values().map(|n| n.subnet).collect();
                ids.sort_unstable();
                ids.dedup();
                let usable: u32 = ids
                    .iter()
                    .filter_map(|id| sb.vpc.subnets.get(id))
                    .map(|s| s.pool.usable())
                    .sum();
                (
                    !ids.is_empty() && usable <= *max,
                    format!("the node subnets have {usable} usable addresses (want at most {max})"),
                )
            }
            Self::VpcAddressesAtMost { max } => {
                let n: u32 = sb.vpc.subnets.values().map(|s| s.pool.in_use()).sum();
                (
                    n <= *max,
                    format!("{n} VPC addresses in use (want at most {max})"),
                )
            }
            Self::ControlPlaneVersion { version } => match &sb.cluster {
                Some(c) => (
                    c.version == *version,
                    format!("the control plane runs {} (want {version})", c.version),
                ),
                None => (false, "no cluster".into()),
            },
            Self::EndpointAccess { is } => match &sb.cluster {
                Some(c) => (
                    c.endpoint == *is,
                    format!("the endpoint is {} (want {is})", c.endpoint),
                ),
                None => (false, "no cluster".into()),
            },
            Self::PublicAccessRestricted => match &sb.cluster {
                Some(c) => {
                    let open = c.public_access_cidrs.iter().any(|n| n.prefix_len() == 0);
                    let list: Vec<String> = c
                        .public_access_cidrs
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    (!open, format!("public access CIDRs: {}", list.join(", ")))
                }
                None => (false, "no cluster".into()),
            },
            Self::NoWayOut => {
                let out: Vec<String> = sb
                    .vpc
                    .subnets
                    .values()
                    .filter(|s| s.route != crate::egress::Route::Local)
                    .map(|s| s.name.clone())
                    .collect();
                (
                    out.is_empty() && !sb.vpc.assume_egress,
                    if out.is_empty() {
                        "no subnet routes 0.0.0.0/0 out of the VPC".to_owned()
                    } else {
                        format!("{} route 0.0.0.0/0 out of the VPC", out.join(", "))
                    },
                )
            }
            Self::Cni { is } => {
                let tag = sb.cni.tag();
                (
                    tag == is,
                    format!("the CNI is {} ({tag})", sb.cni.strategy().name()),
                )
            }
            Self::CniSetting { name, equals } => {
                let v = cni_json(sb)
                    .get(name)
                    .cloned()
                    .unwrap_or(serde_json::Value::Null);
                (v == *equals, format!("{name} is {v} (want {equals})"))
            }
            Self::PodIpsVpcRoutable { value } => {
                let r = sb.cni.strategy().datapath().vpc_routable;
                (
                    r == *value,
                    if r {
                        "pod IPs are VPC addresses".into()
                    } else {
                        "pod IPs come from the CNI's own range, not the VPC".into()
                    },
                )
            }
            Self::FlatNetwork => {
                let f = sb.flat_network();
                (f.flat && !f.pairs.is_empty(), f.answer)
            }
            Self::ControlPlaneReachesPods => {
                let f = sb.flat_network();
                (f.control_plane_reaches_pods, f.control_plane)
            }
            Self::MaxPodsAtLeast { min } => {
                let lowest = sb.nodes.values().map(|n| n.max_pods()).min();
                match lowest {
                    Some(m) => (
                        m >= *min,
                        format!("the lowest max pods is {m} (want at least {min})"),
                    ),
                    None => (false, "no node".into()),
                }
            }
            Self::Event { contains } => {
                let mut found = false;
                for e in events {
                    if e.kind.to_string().contains(contains.as_str()) {
                        found = true;
                        break;
                    }
                }
                (
                    found,
                    if found {
                        format!("seen: {}", crate::json::quoted(contains))
                    } else {
                        format!("not seen yet: {}", crate::json::quoted(contains))
                    },
                )
            }
            Self::Reach {
                from,
                to,
                port,
                protocol,
                allowed,
            } => reach(sb, from, to, *port, *protocol, *allowed),
        }
    }
}

/// `from` → `to` as `podnet reach` decides it.
fn reach(
    sb: &Sandbox,
    from: &str,
    to: &str,
    port: u16,
    protocol: crate::netpol::Protocol,
    want: bool,
) -> (bool, String) {
    let addresses: Vec<std::net::Ipv4Addr> =
        [from, to].iter().filter_map(|x| x.parse().ok()).collect();
    let wanted = if want { "allowed" } else { "denied" };
    use crate::netpol::Direction;
    use crate::query::reach::Decision;
    match crate::query::reach::between(sb, from, to, port, protocol, &addresses) {
        Some((r, i, j)) => {
            let p = r.pair(i, j);
            // What decided: the side that denies, or that nothing enforces.
            let why = match (&p.egress, &p.ingress) {
                (e, _) if !e.allows() => r.explain(e, Direction::Egress),
                (_, d) if !d.allows() || matches!(d, Decision::NotEnforced(_)) => {
                    r.explain(d, Direction::Ingress)
                }
                _ => "allowed".to_owned(),
            };
            (
                p.allowed == want,
                format!("{from} → {to} on {port}/{protocol}: {why} (want {wanted})"),
            )
        }
        None => (
            false,
            format!("{from} → {to}: no such pod with an IP (name pods as namespace/name)"),
        ),
    }
}

fn cni_json(sb: &Sandbox) -> serde_json::Value {
    serde_json::to_value(&sb.cni).unwrap_or(serde_json::Value::Null)
}
