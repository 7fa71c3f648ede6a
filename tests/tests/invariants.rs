//! Property tests over random sequences of commands: whatever a learner
//! does, the sandbox keeps its books straight.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use podnet_model::cluster::PodStatus;
use podnet_model::sandbox::NoAddress;
use podnet_model::EndpointAccess;
use podnet_model::{CniMode, Command, Holder, Sandbox, Scenario, VpcCni};
use proptest::prelude::*;

/// A command with its objects chosen by index among those that exist when it runs.
#[derive(Debug, Clone)]
enum Op {
    AddNode {
        kind: usize,
        subnet: usize,
        max_pods: Option<u32>,
    },
    AddPods {
        count: u32,
        host_network: bool,
        pin: Option<usize>,
        security_groups: bool,
    },
    DeletePod(usize),
    DeleteNode(usize),
    SetCni {
        warm_eni: u32,
        warm_ip: u32,
        min_ip: u32,
        pd: bool,
        warm_prefix: u32,
        pod_eni: bool,
        /// MAX_ENI, the cooldown, subnet discovery, external SNAT, the
        /// enforcing mode, custom networking with an ENIConfig per AZ.
        extra: (Option<u32>, u32, bool, bool, bool, Option<u8>),
    },
    /// Flannel: its node prefix length, host-gw or VXLAN, etcd or kube.
    Flannel(u8, bool, bool),
    Calico {
        strict: bool,
        /// None, IPIP, VXLAN, VXLANCrossSubnet.
        tunnel: u8,
        block: u8,
        max_blocks: u32,
    },
    CiliumEni {
        pre: u32,
        release: bool,
        first: u32,
        min: u32,
        above: u32,
        pd: bool,
    },
    /// Cilium cluster-pool: the per-node mask and the routing mode.
    Cilium(u8, u8),
    Wait(u32),
    Upgrade(u32),
    AddSubnet(u8),
    /// A subnet's default route: local, the internet gateway or the NAT gateway.
    Route(usize, u8),
    /// Add or delete a VPC endpoint.
    Endpoint(u8, bool),
    /// DNS resolution, DNS hostnames, custom DHCP DNS servers.
    Dns(bool, bool, bool),
    /// Endpoint access 0..3, and the public access CIDRs open or closed.
    Access(u8, bool),
    /// Change the cluster subnets to a pair.
    ClusterSubnets(usize, usize),
}

/// Types that make small clusters run out often; the other half of the
/// picks come from the whole catalog.
const TYPES: &[&str] = &["t3.micro", "t3.small", "m5.large", "c5.large", "m4.large"];

fn instance_type(kind: usize) -> String {
    let all = podnet_model::catalog::all();
    if kind.is_multiple_of(2) || all.is_empty() {
        TYPES[(kind / 2) % TYPES.len()].into()
    } else {
        all[(kind / 2) % all.len()].name.to_string()
    }
}
const SUBNETS: &[&str] = &["nodes-a", "nodes-b", "tiny", "cluster-a"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4_000usize, 0..SUBNETS.len(), proptest::option::weighted(0.2, 1u32..60))
            .prop_map(|(kind, subnet, max_pods)| Op::AddNode { kind, subnet, max_pods }),
        4 => (1u32..25, proptest::bool::weighted(0.1), proptest::option::weighted(0.2, 0usize..8), proptest::bool::weighted(0.25))
            .prop_map(|(count, host_network, pin, security_groups)| Op::AddPods { count, host_network, pin, security_groups }),
        3 => (0usize..200).prop_map(Op::DeletePod),
        1 => (0usize..8).prop_map(Op::DeleteNode),
        1 => (0u32..3, 0u32..6, 0u32..12, any::<bool>(), 0u32..3, any::<bool>(),
              (proptest::option::weighted(0.2, 1u32..4), 0u32..60, any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::weighted(0.2, 0u8..4)))
            .prop_map(|(warm_eni, warm_ip, min_ip, pd, warm_prefix, pod_eni, extra)| Op::SetCni { warm_eni, warm_ip, min_ip, pd, warm_prefix, pod_eni, extra }),
        2 => (5u32..400).prop_map(Op::Wait),
        1 => (22u8..=25, any::<bool>(), proptest::bool::weighted(0.8)).prop_map(|(len, gw, etcd)| Op::Flannel(len, gw, etcd)),
        1 => (any::<bool>(), 0u8..4, 26u8..=28, 0u32..3).prop_map(|(strict, tunnel, block, max_blocks)| Op::Calico { strict, tunnel, block, max_blocks }),
        1 => (0u32..12, any::<bool>(), 0u32..2, 0u32..20, 0u32..4, any::<bool>())
            .prop_map(|(pre, release, first, min, above, pd)| Op::CiliumEni { pre, release, first, min, above, pd }),
        1 => (24u8..=27, 0u8..3).prop_map(|(mask, routing)| Op::Cilium(mask, routing)),
        1 => (25u32..40).prop_map(Op::Upgrade),
        1 => any::<u8>().prop_map(Op::AddSubnet),
        1 => (0usize..8, 0u8..3).prop_map(|(s, to)| Op::Route(s, to)),
        1 => (0u8..6, any::<bool>()).prop_map(|(svc, add)| Op::Endpoint(svc, add)),
        1 => (proptest::bool::weighted(0.8), proptest::bool::weighted(0.8), proptest::bool::weighted(0.2)).prop_map(|(a, b, c)| Op::Dns(a, b, c)),
        1 => (0u8..3, proptest::bool::weighted(0.7)).prop_map(|(e, open)| Op::Access(e, open)),
        1 => (0usize..8, 0usize..8).prop_map(|(a, b)| Op::ClusterSubnets(a, b)),
    ]
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

