//! What happened: every action returns events, each worded the way kubectl,
//! the kubelet, ipamd or EC2 would word it.

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::ids::{EniId, NodeId, PodId, SubnetId};

mod recorder;

pub use recorder::{Recorder, COMBINED_PREFIX, MAX_ROUTINE, MAX_WARNINGS};

/// An event at a moment of simulated time, counted the way the Kubernetes
/// event recorder counts repeats ([`Recorder`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Simulated time in milliseconds since the scenario started: when it
    /// was first seen (`firstTimestamp`).
    pub at_ms: u64,
    /// What happened.
    pub kind: EventKind,
    /// How many times it happened in its command (`count`).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u32,
    /// When it was last seen (`lastTimestamp`), if it happened again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's signature
fn is_one(n: &u32) -> bool {
    *n == 1
}

impl Event {
    /// An event seen once, at `at_ms`.
    pub fn new(at_ms: u64, kind: EventKind) -> Self {
        Self {
            at_ms,
            kind,
            count: 1,
            last_ms: None,
        }
    }
}

/// `t=  12s  <event>`, with `(×N, last at t=…s)` when it repeated.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={:>5}s  {}", self.at_ms / 1000, self.kind)?;
        match (self.count, self.last_ms) {
            (0 | 1, _) => Ok(()),
            (n, Some(last)) if last / 1000 != self.at_ms / 1000 => {
                write!(f, " (×{n}, last at t={}s)", last / 1000)
            }
            (n, _) => write!(f, " (×{n})"),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EventKind {
    /// ipamd created and attached an ENI with its first addresses in one call.
    EniAttached {
        /// The node.
        node: NodeId,
        /// The new ENI.
        eni: EniId,
        /// Its subnet.
        subnet: SubnetId,
        /// The device index it got (the lowest free one).
        device_index: u32,
        /// Its primary IP (never used for pods).
        primary_ip: Ipv4Addr,
        /// Secondary IPs it was created with.
        secondary_ips: u32,
        /// `/28` prefixes it was created with.
        prefixes: u32,
    },
    /// Secondary IPs added to an existing ENI.
    SecondaryIpsAssigned {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The addresses.
        ips: Vec<Ipv4Addr>,
    },
    /// `/28` prefixes added to an existing ENI.
    PrefixesAssigned {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The prefixes.
        prefixes: Vec<Ipv4Net>,
    },
    /// Warm secondary IPs given back to the subnet.
    SecondaryIpsReleased {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The addresses.
        ips: Vec<Ipv4Addr>,
    },
    /// Unused prefixes given back to the subnet.
    PrefixesReleased {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The prefixes.
        prefixes: Vec<Ipv4Net>,
    },
    /// An ENI detached and deleted, all its addresses back in the subnet.
    EniDeleted {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// Addresses returned to the subnet, primary included.
        addresses: u32,
    },
    /// The CNI gave a pod its IP.
    PodIpAssigned {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The ENI the address is on.
        eni: EniId,
        /// The address.
        ip: Ipv4Addr,
    },
    /// An overlay CNI gave a pod an address from its node's pod CIDR.
    PodOverlayIpAssigned {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The address (not a VPC address).
        ip: Ipv4Addr,
        /// The IPAM that gave it (`host-local`, `cilium cluster-pool`).
        ipam: String,
    },
    /// The CNI could not give a pod an IP: the pod stays ContainerCreating.
    PodSandboxFailed {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The CNI plugin's `type` (`aws-cni` when empty).
        #[serde(default)]
        plugin: String,
        /// What the plugin said (the VPC CNI's message when empty).
        #[serde(default)]
        cause: String,
        /// Which resource ran out, in podnet's words ([`crate::sandbox::NoAddress`]).
        #[serde(default)]
        why: String,
    },
    /// kube-controller-manager gave a node its pod CIDR.
    PodCidrAssigned {
        /// The node.
        node: NodeId,
        /// Its pod CIDR.
        cidr: Ipv4Net,
        /// Who: `cilium-operator assigned`, `flanneld leased (etcd subnet manager)`.
        #[serde(default)]
        by: String,
    },
    /// The CNI's pod range overlaps the cluster's service CIDR (see
    /// `CniMode::service_overlap`): allowed, and a hazard.
    PodRangeOverServices {
        /// The pod range.
        pool: Ipv4Net,
        /// The service CIDR.
        service: Ipv4Net,
        /// The first node range inside the service CIDR, if ranges go out
        /// in order (not under Calico).
        #[serde(default)]
        first: Option<Ipv4Net>,
        /// Which node, counting in order from 1, would get `first`.
        #[serde(default)]
        nth: u32,
    },
    /// A node's pod range (a pod CIDR, or a Calico block) lies in the
    /// service CIDR.
    NodeRangeInServices {
        /// The node.
        node: NodeId,
        /// Its range.
        range: Ipv4Net,
        /// The service CIDR.
        service: Ipv4Net,
    },
    /// A deleted pod's IP went back to the node's warm pool, after a cooldown.
    PodIpReleased {
        /// The pod.
        pod: PodId,
        /// The address.
        ip: Ipv4Addr,
        /// Seconds before it can be reused.
        cooldown_s: u32,
    },
    /// A VPC block associated.
    VpcCidrAdded {
        /// The block.
        cidr: Ipv4Net,
    },
    /// A subnet created.
    SubnetCreated {
        /// The subnet.
        subnet: SubnetId,
        /// Its block.
        cidr: Ipv4Net,
        /// Its Availability Zone.
        az: String,
        /// Addresses left after AWS's five.
        usable: u32,
    },
    /// The EKS cluster created.
    ClusterCreated {
        /// Its name.
        name: String,
        /// Kubernetes version.
        version: String,
    },
    /// EKS placed a cross-account ENI in a cluster subnet.
    XEniCreated {
        /// The X-ENI.
        eni: EniId,
        /// Its subnet.
        subnet: SubnetId,
        /// Its IP.
        ip: Ipv4Addr,
    },
    /// EKS deleted an X-ENI (during an upgrade).
    XEniDeleted {
        /// The X-ENI.
        eni: EniId,
        /// Its IP, back in the subnet.
        ip: Ipv4Addr,
    },
    /// The control plane runs a new version.
    ControlPlaneUpgraded {
        /// The old version.
        from: String,
        /// The new version.
        to: String,
    },
    /// A node launched and registered.
    NodeJoined {
        /// The node.
        node: NodeId,
        /// Its kubectl name.
        name: String,
        /// Instance type.
        instance_type: String,
        /// Node IP.
        ip: Ipv4Addr,
        /// The kubelet's max pods.
        max_pods: u32,
    },
    /// A node's kubelet cannot reach or authenticate to the API server: the
    /// instance runs, but is (or stays) no usable Kubernetes node.
    NodeJoinFailed {
        /// The node.
        node: NodeId,
        /// The kubelet's error.
        message: String,
    },
    /// The kubelet reports the node Ready: its CNI wrote its config, the
    /// not-ready taint is gone and kube-scheduler may place pods there.
    NodeReady {
        /// The node.
        node: NodeId,
        /// Its kubectl name.
        name: String,
        /// What brought the network up, in the CNI's terms.
        cni: String,
    },
    /// A node registered but is not Ready: its CNI is not up (yet). Not a
    /// Kubernetes event: the node's Ready condition, or what holds it back.
    NodeNotReady {
        /// The node.
        node: NodeId,
        /// Why.
        reason: String,
    },
    /// A node terminated; its addresses went back to the subnets.
    NodeDeleted {
        /// The node.
        node: NodeId,
        /// Addresses returned.
        addresses: u32,
    },
    /// A pod bound to a node: kube-scheduler's `Scheduled` event, worded as
    /// it is (`Successfully assigned %v/%v to %v`, the pod's namespace and
    /// name and the node's name: kubernetes `pkg/scheduler/schedule_one.go`).
    /// The names are the ones the map shows, so the learner can tell which
    /// pod an id is (a DaemonSet's `kube-system/aws-node-3` binds to a node
    /// that is still NotReady; an application pod does not).
    PodScheduled {
        /// The pod.
        pod: PodId,
        /// Its `namespace/name`.
        name: String,
        /// The node.
        node: NodeId,
        /// The node's Kubernetes name (`ip-10-10-1-4`).
        host: String,
    },
    /// The scheduler found no node for a pod.
    PodUnschedulable {
        /// The pod.
        pod: PodId,
        /// The scheduler's message.
        message: String,
    },
    /// A pod deleted.
    PodDeleted {
        /// The pod.
        pod: PodId,
        /// Its name.
        name: String,
    },
    /// containerd could not pull a pod's image (kubelet `Failed` event,
    /// then `ImagePullBackOff`).
    ImagePullFailed {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The kubelet's message.
        message: String,
    },
    /// A Kubernetes object changed, in kubectl's words
    /// (`namespace/shop created`, `networkpolicy.networking.k8s.io/deny
    /// configured`).
    ObjectChanged {
        /// kubectl's line.
        summary: String,
    },
    /// A VPC or cluster setting changed (DNS, endpoint access, access
    /// mapping, security groups), or a node's state followed from one.
    SettingChanged {
        /// What changed.
        summary: String,
    },
    /// The CNI settings changed.
    CniChanged {
        /// A summary of the new settings.
        summary: String,
    },
    /// A line from ipamd's log.
    IpamdLog {
        /// The node whose ipamd logged it.
        node: NodeId,
        /// The line.
        message: String,
    },
    /// A line from the cilium-operator's log about a node (Cilium ENI mode).
    OperatorLog {
        /// The node.
        node: NodeId,
        /// The line.
        message: String,
    },
    /// Calico IPAM claimed a block of the pool for a node (its affinity).
    CalicoBlockClaimed {
        /// The node the block is now affine to.
        node: NodeId,
        /// The block.
        block: Ipv4Net,
    },
    /// calico-node found no address for the node's tunnel device.
    CalicoTunnelFailed {
        /// The node.
        node: NodeId,
        /// The device.
        device: String,
        /// Calico IPAM's message.
        reason: String,
    },
    /// The VPC Resource Controller attached a trunk ENI (security groups
    /// for pods); the node now advertises `vpc.amazonaws.com/pod-eni`.
    TrunkEniAttached {
        /// The node.
        node: NodeId,
        /// The trunk ENI.
        eni: EniId,
        /// Its subnet.
        subnet: SubnetId,
        /// Its device index.
        device_index: u32,
        /// Its primary IP (not a pod IP).
        ip: Ipv4Addr,
        /// Branch ENIs it can carry.
        branches: u32,
    },
    /// A trunk ENI could not be attached: every ENI slot is in use, or the
    /// subnet is full.
    TrunkEniWaiting {
        /// The node.
        node: NodeId,
        /// Why.
        reason: String,
    },
    /// The VPC Resource Controller gave a pod its own branch ENI
    /// (`ResourceAllocated`); its primary IP is the pod IP.
    BranchEniCreated {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The branch ENI.
        eni: EniId,
        /// The pod IP.
        ip: Ipv4Addr,
        /// Its VLAN on the trunk.
        vlan: u32,
    },
    /// A pod's branch ENI deleted with the pod; its IP is free at once.
    BranchEniDeleted {
        /// The pod.
        pod: PodId,
        /// The branch ENI.
        eni: EniId,
        /// Its address, back in the subnet.
        ip: Ipv4Addr,
    },
    /// The VPC Resource Controller could not create a pod's branch ENI
    /// (`BranchAllocationFailed`): the pod stays ContainerCreating.
    BranchAllocationFailed {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// EC2's refusal.
        cause: String,
    },
    /// calico-node gave a node its tunnel address (`tunl0` / `vxlan.calico`).
    CalicoTunnelAddress {
        /// The node.
        node: NodeId,
        /// The device.
        device: String,
        /// The address.
        ip: Ipv4Addr,
    },
    /// ipamd (or the operator) still changed something after `passes`
    /// passes in a row: a loop in podnet's model, not in AWS — reported as
    /// one event instead of running on.
    SettleCapped {
        /// Passes run.
        passes: u32,
    },
    /// The command caused more events than podnet keeps ([`Recorder`]).
    EventsOmitted {
        /// Routine events kept.
        kept_routine: u32,
        /// Warnings kept.
        kept_warnings: u32,
        /// The kinds left out, most first, and how many of each.
        kinds: Vec<(String, u64)>,
    },
}

/// How an event moved an address, for marking it on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Moved {
    /// A pod took it.
    Taken,
    /// The agent added it to the node's warm pool (or an ENI came with it).
    Warmed,
    /// It went back to the subnet.
    Released,
    /// Its pod went; it cools down before reuse.
    Cooling,
}

