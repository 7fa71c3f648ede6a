//! The same scenario under several CNIs, side by side: what each costs in
//! VPC addresses, where pods end up, and what the datapath looks like.

use crate::cni::Cni as _;
use serde::Serialize;

use crate::cluster::PodStatus;
use crate::cni::{CniMode, Datapath};
use crate::command::Command;
use crate::scenario::{Scenario, ScenarioError};

/// One CNI's outcome for a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The CNI's name.
    pub cni: String,
    /// VPC addresses held (node IPs, ENIs, warm and pod IPs, X-ENIs), all subnets.
    pub vpc_addresses: u32,
    /// Pods Running (DaemonSet pods excluded).
    pub running: u32,
    /// Pods Pending (no node would take them).
    pub pending: u32,
    /// Pods ContainerCreating (no IP).
    pub container_creating: u32,
    /// The first reason a pod is not Running, if any.
    pub first_problem: Option<String>,
    /// Max pods of each node, lowest and highest.
    pub max_pods: (u32, u32),
    /// How pod traffic crosses between nodes.
    pub datapath: Datapath,
    /// Where pod addresses come from: the VPC's subnets, or the CNI's
    /// own range.
    pub pod_addresses: String,
    /// What a node runs out of first, and at how many pods.
    pub runs_out_first: String,
    /// Whether NetworkPolicy is enforced, and by whom.
    pub policy: String,
    /// Why the scenario does not replay under this CNI, if it does not
    /// (then the numbers are zero).
    pub error: Option<String>,
}

/// Where `mode`'s pods take their addresses.
fn pod_addresses(mode: &CniMode) -> String {
    match mode.strategy().pod_range() {
        Some(range) => format!("{range}, the CNI's own range (not VPC addresses)"),
        None => "the VPC's subnets, on the nodes' ENIs".to_owned(),
    }
}

/// Who enforces NetworkPolicy under `mode`, in a few words.
fn policy(mode: &CniMode) -> String {
    match mode.strategy().policy_enforcement() {
        crate::cni::Enforcement::Enforced { agent, .. } => format!("enforced by {agent}"),
        crate::cni::Enforcement::None { .. } => "not enforced".to_owned(),
    }
}

/// What binds first on a node of `sb`: its max pods (the kubelet refuses
/// more, `Too many pods`), or the addresses the CNI can give it (pods wait
/// in ContainerCreating): on ENIs, the ENI formula's addresses; with a pod
/// CIDR per node, that range's; Calico claims more blocks as a node needs
/// them. The node with the tightest limit speaks. Max pods counts the two
/// host-network DaemonSet pods, which take no pod address.
fn runs_out_first(sb: &crate::sandbox::Sandbox) -> String {
    use crate::cni::Addressing;
    let ranges = matches!(sb.cni.strategy().addressing(), Addressing::NodeRanges(_));
    let rows = sb.nodes.values().filter_map(|n| {
        let t = crate::catalog::lookup(&n.instance_type).ok()?;
        let addresses = match sb.cni.strategy().addressing() {
            Addressing::Enis(_) => Some(sb.cni.strategy().max_pods(t).value.saturating_sub(2)),
            // A node whose agent has not run (or failed) has no range yet:
            // it holds no pods, so it says nothing of what binds first.
            Addressing::NodeRanges(_) => Some(n.overlay.as_ref()?.capacity()),
            Addressing::Blocks(_) => None,
        };
        Some((n.max_pods(), addresses, &n.instance_type))
    });
    let Some((max_pods, addresses, t)) =
        rows.min_by_key(|(max, a, _)| a.map_or(*max, |a| a.saturating_add(2).min(*max)))
    else {
        return if ranges && !sb.nodes.is_empty() {
            "no node has a pod CIDR yet: its CNI agent has not started".to_owned()
        } else {
            "no node yet".to_owned()
        };
    };
    let a = crate::command::article(t);
    let slots = max_pods.saturating_sub(2);
    match addresses {
        None => format!(
            "max pods first: {max_pods} on {a} {t} (Pending, Too many pods); Calico claims another block whenever the node needs addresses"
        ),
        Some(n) if n < slots => format!(
            "addresses first: {a} {t} has {n} pod addresses, below its max pods {max_pods} (ContainerCreating)"
        ),
        Some(n) if n == slots => format!(
            "both at once on {a} {t}: {n} pod addresses + 2 host-network pods = max pods {max_pods}"
        ),
        Some(n) => format!(
            "max pods first: {max_pods} on {a} {t} (Pending, Too many pods), with {n} pod addresses"
        ),
    }
}