fn command(s: &Sandbox, op: &Op) -> Option<Command> {
    let subnet_names: Vec<String> = s.vpc.subnets.values().map(|x| x.name.clone()).collect();
    let node_names: Vec<String> = s.nodes.values().map(|n| n.name.clone()).collect();
    let pod_names: Vec<String> = s
        .pods
        .values()
        .filter(|p| p.is_workload())
        .map(|p| p.name.clone())
        .collect();
    Some(match op {
        Op::AddNode {
            kind,
            subnet,
            max_pods,
        } => Command::AddNode(podnet_model::command::AddNode {
            instance_type: instance_type(*kind),
            subnet: SUBNETS[*subnet].into(),
            max_pods: *max_pods,
            max_pods_from: None,
        }),
        Op::AddPods {
            count,
            host_network,
            pin,
            security_groups,
        } => Command::AddPods(podnet_model::command::AddPods {
            count: *count,
            node: pin.and_then(|i| pick(&node_names, i)),
            host_network: *host_network,
            name: None,
            security_groups: *security_groups,
            ..Default::default()
        }),
        Op::DeletePod(i) => Command::DeletePod {
            pod: pick(&pod_names, *i)?,
        },
        Op::DeleteNode(i) => Command::DeleteNode {
            node: pick(&node_names, *i)?,
        },
        Op::SetCni {
            warm_eni,
            warm_ip,
            min_ip,
            pd,
            warm_prefix,
            pod_eni,
            extra: (max_eni, cooldown, discovery, snat, standard, custom),
        } => Command::SetCni {
            cni: CniMode::from(VpcCni {
                warm_eni_target: *warm_eni,
                warm_ip_target: *warm_ip,
                minimum_ip_target: *min_ip,
                prefix_delegation: *pd,
                warm_prefix_target: *warm_prefix,
                pod_eni: *pod_eni,
                max_eni: *max_eni,
                ip_cooldown_s: *cooldown,
                subnet_discovery: *discovery,
                external_snat: *snat,
                pod_sg_enforcing_mode: if *standard {
                    podnet_model::cni::vpc_cni::PodSgMode::Standard
                } else {
                    podnet_model::cni::vpc_cni::PodSgMode::Strict
                },
                // Custom networking with the AZ's pod subnet picked among
                // the subnets (a wrong AZ is refused, changing nothing).
                custom_networking: custom.is_some(),
                eni_configs: custom
                    .and_then(|i| pick(&subnet_names, usize::from(i)))
                    .map(|subnet| {
                        let az = s
                            .vpc
                            .subnets
                            .values()
                            .find(|x| x.name == subnet)
                            .map(|x| x.az.clone())
                            .unwrap_or_default();
                        std::collections::BTreeMap::from([(az, subnet)])
                    })
                    .unwrap_or_default(),
                // Network policy moves no address.
                ..VpcCni::default()
            }),
        },
        Op::Wait(seconds) => Command::AdvanceTime { seconds: *seconds },
        // A small cluster CIDR so that node CIDRs run out too.
        Op::Flannel(len, host_gw, etcd) => Command::SetCni {
            cni: CniMode::from(podnet_model::cni::Flannel {
                network: "10.244.0.0/22".into(),
                subnet_len: *len,
                backend: if *host_gw {
                    podnet_model::cni::flannel::FlannelBackend::HostGw
                } else {
                    podnet_model::cni::flannel::FlannelBackend::Vxlan
                },
                subnet_manager: if *etcd {
                    podnet_model::cni::flannel::FlannelSubnetManager::Etcd
                } else {
                    podnet_model::cni::flannel::FlannelSubnetManager::Kube
                },
            }),
        },
        // A /22 pool, so that node CIDRs run out.
        Op::Cilium(mask, routing) => Command::SetCni {
            cni: CniMode::from(podnet_model::cni::Cilium {
                pool: "10.200.0.0/22".into(),
                mask_size: *mask,
                routing: [
                    podnet_model::cni::cilium::CiliumRouting::Vxlan,
                    podnet_model::cni::cilium::CiliumRouting::Geneve,
                    podnet_model::cni::cilium::CiliumRouting::Native,
                ][usize::from(*routing % 3)],
            }),
        },
        // Four /26 blocks, so that nodes borrow and the pool runs out.
        Op::Calico {
            strict,
            tunnel,
            block,
            max_blocks,
        } => Command::SetCni {
            cni: CniMode::from(podnet_model::cni::Calico {
                pool: "192.168.0.0/24".into(),
                strict_affinity: *strict,
                block_size: *block,
                max_blocks_per_host: *max_blocks,
                encapsulation: {
                    use podnet_model::cni::calico::CalicoEncapsulation as E;
                    [E::None, E::IpIp, E::Vxlan, E::VxlanCrossSubnet][usize::from(*tunnel % 4)]
                },
            }),
        },
        Op::CiliumEni {
            pre,
            release,
            first,
            min,
            above,
            pd,
        } => Command::SetCni {
            cni: CniMode::from(podnet_model::cni::CiliumEni {
                pre_allocate: *pre,
                min_allocate: *min,
                max_above_watermark: *above,
                release_excess_ips: *release,
                excess_ip_release_delay_s: 30,
                first_interface_index: *first,
                prefix_delegation: *pd,
                ..Default::default()
            }),
        },
        Op::Upgrade(minor) => Command::UpgradeControlPlane {
            version: format!("1.{minor}"),
        },
        Op::Route(i, to) => Command::SetRoute {
            subnet: pick(&subnet_names, *i)?,
            to: ["local", "internet-gateway", "nat-gateway"][usize::from(*to % 3)].into(),
            via: None,
        },
        Op::Endpoint(svc, true) => Command::AddVpcEndpoint {
            service: podnet_model::egress::AwsService::ALL[usize::from(*svc % 6)]
                .short()
                .into(),
            subnets: None,
        },
        Op::Endpoint(svc, false) => Command::DeleteVpcEndpoint {
            service: podnet_model::egress::AwsService::ALL[usize::from(*svc % 6)]
                .short()
                .into(),
        },
        Op::Dns(support, hostnames, custom) => {
            if *custom {
                Command::SetDhcpOptions {
                    servers: podnet_model::egress::DnsServers::Custom,
                    domain_name: Some("corp.example".into()),
                }
            } else {
                Command::SetVpcDns {
                    dns_hostnames: Some(*hostnames),
                    dns_support: Some(*support),
                }
            }
        }
        Op::Access(e, open) => {
            if *open {
                Command::SetEndpointAccess {
                    endpoint: [
                        EndpointAccess::Public,
                        EndpointAccess::PublicAndPrivate,
                        EndpointAccess::Private,
                    ][usize::from(*e % 3)],
                }
            } else {
                Command::SetPublicAccessCidrs {
                    cidrs: vec!["198.51.100.0/24".into()],
                }
            }
        }
        Op::ClusterSubnets(a, b) => Command::UpdateClusterSubnets {
            subnets: vec![pick(&subnet_names, *a)?, pick(&subnet_names, *b)?],
        },
        Op::AddSubnet(third) => Command::AddSubnet(podnet_model::command::AddSubnet {
            name: None,
            cidr: format!("10.10.{third}.0/24"),
            az: "eu-west-1a".into(),
            cni_tag: third % 2 == 0,
            route: Some("nat-gateway".into()),
        }),
    })
}