impl Moved {
    /// In words, as the map's legend says it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Taken => "taken by a pod",
            Self::Warmed => "added to the warm pool",
            Self::Released => "released to the subnet",
            Self::Cooling => "cooling down",
        }
    }
}

/// The addresses `events` moved and how, the last move of each winning.
/// An ENI's addresses are read from `enis` (its primary IP and slots), as
/// its event counts them without listing them.
pub fn moved_addresses(
    events: &[Event],
    enis: impl Fn(EniId) -> Vec<Ipv4Addr>,
) -> std::collections::HashMap<Ipv4Addr, Moved> {
    let mut out = std::collections::HashMap::new();
    // Every address of a `/28` prefix is a pod address.
    let all = |prefixes: &[Ipv4Net]| -> Vec<Ipv4Addr> {
        prefixes
            .iter()
            .flat_map(|p| p.hosts().chain([p.network(), p.broadcast()]))
            .collect()
    };
    let each = |ips: Vec<Ipv4Addr>, m: Moved| -> Vec<(Ipv4Addr, Moved)> {
        ips.into_iter().map(|ip| (ip, m)).collect()
    };
    for e in events {
        let moved: Vec<(Ipv4Addr, Moved)> = match &e.kind {
            EventKind::EniAttached { eni, .. } => each(enis(*eni), Moved::Warmed),
            EventKind::SecondaryIpsAssigned { ips, .. } => each(ips.clone(), Moved::Warmed),
            EventKind::PrefixesAssigned { prefixes, .. } => each(all(prefixes), Moved::Warmed),
            EventKind::SecondaryIpsReleased { ips, .. } => each(ips.clone(), Moved::Released),
            EventKind::PrefixesReleased { prefixes, .. } => each(all(prefixes), Moved::Released),
            EventKind::PodIpAssigned { ip, .. } => vec![(*ip, Moved::Taken)],
            EventKind::PodIpReleased { ip, cooldown_s, .. } => vec![(
                *ip,
                if *cooldown_s > 0 {
                    Moved::Cooling
                } else {
                    Moved::Warmed
                },
            )],
            _ => Vec::new(),
        };
        out.extend(moved);
    }
    out
}

