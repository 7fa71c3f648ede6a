//! Every plan is proven by replaying it at peak in the sandbox.

use proptest::prelude::*;

use super::*;
use crate::cluster::PodStatus;
use crate::cni::{Flannel, VpcCni};
use crate::scenario::{builtin, Scenario};

/// Replays `plan` at peak and checks that nothing ran out: every pod
/// Running, every node Ready, the control-plane upgrade done.
fn assert_fits_at_peak(plan: &Plan) {
    let scenario = plan
        .scenario(Moment::Peak)
        .expect("the peak scenario replays");
    let sb = scenario.replay().expect("replays").sandbox;
    let stuck: Vec<_> = sb
        .pods
        .values()
        .filter(|p| p.status != PodStatus::Running)
        .map(|p| format!("{} {}: {:?}", p.name, p.status, p.reason))
        .collect();
    assert!(stuck.is_empty(), "{stuck:?}\n{}", plan.to_text());
    assert!(sb.nodes.values().all(|n| n.ready()));
    assert_eq!(
        sb.cluster.as_ref().map(|c| c.version.as_str()),
        Some("1.32")
    );
    // The subnets were sized for this peak: each holds what the plan said.
    for s in &plan.subnets {
        let real = sb.subnet(&s.name).unwrap();
        assert_eq!(real.cidr, s.cidr);
        assert!(real.pool.in_use() <= s.usable);
    }
    let groups: u32 = plan.input.groups.iter().map(|g| g.max()).sum::<u32>()
        + plan.input.surge_per_az * plan.input.azs.len() as u32 * plan.input.groups.len() as u32;
    assert_eq!(sb.nodes.len() as u32, groups);
}

#[test]
fn the_smallest_subnet_counts_aws_reservations_and_whole_prefixes() {
    assert_eq!(smallest_subnet(1, 0), Some(28));
    assert_eq!(smallest_subnet(11, 0), Some(28)); // 16 − 5
    assert_eq!(smallest_subnet(12, 0), Some(27));
    assert_eq!(smallest_subnet(251, 0), Some(24));
    assert_eq!(smallest_subnet(252, 0), Some(23));
    assert_eq!(smallest_subnet(65_531, 0), Some(16));
    assert_eq!(smallest_subnet(65_532, 0), None);
    // One prefix and one single address: a /28 has 11 usable addresses but
    // no whole /28 free of AWS's reservations.
    assert_eq!(smallest_subnet(17, 1), Some(27));
    // 14 prefixes and 12 singles: 14 + ⌈17/16⌉ = 16 blocks = a /24.
    assert_eq!(smallest_subnet(14 * 16 + 12, 14), Some(24));
    // Issue 15, point 5: `prefix_blocks * 16` overflowed (layout.rs).
    assert_eq!(smallest_subnet(1, 984_819_785), None);
    assert_eq!(smallest_subnet(u32::MAX, u32::MAX), None);
}

#[test]
fn a_simple_plan_sizes_node_and_cluster_subnets_per_az_and_holds_at_peak() {
    let input = PlanInput::simple("m5.large", 6, 20);
    let plan = plan(&input).unwrap();
    // 20 pod IPs: two ENIs (18 IPs) are not enough, so ipamd attaches the
    // third and last ENI (WARM_ENI_TARGET=1 cannot add a fourth):
    // 3 primary IPs + 27 secondary IPs = 30.
    assert_eq!(plan.nodes[0].enis, 3);
    assert_eq!(plan.nodes[0].node_subnet, 30);
    let nodes: Vec<_> = plan
        .subnets
        .iter()
        .filter(|s| s.role == SubnetRole::Nodes)
        .collect();
    assert_eq!(nodes.len(), 3);
    // 2 nodes per AZ at steady state, + 2 surge at peak: 4 × 30 = 120 → /25.
    assert_eq!((nodes[0].steady, nodes[0].peak), (60, 120));
    assert_eq!(nodes[0].cidr.prefix_len(), 25);
    let cluster: Vec<_> = plan
        .subnets
        .iter()
        .filter(|s| s.role == SubnetRole::Cluster)
        .collect();
    assert_eq!(cluster.len(), 3);
    assert!(cluster
        .iter()
        .all(|s| s.cidr.prefix_len() == 28 && s.peak == 7));
    assert_eq!(plan.vpc_blocks, vec!["10.0.0.0/16".parse().unwrap()]);
    assert!(plan.subnets[0].derivation.formula.contains("/25"));
    assert!(plan.to_text().contains("managed-node-update-behavior"));
    assert_fits_at_peak(&plan);
}