fn setup() -> Scenario {
    let mut s = Scenario::from_json(podnet_model::scenario::builtin::get("seed").unwrap()).unwrap();
    // The internet gateway, the public subnet and its NAT gateway, the
    // subnets and the cluster; no nodes yet.
    let create = s
        .actions
        .iter()
        .position(|a| {
            matches!(
                a,
                Command::CreateCluster(podnet_model::command::CreateCluster { .. })
            )
        })
        .expect("the seed creates its cluster");
    s.actions.truncate(create + 1);
    s.actions
        .push(Command::AddSubnet(podnet_model::command::AddSubnet {
            name: Some("tiny".into()),
            cidr: "10.10.3.0/27".into(),
            az: "eu-west-1b".into(),
            cni_tag: false,
            route: Some("nat-gateway".into()),
        }));
    s
}

/// Node pod CIDRs (Flannel, Cilium cluster-pool) never overlap each other
/// or the VPC; Calico's blocks never overlap each other.
fn check_overlay(s: &Sandbox) -> Result<(), TestCaseError> {
    let ranges: Vec<(String, ipnet::Ipv4Net)> = s
        .nodes
        .values()
        .filter_map(|n| n.overlay.as_ref().map(|r| (n.name.clone(), r.cidr)))
        .collect();
    for (i, (a, ra)) in ranges.iter().enumerate() {
        for (b, rb) in ranges.iter().skip(i + 1) {
            prop_assert!(
                !ra.contains(rb) && !rb.contains(ra),
                "{a} {ra} overlaps {b} {rb}"
            );
        }
        for block in &s.vpc.cidrs {
            prop_assert!(
                !ra.contains(block) && !block.contains(ra),
                "{a} {ra} overlaps the VPC's {block}"
            );
        }
    }
    let blocks: Vec<ipnet::Ipv4Net> = s
        .cni_state
        .blocks()
        .map(|c| c.blocks().iter().map(|b| b.cidr).collect())
        .unwrap_or_default();
    for (i, a) in blocks.iter().enumerate() {
        for b in blocks.iter().skip(i + 1) {
            prop_assert!(
                !a.contains(b) && !b.contains(a),
                "Calico blocks {a} and {b} overlap"
            );
        }
    }
    Ok(())
}

