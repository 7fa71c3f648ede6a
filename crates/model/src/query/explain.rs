//! The "why?" behind every number the sandbox shows: max pods, the
//! addresses a node holds, a subnet's free addresses, what an upgrade needs.

use crate::addr::{total_count, RESERVED_PER_SUBNET};
use crate::catalog::lookup;
use crate::cluster::UPGRADE_FREE_IPS;
use crate::cni::Cni as _;
use crate::eni::EniKind;
use crate::explain::Derivation;
use crate::ids::{NodeId, SubnetId};
use crate::ipam::Holder;
use crate::max_pods::{self, MaxPodsFrom};
use crate::ordered::Ordered as _;
use crate::sandbox::Sandbox;

const VPC_SIZING: &str = "Amazon VPC User Guide, subnet-sizing.md";
const CNI_TARGETS: &str = "CNI docs/eni-and-ip-target.md; pkg/ipamd/ipamd.go";

/// Why the node's kubelet allows this many pods: where the value came
/// from (crate::max_pods), and how it compares with what the CNI can
/// give addresses to.
pub fn explain_max_pods(sb: &Sandbox, node: NodeId) -> Option<Derivation> {
    let n = sb.nodes.get(&node)?;
    let t = lookup(&n.instance_type).ok()?;
    let value = n.max_pods();
    let mut d = match n.max_pods_from {
        MaxPodsFrom::Explicit => {
            Derivation::new("max pods", value, format!("set by hand = {value}")).because(
                "the kubelet's maxPods was set by hand (nodeadm's maxPods or maxPodsExpression, or --max-pods)",
                "amazon-eks-ami nodeadm/doc/api.md; EKS User Guide, choosing-instance-type.adoc",
            ).because(
                format!(
                    "a managed node group would give {} and nodeadm's default {}",
                    max_pods::for_node(t, MaxPodsFrom::ManagedNodeGroup, sb.cni.eni_ipam().is_some_and(|e| e.addon_prefix_delegation())).value,
                    max_pods::eni_formula(t)
                ),
                "EKS User Guide, eks-networking-add-ons; nodeadm eni_max_pods.go",
            )
        }
        from => [false, true]
            .into_iter()
            .map(|pd| max_pods::for_node(t, from, pd))
            .find(|d| d.value == value)
            .unwrap_or_else(|| max_pods::for_node(t, from, false)),
    };
    let capacity = sb.cni.strategy().max_pods(t);
    if sb.cni.uses_enis() {
        let holds = capacity.value.saturating_sub(2);
        d = if value > capacity.value {
            d.because(
                format!("more than the CNI can address: {} gives pods at most {holds} addresses ({}), so pods past that wait in ContainerCreating with \"failed to assign an IP address to container\"", sb.cni.strategy().name(), capacity.formula),
                "CNI docs/troubleshooting.md",
            )
        } else {
            d.because(
                format!("{} can give pods {holds} addresses here ({}), so max pods is the limit that binds", sb.cni.strategy().name(), capacity.formula),
                "CNI misc/eni-max-pods.txt",
            )
        };
    } else {
        d = d.because(
            format!("{} does not use ENIs for pods, but the node's max pods still comes from the ENI-based rule unless set by hand", sb.cni.strategy().name()),
            "amazon-eks-ami nodeadm eni_max_pods.go; EKS User Guide, alternate CNI plugins",
        );
    }
    if n.ipam.pod_eni && n.ipam.branch_limit > 0 {
        d = d.because(
            format!("security groups for pods: the trunk ENI takes one ENI slot, so ipamd's own pool holds one ENI fewer; pods with their own security groups use the trunk's {} branch ENIs instead", n.ipam.branch_limit),
            "CNI pkg/ipamd/ipamd.go hasRoomForEni; EKS User Guide, security-groups-for-pods",
        );
    }
    Some(d)
}