#[test]
fn subnets_never_overlap_and_stay_inside_the_vpc() {
    let mut input = PlanInput::simple("c5.4xlarge", 10, 100);
    input.groups[0].max_nodes = Some(30);
    let plan = plan(&input).unwrap();
    for (i, a) in plan.subnets.iter().enumerate() {
        assert!(
            plan.vpc_blocks.iter().any(|b| b.contains(&a.cidr)),
            "{}",
            a.cidr
        );
        for b in plan.subnets.iter().skip(i + 1) {
            assert!(
                !crate::addr::overlaps(a.cidr, b.cidr),
                "{} {}",
                a.cidr,
                b.cidr
            );
        }
    }
    assert_fits_at_peak(&plan);
}

#[test]
fn prefix_delegation_plans_whole_aligned_prefixes_and_warns_of_fragmentation() {
    let mut input = PlanInput::simple("m5.large", 3, 40);
    input.cni = CniMode::from(VpcCni {
        prefix_delegation: true,
        ..VpcCni::default()
    });
    let plan = plan(&input).unwrap();
    assert!(plan.nodes[0].node_prefixes >= 3, "{:?}", plan.nodes[0]);
    let s = &plan.subnets[0];
    assert!(s.prefix_blocks > 0 && s.derivation.formula.contains("aligned /28 prefixes"));
    assert!(plan
        .notes
        .iter()
        .any(|n| n.contains("InsufficientCidrBlocks")));
    assert_fits_at_peak(&plan);
}

#[test]
fn custom_networking_puts_pod_subnets_in_a_secondary_100_64_block() {
    let mut input = PlanInput::simple("m5.xlarge", 4, 30);
    input.cni = CniMode::from(VpcCni {
        custom_networking: true,
        ..VpcCni::default()
    });
    let plan = plan(&input).unwrap();
    assert_eq!(
        plan.nodes[0].node_subnet, 1,
        "only the node IP in the node subnet"
    );
    assert!(plan.nodes[0].pod_subnet > 30);
    let secondary: ipnet::Ipv4Net = "100.64.0.0/16".parse().unwrap();
    assert_eq!(plan.vpc_blocks.get(1), Some(&secondary));
    let pods: Vec<_> = plan
        .subnets
        .iter()
        .filter(|s| s.role == SubnetRole::Pods)
        .collect();
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|s| secondary.contains(&s.cidr)));
    assert!(plan.notes.iter().any(|n| n.contains("100.64.0.0/10")));
    let steady = plan.scenario(Moment::Steady).unwrap();
    assert!(steady
        .cni
        .as_vpc_cni()
        .is_some_and(|c| c.eni_configs.len() == 3));
    assert_fits_at_peak(&plan);
}

#[test]
fn a_primary_block_too_small_gets_a_secondary_block() {
    let mut input = PlanInput::simple("m5.large", 30, 25);
    input.vpc_cidr = "10.0.0.0/24".into();
    let plan = plan(&input).unwrap();
    assert!(plan.vpc_blocks.len() >= 2, "{:?}", plan.vpc_blocks);
    assert!(plan.notes.iter().any(|n| n.contains("is too small")));
    assert_fits_at_peak(&plan);
}

#[test]
fn an_overlay_needs_one_node_address_and_a_pod_cidr_per_node() {
    let mut input = PlanInput::simple("m5.large", 5, 20);
    // The stock --kube-subnet-mgr cannot start on EKS: the planner says so.
    input.cni = CniMode::from(Flannel::default());
    let e = plan(&input).unwrap_err();
    assert!(e.message.contains("pod cidr not assigned"), "{e:?}");
    input.cni = CniMode::from(Flannel {
        subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
        ..Flannel::default()
    });
    let plan = plan(&input).unwrap();
    assert_eq!(plan.nodes[0].node_subnet, 1);
    let o = plan.overlay.as_ref().unwrap();
    assert_eq!(o.value, 5 + 2 * 3);
    assert!(
        o.formula.contains("255"),
        "flanneld never leases the first /24: {}",
        o.formula
    );
    assert_fits_at_peak(&plan);

    input.groups[0].min_nodes = 250; // + 6 surge = 256 > 255
    let e = super::plan(&input).unwrap_err();
    assert_eq!(e.field, "cni");
    assert!(e.message.contains("255 node pod CIDRs"), "{e}");
}

#[test]
fn several_groups_pin_their_pods_and_hold_at_peak() {
    let mut input = PlanInput::simple("m5.large", 2, 10);
    input.groups.push(GroupInput {
        name: "big".into(),
        instance_type: "c5.2xlarge".into(),
        min_nodes: 2,
        max_nodes: Some(4),
        pods_per_node: 40,
        host_network_pods: 1,
    });
    let plan = plan(&input).unwrap();
    assert_eq!(plan.nodes.len(), 2);
    assert!(plan.nodes[1].node_subnet > plan.nodes[0].node_subnet);
    assert_fits_at_peak(&plan);
}