/// A command's events are bounded by what it did, not by how long it ran:
/// within the recorder's caps, each counted at least once, and a wait
/// (any length) adds few distinct events per object.
fn check_events(
    s: &Sandbox,
    cmd: &Command,
    events: &[podnet_model::Event],
) -> Result<(), TestCaseError> {
    use podnet_model::events::{MAX_ROUTINE, MAX_WARNINGS};
    prop_assert!(
        events.len() <= MAX_ROUTINE + MAX_WARNINGS + 1,
        "{} events",
        events.len()
    );
    prop_assert!(events
        .iter()
        .all(|e| e.count >= 1 && e.last_ms.is_none_or(|l| l >= e.at_ms)));
    if let Command::AdvanceTime { seconds } = cmd {
        let objects = s.nodes.len() + s.pods.len() + 4;
        prop_assert!(
            events.len() <= 12 * objects,
            "a {seconds} s wait gave {} distinct events for {objects} objects",
            events.len()
        );
    }
    Ok(())
}

/// Every address is held once, by the ENI that lists it, in its own subnet.
fn check_books(s: &Sandbox) -> Result<(), TestCaseError> {
    let mut seen: BTreeSet<Ipv4Addr> = BTreeSet::new();
    let node_enis = s.nodes.values().flat_map(|n| n.ipam.enis.iter());
    let xenis = s.cluster.iter().flat_map(|c| c.xenis.iter());
    let mut held_per_subnet = std::collections::BTreeMap::new();
    for eni in node_enis.chain(xenis) {
        let subnet = s.vpc.subnets.get(&eni.subnet).expect("ENI subnet exists");
        let mut addrs = vec![(eni.primary_ip, Holder::EniPrimary(eni.id))];
        addrs.extend(
            eni.secondary
                .iter()
                .map(|x| (x.ip, Holder::Secondary(eni.id))),
        );
        addrs.extend(
            eni.prefixes
                .iter()
                .flat_map(|p| p.ips.iter().map(|x| (x.ip, Holder::Prefix(eni.id)))),
        );
        for (ip, holder) in addrs {
            prop_assert!(seen.insert(ip), "{ip} held twice");
            prop_assert!(subnet.cidr.contains(&ip), "{ip} outside {}", subnet.cidr);
            prop_assert_eq!(
                subnet.pool.holder(ip),
                Some(holder),
                "pool disagrees on {}",
                ip
            );
            *held_per_subnet.entry(eni.subnet).or_insert(0u32) += 1;
        }
    }
    // NAT gateways and VPC endpoints: requester-managed ENIs, one address each.
    let services = s
        .vpc
        .nat_gateways
        .iter()
        .map(|n| (n.subnet, n.eni, n.private_ip))
        .chain(s.vpc.endpoints.iter().flat_map(|e| e.enis.iter().copied()));
    for (subnet_id, eni, ip) in services {
        let subnet = s
            .vpc
            .subnets
            .get(&subnet_id)
            .expect("service subnet exists");
        prop_assert!(seen.insert(ip), "{ip} held twice");
        prop_assert_eq!(subnet.pool.holder(ip), Some(Holder::EniPrimary(eni)));
        *held_per_subnet.entry(subnet_id).or_insert(0u32) += 1;
    }
    for b in s.nodes.values().flat_map(|n| n.ipam.branches.iter()) {
        let subnet = s.vpc.subnets.get(&b.subnet).expect("branch subnet exists");
        prop_assert!(seen.insert(b.ip), "{} held twice", b.ip);
        prop_assert_eq!(subnet.pool.holder(b.ip), Some(Holder::Branch(b.id)));
        *held_per_subnet.entry(b.subnet).or_insert(0u32) += 1;
    }
    for subnet in s.vpc.subnets.values() {
        prop_assert_eq!(
            subnet.pool.in_use() + subnet.pool.free(),
            subnet.pool.usable()
        );
        prop_assert_eq!(
            subnet.pool.in_use(),
            held_per_subnet.get(&subnet.id).copied().unwrap_or(0),
            "{}",
            subnet.name
        );
    }
    Ok(())
}