/// Why the node holds this many addresses of its subnet(s).
pub fn explain_node_addresses(sb: &Sandbox, node: NodeId) -> Option<Derivation> {
    let n = sb.nodes.get(&node)?;
    let enis = n.ipam.enis.len() as u32;
    let stats = n.ipam.stats(sb.now_ms);
    let branches = n.ipam.branches.len() as u32;
    let value = enis + stats.total + branches;
    let pods_ips = if stats.prefixes > 0 {
        format!("{} prefixes × 16", stats.prefixes)
    } else {
        format!("{} secondary IPs", stats.total)
    };
    let branch_term = if branches > 0 {
        format!(" + {branches} branch ENIs")
    } else {
        String::new()
    };
    let mut d = Derivation::new(
        "addresses held",
        value,
        format!("{enis} ENI primary IPs + {pods_ips}{branch_term} = {value}"),
    )
    .because(
        "every ENI has a primary IP, never given to pods; the primary ENI's is the node IP",
        "CNI misc/eni-max-pods.txt",
    )
    .because(
        format!(
            "{} of the pod addresses are used by pods, {} are warm (free, kept by ipamd)",
            stats.assigned, stats.available
        ),
        CNI_TARGETS,
    );
    for (text, source) in sb.cni.strategy().pool_rules(sb, n) {
        d = d.because(text, source);
    }
    Some(d)
}

/// Why a subnet has this many free addresses, by who holds the rest.
pub fn explain_subnet_free(sb: &Sandbox, subnet: SubnetId) -> Option<Derivation> {
    let s = sb.vpc.subnets.get(&subnet)?;
    let (mut node_ips, mut eni_primaries, mut xenis, mut secondaries, mut prefixed) =
        (0u32, 0u32, 0u32, 0u32, 0u32);
    let (mut trunks, mut branches, mut services) = (0u32, 0u32, 0u32);
    let kinds = eni_kinds(sb);
    for (_, holder) in s.pool.holders() {
        match holder {
            Holder::Reserved(_) => {}
            Holder::EniPrimary(eni) => match kinds.get(&eni) {
                Some(EniKind::NodePrimary) => node_ips += 1,
                Some(EniKind::ControlPlane) => xenis += 1,
                Some(EniKind::Trunk) => trunks += 1,
                Some(_) => eni_primaries += 1,
                None => services += 1,
            },
            Holder::Secondary(_) => secondaries += 1,
            Holder::Prefix(_) => prefixed += 1,
            Holder::Branch(_) => branches += 1,
        }
    }
    let total = total_count(s.cidr);
    let usable = s.pool.usable();
    let free = s.pool.free();
    let formula = format!(
        "{total} − {RESERVED_PER_SUBNET} reserved − {} in use = {free}",
        s.pool.in_use()
    );
    let mut d = Derivation::new("free addresses", free, formula)
        .because(format!("a /{} has {total} addresses; AWS keeps 5 (network, router, DNS, future, broadcast), leaving {usable}", s.cidr.prefix_len()), VPC_SIZING)
        .because(
            format!("in use: {node_ips} node IPs, {eni_primaries} primary IPs of secondary ENIs, {secondaries} secondary IPs, {prefixed} addresses in /28 prefixes, {xenis} cross-account ENIs of the control plane"),
            "CNI docs: warm IPs are taken from the subnet even when no pod uses them",
        );
    if services > 0 {
        d = d.because(
            format!("and {services} NAT gateway or VPC endpoint network interfaces (requester-managed, one address each)"),
            "Amazon VPC User Guide, NAT gateways; AWS PrivateLink guide, interface endpoints",
        );
    }
    if trunks + branches > 0 {
        d = d.because(
            format!("and {trunks} trunk ENIs and {branches} branch ENIs (one per pod with its own security groups)"),
            "EKS User Guide, security-groups-for-pods",
        );
    }
    Some(d)
}

/// What a control-plane upgrade needs from the cluster subnets.
pub fn explain_upgrade(sb: &Sandbox) -> Option<Derivation> {
    let c = sb.cluster.as_ref()?;
    let frees: Vec<(String, u32)> = c
        .subnets
        .iter()
        .filter_map(|id| sb.vpc.subnets.get(id))
        .map(|s| (s.name.clone(), s.pool.free()))
        .collect();
    let least = frees.iter().map(|(_, f)| *f).min().unwrap_or(0);
    let terms: Vec<String> = frees.iter().map(|(n, f)| format!("{f} ({n})")).collect();
    let verdict = if least >= UPGRADE_FREE_IPS {
        "enough"
    } else {
        "not enough"
    };
    let d = Derivation::new("free IPs in the fullest cluster subnet", least, format!("min({}) = {least}; {UPGRADE_FREE_IPS} needed in each: {verdict}", terms.join(", ")))
        .because(
            "an upgrade creates two new X-ENIs, in two AZs, before deleting the old ones, and they may land in other cluster subnets",
            "EKS User Guide, network-reqs.adoc; awsdocs/amazon-eks-user-guide issue 688",
        )
        .because("EKS checks each subnet, not the sum: \"need at least 5 IPs in each subnet to be free for this operation\"", "InvalidRequestException quoted in aws/containers-roadmap issue 1693; clowdhaus/eksup issue 24")
        .because("the fix without moving nodes: give the cluster new subnets in the same AZs (UpdateClusterConfig, since October 2023)", "EKS User Guide, network-reqs.adoc");
    Some(d)
}

