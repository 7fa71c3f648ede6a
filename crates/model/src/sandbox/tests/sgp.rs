//! Security groups for pods: trunk ENIs, branch ENIs, `pod-eni` capacity.

use super::*;
use crate::cluster::PodStatus;
use crate::cni::VpcCni;
use crate::ipam::Holder;

fn sgp_on() -> CniMode {
    CniMode::from(VpcCni {
        pod_eni: true,
        ..VpcCni::default()
    })
}

fn sg_pods(s: &mut Sandbox, count: u32) -> Vec<Event> {
    s.apply(Command::AddPods(crate::command::AddPods {
        count,
        node: None,
        host_network: false,
        name: Some("payments".into()),
        security_groups: true,
        ..Default::default()
    }))
    .unwrap()
}

fn of(s: &Sandbox, status: PodStatus, sg: bool) -> Vec<&Pod> {
    s.pods
        .values()
        .filter(|p| p.is_workload() && p.status == status && p.security_groups == sg)
        .collect()
}

#[test]
fn a_trunking_node_gets_a_trunk_eni_that_takes_an_eni_slot() {
    let mut s = with_cluster(sgp_on());
    let events = add_node(&mut s, "m5.large", "nodes-a");
    let node = s.nodes.values().next().unwrap();
    let trunk = node.ipam.trunk().expect("a trunk ENI");
    assert_eq!(trunk.device_index, 1);
    assert_eq!(node.ipam.branch_capacity(), 9);
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::TrunkEniAttached { branches: 9, .. })));
    // 25 ordinary pods: max pods is still 29, but ipamd has only two ENIs
    // (3 − the trunk) of 9 IPs, and CoreDNS's 2 replicas hold 2 of them.
    run(&mut s, r#"{"action":"add-pods","count":25}"#).unwrap();
    assert_eq!(of(&s, PodStatus::Running, false).len(), 16);
    let stuck = of(&s, PodStatus::ContainerCreating, false);
    assert_eq!(stuck.len(), 9);
    assert!(stuck[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("failed to assign an IP address to container"));
    let node = s.nodes.values().next().unwrap();
    assert_eq!(node.ipam.enis.len(), 3, "primary, trunk, one ipamd ENI");
}

#[test]
fn pods_with_security_groups_get_branch_enis_outside_the_warm_pool() {
    let mut s = with_cluster(sgp_on());
    add_node(&mut s, "m5.large", "nodes-a");
    let warm_before = s.nodes.values().next().unwrap().ipam.stats(s.now_ms);
    let events = sg_pods(&mut s, 3);
    let running = of(&s, PodStatus::Running, true);
    assert_eq!(running.len(), 3);
    let node = s.nodes.values().next().unwrap();
    assert_eq!(node.branch_pods, 3);
    let vlans: Vec<u32> = node.ipam.branches.iter().map(|b| b.vlan).collect();
    assert_eq!(vlans, [1, 2, 3]);
    // The pod IP is the branch ENI's primary IP, a VPC address of the node's subnet.
    let subnet = s.subnet("nodes-a").unwrap();
    for p in &running {
        let ip = p.ip.unwrap();
        assert!(subnet.cidr.contains(&ip));
        assert!(matches!(subnet.pool.holder(ip), Some(Holder::Branch(_))));
    }
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::BranchEniCreated { vlan: 1, .. })));
    // Warm targets do not apply: ipamd's pool is as it was.
    assert_eq!(node.ipam.stats(s.now_ms), warm_before);
    let uses = crate::query::address_uses(&s, subnet.id);
    assert_eq!(
        uses.iter()
            .filter(|(_, u)| matches!(u, AddressUse::Branch { .. }))
            .count(),
        3
    );
    assert_eq!(
        uses.iter()
            .filter(|(_, u)| matches!(u, AddressUse::Trunk { .. }))
            .count(),
        1
    );
    let why = crate::query::explain_pod_ip(&s, running[0].id)
        .unwrap()
        .to_string();
    assert!(why.contains("branch"), "{why}");
}

