//! What each address of a subnet is used for, and what would fix a stuck
//! pod or a full subnet: the answers the IP grid and the inspector show.

use crate::cni::Cni as _;
use crate::ordered::Ordered as _;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::addr::ReservedRole;
use crate::cluster::Node;
use crate::cluster::PodStatus;
use crate::eni::{Eni, EniKind};
use crate::ids::{EniId, NodeId, PodId, SubnetId};
use crate::ipam::Holder;
use crate::sandbox::{NoAddress, Sandbox};

/// Who uses an address, as a learner would say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "use", rename_all = "kebab-case")]
pub enum AddressUse {
    /// Kept by AWS.
    Reserved {
        /// Why.
        role: ReservedRole,
    },
    /// A node's IP (its primary ENI's primary IP).
    NodeIp {
        /// The node.
        node: NodeId,
    },
    /// The primary IP of an ENI the CNI attached (not used for pods).
    EniPrimary {
        /// The ENI.
        eni: EniId,
    },
    /// A cross-account ENI of the EKS control plane.
    XEni {
        /// The ENI.
        eni: EniId,
    },
    /// A NAT gateway's private IP (its Elastic IP is outside the VPC).
    NatGateway {
        /// Its network interface.
        eni: EniId,
    },
    /// An interface VPC endpoint's network interface.
    VpcEndpoint {
        /// Its network interface.
        eni: EniId,
        /// The service it reaches.
        service: crate::egress::AwsService,
    },
    /// The primary IP of a node's trunk ENI (security groups for pods).
    Trunk {
        /// The node.
        node: NodeId,
        /// The trunk ENI.
        eni: EniId,
    },
    /// A pod's branch ENI: the pod IP, with the pod's own security groups.
    Branch {
        /// The pod.
        pod: PodId,
        /// The branch ENI.
        eni: EniId,
        /// Its VLAN on the trunk.
        vlan: u32,
    },
    /// A secondary IP or prefix address used by a pod.
    Pod {
        /// The pod.
        pod: PodId,
        /// The ENI.
        eni: EniId,
        /// Part of a /28 prefix.
        prefix: bool,
    },
    /// A secondary IP or prefix address held warm by ipamd.
    Warm {
        /// The ENI.
        eni: EniId,
        /// Part of a /28 prefix.
        prefix: bool,
        /// Still cooling down after its pod left.
        cooling: bool,
    },
}

/// A requester-managed ENI that is not a node's or the control plane's:
/// a NAT gateway or a VPC endpoint (else a plain ENI primary).
fn service_use(sb: &Sandbox, eni: EniId) -> AddressUse {
    if sb.vpc.nat_gateways.iter().any(|n| n.eni == eni) {
        return AddressUse::NatGateway { eni };
    }
    sb.vpc
        .endpoints
        .iter()
        .find(|e| e.enis.iter().any(|(_, id, _)| *id == eni))
        .map_or(AddressUse::EniPrimary { eni }, |e| {
            AddressUse::VpcEndpoint {
                eni,
                service: e.service,
            }
        })
}

/// Every held or reserved address of `subnet`, lowest first, with its use.
pub fn address_uses(sb: &Sandbox, subnet: SubnetId) -> Vec<(Ipv4Addr, AddressUse)> {
    let Some(s) = sb.vpc.subnets.get(&subnet) else {
        return Vec::new();
    };
    let enis: BTreeMap<EniId, &Eni> = sb
        .nodes
        .values()
        .flat_map(|n| n.ipam.enis.iter())
        .chain(sb.cluster.iter().flat_map(|c| c.xenis.iter()))
        .filter(|e| e.subnet == subnet)
        .map(|e| (e.id, e))
        .into_map();
    let slot_use = |eni: &Eni, ip: Ipv4Addr, prefix: bool| {
        let slot = eni.all_slots().find(|x| x.ip == ip);
        match slot.and_then(|x| x.pod) {
            Some(pod) => AddressUse::Pod {
                pod,
                eni: eni.id,
                prefix,
            },
            None => AddressUse::Warm {
                eni: eni.id,
                prefix,
                cooling: slot.is_some_and(|x| x.is_cooling(sb.now_ms)),
            },
        }
    };
    s.pool
        .holders()
        .filter_map(|(ip, holder)| {
            let u = match holder {
                Holder::Reserved(role) => AddressUse::Reserved { role },
                Holder::EniPrimary(id) => match enis.get(&id) {
                    Some(e) if e.kind == EniKind::NodePrimary => {
                        AddressUse::NodeIp { node: e.node? }
                    }
                    Some(e) if e.kind == EniKind::ControlPlane => AddressUse::XEni { eni: id },
                    Some(e) if e.kind == EniKind::Trunk => AddressUse::Trunk {
                        node: e.node?,
                        eni: id,
                    },
                    _ => service_use(sb, id),
                },
                Holder::Secondary(id) => slot_use(enis.get(&id)?, ip, false),
                Holder::Prefix(id) => slot_use(enis.get(&id)?, ip, true),
                Holder::Branch(id) => {
                    let b = sb
                        .nodes
                        .values()
                        .flat_map(|n| n.ipam.branches.iter())
                        .find(|b| b.id == id)?;
                    AddressUse::Branch {
                        pod: b.pod,
                        eni: id,
                        vlan: b.vlan,
                    }
                }
            };
            Some((ip, u))
        })
        .collect()
}

