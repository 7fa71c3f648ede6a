//! Paths, joins and the flat-network check on small clusters.

use crate::cluster::{EndpointAccess, NodeAccess, PodStatus};
use crate::cni::calico::CalicoEncapsulation;
use crate::cni::Cni as _;
use crate::cni::{Calico, CiliumEni, CniMode, Flannel};
use crate::paths::{Endpoint, Place, StepStatus};
use crate::{Command, Sandbox};

/// Two AZs, a node subnet in each (two in a), the cluster, under `cni`:
/// nodes a1, a2 (same subnet), a3 (other subnet, same AZ), b1 (other AZ),
/// two pods on each.
/// Flannel as it runs on EKS: its own (etcd) subnet manager.
fn flannel_on_eks() -> Flannel {
    Flannel {
        subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
        ..Flannel::default()
    }
}

fn cluster(cni: CniMode, endpoint: &str) -> Sandbox {
    let mut s = Sandbox::new("10.10.0.0/16", cni).unwrap();
    s.vpc.assume_egress = true;
    for cmd in [
        r#"{"action":"add-subnet","name":"cluster-a","cidr":"10.10.0.0/28","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"cluster-b","cidr":"10.10.0.16/28","az":"eu-west-1b"}"#,
        r#"{"action":"add-subnet","name":"nodes-a","cidr":"10.10.1.0/24","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"nodes-a2","cidr":"10.10.3.0/24","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"nodes-b","cidr":"10.10.2.0/24","az":"eu-west-1b"}"#,
    ] {
        s.apply(serde_json::from_str(cmd).unwrap()).unwrap();
    }
    s.apply(
        serde_json::from_str(&format!(r#"{{"action":"create-cluster","name":"demo","version":"1.31","endpoint":"{endpoint}","subnets":["cluster-a","cluster-b"]}}"#))
            .unwrap(),
    )
    .unwrap();
    for subnet in ["nodes-a", "nodes-a", "nodes-a2", "nodes-b"] {
        s.apply(Command::AddNode(crate::command::AddNode {
            instance_type: "m5.large".into(),
            subnet: subnet.into(),
            max_pods: None,
            max_pods_from: None,
        }))
        .unwrap();
    }
    s.apply(serde_json::from_str(r#"{"action":"add-pods","count":8}"#).unwrap())
        .unwrap();
    s
}

fn pods_on(s: &Sandbox, node: usize) -> Vec<crate::ids::PodId> {
    let n = s.nodes.values().nth(node).unwrap().id;
    s.pods
        .values()
        .filter(|p| p.node == Some(n) && !p.host_network && p.status == PodStatus::Running)
        .map(|p| p.id)
        .collect()
}

fn pod(s: &Sandbox, node: usize, i: usize) -> Endpoint {
    Endpoint::Pod {
        pod: pods_on(s, node)[i],
    }
}

#[test]
fn vpc_cni_pods_talk_across_nodes_through_the_vpc_router_with_no_nat() {
    let s = cluster(CniMode::default(), "public-and-private");
    let same = s.trace(pod(&s, 0, 0), pod(&s, 0, 1)).unwrap();
    assert_eq!(same.kind, "pod to pod, same node");
    assert!(same.reachable && !same.nat);
    assert!(!same
        .hops
        .iter()
        .any(|h| matches!(h.place, Place::Router { .. })));
    for (to, kind) in [
        (1, "pod to pod, another node, same subnet"),
        (2, "pod to pod, another node, another subnet, same AZ"),
        (3, "pod to pod, another node, another AZ"),
    ] {
        let p = s.trace(pod(&s, 0, 0), pod(&s, to, 0)).unwrap();
        assert_eq!(p.kind, kind);
        assert!(p.reachable && !p.nat, "{}", p.to_text());
        assert_eq!(p.mtu, 9001);
        // Every hop sees the same pod-to-pod header.
        let first = &p.hops[0].headers[0];
        assert!(p
            .hops
            .iter()
            .all(|h| h.headers.len() == 1 && &h.headers[0] == first));
        assert!(p
            .hops
            .iter()
            .any(|h| matches!(h.place, Place::Router { .. })));
    }
    let text = s.trace(pod(&s, 0, 0), pod(&s, 3, 0)).unwrap().to_text();
    assert!(text.contains("local route 10.10.0.0/16 → local"), "{text}");
}

#[test]
fn flannel_wraps_pod_packets_in_vxlan_between_nodes() {
    let s = cluster(CniMode::from(flannel_on_eks()), "public");
    let p = s.trace(pod(&s, 0, 0), pod(&s, 3, 0)).unwrap();
    assert!(p.reachable && !p.nat);
    assert_eq!(p.mtu, 8951);
    let tunnel = p
        .hops
        .iter()
        .find(|h| h.headers.len() == 2)
        .expect("an encapsulated hop");
    assert_eq!(tunnel.headers[0].proto, "UDP 8472 (VXLAN, VNI 1)");
    let (a, b) = (
        s.nodes.values().next().unwrap().ip().unwrap().to_string(),
        s.nodes.values().nth(3).unwrap().ip().unwrap().to_string(),
    );
    assert_eq!(
        (
            tunnel.headers[0].src.as_str(),
            tunnel.headers[0].dst.as_str()
        ),
        (a.as_str(), b.as_str())
    );
    assert!(tunnel.headers[1].src.starts_with("10.244."));
    assert_eq!(tunnel.overhead, 50);
    assert!(p.to_text().contains("outer: "));
}

#[test]
fn calico_without_encapsulation_stops_between_subnets() {
    let calico = Calico {
        encapsulation: CalicoEncapsulation::None,
        ..Calico::default()
    };
    let s = cluster(CniMode::from(calico), "public");
    let same_subnet = s.trace(pod(&s, 0, 0), pod(&s, 1, 0)).unwrap();
    assert!(same_subnet.reachable);
    assert!(same_subnet
        .to_text()
        .contains("source/destination check off"));
    let across = s.trace(pod(&s, 0, 0), pod(&s, 2, 0)).unwrap();
    assert!(!across.reachable);
    assert!(across
        .hops
        .last()
        .unwrap()
        .blocked
        .as_deref()
        .unwrap()
        .contains("no route to"));
    let flat = s.flat_network();
    assert!(!flat.flat);
    assert!(flat.answer.starts_with("No: "), "{}", flat.answer);
    // IPIP: 20 bytes, protocol 4.
    let s = cluster(
        CniMode::from(Calico {
            encapsulation: CalicoEncapsulation::IpIp,
            ..Calico::default()
        }),
        "public",
    );
    let p = s.trace(pod(&s, 0, 0), pod(&s, 3, 0)).unwrap();
    assert_eq!(p.mtu, 8981);
    assert!(p.hops.iter().any(|h| h
        .headers
        .first()
        .is_some_and(|x| x.proto == "IP protocol 4 (IP-in-IP)")));
}

#[test]
fn leaving_the_vpc_is_snat_to_the_node_ip_unless_external_snat() {
    let s = cluster(CniMode::default(), "public");
    let to = Endpoint::Address {
        ip: "1.1.1.1".parse().unwrap(),
    };
    let p = s.trace(pod(&s, 0, 0), to).unwrap();
    assert!(p.nat && p.reachable);
    assert_eq!(p.mtu, 1500);
    let node_ip = s.nodes.values().next().unwrap().ip().unwrap().to_string();
    let snat = p.hops.iter().find_map(|h| h.nat.clone()).unwrap();
    assert!(
        snat.contains(&format!("→ {node_ip}")) && snat.contains("AWS-SNAT-CHAIN"),
        "{snat}"
    );
    let mut ext = s.clone();
    let cni = CniMode::from(crate::VpcCni {
        external_snat: true,
        ..crate::VpcCni::default()
    });
    ext.apply(Command::SetCni { cni }).unwrap();
    let p = ext.trace(pod(&ext, 0, 0), to).unwrap();
    assert!(
        p.hops.iter().filter(|h| h.nat.is_some()).count() == 1,
        "only the gateway translates"
    );
    // A VPC host sees the pod IP under the VPC CNI, the node IP under an overlay.
    let host = Endpoint::Address {
        ip: "10.10.5.10".parse().unwrap(),
    };
    assert!(!s.trace(pod(&s, 0, 0), host).unwrap().nat);
    let f = cluster(CniMode::from(flannel_on_eks()), "public");
    let p = f.trace(pod(&f, 0, 0), host).unwrap();
    assert!(
        p.nat && p.verdict.contains("sees the node IP"),
        "{}",
        p.verdict
    );
}

#[test]
fn nodes_reach_the_api_server_through_x_enis_or_the_public_endpoint() {
    let s = cluster(CniMode::default(), "private");
    let node = Endpoint::Node {
        node: s.nodes.values().next().unwrap().id,
    };
    let p = s.trace(node, Endpoint::ApiServer).unwrap();
    assert!(p.reachable && p.kind.ends_with("private endpoint"));
    assert!(p.hops.iter().any(|h| matches!(h.place, Place::XEni { .. })));
    let s = cluster(CniMode::default(), "public");
    let p = s.trace(node, Endpoint::ApiServer).unwrap();
    assert!(p.kind.ends_with("public endpoint"));
    assert!(p.hops.iter().any(|h| h.place == Place::Outside));
    assert!(!p.hops.iter().any(|h| matches!(h.place, Place::XEni { .. })));
}

#[test]
fn the_control_plane_reaches_kubelets_always_and_pods_only_with_vpc_addresses() {
    let s = cluster(CniMode::default(), "public");
    let node = Endpoint::Node {
        node: s.nodes.values().next().unwrap().id,
    };
    let p = s.trace(Endpoint::ControlPlane, node).unwrap();
    assert!(p.reachable);
    assert!(p.hops[0].headers[0].proto == "TCP 10250");
    assert!(matches!(p.hops[1].place, Place::XEni { .. }));
    assert!(
        s.trace(Endpoint::ControlPlane, pod(&s, 0, 0))
            .unwrap()
            .reachable
    );
    let f = cluster(CniMode::from(flannel_on_eks()), "public");
    let p = f.trace(Endpoint::ControlPlane, pod(&f, 0, 0)).unwrap();
    assert!(!p.reachable);
    assert!(p.to_text().contains("hostNetwork: true"));
    // A hostNetwork pod is its node: reachable.
    let hostnet = f.pods.values().find(|p| p.host_network).unwrap().id;
    assert!(
        f.trace(Endpoint::ControlPlane, Endpoint::Pod { pod: hostnet })
            .unwrap()
            .reachable
    );
    let flat = f.flat_network();
    assert!(
        flat.flat,
        "VXLAN keeps the pod network flat: {}",
        flat.answer
    );
    assert!(!flat.control_plane_reaches_pods);
    assert!(flat.control_plane.contains("hostNetwork"));
    let eni = cluster(CniMode::from(CiliumEni::default()), "public");
    assert!(eni.flat_network().control_plane_reaches_pods);
}

/// EKS User Guide, cluster-endpoint: the private-only endpoint's name is
/// resolved by public DNS to the X-ENIs' private addresses ("In the past,
/// the endpoint could only be resolved from within the VPC"), so DNS
/// hostnames off does not stop the join.
#[test]
fn a_private_only_endpoint_resolves_through_public_dns_with_dns_hostnames_off() {
    let mut s = cluster(CniMode::default(), "private");
    s.apply(Command::SetVpcDns {
        dns_hostnames: Some(false),
        dns_support: None,
    })
    .unwrap();
    s.apply(Command::AddNode(crate::command::AddNode {
        instance_type: "m5.large".into(),
        subnet: "nodes-a".into(),
        max_pods: None,
        max_pods_from: None,
    }))
    .unwrap();
    assert!(s.nodes.values().all(|n| n.registered && n.ready()));
    let join = s.join(&s.nodes.values().last().unwrap().name).unwrap();
    assert!(join.joined && join.via_xeni);
    assert!(
        join.steps[2].detail.contains("public DNS"),
        "{}",
        join.steps[2].detail
    );
}

/// Amazon VPC User Guide, DNS attributes: with enableDnsSupport off the
/// Route 53 Resolver does not answer, so nodeadm cannot even resolve EC2.
#[test]
fn without_dns_support_nothing_resolves_and_nodeadm_stops_first() {
    let mut s = cluster(CniMode::default(), "private");
    s.apply(Command::SetVpcDns {
        dns_hostnames: None,
        dns_support: Some(false),
    })
    .unwrap();
    // The registered nodes' kubelets cannot resolve the endpoint any more.
    assert!(s.nodes.values().all(|n| n.join_error.is_some()));
    let events = s
        .apply(Command::AddNode(crate::command::AddNode {
            instance_type: "m5.large".into(),
            subnet: "nodes-a".into(),
            max_pods: None,
            max_pods_from: None,
        }))
        .unwrap();
    let node = s.nodes.values().last().unwrap();
    assert!(!node.registered);
    let msg = node.join_error.clone().unwrap();
    assert!(msg.starts_with("nodeadm init: "), "{msg}");
    assert!(
        msg.contains("lookup ec2.eu-west-1.amazonaws.com on 10.10.0.2:53")
            && msg.ends_with("i/o timeout"),
        "{msg}"
    );
    assert!(events
        .iter()
        .any(|e| e.kind.to_string().contains("DescribeInstances")));
    let join = s.join(&node.name).unwrap();
    assert!(!join.joined);
    assert_eq!(
        join.steps[1].status,
        StepStatus::Failed,
        "Bootstrap (nodeadm)"
    );
    assert_eq!(join.steps[2].status, StepStatus::NotReached);
    assert_eq!(node.ipam.enis.len(), 1);
    assert_eq!(node.pods, 0);
    s.apply(Command::SetVpcDns {
        dns_hostnames: None,
        dns_support: Some(true),
    })
    .unwrap();
    assert!(s.nodes.values().all(|n| n.registered && n.ready()));
}

#[test]
fn without_a_mapping_for_the_node_role_the_kubelet_is_unauthorized() {
    let mut s = cluster(CniMode::default(), "public");
    s.apply(Command::SetNodeAccess {
        access: NodeAccess::None,
    })
    .unwrap();
    let name = s.nodes.values().next().unwrap().name.clone();
    let msg = s.nodes.values().next().unwrap().join_error.clone().unwrap();
    assert_eq!(
        msg,
        format!("Unable to register node \"{name}\" with API server: Unauthorized")
    );
    // New pods find no Ready node.
    s.apply(serde_json::from_str(r#"{"action":"add-pods","count":1,"name":"late"}"#).unwrap())
        .unwrap();
    let late = s
        .pods
        .values()
        .find(|p| p.name.starts_with("late"))
        .unwrap();
    assert_eq!(late.status, PodStatus::Pending);
    assert!(late
        .reason
        .as_deref()
        .unwrap()
        .contains("4 node(s) had untolerated taint"));
    s.apply(Command::SetNodeAccess {
        access: NodeAccess::AwsAuth,
    })
    .unwrap();
    let late = s
        .pods
        .values()
        .find(|p| p.name.starts_with("late"))
        .unwrap();
    assert_eq!(late.status, PodStatus::Running);
    assert!(s.join(&name).unwrap().steps[4].detail.contains("aws-auth"));
}

#[test]
fn security_groups_block_443_at_the_x_eni_and_10250_at_the_node() {
    let mut s = cluster(CniMode::default(), "private");
    s.apply(Command::SetSecurityGroups {
        api_443: true,
        kubelet_10250: false,
    })
    .unwrap();
    let node = s.nodes.values().next().unwrap();
    assert!(node.ready(), "10250 does not stop the join");
    let p = s
        .trace(Endpoint::ControlPlane, Endpoint::Node { node: node.id })
        .unwrap();
    assert!(!p.reachable);
    assert!(p.to_text().contains("error dialing backend"));
    let j = s.join(&node.name).unwrap();
    assert_eq!(j.steps.last().unwrap().status, StepStatus::Warning);
    s.apply(Command::SetSecurityGroups {
        api_443: false,
        kubelet_10250: true,
    })
    .unwrap();
    let node = s.nodes.values().next().unwrap();
    assert!(node
        .join_error
        .as_deref()
        .unwrap()
        .ends_with(":443: i/o timeout"));
    // A public endpoint does not go through the X-ENIs' security group.
    s.apply(Command::SetEndpointAccess {
        endpoint: EndpointAccess::Public,
    })
    .unwrap();
    assert!(s.nodes.values().all(|n| n.ready()));
}

/// Every CNI and encapsulation, with the settings that matter for paths.
fn every_cni() -> Vec<CniMode> {
    use crate::cni::cilium::{Cilium, CiliumRouting};
    use crate::cni::flannel::FlannelBackend;
    let mut all = vec![
        CniMode::default(),
        CniMode::from(CiliumEni::default()),
        CniMode::from(flannel_on_eks()),
        CniMode::from(Flannel {
            backend: FlannelBackend::HostGw,
            ..flannel_on_eks()
        }),
    ];
    for routing in [
        CiliumRouting::Vxlan,
        CiliumRouting::Geneve,
        CiliumRouting::Native,
    ] {
        all.push(CniMode::from(Cilium {
            pool: "192.168.0.0/16".into(),
            routing,
            ..Cilium::default()
        }));
    }
    for encapsulation in [
        CalicoEncapsulation::IpIp,
        CalicoEncapsulation::Vxlan,
        CalicoEncapsulation::VxlanCrossSubnet,
        CalicoEncapsulation::None,
    ] {
        all.push(CniMode::from(Calico {
            encapsulation,
            ..Calico::default()
        }));
    }
    all
}

#[test]
fn every_path_kind_under_every_cni_is_well_formed() {
    for cni in every_cni() {
        let name = format!("{cni:?}");
        let s = cluster(cni, "public-and-private");
        let node0 = Endpoint::Node {
            node: s.nodes.values().next().unwrap().id,
        };
        let outside = Endpoint::Address {
            ip: "1.1.1.1".parse().unwrap(),
        };
        let host = Endpoint::Address {
            ip: "10.10.9.9".parse().unwrap(),
        };
        let hostnet = Endpoint::Pod {
            pod: s.pods.values().find(|p| p.host_network).unwrap().id,
        };
        let cases = [
            (pod(&s, 0, 0), pod(&s, 0, 1)),
            (pod(&s, 0, 0), pod(&s, 1, 0)),
            (pod(&s, 0, 0), pod(&s, 2, 0)),
            (pod(&s, 0, 0), pod(&s, 3, 0)),
            (pod(&s, 0, 0), host),
            (pod(&s, 0, 0), outside),
            (pod(&s, 0, 0), Endpoint::ApiServer),
            (node0, Endpoint::ApiServer),
            (node0, pod(&s, 3, 0)),
            (Endpoint::ControlPlane, node0),
            (Endpoint::ControlPlane, pod(&s, 3, 0)),
            (Endpoint::ControlPlane, hostnet),
        ];
        let mut kinds = std::collections::BTreeSet::new();
        for (from, to) in cases {
            let p = s.trace(from, to).unwrap_or_else(|e| panic!("{name}: {e}"));
            let text = p.to_text();
            kinds.insert(p.kind.clone());
            assert!(!p.hops.is_empty(), "{name}: {text}");
            assert!(p.mtu <= 9001 && p.mtu >= 1400, "{name}: {text}");
            // The last hop stops the packet exactly when it is unreachable.
            let blocked = p.hops.iter().filter(|h| h.blocked.is_some()).count();
            assert_eq!(blocked, usize::from(!p.reachable), "{name}: {text}");
            if !p.reachable {
                assert!(p.hops.last().unwrap().blocked.is_some(), "{name}: {text}");
            }
            for h in &p.hops {
                assert!(
                    !h.headers.is_empty() || h.place == Place::ControlPlane,
                    "{name}: {text}"
                );
                // Encapsulated hops show the outer and the inner header.
                if h.overhead > 0 {
                    assert_eq!(h.headers.len(), 2, "{name}: {text}");
                }
                assert!(
                    !h.source.is_empty() && !h.decision.is_empty(),
                    "{name}: {text}"
                );
            }
            // NAT is reported where it happens.
            assert_eq!(
                p.nat,
                p.hops.iter().any(|h| h.nat.is_some()),
                "{name}: {text}"
            );
            // Reachable pod destinations end at the pod.
            if let (Endpoint::Pod { pod }, true) = (to, p.reachable) {
                if !s.pods.get(&pod).unwrap().host_network {
                    assert_eq!(
                        p.hops.last().unwrap().place,
                        Place::Pod { pod },
                        "{name}: {text}"
                    );
                }
            }
        }
        assert!(kinds.len() >= 10, "{name}: {kinds:?}");
        let flat = s.flat_network();
        assert_eq!(flat.pairs.len(), 4, "{name}: {:?}", flat.pairs);
        assert_eq!(
            flat.control_plane_reaches_pods,
            s.cni.strategy().datapath().vpc_routable
        );
    }
}

#[test]
fn only_unencapsulated_overlays_break_the_flat_network_across_subnets() {
    for cni in every_cni() {
        let name = format!("{cni:?}");
        let direct = cni
            .as_flannel()
            .is_some_and(|f| f.backend == crate::cni::flannel::FlannelBackend::HostGw)
            || cni
                .as_cilium()
                .is_some_and(|c| c.routing == crate::cni::cilium::CiliumRouting::Native)
            || cni
                .as_calico()
                .is_some_and(|c| c.encapsulation == CalicoEncapsulation::None);
        let s = cluster(cni, "public");
        assert_eq!(
            s.flat_network().flat,
            !direct,
            "{name}: {}",
            s.flat_network().answer
        );
    }
}

#[test]
fn a_private_only_endpoint_without_dns_has_no_way_in() {
    let mut s = cluster(CniMode::default(), "private");
    s.apply(Command::SetVpcDns {
        dns_hostnames: None,
        dns_support: Some(false),
    })
    .unwrap();
    let node = Endpoint::Node {
        node: s.nodes.values().next().unwrap().id,
    };
    let p = s.trace(node, Endpoint::ApiServer).unwrap();
    assert!(!p.reachable);
    assert!(
        !p.hops.iter().any(|h| h.place == Place::Outside),
        "no public way in"
    );
    assert!(p.verdict.contains("does not resolve"), "{}", p.verdict);
    // DNS back on, the name resolves and the kubelet goes through an X-ENI.
    s.apply(Command::SetVpcDns {
        dns_hostnames: None,
        dns_support: Some(true),
    })
    .unwrap();
    let j = s.join(&s.nodes.values().next().unwrap().name).unwrap();
    assert!(j.via_xeni);
    assert!(j.steps[3].detail.contains("X-ENI"));
    s.apply(Command::SetVpcDns {
        dns_hostnames: Some(false),
        dns_support: None,
    })
    .unwrap();
    // Public and private: the name falls back to the public endpoint.
    s.apply(Command::SetEndpointAccess {
        endpoint: EndpointAccess::PublicAndPrivate,
    })
    .unwrap();
    let p = s.trace(node, Endpoint::ApiServer).unwrap();
    assert!(p.reachable && p.hops.iter().any(|h| h.place == Place::Outside));
    assert_eq!(
        s.join(&s.nodes.values().next().unwrap().name)
            .unwrap()
            .steps[2]
            .status,
        StepStatus::Warning
    );
}

/// VPC CNI `pkg/networkutils/network.go`: with external SNAT there is no
/// connmark and no 1024 rule for the pod, so `from <podIP> lookup <ENI
/// table>` (priority 1536) sends a pod on a secondary ENI out that ENI,
/// keeping its address; EKS User Guide (external-snat): "SNAT is required
/// for nodes that reside in a public subnet".
#[test]
fn external_snat_leaves_by_the_pods_own_eni_and_needs_a_nat_gateway() {
    let json = crate::scenario::builtin::get("seed").unwrap();
    let mut s = crate::Scenario::from_json(json)
        .unwrap()
        .replay()
        .unwrap()
        .sandbox;
    s.apply(Command::SetCni {
        cni: CniMode::from(crate::VpcCni {
            external_snat: true,
            ..crate::VpcCni::default()
        }),
    })
    .unwrap();
    // A pod whose address is on eth1 (the seed's nodes attach a warm ENI).
    s.apply(serde_json::from_str(r#"{"action":"add-pods","count":20}"#).unwrap())
        .unwrap();
    let (pod, eni) =
        s.pods
            .values()
            .filter(|p| !p.host_network)
            .find_map(|p| {
                let n = s.nodes.get(&p.node?)?;
                let e =
                    n.ipam.enis.iter().find(|e| {
                        e.device_index > 0 && e.all_slots().any(|x| Some(x.ip) == p.ip)
                    })?;
                Some((p.id, e.device_index))
            })
            .expect("a pod on a secondary ENI");
    let out = Endpoint::Address {
        ip: "198.51.100.7".parse().unwrap(),
    };
    let p = s.trace(Endpoint::Pod { pod }, out).unwrap();
    assert!(p.reachable, "{}", p.verdict);
    let node_hop = p
        .hops
        .iter()
        .find(|h| h.decision.contains("ip rule 1536"))
        .expect("the per-pod rule");
    assert!(
        node_hop.interface.starts_with(&format!("eth{eni}")),
        "{}",
        node_hop.interface
    );
    assert!(node_hop.nat.is_none(), "no SNAT on the node");
    assert!(
        p.verdict.contains("sees 203.0.113.1"),
        "the NAT gateway translates: {}",
        p.verdict
    );
    // The same pod behind an internet gateway only: no way back.
    let nodes_a = s.subnet("nodes-a").unwrap().id;
    let nodes_b = s.subnet("nodes-b").unwrap().id;
    for id in [nodes_a, nodes_b] {
        s.vpc.subnets.get_mut(&id).unwrap().route = crate::egress::Route::InternetGateway;
    }
    let p = s.trace(Endpoint::Pod { pod }, out).unwrap();
    assert!(!p.reachable);
    assert!(p
        .hops
        .iter()
        .any(|h| h.blocked.as_deref().is_some_and(
            |b| b.contains("SNAT is required for nodes that reside in a public subnet")
        )));
}

/// VPC CNI README, `POD_SECURITY_GROUP_ENFORCING_MODE`: in strict mode a
/// pod with its own security groups leaves through its branch ENI (a VLAN on
/// the trunk) and is not SNATed; in standard mode it is SNATed via eth0 like
/// any pod, unless external SNAT is on.
#[test]
fn a_branch_eni_pod_leaves_by_its_vlan_in_strict_mode_and_is_snated_in_standard() {
    let json = crate::scenario::builtin::get("security-groups-for-pods").unwrap();
    let s = crate::Scenario::from_json(json)
        .unwrap()
        .replay()
        .unwrap()
        .sandbox;
    let pod = s
        .pods
        .values()
        .find(|p| p.security_groups && p.status == PodStatus::Running)
        .unwrap()
        .id;
    let out = Endpoint::Address {
        ip: "198.51.100.7".parse().unwrap(),
    };
    let p = s.trace(Endpoint::Pod { pod }, out).unwrap();
    let hop = p
        .hops
        .iter()
        .find(|h| h.interface.starts_with("trunk "))
        .expect("the trunk hop");
    assert!(hop.interface.contains(" VLAN "), "{}", hop.interface);
    assert!(hop.decision.contains("strict"), "{}", hop.decision);
    assert!(
        p.hops.iter().filter(|h| h.nat.is_some()).count() == 1,
        "only the NAT gateway translates"
    );
    let mut standard = s.clone();
    standard
        .apply(Command::SetCni {
            cni: CniMode::from(crate::VpcCni {
                pod_eni: true,
                pod_sg_enforcing_mode: crate::cni::vpc_cni::PodSgMode::Standard,
                ..crate::VpcCni::default()
            }),
        })
        .unwrap();
    let p = standard.trace(Endpoint::Pod { pod }, out).unwrap();
    let snat = p.hops.iter().find_map(|h| h.nat.clone()).unwrap();
    assert!(snat.contains("AWS-SNAT-CHAIN"), "{snat}");
    assert!(p.hops.iter().any(|h| h.decision.contains("standard mode")));
    // To a VPC host, the branch pod's packets ride its VLAN either way.
    let host = Endpoint::Address {
        ip: "10.10.2.100".parse().unwrap(),
    };
    let p = s.trace(Endpoint::Pod { pod }, host).unwrap();
    assert!(
        p.hops.iter().any(|h| h.interface.starts_with("trunk ")),
        "{:?}",
        p.hops.iter().map(|h| &h.interface).collect::<Vec<_>>()
    );
}