fn eni_kinds(sb: &Sandbox) -> std::collections::BTreeMap<crate::ids::EniId, EniKind> {
    let on_nodes = sb.nodes.values().flat_map(|n| n.ipam.enis.iter());
    let xenis = sb.cluster.iter().flat_map(|c| c.xenis.iter());
    on_nodes.chain(xenis).map(|e| (e.id, e.kind)).into_map()
}

/// Why a subnet has this many usable addresses.
pub fn explain_subnet_usable(sb: &Sandbox, subnet: SubnetId) -> Option<Derivation> {
    let s = sb.vpc.subnets.get(&subnet)?;
    let total = total_count(s.cidr);
    let usable = s.pool.usable();
    Some(
        Derivation::new("usable addresses", usable, format!("2^(32 − {}) − {RESERVED_PER_SUBNET} = {total} − {RESERVED_PER_SUBNET} = {usable}", s.cidr.prefix_len()))
            .because("AWS keeps the network address, the VPC router (+1), the Amazon DNS server (+2), one for future use (+3) and the broadcast address", VPC_SIZING),
    )
}

/// Why an ENI holds this many pod addresses (for a trunk: branch ENIs).
pub fn explain_eni(sb: &Sandbox, eni: crate::ids::EniId) -> Option<Derivation> {
    if let Some(n) = sb
        .nodes
        .values()
        .find(|n| n.ipam.trunk().is_some_and(|t| t.id == eni))
    {
        let used = n.ipam.branches.len() as u32;
        return Some(
            Derivation::new("branch ENIs", used, format!("{used} of {} branch ENIs in use", n.ipam.branch_limit))
                .because(format!("a trunk ENI on {} carries up to {} branch ENIs, one per pod with its own security groups; the node advertises them as vpc.amazonaws.com/pod-eni", n.instance_type, n.ipam.branch_limit), "VPC Resource Controller pkg/aws/vpc/limits.go (BranchInterface)")
                .because("the trunk takes one of the node's ENI slots, so ipamd's pool has one ENI fewer; branch capacity is additive to it", "CNI pkg/ipamd/ipamd.go hasRoomForEni; EKS User Guide, security-groups-for-pods"),
        );
    }
    let node = sb
        .nodes
        .values()
        .find(|n| n.ipam.enis.iter().any(|e| e.id == eni));
    let Some(node) = node else {
        let x = sb.cluster.as_ref()?.xenis.iter().find(|e| e.id == eni)?;
        return Some(
            Derivation::new("addresses", 1, format!("1 primary IP ({}) = 1", x.primary_ip))
                .because("an X-ENI is a requester-managed ENI in your account and cluster subnet and holds one of its IPs; EKS keeps two, in two AZs (up to four when the control plane scales)", "EKS User Guide, network-reqs.adoc; EC2 User Guide, requester-managed network interfaces; awsdocs/amazon-eks-user-guide issue 688"),
        );
    };
    let e = node.ipam.enis.iter().find(|e| e.id == eni)?;
    let slots = node.ipam.limits.ipv4_per_eni.saturating_sub(1);
    let formula = if e.prefixes.is_empty() {
        format!(
            "{} secondary IPs = {} pod addresses ({} of {slots} slots used)",
            e.secondary.len(),
            e.pod_ips(),
            e.slots_used()
        )
    } else {
        format!(
            "{} prefixes × 16 = {} pod addresses ({} of {slots} slots used)",
            e.prefixes.len(),
            e.pod_ips(),
            e.slots_used()
        )
    };
    Some(
        Derivation::new("pod addresses", e.pod_ips(), formula)
            .because(format!("an ENI of {} has {} IPv4 slots; the first is its primary IP, never given to pods", node.instance_type, node.ipam.limits.ipv4_per_eni), "CNI pkg/awsutils/awsutils.go GetENIIPv4Limit")
            .because(format!("{} used by pods, the rest warm: ipamd adds IPs or prefixes to an ENI before it attaches a new one", e.assigned()), CNI_TARGETS),
    )
}

