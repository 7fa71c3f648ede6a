//! What one node of a group holds, measured by running it in the sandbox:
//! one node alone in a large subnet, with its pods, after ipamd (or the
//! cilium-operator) has settled and cooldowns have passed.

use crate::cni::Cni as _;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::{err, GroupInput, PlanError, PlanInput};
use crate::catalog;
use crate::cluster::{EndpointAccess, PodStatus};
use crate::cni::{Addressing, CniMode};
use crate::command::Command;
use crate::explain::Derivation;
use crate::sandbox::Sandbox;

/// DaemonSet pods the sandbox runs on every node (aws-node or the CNI's
/// agent, and kube-proxy): hostNetwork, counted against max pods.
pub const DAEMONSET_PODS: u32 = 2;

/// Simulated time after the pods are placed: longer than the VPC CNI's
/// 30 s IP cooldown and Cilium's 180 s excess-IP release delay.
const SETTLE_SECONDS: u32 = 600;

/// Blocks the probe may run in, tried in order: the first that the CNI's
/// own ranges (a pool, a cluster CIDR) leave clear, by the rule the sandbox
/// applies when it is created (the plan's own scenario then checks the
/// ranges against the plan's real VPC).
/// The probe runs the CNI exactly as given (issue 15, point 6: it used to
/// swap in default settings when a pool overlapped, losing a per-node
/// mask and accepting a plan whose own scenario ran out of addresses).
const PROBE_VPCS: [&str; 4] = [
    "172.31.0.0/16",
    "10.255.0.0/16",
    "192.168.0.0/16",
    "100.127.0.0/16",
];

/// What one node of a group holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCost {
    /// The group.
    pub group: String,
    /// Its instance type.
    pub instance_type: String,
    /// The kubelet's max pods and why.
    pub max_pods: Derivation,
    /// ENIs attached (primary included).
    pub enis: u32,
    /// Addresses held in the node's subnet.
    pub node_subnet: u32,
    /// Of which in whole `/28` prefixes.
    pub node_prefixes: u32,
    /// Addresses held in the pod subnet (custom networking).
    pub pod_subnet: u32,
    /// Of which in whole `/28` prefixes.
    pub pod_prefixes: u32,
    /// How `node_subnet` and `pod_subnet` came about.
    pub derivation: Derivation,
    /// Things to know about this group.
    pub notes: Vec<String>,
}

impl NodeCost {
    /// One line: what a node holds.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "one node holds {} address{} of its subnet",
            self.node_subnet,
            if self.node_subnet == 1 { "" } else { "es" }
        );
        if self.node_prefixes > 0 {
            s.push_str(&format!(" ({} in /28 prefixes)", self.node_prefixes * 16));
        }
        if self.pod_subnet > 0 {
            s.push_str(&format!(" and {} of its AZ's pod subnet", self.pod_subnet));
            if self.pod_prefixes > 0 {
                s.push_str(&format!(" ({} in /28 prefixes)", self.pod_prefixes * 16));
            }
        }
        s.push_str(&format!(
            ", on {} ENI{}",
            self.enis,
            if self.enis == 1 { "" } else { "s" }
        ));
        s
    }
}

fn custom_networking(cni: &CniMode) -> bool {
    cni.eni_ipam().is_some_and(|e| e.custom_networking())
}

/// The CNI as the probe runs it (ENIConfigs point at the probe's pod
/// subnet; nothing else changes), and a probe VPC that it leaves clear.
fn probe_setup(cni: &CniMode) -> Result<(CniMode, Ipv4Net), PlanError> {
    let configs = [("probe-a".to_owned(), "pods".to_owned())].into();
    let cni = match cni.strategy().eks_addon() {
        Some(addon) => addon.with_eni_configs(configs),
        None => cni.clone(),
    };
    let mut why = None;
    for block in PROBE_VPCS {
        let Ok(vpc) = block.parse::<Ipv4Net>() else {
            continue;
        };
        match cni.problem(&[vpc]) {
            None => return Ok((cni, vpc)),
            Some(w) => why = why.or(Some(w)),
        }
    }
    Err(err(
        "cni",
        format!(
            "the planner measures a node in one of {} and the CNI's ranges leave none of them clear ({})",
            PROBE_VPCS.join(", "),
            why.map(|w| w.to_string()).unwrap_or_default()
        ),
    ))
}