/// Every Running pod's IP is on one of its node's ENIs (or is the node IP).
fn check_pods(s: &Sandbox) -> Result<(), TestCaseError> {
    for pod in s.pods.values() {
        let node = pod.node.and_then(|n| s.nodes.get(&n));
        match pod.status {
            PodStatus::Running => {
                let node = node.expect("a running pod has a node");
                let ip = pod.ip.expect("a running pod has an IP");
                if pod.host_network {
                    prop_assert_eq!(Some(ip), node.ip());
                } else if pod.security_groups {
                    let branch = node.ipam.branches.iter().find(|b| b.pod == pod.id);
                    prop_assert_eq!(branch.map(|b| b.ip), Some(ip), "{}'s branch ENI", &pod.name);
                    prop_assert!(node.branch_pods <= node.ipam.branch_capacity());
                } else if let Some(calico) = s.cni_state.blocks() {
                    let holders: Vec<_> = calico
                        .blocks()
                        .iter()
                        .filter_map(|b| b.holder(ip))
                        .collect();
                    prop_assert_eq!(holders.len(), 1, "{} {} held by Calico once", &pod.name, ip);
                    prop_assert_eq!(holders[0].pod, Some(pod.id));
                    prop_assert_eq!(holders[0].node, node.id);
                } else if let Some(range) = &node.overlay {
                    prop_assert!(
                        range.cidr.contains(&ip),
                        "{} {} outside its node's pod CIDR",
                        pod.name,
                        ip
                    );
                    prop_assert_eq!(range.used.get(&ip), Some(&pod.id));
                } else {
                    let on_eni = node
                        .ipam
                        .enis
                        .iter()
                        .any(|e| e.all_slots().any(|x| x.ip == ip && x.pod == Some(pod.id)));
                    prop_assert!(on_eni, "{} {} not on its node's ENIs", pod.name, ip);
                }
            }
            PodStatus::Pending => prop_assert!(pod.node.is_none() && pod.ip.is_none()),
            PodStatus::ContainerCreating => prop_assert!(node.is_some() && pod.ip.is_none()),
            PodStatus::ImagePullBackOff | PodStatus::CrashLoopBackOff => prop_assert!(
                node.is_some() && pod.system,
                "{} backs off on a node",
                &pod.name
            ),
        }
        if let Some(n) = node {
            let count = s.pods.values().filter(|p| p.node == Some(n.id)).count() as u32;
            prop_assert!(
                count <= n.max_pods(),
                "{} runs {count} pods, max {}",
                n.name,
                n.max_pods()
            );
            prop_assert_eq!(count, n.pods, "{}'s pod count", &n.name);
        }
    }
    Ok(())
}