/// The CNIs podnet models, with their default settings.
pub fn all_cnis() -> Vec<CniMode> {
    // Each as it runs on EKS: the stock flannel --kube-subnet-mgr does not
    // start there (no node pod CIDRs), flanneld on its own etcd does.
    CniMode::all()
        .iter()
        .map(|m| m.strategy().on_eks())
        .collect()
}

/// [`all_cnis`], each with a pod range that fits the VPC blocks `vpc`
/// where its default would overlap them (Cilium's Helm default
/// 10.0.0.0/8 in a 10.x VPC), as the page offers them.
pub fn all_cnis_fitting(vpc: &[ipnet::Ipv4Net]) -> Vec<CniMode> {
    all_cnis().into_iter().map(|m| m.fitting(vpc)).collect()
}

/// The VPC blocks of `scenario` once replayed (its primary block when it
/// does not replay).
pub fn vpc_blocks(scenario: &Scenario) -> Vec<ipnet::Ipv4Net> {
    match scenario.replay() {
        Ok(r) => r.sandbox.vpc.cidrs.clone(),
        Err(_) => scenario.vpc_cidr.parse().ok().into_iter().collect(),
    }
}

/// The scenario under `mode`: its `set-cni` commands belong to its own CNI
/// and are dropped.
pub fn under(scenario: &Scenario, mode: CniMode) -> Scenario {
    let mut s = scenario.clone();
    if !s.cni.same_strategy(&mode) {
        s.actions.retain(|a| !matches!(a, Command::SetCni { .. }));
        s.cni = mode;
    }
    s
}

/// Replays `scenario` under each of `modes`; a CNI under which it does
/// not replay (an overlay CIDR overlapping the VPC, say) gets a row with
/// the reason.
pub fn compare(scenario: &Scenario, modes: &[CniMode]) -> Vec<Comparison> {
    modes.iter().map(|mode| one(scenario, mode)).collect()
}

