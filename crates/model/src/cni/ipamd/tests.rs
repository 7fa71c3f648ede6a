//! ipamd's pool decisions against upstream's own tables
//! (pkg/ipamd/ipamd_test.go at aws/amazon-vpc-cni-k8s b521883).

use super::*;

fn node(max_pods: u32) -> NodeIpam {
    NodeIpam {
        node: NodeId(1),
        limits: InstanceLimits {
            max_enis: 4,
            ipv4_per_eni: 15,
        },
        prefix_capable: true,
        max_pods,
        enis: Vec::new(),
        custom_networking: false,
        pod_eni: false,
        branch_limit: 0,
        branches: Vec::new(),
        first_pod_eni: 0,
        agent: AgentMemory::default(),
        last_log: None,
    }
}

/// `isDatastorePoolTooLow` for `cfg` with `m` slots per ENI.
fn too_low(cfg: &VpcCni, m: u32, max_pods: u32, total: u32, used: u32) -> bool {
    let ctx = Ctx {
        cfg,
        pd: cfg.prefix_delegation,
        m,
        max_enis: 4,
    };
    node(max_pods).too_low(&ctx, stats(total, used))
}

fn stats(total: u32, assigned: u32) -> PoolStats {
    PoolStats {
        total,
        assigned,
        available: total - assigned,
        ..PoolStats::default()
    }
}

/// `TestIPAMContext_nodeIPPoolTooLow`: (name, maxIPsPerENI, WARM_ENI_TARGET,
/// WARM_IP_TARGET, IPs held, IPs used, max pods, too low).
#[test]
fn upstream_node_ip_pool_too_low_table() {
    let cases = [
        ("Test new ds, all defaults", 14, 1, 0, 0, 0, 500, true),
        ("Test new ds, 0 ENIs", 14, 0, 0, 0, 0, 500, true),
        ("Test new ds, 3 warm IPs", 14, 0, 3, 0, 0, 500, true),
        ("Test 3 unused IPs, 1 warm", 3, 1, 1, 3, 0, 500, false),
        ("Test 1 used, 1 warm ENI", 3, 1, 0, 3, 1, 500, true),
        ("Test 1 used, 0 warm ENI", 3, 0, 0, 3, 1, 500, false),
        ("Test 3 used, 1 warm ENI", 3, 1, 0, 3, 3, 500, true),
        ("Test 3 used, 0 warm ENI", 3, 0, 0, 3, 3, 500, true),
        ("Test max pods exceeded", 3, 0, 5, 3, 3, 3, false),
    ];
    for (name, m, warm_eni, warm_ip, total, used, max_pods, want) in cases {
        let cfg = VpcCni {
            warm_eni_target: warm_eni,
            warm_ip_target: warm_ip,
            minimum_ip_target: 0,
            ..VpcCni::default()
        };
        assert_eq!(too_low(&cfg, m, max_pods, total, used), want, "{name}");
    }
}

/// `TestIPAMContext_nodePrefixPoolTooLow`: (name, WARM_PREFIX_TARGET, IPs
/// held (16 per prefix), IPs used, max pods, too low).
#[test]
fn upstream_node_prefix_pool_too_low_table() {
    let cases = [
        ("Test new ds, all defaults", 1, 0, 0, 500, true),
        ("Test new ds, 0 ENIs", 0, 0, 0, 500, true),
        ("Test 3 unused IPs, 1 warm", 1, 16, 0, 500, false),
        ("Test 1 used, 1 warm Prefix", 1, 16, 1, 500, true),
        ("Test 1 used, 0 warm Prefix", 0, 16, 1, 500, false),
        ("Test 3 used, 1 warm Prefix", 1, 16, 3, 500, true),
        ("Test 3 used, 0 warm Prefix", 0, 16, 3, 500, false),
        ("Test max pods exceeded", 1, 16, 3, 4, false),
    ];
    for (name, warm_prefix, total, used, max_pods, want) in cases {
        let cfg = VpcCni {
            warm_prefix_target: warm_prefix,
            warm_ip_target: 0,
            minimum_ip_target: 0,
            prefix_delegation: true,
            ..VpcCni::default()
        };
        assert_eq!(too_low(&cfg, 16, max_pods, total, used), want, "{name}");
    }
}

/// `TestGetWarmIPTargetState`: WARM_IP_TARGET 5 is short 5 with no IP,
/// 3 with 2 free IPs, 0 with 5; `TestGetWarmIPTargetStateWithPDenabled`:
/// with prefixes, short 5 IPs is one prefix to ask for.
#[test]
fn upstream_warm_ip_target_state() {
    let cfg = VpcCni {
        warm_ip_target: 5,
        minimum_ip_target: 0,
        ..VpcCni::default()
    };
    assert!(cfg.ip_targets_set());
    assert!(!VpcCni {
        warm_ip_target: 0,
        minimum_ip_target: 0,
        ..VpcCni::default()
    }
    .ip_targets_set());
    for (held, short) in [(0, 5), (2, 3), (5, 0)] {
        assert_eq!(short_ips(&cfg, stats(held, 0)), short, "{held} free IPs");
    }
    let pd = VpcCni {
        prefix_delegation: true,
        ..cfg.clone()
    };
    let ctx = Ctx {
        cfg: &pd,
        pd: true,
        m: 16,
        max_enis: 4,
    };
    assert_eq!(node(500).request(&ctx, stats(0, 0)), 1, "one prefix");
}

/// `TestContainsInsufficientCIDRsOrSubnetIPs`: both refusals podnet makes
/// are the two codes that start the back-off, and ipamd logs them in the
/// AWS SDK v2's words.
#[test]
fn both_refusals_are_insufficient_address_errors() {
    let net: ipnet::Ipv4Net = "10.0.0.0/28".parse().unwrap();
    for (err, code) in [
        (
            AllocError::InsufficientFreeAddressesInSubnet {
                subnet: net,
                requested: 2,
                free: 1,
            },
            "InsufficientFreeAddressesInSubnet",
        ),
        (
            AllocError::InsufficientCidrBlocks {
                subnet: net,
                free: 3,
            },
            "InsufficientCidrBlocks",
        ),
    ] {
        let text = sdk_error(ASSIGN, &err);
        assert!(
            text.starts_with("operation error EC2: AssignPrivateIpAddresses, https response error StatusCode: 400, RequestID: <id>, api error "),
            "{text}"
        );
        assert!(text.contains(&format!("api error {code}: ")), "{text}");
    }
}