#[test]
fn branch_capacity_runs_out_with_the_schedulers_words() {
    let mut s = with_cluster(sgp_on());
    add_node(&mut s, "m5.large", "nodes-a");
    sg_pods(&mut s, 10);
    assert_eq!(of(&s, PodStatus::Running, true).len(), 9);
    let pending = of(&s, PodStatus::Pending, true);
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].reason.as_deref(),
        Some("0/1 nodes are available: 1 Insufficient vpc.amazonaws.com/pod-eni. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
    );
    // Deleting one frees its branch ENI and address at once; the next pod reuses the VLAN.
    let victim = of(&s, PodStatus::Running, true)[0].name.clone();
    let in_use = s.subnet("nodes-a").unwrap().pool.in_use();
    let events = run(
        &mut s,
        &format!(r#"{{"action":"delete-pod","pod":"{victim}"}}"#),
    )
    .unwrap();
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::BranchEniDeleted { .. })));
    assert_eq!(of(&s, PodStatus::Running, true).len(), 9);
    assert!(of(&s, PodStatus::Pending, true).is_empty());
    assert_eq!(s.subnet("nodes-a").unwrap().pool.in_use(), in_use);
    let node = s.nodes.values().next().unwrap();
    assert_eq!(node.branch_pods, 9);
    let mut vlans: Vec<u32> = node.ipam.branches.iter().map(|b| b.vlan).collect();
    vlans.sort_unstable();
    assert_eq!(vlans, (1..=9).collect::<Vec<_>>());
}

#[test]
fn t_family_and_xen_nodes_cannot_trunk() {
    let mut s = with_cluster(sgp_on());
    let events = add_node(&mut s, "t3.large", "nodes-a");
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::TrunkEniWaiting { reason, .. } if reason.contains("not trunking-compatible"))));
    let node = s.nodes.values().next().unwrap();
    assert!(node.ipam.trunk().is_none());
    // No ENI slot is kept for a trunk that cannot come: 30 pods need all 3 ENIs.
    run(&mut s, r#"{"action":"add-pods","count":30}"#).unwrap();
    assert_eq!(of(&s, PodStatus::Running, false).len(), 30);
    sg_pods(&mut s, 1);
    let pending = of(&s, PodStatus::Pending, true);
    assert_eq!(
        pending[0].reason.as_deref(),
        Some("0/1 nodes are available: 1 Insufficient vpc.amazonaws.com/pod-eni. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
    );
    let advice = crate::query::advice_for_pod(&s, pending[0].id).join(" ");
    assert!(advice.contains("cannot trunk"), "{advice}");
}

#[test]
fn without_enable_pod_eni_or_under_an_overlay_such_pods_stay_pending() {
    let mut s = with_cluster(CniMode::default());
    add_node(&mut s, "m5.large", "nodes-a");
    sg_pods(&mut s, 2);
    let pending = of(&s, PodStatus::Pending, true);
    assert_eq!(pending.len(), 2);
    assert!(crate::query::advice_for_pod(&s, pending[0].id)
        .join(" ")
        .contains("ENABLE_POD_ENI"));
    // Turning it on reaches the running node (aws-node restarts) and the pods run.
    s.apply(Command::SetCni { cni: sgp_on() }).unwrap();
    assert_eq!(of(&s, PodStatus::Running, true).len(), 2);
    let mut flannel = with_cluster(CniMode::from(crate::cni::Flannel::default()));
    add_node(&mut flannel, "m5.large", "nodes-a");
    sg_pods(&mut flannel, 1);
    let p = of(&flannel, PodStatus::Pending, true)[0].id;
    assert!(crate::query::advice_for_pod(&flannel, p)
        .join(" ")
        .contains("need the AWS VPC CNI"));
}

#[test]
fn a_node_at_its_eni_limit_waits_for_a_slot_before_its_trunk_comes() {
    let mut s = with_cluster(CniMode::default());
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":20,"name":"web"}"#).unwrap();
    assert_eq!(s.nodes.values().next().unwrap().ipam.enis.len(), 3);
    let events = s.apply(Command::SetCni { cni: sgp_on() }).unwrap();
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::TrunkEniWaiting { reason, .. } if reason.contains("all 3 ENI slots are in use"))));
    for i in 0..20 {
        let name = s
            .pods
            .values()
            .find(|p| p.name.starts_with("web"))
            .map(|p| p.name.clone())
            .unwrap();
        let _ = i;
        run(
            &mut s,
            &format!(r#"{{"action":"delete-pod","pod":"{name}"}}"#),
        )
        .unwrap();
    }
    let events = run(&mut s, r#"{"action":"advance-time","seconds":300}"#).unwrap();
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::EniDeleted { .. })));
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::TrunkEniAttached { .. })));
    assert_eq!(s.nodes.values().next().unwrap().ipam.branch_capacity(), 9);
}

