//! Tests of the single-node ipamd simulation; this file is a test module
//! (`#[cfg(test)] mod tests` in node_sim.rs), never compiled into podnet.

use super::*;
use crate::catalog::lookup;
use proptest::prelude::*;

/// A subnet that never runs out (the steady-state table assumes so).
const BIG: &str = "10.0.0.0/16";

fn node(t: &str, cfg: VpcCni, max_pods: u32) -> SingleNode {
    let it = lookup(t).unwrap();
    SingleNode::launch(
        it.limits(),
        it.supports_prefix_delegation(),
        max_pods,
        cfg,
        BIG.parse().unwrap(),
    )
    .unwrap()
}

fn with_pods(t: &str, cfg: VpcCni, pods: u32) -> SingleNode {
    // kubelet max pods non-binding, as the §2.9 table assumes.
    let mut n = node(t, cfg, 10_000);
    for _ in 0..pods {
        n.add_pod();
    }
    n
}

fn enis_ips(n: &SingleNode) -> (u32, u32) {
    let s = n.summary();
    (s.enis, s.secondary_ips)
}

#[test]
fn t3_small_defaults_match_the_cni_docs_worked_example() {
    // CNI docs/eni-and-ip-target.md: 0 pods → 1 ENI, 3 IPs; 5 pods → 3 ENIs, 9 IPs; 9 → 3 ENIs, 0 unused.
    assert_eq!(
        enis_ips(&with_pods("t3.small", VpcCni::default(), 0)),
        (1, 3)
    );
    assert_eq!(
        enis_ips(&with_pods("t3.small", VpcCni::default(), 5)),
        (3, 9)
    );
    let full = with_pods("t3.small", VpcCni::default(), 9);
    assert_eq!(
        full.summary(),
        IpamdSummary {
            enis: 3,
            secondary_ips: 9,
            prefixes: 0,
            pods: 9,
            available: 0
        }
    );
}

#[test]
fn p3dn_with_ip_targets_starts_with_ten_ips_on_one_eni() {
    let cfg = VpcCni {
        warm_ip_target: 5,
        minimum_ip_target: 10,
        ..VpcCni::default()
    };
    assert_eq!(enis_ips(&with_pods("p3dn.24xlarge", cfg, 0)), (1, 10));
}

#[test]
fn new_enis_take_the_lowest_free_device_index_and_come_with_their_ips() {
    let n = with_pods("t3.small", VpcCni::default(), 5);
    let attached: Vec<(u32, u32)> = n
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::EniAttached {
                device_index,
                secondary_ips,
                ..
            } => Some((device_index, secondary_ips)),
            _ => None,
        })
        .collect();
    assert_eq!(attached, vec![(1, 3), (2, 3)]);
    // 3 ENI primary IPs (the first is the node IP) + 9 secondary IPs.
    assert_eq!(n.pool().in_use(), 12);
}

#[test]
fn at_the_eni_limit_the_tenth_pod_waits_with_the_real_messages() {
    let mut n = node("t3.small", VpcCni::default(), 11);
    for _ in 0..10 {
        n.add_pod();
    }
    assert_eq!(n.waiting, vec![PodId(10)]);
    let text: Vec<String> = n.events().iter().map(|e| e.kind.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("Skipping ENI allocation as the max ENI limit is already reached")),
        "{text:#?}"
    );
    assert!(text.iter().any(
        |t| t.starts_with("pod-10 on node-1: Warning FailedCreatePodSandBox")
            && t.ends_with("add cmd: failed to assign an IP address to container")
    ));
}

#[test]
fn a_small_subnet_runs_out_with_insufficient_free_addresses() {
    let it = lookup("t3.small").unwrap();
    let mut n = SingleNode::launch(
        it.limits(),
        true,
        11,
        VpcCni::default(),
        "10.0.0.0/28".parse().unwrap(),
    )
    .unwrap();
    for _ in 0..9 {
        n.add_pod();
    }
    // 11 usable: node IP + 3, second ENI 1 + 3; a third ENI needs 4 but 3 are left.
    assert_eq!(n.summary().pods, 6);
    assert_eq!(n.waiting.len(), 3);
    assert_eq!(n.pool().free(), 3);
    let logs: Vec<String> = n.events().iter().map(|e| e.kind.to_string()).collect();
    assert!(logs.iter().any(|l| l.contains("Failed to increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: failed to create network interface: operation error EC2: CreateNetworkInterface, https response error StatusCode: 400, RequestID: <id>, api error InsufficientFreeAddressesInSubnet: The specified subnet")), "{logs:#?}");
}