#[test]
fn bad_input_names_the_field_and_the_numbers() {
    let mut input = PlanInput::simple("m5.lrage", 3, 10);
    let e = plan(&input).unwrap_err();
    assert_eq!(e.field, "groups[0].instance_type");
    assert!(e.message.contains("m5.lrage"), "{e}");

    input.groups[0].instance_type = "m5.large".into();
    input.groups[0].pods_per_node = 30;
    let e = plan(&input).unwrap_err();
    assert_eq!(e.field, "groups[0].pods_per_node");
    assert!(
        e.message.contains("= 32 per node")
            && e.message.contains("at most 29")
            && e.message.contains("Too many pods"),
        "{e}"
    );

    input.groups[0].pods_per_node = 10;
    input.azs.truncate(1);
    assert_eq!(plan(&input).unwrap_err().field, "azs");

    input.azs = vec!["a".into(), "a".into()];
    assert!(plan(&input).unwrap_err().message.contains("twice"));

    // Issue 15, point 4: 100,000 zones are refused before anything looks
    // at each one (the duplicate check was quadratic before the limit).
    input.azs = (0..100_000).map(|i| format!("az-{i}")).collect();
    let e = plan(&input).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.message.split(':').next()),
        ("azs", Some("100000 Availability Zones"))
    );
    assert_eq!(
        az_names(26).unwrap().last().map(String::as_str),
        Some("eu-west-1z")
    );
    assert_eq!(az_names(27).unwrap_err().field, "azs");

    let mut input = PlanInput::simple("m5.large", 3, 10);
    input.vpc_cidr = "0.0.0.0/0".into();
    assert_eq!(
        plan(&input).unwrap_err().to_string(),
        "vpc_cidr: VPC block 0.0.0.0/0 is a /0: AWS allows VPC blocks from /16 to /28"
    );

    let mut input = PlanInput::simple("m5.large", 3, 10);
    input.vpc_cidr = "10.0.0.0/33".into();
    assert_eq!(plan(&input).unwrap_err().field, "vpc_cidr");

    let mut input = PlanInput::simple("m5.large", 4_000, 10);
    input.groups[0].max_nodes = Some(u32::MAX);
    let e = plan(&input).unwrap_err();
    assert!(e.message.contains("podnet plans up to 5000"), "{e}");
    let mut input = PlanInput::simple("c5.18xlarge", 1_000, 700);
    input.groups[0].max_nodes = Some(1_000);
    assert!(plan(&input)
        .unwrap_err()
        .message
        .contains("pods at peak: podnet plans up to 150000"));

    let e = PlanInput::from_json(r#"{"groups": [{"instance_type": "m5.large"}]}"#).unwrap_err();
    assert!(e.message.contains("min_nodes"), "{e}");
}

#[test]
fn will_it_fit_grows_the_seed_until_a_subnet_runs_out() {
    let seed = Scenario::from_json(builtin::get("seed").unwrap()).unwrap();
    let fit = will_it_fit(&seed, 4, 40).unwrap();
    assert!(fit.shortage.is_none(), "{}", fit.answer);
    assert!(
        fit.answer.starts_with("Yes: 4 nodes and 40 pods fit"),
        "{}",
        fit.answer
    );
    assert_eq!(fit.from, (2, 6));

    // Each m5.large holds 10 addresses empty; the /24s run out of node
    // room or of pod IPs long before 60 nodes.
    let fit = will_it_fit(&seed, 60, 1500).unwrap();
    let s = fit.shortage.as_ref().expect("something runs out");
    assert!(fit.answer.starts_with("No: at "), "{}", fit.answer);
    assert!(
        s.message.contains("InsufficientFreeAddressesInSubnet")
            || s.message.contains("failed to assign an IP address"),
        "{}",
        s.message
    );
}

#[test]
fn the_eksctl_export_of_the_seed_matches_its_golden_file() {
    let seed = Scenario::from_json(builtin::get("seed").unwrap()).unwrap();
    let yaml = eksctl_config(&seed, &[]).unwrap();
    golden("seed.eksctl.yaml", &yaml);
}

#[test]
fn the_eksctl_export_of_a_prefix_delegation_plan_matches_its_golden_file() {
    let mut input = PlanInput::simple("m5.large", 3, 40);
    input.groups[0].max_nodes = Some(6);
    input.cni = CniMode::from(VpcCni {
        prefix_delegation: true,
        custom_networking: true,
        ..VpcCni::default()
    });
    let plan = plan(&input).unwrap();
    let yaml = eksctl_config(&plan.scenario(Moment::Steady).unwrap(), &plan.input.groups).unwrap();
    assert!(yaml.contains("\"ENABLE_PREFIX_DELEGATION\":\"true\""));
    assert!(yaml.contains("maxSize: 6"));
    golden("plan-pd-custom.eksctl.yaml", &yaml);
}