/// Seconds of Wait that would let a ContainerCreating pod's CNI try
/// again with more addresses (ipamd's next pass, or the end of the
/// cooldown), when waiting is the fix.
pub fn wait_would_help(sb: &Sandbox, pod: PodId) -> Option<u32> {
    let p = sb.pods.get(&pod)?;
    if p.status != PodStatus::ContainerCreating || p.security_groups {
        return None;
    }
    match sb.no_address(p.node?)? {
        NoAddress::NextPass => Some(5),
        NoAddress::Cooling { seconds, .. } | NoAddress::Backoff { seconds } => Some(seconds.max(5)),
        _ => None,
    }
}

/// Why no node takes pods: each node's join or CNI failure, in the
/// component's words, and where to look.
fn no_ready_node_advice(sb: &Sandbox) -> Vec<String> {
    let mut out = vec!["No node is Ready, so the scheduler has nowhere to put the pod: the pods are not the problem.".to_owned()];
    for n in sb.nodes.values().take(5) {
        let why = if !n.registered {
            n.join_error
                .as_ref()
                .map(|e| format!("{} never registered: {e}", n.name))
        } else if let Some(e) = &n.join_error {
            Some(format!("{} lost the API server: {e}", n.name))
        } else if let Some(e) = &n.image_error {
            Some(format!(
                "{} is NotReady: its CNI's image does not pull: {e}",
                n.name
            ))
        } else {
            n.not_ready
                .as_ref()
                .map(|e| format!("{} is NotReady: {e}", n.name))
        };
        out.extend(why);
    }
    out.push("Press Join for the node in \"Follow the packets\": it shows the step that fails and what it needs (a route out, a VPC endpoint, DNS, the node role's mapping).".into());
    out
}

/// What would get a Pending or ContainerCreating pod running.
pub fn advice_for_pod(sb: &Sandbox, pod: PodId) -> Vec<String> {
    let Some(p) = sb.pods.get(&pod) else {
        return Vec::new();
    };
    match (p.status, p.node.and_then(|n| sb.nodes.get(&n))) {
        (PodStatus::Pending, _) if sb.nodes.is_empty() => vec!["Add a node: the cluster has none.".into()],
        (PodStatus::Pending, _) if p.security_groups => branch_pod_advice(sb),
        (PodStatus::Pending, _) if !sb.nodes.values().any(|n| n.ready()) => {
            no_ready_node_advice(sb)
        }
        (PodStatus::ContainerCreating, Some(node)) if p.security_groups => {
            let subnet = node
                .ipam
                .trunk()
                .and_then(|t| sb.vpc.subnets.get(&t.subnet));
            let mut advice = vec![subnet.map_or_else(
                || format!("{} has no trunk ENI.", node.name),
                |s| format!("The trunk's subnet {} ({}) has {} free addresses: the VPC Resource Controller cannot create the pod's branch ENI.", s.name, s.cidr, s.pool.free()),
            )];
            advice.extend(subnet_fixes());
            advice
        }
        (PodStatus::Pending, _) => vec![
            "Every node is at its max pods: add a node, or delete pods.".into(),
            "Or give nodes a higher max pods with prefix delegation (each ENI slot then holds 16 addresses), set when nodes are created.".into(),
            "Or use an instance type with more ENIs and IPs per ENI (max pods = ENIs × (IPs − 1) + 2).".into(),
        ],
        (PodStatus::ContainerCreating, Some(node)) => container_creating_advice(sb, node.id),
        _ => Vec::new(),
    }
}

/// Why no node can take a pod with its own security groups.
fn branch_pod_advice(sb: &Sandbox) -> Vec<String> {
    match sb
        .cni
        .strategy()
        .eks_addon()
        .map(|a| a.security_groups_for_pods())
    {
        None => return vec![
            "Security groups for pods need the AWS VPC CNI: under an overlay no node advertises vpc.amazonaws.com/pod-eni, so pods matched by a SecurityGroupPolicy stay Pending.".into(),
        ],
        Some(false) => return vec!["Turn on security groups for pods (ENABLE_POD_ENI): the VPC Resource Controller then attaches trunk ENIs and nodes advertise vpc.amazonaws.com/pod-eni.".into()],
        Some(true) => {}
    }
    let mut advice = Vec::new();
    let unsupported: Vec<&str> = sb
        .nodes
        .values()
        .filter(|n| n.ipam.branch_limit == 0)
        .map(|n| n.instance_type.as_str())
        .collect();
    if !unsupported.is_empty() {
        advice.push(format!("{} nodes are of types that cannot trunk ({}): use Nitro types outside the t family, such as m5.large.", unsupported.len(), unsupported.first().copied().unwrap_or_default()));
    }
    if sb
        .nodes
        .values()
        .any(|n| n.trunk_waiting.is_some() && n.ipam.branch_limit > 0)
    {
        advice.push("Some nodes wait for a free ENI slot for their trunk: add new nodes (they reserve the slot from the start).".into());
    }
    advice.push("Every trunk's branch ENIs may be in use: add nodes, or use a larger type (branch ENIs per type: m5.large 9, m5.xlarge 18, m5.2xlarge 38, c5.4xlarge 54).".into());
    advice
}