#[test]
fn deleting_every_pod_shrinks_back_to_one_warm_eni() {
    let mut n = with_pods("t3.small", VpcCni::default(), 9);
    for p in 1..=9 {
        n.delete_pod(PodId(p));
    }
    n.advance(180_000);
    assert_eq!(enis_ips(&n), (1, 3));
    assert_eq!(n.pool().in_use(), 4);
    assert!(n
        .events()
        .iter()
        .any(|e| matches!(e.kind, EventKind::EniDeleted { .. })));
}

#[test]
fn warm_ip_target_releases_surplus_ips_after_pods_leave() {
    let cfg = VpcCni {
        warm_ip_target: 2,
        ..VpcCni::default()
    };
    let mut n = with_pods("m5.large", cfg, 10);
    assert_eq!(enis_ips(&n), (2, 12));
    for p in 1..=10 {
        n.delete_pod(PodId(p));
    }
    n.advance(180_000);
    assert_eq!(enis_ips(&n), (1, 2));
}

#[test]
fn prefix_delegation_on_xen_falls_back_to_secondary_ips() {
    let cfg = VpcCni {
        prefix_delegation: true,
        ..VpcCni::default()
    };
    let n = with_pods("m4.large", cfg, 3);
    assert_eq!(n.summary().prefixes, 0);
    assert!(n.summary().secondary_ips > 0);
}

fn sample_type() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("t3.small"),
        Just("m5.large"),
        Just("c5.4xlarge"),
        Just("t3.medium")
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn secondary_mode_with_warm_eni_target_matches_the_steady_state_table(t in sample_type(), w in 1u32..=3, fill in 0.0f64..=1.0) {
        let it = lookup(t).unwrap();
        let m = it.ipv4_per_eni - 1;
        let p = (f64::from(it.max_enis * m) * fill) as u32;
        let n = with_pods(t, VpcCni { warm_eni_target: w, ..VpcCni::default() }, p);
        let enis = it.max_enis.min(p.div_ceil(m) + w);
        prop_assert_eq!(enis_ips(&n), (enis, enis * m));
        prop_assert!(n.waiting.is_empty());
    }

    #[test]
    fn secondary_mode_with_ip_targets_matches_the_steady_state_table(t in sample_type(), wit in 1u32..=20, mit in 0u32..=40, fill in 0.0f64..=1.0) {
        let it = lookup(t).unwrap();
        let m = it.ipv4_per_eni - 1;
        let p = (f64::from(it.max_enis * m) * fill) as u32;
        let n = with_pods(t, VpcCni { warm_ip_target: wit, minimum_ip_target: mit, ..VpcCni::default() }, p);
        let ips = (it.max_enis * m).min(mit.max(p + wit));
        prop_assert_eq!(enis_ips(&n), (ips.div_ceil(m).max(1), ips));
    }

    #[test]
    fn prefix_mode_with_warm_prefix_target_matches_the_steady_state_table(t in sample_type(), w in 1u32..=3, p in 0u32..=60) {
        let it = lookup(t).unwrap();
        let m = it.ipv4_per_eni - 1;
        let n = with_pods(t, VpcCni { prefix_delegation: true, warm_prefix_target: w, ..VpcCni::default() }, p);
        let prefixes = p.div_ceil(16) + w;
        prop_assume!(prefixes <= it.max_enis * m);
        prop_assert_eq!(n.summary().prefixes, prefixes);
        prop_assert_eq!(n.summary().enis, prefixes.div_ceil(m).max(1));
    }

    #[test]
    fn prefix_mode_with_ip_targets_matches_the_steady_state_table(t in sample_type(), wit in 1u32..=20, mit in 0u32..=40, p in 0u32..=60) {
        let it = lookup(t).unwrap();
        let m = it.ipv4_per_eni - 1;
        let cfg = VpcCni { prefix_delegation: true, warm_ip_target: wit, minimum_ip_target: mit, ..VpcCni::default() };
        let n = with_pods(t, cfg, p);
        let prefixes = (p + wit).div_ceil(16).max(mit.div_ceil(16));
        prop_assume!(prefixes <= it.max_enis * m);
        prop_assert_eq!(n.summary().prefixes, prefixes);
        prop_assert_eq!(n.summary().enis, prefixes.div_ceil(m).max(1));
    }
}

#[test]
fn a_log_line_from_an_idle_pass_keeps_the_clock_at_its_time() {
    let mut n = node("t3.micro", VpcCni::default(), 4);
    for _ in 0..3 {
        n.add_pod();
    }
    let times: Vec<u64> = n.events().iter().map(|e| e.at_ms).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "events out of time order: {times:?}"
    );
}
