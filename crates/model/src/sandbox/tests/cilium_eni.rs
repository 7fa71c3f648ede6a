//! Cilium's ENI IPAM: the operator's watermarks on real ENIs.

use super::*;
use crate::cluster::PodStatus;
use crate::cni::CiliumEni;

fn eni_mode(cfg: CiliumEni) -> Sandbox {
    with_cluster(CniMode::from(cfg))
}

fn held(s: &Sandbox) -> u32 {
    s.subnet("nodes-a").unwrap().pool.in_use()
}

fn texts(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.kind.to_string()).collect()
}

#[test]
fn a_new_node_pre_allocates_eight_ips_on_eth0() {
    let mut s = eni_mode(CiliumEni::default());
    let events = add_node(&mut s, "m5.large", "nodes-a");
    let node = s.nodes.values().next().unwrap();
    // CoreDNS's 2 replicas land on the first node: used 2 + pre-allocate 8
    // = 10, more than eth0's 9 slots, so eth1 gets 1.
    let stats = node.ipam.stats(s.now_ms);
    assert_eq!(
        (stats.assigned, stats.total),
        (2, 10),
        "used + 8 pre-allocated"
    );
    assert_eq!(node.ipam.enis[0].secondary.len(), 9, "eth0 holds pods");
    assert_eq!(held(&s), 1 + 9 + 1 + 1);
    assert_eq!(node.max_pods(), 29);
    let all = texts(&events).join("\n");
    assert!(!all.contains("ipamd"), "{all}");
    // With 3 pods more the operator holds used 5 + 8 (eth0 full, then eth1
    // with 4); the VPC CNI's ipamd attaches a whole warm ENI of 9.
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    assert_eq!(held(&s), 1 + 9 + 1 + 4);
    let mut vpc = with_cluster(CniMode::default());
    add_node(&mut vpc, "m5.large", "nodes-a");
    run(&mut vpc, r#"{"action":"add-pods","count":3}"#).unwrap();
    assert_eq!(held(&vpc), 1 + 9 + 1 + 9);
}

#[test]
fn pods_take_vpc_addresses_and_the_operator_keeps_eight_free() {
    let mut s = eni_mode(CiliumEni::default());
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":5}"#).unwrap();
    let node = s.nodes.values().next().unwrap();
    let stats = node.ipam.stats(s.now_ms);
    // 5 pods and CoreDNS's 2.
    assert_eq!((stats.assigned, stats.total), (7, 15));
    assert_eq!(
        node.ipam.enis.len(),
        2,
        "eth0 full at 9, eth1 created with 6"
    );
    assert_eq!(node.ipam.enis[1].device_index, 1);
    let subnet = s.subnet("nodes-a").unwrap().cidr;
    for p in s.pods.values().filter(|p| p.is_workload()) {
        assert_eq!(p.status, PodStatus::Running);
        assert!(subnet.contains(&p.ip.unwrap()));
    }
    let why =
        crate::query::explain_pod_ip(&s, s.pods.values().find(|p| p.is_workload()).unwrap().id)
            .unwrap()
            .to_string();
    assert!(why.contains("cilium-operator"), "{why}");
}

#[test]
fn freed_ips_are_reused_at_once_and_kept_without_the_release_flag() {
    let mut s = eni_mode(CiliumEni::default());
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":5,"name":"web"}"#).unwrap();
    let ip = s.pods.values().find(|p| p.name == "web-5").unwrap().ip;
    let events = run(&mut s, r#"{"action":"delete-pod","pod":"web-5"}"#).unwrap();
    assert!(texts(&events)
        .iter()
        .any(|t| t.ends_with("back to the node's pool")));
    run(&mut s, r#"{"action":"add-pods","count":1,"name":"again"}"#).unwrap();
    assert_eq!(
        s.pods.values().find(|p| p.name == "again").unwrap().ip,
        ip,
        "no cooldown: the next pod takes the freed address"
    );
    let before = held(&s);
    for name in ["web-6", "web-7", "web-8", "web-9", "again"] {
        run(
            &mut s,
            &format!(r#"{{"action":"delete-pod","pod":"{name}"}}"#),
        )
        .unwrap();
    }
    run(&mut s, r#"{"action":"advance-time","seconds":600}"#).unwrap();
    assert_eq!(held(&s), before, "IPs are never given back by default");
}

#[test]
fn with_release_excess_ips_the_surplus_goes_after_the_delay_and_enis_stay() {
    let mut s = eni_mode(CiliumEni {
        release_excess_ips: true,
        ..CiliumEni::default()
    });
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":10,"name":"web"}"#).unwrap();
    let enis = s.nodes.values().next().unwrap().ipam.enis.len();
    let names: Vec<String> = s
        .pods
        .values()
        .filter(|p| p.name.starts_with("web"))
        .map(|p| p.name.clone())
        .collect();
    for name in names {
        run(
            &mut s,
            &format!(r#"{{"action":"delete-pod","pod":"{name}"}}"#),
        )
        .unwrap();
    }
    // 20 held, CoreDNS's 2 used: 10 in excess of used + pre-allocate; not
    // before 180 s.
    run(&mut s, r#"{"action":"advance-time","seconds":170}"#).unwrap();
    assert_eq!(
        s.nodes.values().next().unwrap().ipam.stats(s.now_ms).total,
        20
    );
    let events = run(&mut s, r#"{"action":"advance-time","seconds":30}"#).unwrap();
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::SecondaryIpsReleased { .. })));
    let node = s.nodes.values().next().unwrap();
    assert_eq!(node.ipam.stats(s.now_ms).total, 2 + 8);
    assert_eq!(node.ipam.enis.len(), enis, "ENIs stay attached");
}

#[test]
fn a_node_out_of_enis_fails_with_range_is_full() {
    let mut s = eni_mode(CiliumEni::default());
    let cmd = Command::AddNode(crate::command::AddNode {
        instance_type: "t3.micro".into(),
        subnet: "nodes-a".into(),
        max_pods: Some(10),
        max_pods_from: None,
    });
    // The operator runs out as CoreDNS's replicas take the 2 addresses.
    let mut events = s.apply(cmd).unwrap();
    events.extend(run(&mut s, r#"{"action":"add-pods","count":4}"#).unwrap());
    let stuck: Vec<&Pod> = s
        .pods
        .values()
        .filter(|p| p.status == PodStatus::ContainerCreating)
        .collect();
    assert_eq!(stuck.len(), 4, "t3.micro holds 2 pod addresses, CoreDNS's");
    let reason = stuck[0].reason.as_deref().unwrap();
    assert!(reason.contains("plugin type=\"cilium-cni\""), "{reason}");
    assert!(
        reason.ends_with("postIpamFailure  range is full"),
        "{reason}"
    );
    let all = texts(&events).join("\n");
    assert!(
        all.contains(
            "cilium-operator: Instance is out of interfaces (all 2 ENIs are attached and full"
        ),
        "{all}"
    );
    let advice = crate::query::advice_for_pod(&s, stuck[0].id).join(" ");
    assert!(advice.contains("range is full"), "{advice}");
}

#[test]
fn a_full_subnet_stops_the_operator_with_ec2s_words() {
    let mut s = eni_mode(CiliumEni::default());
    // Alone in its AZ, so findSuitableSubnet has no roomier subnet to pick.
    run(
        &mut s,
        r#"{"action":"add-subnet","name":"small","cidr":"10.10.2.0/28","az":"eu-west-1c"}"#,
    )
    .unwrap();
    // 11 usable: node IP, eth0's 9 (pre-allocate 8, then min(free, room)
    // as PrepareIPAllocation asks); an ENI for the tenth pod does not fit.
    // The operator says it once, when the node is added, then again only
    // if it says something else.
    let mut events = add_node(&mut s, "m5.large", "small");
    events.extend(run(&mut s, r#"{"action":"add-pods","count":10}"#).unwrap());
    let all = texts(&events).join("\n");
    // pkg/ipam/node.go createInterface, around pkg/aws/eni/node.go's
    // "unable to create ENI" and the AWS SDK v2's error.
    assert!(
        all.contains(
            "cilium-operator: Unable to create interface on instance: unable to create ENI: \
             operation error EC2: CreateNetworkInterface, https response error StatusCode: 400, \
             RequestID: <id>, api error InsufficientFreeAddressesInSubnet"
        ),
        "{all}"
    );
    assert!(s
        .pods
        .values()
        .any(|p| p.status == PodStatus::ContainerCreating));
}

/// pkg/aws/eni/node.go `findSuitableSubnet`: once the node's subnet has
/// fewer free addresses than an ENI holds (`limits.IPv4`), the next ENI
/// goes in the subnet of the node's AZ with the most free addresses, tagged
/// or not; one that routes differently is warned about.
#[test]
fn a_low_node_subnet_sends_the_next_eni_to_the_roomiest_subnet_of_the_az() {
    let mut s = eni_mode(CiliumEni::default());
    for cmd in [
        r#"{"action":"add-internet-gateway"}"#,
        r#"{"action":"add-subnet","name":"small","cidr":"10.10.2.0/28","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"public-a","cidr":"10.10.8.0/22","az":"eu-west-1a","route":"internet-gateway"}"#,
    ] {
        run(&mut s, cmd).unwrap();
    }
    let mut events = add_node(&mut s, "m5.large", "small");
    events.extend(run(&mut s, r#"{"action":"add-pods","count":10}"#).unwrap());
    let public = s.subnet("public-a").unwrap().id;
    let node = s.nodes.values().next().unwrap();
    assert!(
        node.ipam.enis.len() > 1 && node.ipam.enis.iter().skip(1).all(|e| e.subnet == public),
        "{:?}",
        node.ipam.enis
    );
    let all = texts(&events).join("\n");
    assert!(
        all.contains("cilium-operator: ENI NodeSubnet and  subnet are not in the same route tables, and you might have unexpected traffic routing"),
        "{all}"
    );
    assert!(!s
        .pods
        .values()
        .any(|p| p.status == PodStatus::ContainerCreating));
}

/// No subnet of the AZ has a free address: `findSuitableSubnet` finds
/// none, and `CreateInterface` says so.
#[test]
fn with_no_subnet_left_in_the_az_the_operator_says_so() {
    let mut s = eni_mode(CiliumEni::default());
    // 11 usable in a /28: the first node's IP and eth0's 9, then the
    // second node's IP take them all.
    run(
        &mut s,
        r#"{"action":"add-subnet","name":"small","cidr":"10.10.2.0/28","az":"eu-west-1c"}"#,
    )
    .unwrap();
    add_node(&mut s, "m5.large", "small");
    let events = add_node(&mut s, "m5.large", "small");
    assert_eq!(s.subnet("small").unwrap().pool.free(), 0);
    let all = texts(&events).join("\n");
    assert!(
        all.contains("cilium-operator: Unable to create interface on instance: No matching subnet available for interface creation (VPC=<vpc> AZ=eu-west-1c SubnetIDs=[] SubnetTags=map[])"),
        "{all}"
    );
    let second = s.nodes.values().last().unwrap().id;
    assert!(
        matches!(
            s.no_address(second),
            Some(crate::sandbox::stuck::NoAddress::SubnetFull { free: 0, .. })
        ),
        "{:?}",
        s.no_address(second)
    );
}

#[test]
fn first_interface_index_one_keeps_pods_off_eth0() {
    let mut s = eni_mode(CiliumEni {
        first_interface_index: 1,
        ..CiliumEni::default()
    });
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    let node = s.nodes.values().next().unwrap();
    // The kubelet's max pods does not know Cilium: a managed node group
    // gives 29; the "why?" says eth0's slots are not for pods.
    assert_eq!(node.max_pods(), 29);
    let why = crate::query::explain_max_pods(&s, node.id)
        .unwrap()
        .to_string();
    assert!(why.contains("at most 18 addresses"), "{why}");
    assert!(node.ipam.enis[0].secondary.is_empty());
    assert_eq!(
        node.ipam.enis[1].assigned(),
        3 + 2,
        "3 pods and CoreDNS's 2"
    );
}

#[test]
fn settings_are_validated() {
    let mut s = eni_mode(CiliumEni::default());
    let bad = CiliumEni {
        max_allocate: 4,
        min_allocate: 10,
        ..CiliumEni::default()
    };
    let err = s
        .apply(Command::SetCni {
            cni: CniMode::from(bad),
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("max-allocate 4 is below min-allocate 10"),
        "{err}"
    );
}

/// cilium `pkg/aws/eni/node_manager_test.go` `TestNodeManagerReleaseAddress`:
/// m4.xlarge, pre-allocate 2, min-allocate 10, max-above-watermark 3,
/// release on. 13 IPs at 0 pods (min 10 + watermark 3, "as 13 < 14, the
/// interface limit"); 18 once 13 are used (pre 2 + watermark 3 more); 15
/// after 3 pods go (10 used + 2 pre-allocate + 3 watermark), once the
/// release delay has passed.
#[test]
fn upstream_release_address_case() {
    let cfg = CiliumEni {
        pre_allocate: 2,
        min_allocate: 10,
        max_above_watermark: 3,
        release_excess_ips: true,
        excess_ip_release_delay_s: 2,
        ..CiliumEni::default()
    };
    let mut s = eni_mode(cfg);
    add_node(&mut s, "m4.xlarge", "nodes-a");
    let total = |s: &Sandbox| s.nodes.values().next().unwrap().ipam.stats(s.now_ms).total;
    // CoreDNS's 2 replicas are 2 of the used addresses: 9 pods make 11.
    assert_eq!(total(&s), 13);
    run(&mut s, r#"{"action":"add-pods","count":9}"#).unwrap();
    assert_eq!(total(&s), 13, "11 of 13 used: nothing more");
    run(&mut s, r#"{"action":"add-pods","count":2,"name":"more"}"#).unwrap();
    run(&mut s, r#"{"action":"advance-time","seconds":10}"#).unwrap();
    assert_eq!(
        total(&s),
        18,
        "13 used: + pre-allocate 2 + max-above-watermark 3"
    );
    let gone: Vec<String> = s
        .pods
        .values()
        .filter(|p| p.is_workload())
        .take(3)
        .map(|p| p.name.clone())
        .collect();
    for p in gone {
        run(&mut s, &format!(r#"{{"action":"delete-pod","pod":"{p}"}}"#)).unwrap();
    }
    run(&mut s, r#"{"action":"advance-time","seconds":60}"#).unwrap();
    assert_eq!(total(&s), 15, "10 used + 2 + 3");
}

/// `calculateExcessIPs` keeps the first allocation: with min-allocate 40 and
/// release on, the pool neither grows nor shrinks once 40 are held (before
/// the fix, `excess` ignored min-allocate and the operator flapped).
#[test]
fn min_allocate_is_kept_and_the_pool_does_not_flap() {
    let cfg = CiliumEni {
        pre_allocate: 0,
        min_allocate: 40,
        release_excess_ips: true,
        excess_ip_release_delay_s: 0,
        ..CiliumEni::default()
    };
    let mut s = eni_mode(cfg);
    add_node(&mut s, "c5.4xlarge", "nodes-a");
    let total = |s: &Sandbox| s.nodes.values().next().unwrap().ipam.stats(s.now_ms).total;
    assert_eq!(total(&s), 40);
    let events = s
        .apply(serde_json::from_str(r#"{"action":"advance-time","seconds":3600}"#).unwrap())
        .unwrap();
    assert_eq!(total(&s), 40);
    assert!(
        events.len() < 5,
        "an hour of a settled pool is quiet: {} events",
        events.len()
    );
}