#[test]
fn a_full_subnet_fails_the_branch_eni_with_ec2s_words() {
    let mut s = with_cluster(sgp_on());
    run(
        &mut s,
        r#"{"action":"add-subnet","name":"small","cidr":"10.10.2.0/28","az":"eu-west-1a"}"#,
    )
    .unwrap();
    add_node(&mut s, "m5.large", "small");
    // 11 usable: node IP, trunk, ipamd's ENI and 8 of its 9 IPs (the subnet ran out).
    let free = s.subnet("small").unwrap().pool.free();
    assert_eq!(free, 0, "ipamd filled the /28");
    sg_pods(&mut s, 1);
    let stuck = of(&s, PodStatus::ContainerCreating, true);
    assert_eq!(stuck.len(), 1);
    let reason = stuck[0].reason.clone().unwrap();
    assert!(
        reason.starts_with("BranchAllocationFailed: failed to allocate branch ENI to pod: InsufficientFreeAddressesInSubnet"),
        "{reason}"
    );
}

#[test]
fn custom_networking_puts_trunk_and_branches_in_the_eniconfig_subnet() {
    let mut s = with_cluster(CniMode::default());
    run(
        &mut s,
        r#"{"action":"add-vpc-cidr","cidr":"100.64.0.0/16"}"#,
    )
    .unwrap();
    run(
        &mut s,
        r#"{"action":"add-subnet","name":"pods-a","cidr":"100.64.0.0/19","az":"eu-west-1a"}"#,
    )
    .unwrap();
    let cfg = VpcCni {
        pod_eni: true,
        custom_networking: true,
        eni_configs: [("eu-west-1a".to_owned(), "pods-a".to_owned())].into(),
        ..VpcCni::default()
    };
    s.apply(Command::SetCni {
        cni: CniMode::from(cfg),
    })
    .unwrap();
    add_node(&mut s, "m5.large", "nodes-a");
    sg_pods(&mut s, 1);
    let pods_a = s.subnet("pods-a").unwrap();
    let node = s.nodes.values().next().unwrap();
    assert_eq!(node.ipam.trunk().unwrap().subnet, pods_a.id);
    let ip = of(&s, PodStatus::Running, true)[0].ip.unwrap();
    assert!(pods_a.cidr.contains(&ip));
}

#[test]
fn deleting_the_node_returns_trunk_and_branch_addresses() {
    let mut s = with_cluster(sgp_on());
    let before = s.subnet("nodes-a").unwrap().pool.in_use();
    add_node(&mut s, "m5.large", "nodes-a");
    sg_pods(&mut s, 4);
    let name = s.nodes.values().next().unwrap().name.clone();
    run(
        &mut s,
        &format!(r#"{{"action":"delete-node","node":"{name}"}}"#),
    )
    .unwrap();
    assert_eq!(s.subnet("nodes-a").unwrap().pool.in_use(), before);
    assert_eq!(of(&s, PodStatus::Pending, true).len(), 4);
    assert!(s.indexes_agree());
}