impl EventKind {
    /// Whether it is a warning or a failure (a `Warning` event, or a log
    /// line only written when something fails).
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Self::PodSandboxFailed { .. }
                | Self::PodUnschedulable { .. }
                | Self::IpamdLog { .. }
                | Self::CalicoTunnelFailed { .. }
                | Self::NodeJoinFailed { .. }
                | Self::NodeNotReady { .. }
                | Self::BranchAllocationFailed { .. }
                | Self::ImagePullFailed { .. }
                | Self::TrunkEniWaiting { .. }
                | Self::SettleCapped { .. }
                | Self::PodRangeOverServices { .. }
                | Self::NodeRangeInServices { .. }
        )
    }

    /// The message of an event that client-go's aggregator would combine
    /// with similar ones: the same object and reason, another message.
    /// `None` for the rest (log lines, EC2 actions, and events whose object
    /// or wording has no single message field).
    pub fn message(&self) -> Option<&String> {
        match self {
            Self::PodUnschedulable { message, .. }
            | Self::ImagePullFailed { message, .. }
            | Self::NodeJoinFailed { message, .. } => Some(message),
            Self::NodeNotReady { reason, .. }
            | Self::TrunkEniWaiting { reason, .. }
            | Self::CalicoTunnelFailed { reason, .. } => Some(reason),
            Self::BranchAllocationFailed { cause, .. } => Some(cause),
            _ => None,
        }
    }

    fn message_mut(&mut self) -> Option<&mut String> {
        match self {
            Self::PodUnschedulable { message, .. }
            | Self::ImagePullFailed { message, .. }
            | Self::NodeJoinFailed { message, .. } => Some(message),
            Self::NodeNotReady { reason, .. }
            | Self::TrunkEniWaiting { reason, .. }
            | Self::CalicoTunnelFailed { reason, .. } => Some(reason),
            Self::BranchAllocationFailed { cause, .. } => Some(cause),
            _ => None,
        }
    }

    /// Its `type` tag as in JSON (`pod-ip-assigned`).
    pub fn tag(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_owned)))
            .unwrap_or_default()
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EniAttached { node, eni, subnet, device_index, primary_ip, secondary_ips, prefixes } => {
                let with = if *prefixes > 0 {
                    format!("{prefixes} /28 prefixes")
                } else {
                    format!("{secondary_ips} secondary IPs")
                };
                write!(f, "{node}: attached {eni} at device index {device_index} in {subnet} (primary IP {primary_ip}, created with {with})")
            }
            Self::SecondaryIpsAssigned { node, eni, ips } => {
                write!(f, "{node}: assigned {} secondary IPs to {eni} ({})", ips.len(), span(ips))
            }
            Self::PrefixesAssigned { node, eni, prefixes } => {
                write!(f, "{node}: assigned {} /28 prefixes to {eni} ({})", prefixes.len(), list(prefixes))
            }
            Self::SecondaryIpsReleased { node, eni, ips } => {
                write!(f, "{node}: released {} warm secondary IPs from {eni} ({})", ips.len(), span(ips))
            }
            Self::PrefixesReleased { node, eni, prefixes } => {
                write!(f, "{node}: released {} unused /28 prefixes from {eni} ({})", prefixes.len(), list(prefixes))
            }
            Self::EniDeleted { node, eni, addresses } => {
                write!(f, "{node}: detached and deleted {eni}; {addresses} addresses back in the subnet")
            }
            Self::PodIpAssigned { pod, node, eni, ip } => write!(f, "{pod} on {node}: got IP {ip} from {eni}"),
            Self::PodSandboxFailed { pod, node, plugin, cause, why } => {
                let plugin = if plugin.is_empty() { "aws-cni" } else { plugin };
                let cause = if cause.is_empty() { "add cmd: failed to assign an IP address to container" } else { cause };
                write!(
                    f,
                    "{pod} on {node}: Warning FailedCreatePodSandBox: Failed to create pod sandbox: rpc error: code = Unknown desc = \
                     failed to setup network for sandbox: plugin type=\"{plugin}\" name=\"{plugin}\" failed (add): {cause}"
                )?;
                if why.is_empty() {
                    Ok(())
                } else {
                    write!(f, " (why: {why})")
                }
            }
            Self::PodOverlayIpAssigned { pod, node, ip, ipam } => {
                write!(f, "{pod} on {node}: got IP {ip} from {ipam} (not a VPC address)")
            }
            Self::PodRangeOverServices { pool, service, first, nth } => {
                write!(f, "Warning: the pod range {pool} overlaps the service CIDR {service}. Nothing refuses it (EKS does not check, and the CNI's IPAM does not know the service range), and it is harmless until a node's pod range lands there: then a pod can get an address that is also a Service's ClusterIP, which \"usually breaks the cluster utterly\" (cilium PR 31504). ")?;
                match first {
                    Some(first) => write!(f, "Counting in order, node number {nth} would get {first}{}.", crate::cni::IN_ORDER)?,
                    None => f.write_str("Calico IPAM claims free blocks at random (podnet takes the lowest), so any node's block may land there.")?,
                }
                write!(f, " Choose a range outside {service}.")
            }
            Self::NodeRangeInServices { node, range, service } => write!(
                f,
                "{node}: Warning: its pod range {range} lies in the service CIDR {service}: a pod here can get an address that is also a Service's ClusterIP (kubernetes.default is {}), and traffic to that address and port goes to the Service, not the pod (kube-proxy's rules match it first)",
                std::net::Ipv4Addr::from(u32::from(service.network()).saturating_add(1))
            ),
            Self::PodCidrAssigned { node, cidr, by } if by.is_empty() => write!(f, "{node}: assigned pod CIDR {cidr}"),
            Self::PodCidrAssigned { node, cidr, by } => write!(f, "{node}: {by} pod CIDR {cidr}"),
            Self::PodIpReleased { pod, ip, cooldown_s: 0 } => {
                write!(f, "{pod}: released IP {ip} back to the node's pool")
            }
            Self::PodIpReleased { pod, ip, cooldown_s } => {
                write!(f, "{pod}: released IP {ip}; it cools down for {cooldown_s} s before reuse")
            }
            Self::IpamdLog { node, message } => write!(f, "{node} ipamd: {message}"),
            Self::OperatorLog { node, message } => write!(f, "{node} cilium-operator: {message}"),
            Self::CalicoBlockClaimed { node, block } => write!(f, "{node} calico-ipam: claimed block {block} (affine to the node)"),
            Self::CalicoTunnelFailed { node, device, reason } => write!(f, "{node} calico-node: no {device} tunnel address: {reason}"),
            Self::CalicoTunnelAddress { node, device, ip } => write!(f, "{node} calico-node: tunnel address {ip} on {device}"),
            Self::TrunkEniAttached { node, eni, subnet, device_index, ip, branches } => write!(
                f,
                "{node} vpc-resource-controller: attached trunk {eni} at device index {device_index} in {subnet} (IP {ip}); the node advertises vpc.amazonaws.com/pod-eni: {branches}"
            ),
            Self::TrunkEniWaiting { node, reason } => write!(f, "{node} vpc-resource-controller: no trunk ENI yet: {reason}"),
            Self::BranchEniCreated { pod, node, eni, ip, vlan } => write!(
                f,
                "{pod} on {node}: Normal ResourceAllocated: branch {eni} (VLAN {vlan} on the trunk) with IP {ip}, the pod's own security groups"
            ),
            Self::BranchEniDeleted { pod, eni, ip } => write!(f, "{pod}: branch {eni} deleted; {ip} is free again"),
            Self::BranchAllocationFailed { pod, node, cause } => write!(
                f,
                "{pod} on {node}: Warning BranchAllocationFailed: failed to allocate branch ENI to pod: {cause}"
            ),
            Self::VpcCidrAdded { cidr } => write!(f, "associated {cidr} with the VPC"),
            Self::SubnetCreated { subnet, cidr, az, usable } => {
                write!(f, "created {subnet} {cidr} in {az}: {usable} usable addresses after AWS's 5")
            }
            Self::ClusterCreated { name, version } => write!(f, "created EKS cluster {name} (Kubernetes {version})"),
            Self::XEniCreated { eni, subnet, ip } => {
                write!(f, "EKS created X-ENI {eni} in {subnet} with IP {ip}: a requester-managed ENI in your account (description \"Amazon EKS <cluster>\"), attached to the control plane in EKS's account")
            }
            Self::XEniDeleted { eni, ip } => write!(f, "EKS deleted X-ENI {eni}; {ip} is free again"),
            Self::ControlPlaneUpgraded { from, to } => write!(f, "control plane upgraded from {from} to {to}"),
            Self::NodeJoined { node, name, instance_type, ip, max_pods } => {
                write!(f, "{node} {name} ({instance_type}, IP {ip}) registered: NotReady, tainted node.kubernetes.io/not-ready:NoSchedule until its CNI is up; max pods {max_pods}")
            }
            Self::NodeReady { node, name, cni } => {
                write!(f, "{node}: Normal NodeReady: Node {name} status is now: NodeReady ({cni}; the not-ready taint is removed)")
            }
            // No event: the kubelet records `NodeNotReady` (type Normal) only
            // when a Ready node stops being Ready, and a new node's first
            // Ready condition is appended without one (kubelet
            // pkg/kubelet/nodestatus/setters.go `ReadyCondition`). This is
            // the condition `kubectl describe node` shows, or what keeps it.
            Self::NodeNotReady { node, reason } if reason == crate::sandbox::NETWORK_NOT_READY => {
                write!(f, "{node} is NotReady: condition Ready False, KubeletNotReady: {reason}")
            }
            Self::NodeNotReady { node, reason } => write!(f, "{node} stays NotReady: {reason}"),
            Self::NodeJoinFailed { node, message }
                if message.trim_start_matches(COMBINED_PREFIX).starts_with("nodeadm") =>
            {
                write!(f, "{node} {message}")
            }
            Self::NodeJoinFailed { node, message } => write!(f, "{node} kubelet: {message}"),
            Self::NodeDeleted { node, addresses } => {
                write!(f, "{node} terminated; {addresses} addresses back in the subnets")
            }
            Self::PodScheduled { pod, name, node, host } => {
                write!(f, "{pod}: Successfully assigned {name} to {host} ({node})")
            }
            Self::PodUnschedulable { pod, message } => write!(f, "{pod}: Warning FailedScheduling: {message}"),
            Self::PodDeleted { pod, name } => write!(f, "{pod} {name} deleted"),
            Self::CniChanged { summary } => write!(f, "CNI settings: {summary}"),
            Self::SettingChanged { summary } | Self::ObjectChanged { summary } => {
                f.write_str(summary)
            }
            Self::ImagePullFailed { pod, node, message } => {
                write!(f, "{pod} on {node}: Warning Failed: {message}; Back-off pulling image (ImagePullBackOff)")
            }
            Self::SettleCapped { passes } => write!(
                f,
                "podnet stopped after {passes} passes of the IPAM loop (every 5 s) that each still changed the pool: the model oscillates here, a podnet bug — please report it with this scenario"
            ),
            Self::EventsOmitted { kept_routine, kept_warnings, kinds } => {
                let n: u64 = kinds.iter().map(|(_, n)| n).sum();
                let each = kinds
                    .iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                write!(
                    f,
                    "{n} more events not kept ({each}): podnet keeps the first {kept_routine} routine events and {kept_warnings} warnings of a command"
                )
            }
        }
    }
}

fn span(ips: &[Ipv4Addr]) -> String {
    match ips {
        [] => "none".into(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first} … {last}"),
    }
}

fn list(nets: &[Ipv4Net]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