fn container_creating_advice(sb: &Sandbox, node: NodeId) -> Vec<String> {
    let Some(n) = sb.nodes.get(&node) else {
        return Vec::new();
    };
    sb.cni.strategy().no_address_advice(sb, n)
}

/// Under the VPC CNI: what ipamd lacks for another pod on `n`.
pub(crate) fn vpc_no_address_advice(
    sb: &Sandbox,
    cfg: &crate::cni::VpcCni,
    n: &Node,
) -> Vec<String> {
    let node = n.id;
    let capacity = n.ipam.limits.max_enis
        * n.ipam.limits.ipv4_per_eni.saturating_sub(1)
        * if n.ipam.uses_prefixes(cfg) { 16 } else { 1 };
    match sb.no_address(node) {
        None => vec![format!("{} has a free address now: the kubelet's next retry takes it.", n.name)],
        Some(why @ NoAddress::NextPass) => vec![format!("ipamd on {}: {why}. This resolves itself: press Wait to let ipamd's next pass run.", n.name)],
        Some(why @ NoAddress::Cooling { .. }) => vec![
            format!("ipamd on {}: {why}. Press Wait: the pod gets an address once the cooldown ends.", n.name),
            "Or lower IP_COOLDOWN_PERIOD (default 30 s), or add a node.".into(),
        ],
        Some(why @ NoAddress::Backoff { .. }) => vec![format!(
            "ipamd on {}: {why}. Press Wait: its next pass after that gets the address.",
            n.name
        )],
        Some(NoAddress::EnisFull { .. }) => vec![format!(
            "{} has all its ENIs and they hold {capacity} pod addresses, but its max pods is {}: max pods is higher than the node's IP capacity. Set max pods to {} (the EKS formula), enable prefix delegation, or use a larger instance type.",
            n.name,
            n.max_pods(),
            capacity + 2
        )],
        Some(why) => {
            let mut advice = vec![format!("ipamd on {}: {why}.", n.name)];
            advice.extend(subnet_fixes());
            if let Some(ms) = n.ipam.insufficient_backoff_ms(sb.now_ms) {
                advice.push(format!(
                    "Whatever the fix, ipamd waits 2 minutes after EC2's refusal before it asks again \
                     (insufficientCidrErrorCooldown): {} s from now, or press Wait.",
                    ms.div_ceil(1000)
                ));
            }
            advice
        }
    }
}

/// What to do about a subnet that is (nearly) full or starving its
/// nodes' pods; empty when it is fine.
pub fn advice_for_subnet(sb: &Sandbox, subnet: SubnetId) -> Vec<String> {
    let Some(s) = sb.vpc.subnets.get(&subnet) else {
        return Vec::new();
    };
    let starving = sb
        .stuck
        .iter()
        .any(|(n, q)| !q.is_empty() && sb.nodes.get(n).is_some_and(|n| n.subnet == subnet));
    if s.pool.free() * 10 > s.pool.usable() && !starving {
        return Vec::new();
    }
    let starving_note = if starving {
        ", and pods on its nodes wait for IPs"
    } else {
        ""
    };
    let mut advice = vec![format!(
        "{} has {} of {} addresses free{starving_note}.",
        s.name,
        s.pool.free(),
        s.pool.usable()
    )];
    advice.extend(subnet_fixes());
    advice
}

/// What frees addresses in a full subnet.
pub(crate) fn subnet_fixes() -> Vec<String> {
    vec![
        "Use a bigger subnet for new nodes (a /19 holds 8,187 addresses).".into(),
        "Or add a secondary VPC block such as 100.64.0.0/16 with a subnet tagged kubernetes.io/role/cni=1 in the same AZ: with subnet discovery, new ENIs go there.".into(),
        "Or keep fewer warm addresses: lower WARM_ENI_TARGET, or set WARM_IP_TARGET and MINIMUM_IP_TARGET.".into(),
        "Or enable prefix delegation, which needs free, aligned /28 blocks (a subnet CIDR reservation keeps them).".into(),
    ]
}

/// A node whose pod CIDR is full.
pub(crate) fn range_full_advice(
    n: &Node,
    range: &crate::cni::node_range::NodeRange,
) -> Vec<String> {
    vec![
        format!("{}'s pod CIDR {} holds {} pod addresses and all are in use.", n.name, range.cidr, range.capacity()),
        "Lower the kubelet's max pods below the range's size, or use a smaller --node-cidr-mask-size (a bigger range per node).".into(),
    ]
}