fn one(scenario: &Scenario, mode: &CniMode) -> Comparison {
    let replay = under(scenario, mode.clone()).replay();
    let Ok(r) = replay else {
        let error = replay.err().map(|e: ScenarioError| e.to_string());
        return Comparison {
            cni: mode.strategy().name().into(),
            vpc_addresses: 0,
            running: 0,
            pending: 0,
            container_creating: 0,
            first_problem: None,
            max_pods: (0, 0),
            datapath: mode.strategy().datapath(),
            pod_addresses: pod_addresses(mode),
            runs_out_first: String::new(),
            policy: policy(mode),
            error,
        };
    };
    let sb = &r.sandbox;
    let count = |status| {
        sb.pods
            .values()
            .filter(|p| p.is_workload() && p.status == status)
            .count() as u32
    };
    let max_pods: Vec<u32> = sb.nodes.values().map(|n| n.max_pods()).collect();
    let first_problem = sb.pods.values().find_map(|p| p.reason.clone());
    Comparison {
        cni: sb.cni.strategy().name().into(),
        vpc_addresses: sb.vpc.subnets.values().map(|s| s.pool.in_use()).sum(),
        running: count(PodStatus::Running),
        pending: count(PodStatus::Pending),
        container_creating: count(PodStatus::ContainerCreating),
        first_problem,
        max_pods: (
            max_pods.iter().copied().min().unwrap_or(0),
            max_pods.iter().copied().max().unwrap_or(0),
        ),
        datapath: sb.cni.strategy().datapath(),
        pod_addresses: pod_addresses(&sb.cni),
        runs_out_first: runs_out_first(sb),
        policy: policy(&sb.cni),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builtin;

    #[test]
    fn the_seed_costs_far_fewer_vpc_addresses_under_flannel() {
        let s = Scenario::from_json(builtin::get("seed").unwrap()).unwrap();
        let rows = compare(&s, &all_cnis());
        assert_eq!(rows[0].cni, "AWS VPC CNI");
        // The NAT gateway + 2 X-ENIs + 2 × (node IP + 9 IPs + second ENI 1 + 9)
        assert_eq!(rows[0].vpc_addresses, 43);
        assert_eq!(rows[1].cni, "Flannel");
        assert_eq!(rows[1].vpc_addresses, 5); // the NAT gateway + 2 X-ENIs + 2 node IPs
        assert_eq!(rows[2].cni, "Calico");
        assert_eq!(
            rows[2].vpc_addresses, 5,
            "Calico pods take no VPC address either"
        );
        assert!(rows[..3].iter().all(|r| r.running == 6 && r.pending == 0));
        assert_eq!(rows[2].datapath.mtu(9001), 8951, "VXLAN costs 50 bytes");
        // Cilium's default pool is 10.0.0.0/8: it refuses this 10.10.0.0/16 VPC.
        assert!(rows[3]
            .error
            .as_deref()
            .unwrap()
            .contains("overlaps the VPC block 10.10.0.0/16"));
        assert!(rows[0].datapath.vpc_routable && !rows[1].datapath.vpc_routable);
        // Cilium's ENI mode: VPC addresses too, but used + 8 per node
        // (eth0's 9, then an ENI with the rest) instead of a whole warm ENI;
        // the first node also runs CoreDNS's 2 replicas.
        assert_eq!(rows[4].cni, "Cilium (ENI mode)");
        assert_eq!(
            rows[4].vpc_addresses,
            1 + 2 + (1 + 9 + 1 + 4) + (1 + 9 + 1 + 2)
        );
        assert_eq!(rows[4].running, 6);
        assert!(rows[4].datapath.vpc_routable);
    }

    #[test]
    fn subnet_exhaustion_is_a_vpc_cni_problem_only() {
        let s = Scenario::from_json(builtin::get("subnet-exhaustion").unwrap()).unwrap();
        let rows = compare(&s, &all_cnis());
        assert_eq!(rows[0].container_creating, 5);
        assert_eq!(rows[1].container_creating, 0);
        assert_eq!(rows[2].container_creating, 0);
    }

    #[test]
    fn each_row_says_where_pod_addresses_come_from_what_runs_out_first_and_who_enforces_policy() {
        let s = Scenario::from_json(builtin::get("seed").unwrap()).unwrap();
        let rows = compare(&s, &all_cnis_fitting(&vpc_blocks(&s)));
        let row = |name: &str| rows.iter().find(|r| r.cni == name).unwrap();
        assert!(rows.len() >= 5, "the five CNIs (and the test one)");
        assert!(
            rows.iter().all(|r| r.error.is_none()),
            "every CNI replays once its pool fits the VPC"
        );
        let vpc = row("AWS VPC CNI");
        assert_eq!(vpc.pod_addresses, "the VPC's subnets, on the nodes' ENIs");
        assert_eq!(
            vpc.runs_out_first,
            "both at once on an m5.large: 27 pod addresses + 2 host-network pods = max pods 29"
        );
        assert_eq!(vpc.policy, "not enforced");
        let flannel = row("Flannel");
        assert!(flannel.pod_addresses.starts_with("10.244.0.0/16"));
        // A /24 pod CIDR: 256 − network, broadcast and the cni0 bridge.
        assert!(
            flannel.runs_out_first.ends_with("with 253 pod addresses"),
            "{}",
            flannel.runs_out_first
        );
        assert!(row("Calico").policy.starts_with("enforced by calico-node"));
        assert!(row("Cilium").pod_addresses.starts_with("192.168.0.0/16"));
    }
}