/// The `index`-th `/len` block of `vpc` as text (the probe's subnets).
fn carve(vpc: Ipv4Net, len: u8, index: usize) -> String {
    vpc.subnets(len)
        .ok()
        .and_then(|mut s| s.nth(index))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// Runs one node of `group` with its pods and counts what it holds.
pub(super) fn measure(
    input: &PlanInput,
    index: usize,
    group: &GroupInput,
) -> Result<NodeCost, PlanError> {
    let field = |f: &str| format!("groups[{index}].{f}");
    let instance = catalog::lookup(&group.instance_type)
        .map_err(|e| err(field("instance_type"), e.to_string()))?;
    if group.min_nodes == 0 {
        return Err(err(
            field("min_nodes"),
            "0 nodes: a group needs at least one",
        ));
    }
    if let Some(why) = input.cni.strategy().cannot_start("each node") {
        return Err(err("cni", why));
    }
    let max_pods = input.cni.strategy().max_pods(instance);
    let wanted = group
        .pods_per_node
        .saturating_add(group.host_network_pods)
        .saturating_add(DAEMONSET_PODS);
    if wanted > max_pods.value {
        return Err(PlanError {
            fixes: fixes_for(input, index, instance, wanted),
            ..err(
            field("pods_per_node"),
            format!(
                "{} pods + {} hostNetwork + {DAEMONSET_PODS} DaemonSet pods = {wanted} per node, but {} takes at most {} pods per node under {} ({}): the rest would stay Pending with Too many pods",
                group.pods_per_node,
                group.host_network_pods,
                instance.name,
                max_pods.value,
                input.cni.strategy().name(),
                max_pods.formula
            ),
        )
        });
    }
    let custom = custom_networking(&input.cni);
    let (cni, vpc) = probe_setup(&input.cni)?;
    let mut sb = Sandbox::new(&vpc.to_string(), cni).map_err(|e| err("cni", e.to_string()))?;
    // The probe counts addresses, not routes: a way out is assumed.
    sb.vpc.assume_egress = true;
    let subnet = |name: &str, cidr: &str, az: &str| {
        Command::AddSubnet(crate::command::AddSubnet {
            name: Some(name.into()),
            cidr: cidr.into(),
            az: az.into(),
            cni_tag: false,
            route: None,
        })
    };
    let mut commands = vec![
        // x.y.255.0/28 and .16/28, the first half, and the third quarter.
        subnet("cluster-a", &carve(vpc, 28, 4080), "probe-a"),
        subnet("cluster-b", &carve(vpc, 28, 4081), "probe-b"),
        subnet("nodes", &carve(vpc, 17, 0), "probe-a"),
    ];
    if custom {
        commands.push(subnet("pods", &carve(vpc, 18, 2), "probe-a"));
    }
    commands.extend([
        Command::CreateCluster(crate::command::CreateCluster {
            name: "probe".into(),
            version: "1.31".into(),
            endpoint: EndpointAccess::PublicAndPrivate,
            subnets: vec!["cluster-a".into(), "cluster-b".into()],
        }),
        Command::AddNode(crate::command::AddNode {
            instance_type: instance.name.to_owned(),
            subnet: "nodes".into(),
            max_pods: None,
            max_pods_from: None,
        }),
        Command::AddPods(crate::command::AddPods {
            count: group.pods_per_node,
            node: None,
            host_network: false,
            name: None,
            security_groups: false,
            ..Default::default()
        }),
        Command::AddPods(crate::command::AddPods {
            count: group.host_network_pods,
            node: None,
            host_network: true,
            name: Some("host".into()),
            security_groups: false,
            ..Default::default()
        }),
        Command::AdvanceTime {
            seconds: SETTLE_SECONDS,
        },
    ]);
    // The most each subnet holds at any point: before the settle time
    // (a surplus not yet released) and after.
    let mut most = (0, 0);
    for c in commands {
        if matches!(
            c,
            Command::AddPods(crate::command::AddPods { count: 0, .. })
        ) {
            continue;
        }
        let what = c.to_string();
        sb.apply(c)
            .map_err(|e| err(field("instance_type"), format!("{what}: {e}")))?;
        let in_use = |name: &str| sb.subnet(name).map(|s| s.pool.in_use()).unwrap_or(0);
        most = (most.0.max(in_use("nodes")), most.1.max(in_use("pods")));
    }
    if let Some(stuck) = sb.pods.values().find(|p| p.status != PodStatus::Running) {
        return Err(err(
            field("pods_per_node"),
            format!(
                "on one {} with {} pods, pod {} stays {}: {}",
                instance.name,
                group.pods_per_node,
                stuck.name,
                stuck.status,
                stuck.reason.clone().unwrap_or_default()
            ),
        ));
    }
    let node = sb
        .nodes
        .values()
        .next()
        .ok_or_else(|| err(field("instance_type"), "the probe node did not launch"))?;
    let nodes_id = sb.subnet("nodes").map(|s| s.id).ok();
    let prefixes_in = |id| {
        node.ipam
            .enis
            .iter()
            .filter(|e| Some(e.subnet) == id)
            .map(|e| e.prefixes.len() as u32)
            .sum::<u32>()
    };
    let node_prefixes = prefixes_in(nodes_id);
    let pods_id = sb.subnet("pods").map(|s| s.id).ok();
    let pod_prefixes = if custom { prefixes_in(pods_id) } else { 0 };
    let enis = node.ipam.enis.len() as u32;
    let node_subnet = most.0;
    let pod_subnet = if custom { most.1 } else { 0 };
    let name = input.cni.strategy().name();
    let mut d = Derivation::new(
        "addresses per node",
        node_subnet + pod_subnet,
        if custom {
            format!("{node_subnet} in the node subnet + {pod_subnet} in the pod subnet = {}", node_subnet + pod_subnet)
        } else {
            format!("{node_subnet} in the node subnet")
        },
    )
    .because(
        format!(
            "measured: one {} with {} pods ({} hostNetwork + {DAEMONSET_PODS} DaemonSet pods on the node IP) run in podnet's model of {name} until it settles ({SETTLE_SECONDS} s of simulated time)",
            instance.name, group.pods_per_node, group.host_network_pods
        ),
        "podnet model (the sandbox the page shows)",
    );
    let (rule, source) = input.cni.strategy().plan_rule();
    d = d.because(rule, source);
    let mut notes = Vec::new();
    if node_prefixes + pod_prefixes > 0 {
        notes.push(format!(
            "{}: each node needs {} whole, aligned /28 block{}; EC2 fails with InsufficientCidrBlocks when the subnet has free addresses but no free /28 (fragmentation). Reserve the prefix space with a subnet CIDR reservation of type prefix (VPC User Guide, subnet-cidr-reservation).",
            group.name,
            node_prefixes + pod_prefixes,
            if node_prefixes + pod_prefixes == 1 { "" } else { "s" }
        ));
    }
    Ok(NodeCost {
        group: group.name.clone(),
        instance_type: instance.name.to_owned(),
        max_pods,
        enis,
        node_subnet,
        node_prefixes,
        pod_subnet,
        pod_prefixes,
        derivation: d,
        notes,
    })
}

/// For an overlay with a range of its own: does it hold the nodes at peak?
pub(super) fn overlay_room(input: &PlanInput) -> Result<Option<Derivation>, PlanError> {
    let peak: u32 = input
        .groups
        .iter()
        .map(|g| g.max() + input.surge_per_az * input.azs.len() as u32)
        .sum();
    let d = match input.cni.strategy().addressing() {
        Addressing::Blocks(c) => {
            let per_block = c.block_addresses().max(1);
            let per_node: u32 = input
                .groups
                .iter()
                .map(|g| (g.pods_per_node + 1).div_ceil(per_block))
                .max()
                .unwrap_or(1)
                .max(1);
            let blocks = c.blocks();
            let need = peak * per_node;
            let d = Derivation::new(
                "Calico blocks needed at peak",
                need,
                format!("{peak} nodes × {per_node} /{} block(s) = {need} of the pool's {blocks}", c.block_size),
            )
            .because(
                "each node claims blocks for its pods and its tunnel address; a full pool fails with No IPs available in pools",
                "Calico docs, ipam (blockSize, IPPool)",
            );
            if need > blocks {
                return Err(err("cni", format!("the Calico pool holds {blocks} blocks of {per_block} addresses, but {peak} nodes at peak need {need}: use a larger pool or block size")));
            }
            d
        }
        Addressing::Enis(_) => return Ok(None),
        Addressing::NodeRanges(ranges) => {
            let Some(p) = ranges.plan() else {
                return Ok(None);
            };
            let have = p.count();
            let d = Derivation::new(
                    "pod CIDRs needed at peak",
                    peak,
                    format!("{peak} nodes at peak, one pod CIDR each, of the {have} the cluster range holds"),
                )
                .because(
                    "each node gets one pod CIDR as it joins (flanneld's etcd subnet manager, the cilium-operator); when they run out, new nodes get none and stay NotReady",
                    "flannel pkg/subnet/etcd/local_manager.go (out of subnets); Cilium cluster-pool IPAM",
                );
            if peak > have {
                return Err(err("cni", format!("the cluster range holds {have} node pod CIDRs, but {peak} nodes at peak need one each: use a larger cluster CIDR or a longer node mask")));
            }
            d
        }
    };
    Ok(Some(d))
}

/// What would let `wanted` pods per node run on the group's nodes: prefix
/// delegation where the CNI has it and the type supports it, and the
/// smallest type of the same family with room (`m5.large` → `m5.xlarge`).
fn fixes_for(
    input: &PlanInput,
    index: usize,
    instance: &catalog::InstanceType,
    wanted: u32,
) -> Vec<super::Fix> {
    let strategy = input.cni.strategy();
    let mut fixes = Vec::new();
    if strategy.knobs().prefix_delegation {
        let with = strategy.tuned(&crate::cni::Knobs {
            prefix_delegation: true,
            ..Default::default()
        });
        let max = with.strategy().max_pods(instance).value;
        if max >= wanted && with != input.cni {
            fixes.push(super::Fix::PrefixDelegation { max_pods: max });
        }
    }
    let family = |name: &str| name.split('.').next().unwrap_or_default().to_owned();
    let larger = catalog::all()
        .iter()
        .filter(|t| family(t.name) == family(instance.name))
        .map(|t| (strategy.max_pods(t).value, t))
        .filter(|(max, _)| *max >= wanted)
        .min_by_key(|(max, t)| (t.vcpus.unwrap_or(u32::MAX), *max, t.name));
    if let Some((max_pods, t)) = larger {
        fixes.push(super::Fix::InstanceType {
            group: index,
            name: t.name.to_owned(),
            max_pods,
        });
    }
    fixes
}