/// Where a pod's IP comes from.
pub fn explain_pod_ip(sb: &Sandbox, pod: crate::ids::PodId) -> Option<Derivation> {
    let p = sb.pods.get(&pod)?;
    let ip = p.ip?;
    let node = p.node.and_then(|n| sb.nodes.get(&n))?;
    if p.host_network {
        return Some(
            Derivation::new("pod IP", 1, format!("{ip} = the node IP of {}", node.name))
                .because("a hostNetwork pod shares the node's network namespace and IP; it uses no ENI slot but counts against max pods", "EKS best practices guide, vpc-cni.adoc"),
        );
    }
    if let Some(b) = node.ipam.branches.iter().find(|b| b.pod == pod) {
        let subnet = sb
            .vpc
            .subnets
            .get(&b.subnet)
            .map(|s| format!("{} ({})", s.name, s.cidr))
            .unwrap_or_default();
        let trunk = node
            .ipam
            .trunk()
            .map(|t| t.id.to_string())
            .unwrap_or_default();
        return Some(
            Derivation::new("pod IP", 1, format!("{ip} = primary IP of branch {} (VLAN {} on trunk {trunk} of {}), in subnet {subnet}", b.id, b.vlan, node.name))
                .because("a pod matched by a SecurityGroupPolicy gets its own branch ENI, whose primary IP is the pod IP, with the policy's security groups", "EKS User Guide, security-groups-for-pods")
                .because("branch ENIs come from the trunk's subnet and do not use ipamd's warm pool: warm targets do not apply", "EKS User Guide, security-groups-for-pods; VPC Resource Controller pkg/provider/branch"),
        );
    }
    sb.cni.strategy().explain_pod_ip(sb, ip, node)
}

/// Where a pod's VPC address on one of `node`'s ENIs comes from: the ENI
/// and subnet that hold it, then `rules` of the strategy's agent.
pub(crate) fn eni_pod_ip(
    sb: &Sandbox,
    ip: std::net::Ipv4Addr,
    node: &crate::cluster::Node,
    rules: [(&str, &str); 2],
) -> Option<Derivation> {
    let eni = node
        .ipam
        .enis
        .iter()
        .find(|e| e.all_slots().any(|s| s.ip == ip))?;
    let subnet = sb
        .vpc
        .subnets
        .get(&eni.subnet)
        .map(|s| format!("{} ({})", s.name, s.cidr))
        .unwrap_or_default();
    let d = Derivation::new(
        "pod IP",
        1,
        format!(
            "{ip} on {} (eth{}) of {}, in subnet {subnet}",
            eni.id, eni.device_index, node.name
        ),
    );
    Some(
        rules
            .iter()
            .fold(d, |d, (text, source)| d.because(*text, source)),
    )
}

/// Where an overlay pod's IP comes from (`formula`, `rule`, `source`), and
/// how other pods reach it.
pub(crate) fn overlay_pod_ip(
    sb: &Sandbox,
    formula: String,
    rule: String,
    source: &str,
) -> Derivation {
    let datapath = sb.cni.strategy().datapath();
    Derivation::new("pod IP", 1, formula)
        .because(rule, source)
        .because(
            format!("not a VPC address: pods on other nodes reach it over the CNI's datapath ({}); the VPC, other VPC hosts and the EKS control plane cannot route to it", datapath.encapsulation),
            datapath.source,
        )
}

/// A pod on `node`'s own pod CIDR (host-local, or the cilium agent).
pub(crate) fn node_range_pod_ip(
    sb: &Sandbox,
    ip: std::net::Ipv4Addr,
    node: &crate::cluster::Node,
) -> Derivation {
    let cidr = node
        .overlay
        .as_ref()
        .map(|o| o.cidr.to_string())
        .unwrap_or_default();
    overlay_pod_ip(
        sb,
        format!("{ip} from {}'s pod CIDR {cidr}", node.name),
        "the node's IPAM (host-local or the cilium agent) gives a pod an address of the node's own pod CIDR".to_owned(),
        "containernetworking/plugins host-local; cilium ipam-cluster-pool.rst",
    )
}

/// An overlay node's pool: none kept warm, no ENIs, its own pod CIDR.
pub(crate) fn node_range_pool(node: &crate::cluster::Node) -> Vec<(String, &'static str)> {
    let range = node
        .overlay
        .as_ref()
        .map_or_else(|| "none yet".to_owned(), |o| o.cidr.to_string());
    vec![(
        format!("an overlay CNI keeps no warm pool and attaches no ENIs: the node holds only its own IP, and pods take addresses from its pod CIDR ({range})"),
        "flannel Documentation/kubernetes.md",
    )]
}