/// A pod waits for an address only when the model names what ran out, and
/// "the next pass" is never the answer once time has let ipamd run.
fn check_stuck(s: &Sandbox) -> Result<(), TestCaseError> {
    let stuck = |s: &Sandbox| -> Vec<(String, podnet_model::ids::NodeId)> {
        s.pods
            .values()
            .filter(|p| p.status == PodStatus::ContainerCreating && p.reason.is_some())
            .filter(|p| !p.security_groups && !p.host_network)
            .filter_map(|p| p.node.map(|n| (p.name.clone(), n)))
            .collect()
    };
    for (pod, node) in stuck(s) {
        prop_assert!(
            s.no_address(node).is_some(),
            "{} waits for an address on {} but the model names no cause",
            pod,
            node
        );
    }
    let mut later = s.clone();
    later
        .apply(Command::AdvanceTime { seconds: 5 })
        .expect("waiting 5 s is always allowed");
    // "The next pass" may still be the answer when the pool moved in the
    // wait: WARM_IP_TARGET 1 adds one address per pass while several pods
    // wait, and a cooled address goes to the oldest waiting pod.
    let held = |s: &Sandbox, node| {
        s.nodes.get(&node).map_or((0, 0), |n| {
            let st = n.ipam.stats(s.now_ms);
            (st.total, st.assigned)
        })
    };
    for (pod, node) in stuck(&later) {
        let cause = later.no_address(node);
        let (before, after) = (held(s, node), held(&later, node));
        let grew = after.0 > before.0 || after.1 > before.1;
        prop_assert!(
            cause.is_some() && (grew || cause != Some(NoAddress::NextPass)),
            "{} still waits on {} after ipamd ran: {:?}",
            pod,
            node,
            cause
        );
    }
    // The DaemonSet pods bind first; no app pod lands on a node whose CNI
    // never came up.
    for n in s.nodes.values().filter(|n| n.registered) {
        let system = s
            .pods
            .values()
            .filter(|p| p.system && p.node == Some(n.id))
            .count();
        prop_assert!(
            system == 2 || n.max_pods() < 2,
            "{} runs {} DaemonSet pods",
            n.name,
            system
        );
        if !n.network_ready {
            let apps = s
                .pods
                .values()
                .filter(|p| p.is_workload() && p.node == Some(n.id))
                .count();
            prop_assert_eq!(apps, 0, "{} is not Ready yet runs app pods", &n.name);
        }
    }
    Ok(())
}

proptest! {
    // 64 cases by default; `PROPTEST_CASES=2000` for a longer search.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn random_sessions_keep_the_books_straight(ops in proptest::collection::vec(op(), 1..40)) {
        let scenario = setup();
        let mut s = scenario.replay().unwrap().sandbox;
        let mut applied = scenario.clone();
        for op in &ops {
            let Some(cmd) = command(&s, op) else { continue };
            let before = s.clone();
            match s.apply(cmd.clone()) {
                Ok(events) => {
                    check_events(&s, &cmd, &events)?;
                    applied.actions.push(cmd);
                }
                Err(_) => prop_assert_eq!(&s, &before, "a refused command changed the sandbox"),
            }
            check_books(&s)?;
            check_pods(&s)?;
            check_stuck(&s)?;
            check_overlay(&s)?;
            prop_assert!(s.indexes_agree(), "the pod indexes drifted from the pods");
        }
        // Replay is deterministic.
        prop_assert_eq!(&applied.replay().unwrap().sandbox, &s);
        // Deleting every node gives back every address but the X-ENIs', the
        // NAT gateway's and the VPC endpoints'.
        let names: Vec<String> = s.nodes.values().map(|n| n.name.clone()).collect();
        for name in names {
            s.apply(Command::DeleteNode { node: name }).unwrap();
        }
        let xenis = s.cluster.as_ref().map_or(0, |c| c.xenis.len() as u32);
        let nats = s.vpc.nat_gateways.len() as u32;
        let endpoints: u32 = s.vpc.endpoints.iter().map(|e| e.enis.len() as u32).sum();
        let in_use: u32 = s.vpc.subnets.values().map(|x| x.pool.in_use()).sum();
        prop_assert_eq!(in_use, xenis + nats + endpoints);
        prop_assert_eq!(xenis, 2, "EKS keeps two X-ENIs, in two AZs");
        let blocks = s.cni_state.blocks().map(|c| c.blocks().to_vec()).unwrap_or_default();
        prop_assert!(blocks.is_empty(), "Calico blocks outlived their nodes: {:?}", blocks);
    }
}