/// Compares with `src/plan/golden/NAME`; `PODNET_BLESS=1` rewrites it.
fn golden(name: &str, got: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/plan/golden")
        .join(name);
    if std::env::var_os("PODNET_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no golden file {}: run with PODNET_BLESS=1", path.display()));
    assert_eq!(got, want, "{name} changed: review, then PODNET_BLESS=1");
}

fn arb_cni() -> impl Strategy<Value = CniMode> {
    prop_oneof![
        Just(CniMode::from(VpcCni::default())),
        (0u32..20, 0u32..30).prop_map(|(w, m)| CniMode::from(VpcCni {
            warm_ip_target: w,
            minimum_ip_target: m,
            ..VpcCni::default()
        })),
        Just(CniMode::from(VpcCni {
            prefix_delegation: true,
            ..VpcCni::default()
        })),
        Just(CniMode::from(VpcCni {
            custom_networking: true,
            ..VpcCni::default()
        })),
        Just(CniMode::from(Flannel {
            subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
            ..Flannel::default()
        })),
        Just(CniMode::from(crate::cni::CiliumEni::default())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any plan the planner makes holds at peak.
    #[test]
    fn every_plan_holds_at_peak(
        itype in prop::sample::select(vec!["t3.medium", "m5.large", "c5.xlarge", "m6i.2xlarge", "r5.4xlarge"]),
        min in 1u32..12,
        extra in 0u32..8,
        pods in 0u32..60,
        azs in 2usize..4,
        cni in arb_cni(),
    ) {
        let mut input = PlanInput::simple(itype, min, pods);
        input.groups[0].max_nodes = Some(min + extra);
        input.azs.truncate(azs);
        input.cni = cni;
        match plan(&input) {
            Ok(p) => assert_fits_at_peak(&p),
            Err(e) => prop_assert_eq!(&e.field, "groups[0].pods_per_node", "{}", e),
        }
    }
}

/// Fuzzing reproducer (issue 15, point 5): `prefix_blocks * 16` overflowed.
#[test]
fn smallest_subnet_does_not_overflow() {
    assert_eq!(super::layout::smallest_subnet(1, 984_819_785), None);
    assert_eq!(super::layout::smallest_subnet(u32::MAX, 0), None);
}

#[test]
fn a_pod_range_over_the_service_cidr_is_noted_with_the_first_node_it_reaches() {
    // The default VPC is in 10.0.0.0/8, so EKS picks 172.20.0.0/16 for
    // Services (amazon-eks-ami bootstrap.sh TEN_RANGE).
    let etcd = |network: &str| {
        CniMode::from(Flannel {
            network: network.into(),
            subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
            ..Flannel::default()
        })
    };
    let mut input = PlanInput::simple("m5.large", 5, 20);
    input.cni = etcd("10.244.0.0/16");
    let clear = plan(&input).unwrap();
    assert!(!clear.notes.iter().any(|n| n.contains("service CIDR")));

    // flanneld never leases the first /24: the first node gets 172.20.1.0/24.
    input.cni = etcd("172.20.0.0/16");
    let plan_over = plan(&input).unwrap();
    let note = plan_over
        .notes
        .iter()
        .find(|n| n.contains("service CIDR"))
        .expect("a note on the overlap");
    assert!(
        note.contains("172.20.0.0/16")
            && note.contains("node number 1 of this plan's 11 at peak would get 172.20.1.0/24"),
        "{note}"
    );
    assert_fits_at_peak(&plan_over);

    // 172.16.0.0/12: the service range starts 1,024 /24s in.
    input.cni = etcd("172.16.0.0/12");
    let later = plan(&input).unwrap();
    let note = later
        .notes
        .iter()
        .find(|n| n.contains("service CIDR"))
        .unwrap();
    assert!(
        note.contains("beyond this plan's 11 nodes at peak"),
        "{note}"
    );
    assert!(
        note.contains("node number 1024 would get one inside it (172.20.0.0/24)"),
        "{note}"
    );
}

#[test]
fn a_calico_pool_over_the_service_cidr_is_noted_as_random() {
    let mut input = PlanInput::simple("m5.large", 2, 10);
    input.cni = CniMode::from(crate::cni::Calico {
        pool: "172.16.0.0/12".into(),
        ..crate::cni::Calico::default()
    });
    let plan = plan(&input).unwrap();
    let note = plan
        .notes
        .iter()
        .find(|n| n.contains("service CIDR"))
        .unwrap();
    assert!(
        note.contains("at random") && note.contains("172.20.0.0/16"),
        "{note}"
    );
}
