//! Scenario-level tests of `Sandbox::apply`; this file is a test module
//! (`#[cfg(test)] mod tests` in mod.rs), never compiled into podnet.

use super::*;
use crate::cluster::PodStatus;

mod cilium_eni;
mod ipamd_refusals;
mod policy;
mod sgp;

/// A VPC with two /28 cluster subnets, a node subnet and the cluster, under `cni`.
pub(crate) fn with_cluster(cni: CniMode) -> Sandbox {
    let mut s = Sandbox::new("10.10.0.0/16", cni).unwrap();
    s.vpc.assume_egress = true;
    for cmd in [
        r#"{"action":"add-subnet","name":"cluster-a","cidr":"10.10.0.0/28","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"cluster-b","cidr":"10.10.0.16/28","az":"eu-west-1b"}"#,
        r#"{"action":"add-subnet","name":"nodes-a","cidr":"10.10.1.0/24","az":"eu-west-1a"}"#,
        r#"{"action":"create-cluster","name":"demo","version":"1.31","subnets":["cluster-a","cluster-b"]}"#,
    ] {
        s.apply(serde_json::from_str(cmd).unwrap()).unwrap();
    }
    s
}

fn seed() -> Sandbox {
    with_cluster(CniMode::default())
}

/// Adds a node, which must succeed.
pub(super) fn add_node(s: &mut Sandbox, instance_type: &str, subnet: &str) -> Vec<Event> {
    let cmd = Command::AddNode(crate::command::AddNode {
        instance_type: instance_type.into(),
        subnet: subnet.into(),
        max_pods: None,
        max_pods_from: None,
    });
    s.apply(cmd).unwrap()
}

pub(super) fn run(s: &mut Sandbox, json: &str) -> Result<Vec<Event>, SandboxError> {
    s.apply(serde_json::from_str(json).unwrap())
}

fn count(s: &Sandbox, status: PodStatus) -> usize {
    s.pods
        .values()
        .filter(|p| p.status == status && p.is_workload())
        .count()
}

#[test]
fn the_cluster_puts_one_xeni_in_each_cluster_subnet() {
    let s = seed();
    let c = s.cluster.as_ref().unwrap();
    assert_eq!(c.xenis.len(), 2);
    assert_eq!(s.subnet("cluster-a").unwrap().pool.free(), 10);
    assert_eq!(s.subnet("cluster-b").unwrap().pool.free(), 10);
}

#[test]
fn a_node_joins_with_its_daemonset_pods_and_a_warm_eni() {
    let mut s = seed();
    add_node(&mut s, "m5.large", "nodes-a");
    let node = s.nodes.values().next().unwrap();
    assert_eq!(node.name, "ip-10-10-1-4");
    assert_eq!(node.max_pods(), 29);
    // aws-node and kube-proxy use the node IP.
    let system: Vec<_> = s.pods.values().filter(|p| p.system).collect();
    assert_eq!(system.len(), 2);
    assert!(system
        .iter()
        .all(|p| p.ip == node.ip() && p.status == PodStatus::Running));
    // WARM_ENI_TARGET=1: 9 IPs on the primary ENI; CoreDNS's two replicas
    // take two, so ipamd attaches a second ENI to keep a whole ENI's worth
    // free: node IP + 9 + the second ENI's primary + 9 = 20 addresses.
    assert_eq!(s.subnet("nodes-a").unwrap().pool.in_use(), 20);
}

#[test]
fn pods_beyond_max_pods_stay_pending_with_too_many_pods() {
    let mut s = seed();
    add_node(&mut s, "t3.micro", "nodes-a");
    let events = run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    // t3.micro: max pods 4 = 2 DaemonSet pods + CoreDNS's 2 replicas.
    assert_eq!(
        (count(&s, PodStatus::Running), count(&s, PodStatus::Pending)),
        (0, 3)
    );
    let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t
                .ends_with("Warning FailedScheduling: 0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")),
        "{text:#?}"
    );
}

#[test]
fn max_pods_above_the_ip_capacity_leaves_pods_container_creating() {
    let mut s = seed();
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"t3.micro","subnet":"nodes-a","max_pods":10}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"add-pods","count":4}"#).unwrap();
    // 2 ENIs × 1 secondary IP = 2 pod IPs, which CoreDNS's replicas take:
    // the 4 pods are scheduled but get no IP.
    assert_eq!(
        (
            count(&s, PodStatus::Running),
            count(&s, PodStatus::ContainerCreating)
        ),
        (0, 4)
    );
    let stuck = s
        .pods
        .values()
        .find(|p| p.status == PodStatus::ContainerCreating)
        .unwrap();
    assert!(stuck
        .reason
        .as_deref()
        .unwrap()
        .contains("failed to assign an IP address to container"));
}

#[test]
fn a_refused_command_leaves_the_sandbox_unchanged() {
    let mut s = seed();
    let before = s.clone();
    for bad in [
        r#"{"action":"add-subnet","cidr":"10.10.1.128/25","az":"eu-west-1a"}"#,
        r#"{"action":"add-node","instance_type":"m5.lage","subnet":"nodes-a"}"#,
        r#"{"action":"add-node","instance_type":"m5.large","subnet":"nope"}"#,
        r#"{"action":"add-pods","count":0}"#,
        r#"{"action":"upgrade-control-plane","version":"1.31"}"#,
    ] {
        assert!(run(&mut s, bad).is_err(), "{bad}");
        assert_eq!(s, before, "{bad}");
    }
}

#[test]
fn an_upgrade_without_five_free_ips_is_refused_with_the_numbers() {
    let mut s = seed();
    // Nodes in the cluster subnets (which BPG advises against) eat their free IPs.
    let free = |s: &Sandbox| -> u32 {
        ["cluster-a", "cluster-b"]
            .iter()
            .map(|n| s.subnet(n).unwrap().pool.free())
            .sum()
    };
    for subnet in ["cluster-a", "cluster-b"].iter().cycle().take(20) {
        if free(&s) < 5 {
            break;
        }
        let cmd =
            format!(r#"{{"action":"add-node","instance_type":"t3.micro","subnet":"{subnet}"}}"#);
        let _ = run(&mut s, &cmd);
    }
    assert!(free(&s) < 5, "free {}", free(&s));
    let before = s.clone();
    let err = run(
        &mut s,
        r#"{"action":"upgrade-control-plane","version":"1.32"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("cannot upgrade the control plane to 1.32: InvalidRequestException: Provided subnets cluster-a (10.10.0.0/28) Free IPs: "), "{err}");
    assert!(err.contains("need at least 5 IPs in each subnet"), "{err}");
    assert_eq!(s, before);
}

#[test]
fn an_upgrade_replaces_the_xenis() {
    let mut s = seed();
    let old: Vec<_> = s
        .cluster
        .as_ref()
        .unwrap()
        .xenis
        .iter()
        .map(|e| e.id)
        .collect();
    run(
        &mut s,
        r#"{"action":"upgrade-control-plane","version":"1.32"}"#,
    )
    .unwrap();
    let c = s.cluster.as_ref().unwrap();
    assert_eq!(c.version, "1.32");
    assert_eq!(c.xenis.len(), 2);
    assert!(c.xenis.iter().all(|e| !old.contains(&e.id)));
    let held: u32 = ["cluster-a", "cluster-b"]
        .iter()
        .map(|n| s.subnet(n).unwrap().pool.in_use())
        .sum();
    assert_eq!(held, 2);
}

#[test]
fn deleting_a_pod_frees_room_for_a_pending_one() {
    let mut s = seed();
    // A t3.micro held to 6 pods: 2 DaemonSet pods, CoreDNS's 2, 2 more.
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"t3.small","subnet":"nodes-a","max_pods":6}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    assert_eq!(count(&s, PodStatus::Pending), 1);
    run(&mut s, r#"{"action":"delete-pod","pod":"app-5"}"#).unwrap();
    // app-7 takes app-5's place.
    assert_eq!(count(&s, PodStatus::Pending), 0);
    run(&mut s, r#"{"action":"advance-time","seconds":60}"#).unwrap();
    assert_eq!(count(&s, PodStatus::Running), 2);
}

#[test]
fn every_number_explains_itself() {
    let mut s = seed();
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    let node = *s.nodes.keys().next().unwrap();
    assert_eq!(
        crate::query::explain_max_pods(&s, node).unwrap().formula,
        "min(3 ENIs × (10 − 1) + 2 = 29, cap) = 29"
    );
    let held = crate::query::explain_node_addresses(&s, node).unwrap();
    assert_eq!(held.formula, "2 ENI primary IPs + 18 secondary IPs = 20");
    let nodes_a = s.subnet("nodes-a").unwrap().id;
    let free = crate::query::explain_subnet_free(&s, nodes_a).unwrap();
    assert_eq!(free.formula, "256 − 5 reserved − 20 in use = 231");
    assert!(
        free.steps[1]
            .text
            .starts_with("in use: 1 node IPs, 1 primary IPs of secondary ENIs, 18 secondary IPs"),
        "{}",
        free.steps[1].text
    );
    let up = crate::query::explain_upgrade(&s).unwrap();
    assert_eq!(
        up.formula,
        "min(10 (cluster-a), 10 (cluster-b)) = 10; 5 needed in each: enough"
    );
}

#[test]
fn an_overridden_max_pods_says_so_and_quotes_the_formula() {
    let mut s = seed();
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a","max_pods":110}"#,
    )
    .unwrap();
    let node = *s.nodes.keys().next().unwrap();
    let d = crate::query::explain_max_pods(&s, node).unwrap();
    assert_eq!(d.value, 110);
    assert!(d.steps[1]
        .text
        .contains("a managed node group would give 29 and nodeadm's default 29"));
}

#[test]
fn subnet_discovery_puts_new_enis_in_the_tagged_subnet_with_most_free_ips() {
    let mut s = seed();
    run(&mut s, r#"{"action":"add-subnet","name":"pods-a","cidr":"10.10.64.0/18","az":"eu-west-1a","cni_tag":true}"#).unwrap();
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    let node = s.nodes.values().next().unwrap();
    let second = node.ipam.enis.get(1).unwrap();
    assert_eq!(second.subnet, s.subnet("pods-a").unwrap().id);
    assert_eq!(second.primary_ip.to_string(), "10.10.64.4");
}

#[test]
fn prefix_delegation_on_a_xen_type_logs_the_fallback() {
    let mut s = seed();
    let cni = r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","prefix_delegation":true}}"#;
    run(&mut s, cni).unwrap();
    let events = add_node(&mut s, "m4.large", "nodes-a");
    assert!(events.iter().any(|e| e
        .kind
        .to_string()
        .contains("Prefix delegation is not supported on non-nitro instance m4.large")));
    let node = s.nodes.values().next().unwrap();
    // m4.large is Xen: the secondary-IP formula, 2 ENIs × (10 − 1) + 2.
    assert_eq!(node.max_pods(), 20);
}

#[test]
fn without_subnet_discovery_new_enis_stay_in_the_node_subnet() {
    let mut s = seed();
    run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","subnet_discovery":false}}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"add-subnet","name":"pods-a","cidr":"10.10.64.0/18","az":"eu-west-1a","cni_tag":true}"#).unwrap();
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    let node = s.nodes.values().next().unwrap();
    assert_eq!(
        node.ipam.enis.get(1).unwrap().subnet,
        s.subnet("nodes-a").unwrap().id
    );
}

#[test]
fn address_uses_say_who_holds_each_address() {
    let mut s = seed();
    add_node(&mut s, "t3.small", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":1}"#).unwrap();
    let uses = crate::query::address_uses(&s, s.subnet("nodes-a").unwrap().id);
    let kinds: Vec<&str> = uses
        .iter()
        .map(|(_, u)| match u {
            AddressUse::Reserved { .. } => "reserved",
            AddressUse::NodeIp { .. } => "node",
            AddressUse::EniPrimary { .. } => "eni",
            AddressUse::XEni { .. } => "xeni",
            AddressUse::Pod { .. } => "pod",
            AddressUse::Warm { .. } => "warm",
            AddressUse::Trunk { .. } => "trunk",
            AddressUse::Branch { .. } => "branch",
            AddressUse::NatGateway { .. } => "nat",
            AddressUse::VpcEndpoint { .. } => "endpoint",
        })
        .collect();
    // .0-.3 reserved, .4 node IP, .5 .6 CoreDNS, .7 pod, .8 second ENI,
    // .9-.11 warm, .255 reserved.
    assert_eq!(
        kinds,
        [
            "reserved", "reserved", "reserved", "reserved", "node", "pod", "pod", "pod", "eni",
            "warm", "warm", "warm", "reserved"
        ]
    );
    let cluster = crate::query::address_uses(&s, s.subnet("cluster-a").unwrap().id);
    assert!(matches!(cluster.get(4), Some((_, AddressUse::XEni { .. }))));
}

#[test]
fn a_stuck_pod_gets_advice_that_names_the_numbers() {
    let mut s = Sandbox::new("10.20.0.0/16", CniMode::default()).unwrap();
    s.vpc.assume_egress = true;
    let json = crate::scenario::builtin::get("subnet-exhaustion").unwrap();
    let scenario = crate::Scenario::from_json(json).unwrap();
    for a in scenario.actions {
        s.apply(a).unwrap();
    }
    let stuck = s
        .pods
        .values()
        .find(|p| p.status == PodStatus::ContainerCreating)
        .unwrap()
        .id;
    let advice = crate::query::advice_for_pod(&s, stuck);
    // The first node holds 20 (CoreDNS made ipamd attach a second ENI);
    // the second got 6 pod IPs and the subnet none more.
    assert_eq!(advice[0], "ipamd on ip-10-20-1-24: subnet nodes-a (10.20.1.0/27) has 0 free addresses and the next request needs 1: InsufficientFreeAddressesInSubnet.");
    assert!(advice.iter().any(|a| a.contains("100.64.0.0/16")));
    assert!(!crate::query::advice_for_subnet(&s, s.subnet("nodes-a").unwrap().id).is_empty());
}

#[test]
fn enis_pods_and_usable_counts_explain_themselves() {
    let mut s = seed();
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":2}"#).unwrap();
    let nodes_a = s.subnet("nodes-a").unwrap().id;
    assert_eq!(
        crate::query::explain_subnet_usable(&s, nodes_a)
            .unwrap()
            .formula,
        "2^(32 − 24) − 5 = 256 − 5 = 251"
    );
    let node = s.nodes.values().next().unwrap();
    let eni = node.ipam.enis[0].id;
    assert_eq!(
        crate::query::explain_eni(&s, eni).unwrap().formula,
        "9 secondary IPs = 9 pod addresses (9 of 9 slots used)"
    );
    let pod = s.pods.values().find(|p| p.is_workload()).unwrap().id;
    assert_eq!(
        crate::query::explain_pod_ip(&s, pod).unwrap().formula,
        "10.10.1.7 on eni-3 (eth0) of ip-10-10-1-4, in subnet nodes-a (10.10.1.0/24)"
    );
    let xeni = s.cluster.as_ref().unwrap().xenis[0].id;
    assert_eq!(crate::query::explain_eni(&s, xeni).unwrap().value, 1);
}

fn custom() -> Sandbox {
    let json = crate::scenario::builtin::get("custom-networking").unwrap();
    crate::Scenario::from_json(json)
        .unwrap()
        .replay()
        .unwrap()
        .sandbox
}

#[test]
fn custom_networking_takes_pod_ips_from_the_eniconfig_subnet() {
    let s = custom();
    let pods_a = s.subnet("pods-a").unwrap().cidr;
    let pods_b = s.subnet("pods-b").unwrap().cidr;
    for p in s.pods.values().filter(|p| !p.host_network) {
        let ip = p.ip.unwrap();
        assert!(
            pods_a.contains(&ip) || pods_b.contains(&ip),
            "{} has {ip}",
            p.name
        );
    }
    // The node subnets hold only the node IPs; the primary ENIs hold no pod IPs.
    assert_eq!(s.subnet("nodes-a").unwrap().pool.in_use(), 1);
    for n in s.nodes.values() {
        // Set by hand, as the custom networking guide says: a managed node
        // group would still give 29.
        assert_eq!(n.max_pods(), 20);
        assert_eq!(n.ipam.enis[0].pod_ips(), 0);
    }
}

#[test]
fn custom_networking_applies_only_to_nodes_created_after_it() {
    let mut s = seed();
    add_node(&mut s, "m5.large", "nodes-a");
    run(
        &mut s,
        r#"{"action":"add-vpc-cidr","cidr":"100.64.0.0/16"}"#,
    )
    .unwrap();
    run(
        &mut s,
        r#"{"action":"add-subnet","name":"pods-a","cidr":"100.64.0.0/17","az":"eu-west-1a"}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","custom_networking":true,"eni_configs":{"eu-west-1a":"pods-a"}}}"#).unwrap();
    add_node(&mut s, "m5.large", "nodes-a");
    let old = s.nodes.values().next().unwrap();
    let new = s.nodes.values().nth(1).unwrap();
    // A managed node group does not subtract the primary ENI: 29 both, and
    // the "why?" says the new node's ENIs address only 18 pods.
    assert_eq!((old.max_pods(), new.max_pods()), (29, 29));
    let why = crate::query::explain_max_pods(&s, new.id)
        .unwrap()
        .to_string();
    assert!(why.contains("at most 18 addresses"), "{why}");
    assert!(!old.ipam.custom_networking && new.ipam.custom_networking);
    assert_eq!(new.ipam.enis[1].subnet, s.subnet("pods-a").unwrap().id);
}

#[test]
fn without_an_eniconfig_for_its_az_a_node_is_not_ready_and_gets_no_pods() {
    let mut s = seed();
    run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","custom_networking":true}}"#,
    )
    .unwrap();
    let events = add_node(&mut s, "m5.large", "nodes-a");
    let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("No ENIConfig could be found for this node")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("is NotReady: condition Ready False, KubeletNotReady")),
        "{text:#?}"
    );
    run(&mut s, r#"{"action":"add-pods","count":2}"#).unwrap();
    let pending = s.pods.values().find(|p| p.is_workload()).unwrap();
    assert_eq!(pending.status, PodStatus::Pending);
    assert_eq!(pending.reason.as_deref(), Some("0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."));
    // Adding the ENIConfig lets the node's CNI start.
    run(
        &mut s,
        r#"{"action":"add-subnet","name":"pods-a","cidr":"10.10.128.0/18","az":"eu-west-1a"}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","custom_networking":true,"eni_configs":{"eu-west-1a":"pods-a"}}}"#).unwrap();
    assert!(s
        .pods
        .values()
        .filter(|p| p.is_workload())
        .all(|p| p.status == PodStatus::Running));
}

#[test]
fn an_eniconfig_subnet_in_another_az_is_refused() {
    let mut s = seed();
    let err = run(&mut s, r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","custom_networking":true,"eni_configs":{"eu-west-1a":"cluster-b"}}}"#).unwrap_err();
    assert_eq!(err.to_string(), "ENIConfig eu-west-1a names subnet cluster-b, which is in eu-west-1b: an ENIConfig's subnet must be in the node's Availability Zone");
}

/// Flannel as it runs on EKS: flanneld's own (etcd) subnet manager.
fn flannel(network: &str) -> Sandbox {
    with_cluster(CniMode::from(crate::cni::Flannel {
        network: network.into(),
        subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
        ..Default::default()
    }))
}

/// aws/containers-roadmap issue 315: EKS's kube-controller-manager sets no
/// node `spec.podCIDR`, so the stock kube-flannel (`--kube-subnet-mgr`)
/// cannot register its network; the node stays NotReady and pods Pending.
#[test]
fn stock_kube_flannel_does_not_start_on_eks() {
    let mut s = with_cluster(CniMode::from(crate::cni::Flannel::default()));
    let events = add_node(&mut s, "m5.large", "nodes-a");
    let all: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    assert!(
        all.iter().any(|e| e.contains(r#"Error registering network: failed to acquire lease: node "ip-10-10-1-4" pod cidr not assigned"#)),
        "{all:?}"
    );
    let node = s.nodes.values().next().unwrap();
    assert!(node.registered && !node.ready() && node.overlay.is_none());
    let agent = s
        .pods
        .values()
        .find(|p| p.name == "kube-flannel-1")
        .unwrap();
    assert_eq!(agent.status, PodStatus::CrashLoopBackOff);
    run(&mut s, r#"{"action":"add-pods","count":2}"#).unwrap();
    let app = s.pods.values().find(|p| p.is_workload()).unwrap();
    assert_eq!(app.status, PodStatus::Pending);
    let advice = crate::query::advice_for_pod(&s, app.id).join(" ");
    assert!(
        advice.contains("pod cidr not assigned") && advice.contains("etcd subnet manager"),
        "{advice}"
    );
    // flanneld on its own etcd: the node leases a subnet and turns Ready.
    run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"flannel","subnet_manager":"etcd"}}"#,
    )
    .unwrap();
    assert!(s.nodes.values().next().unwrap().ready());
    assert!(
        s.pods.values().all(|p| p.status == PodStatus::Running),
        "every pod runs"
    );
}

#[test]
fn flannel_pods_take_addresses_from_the_node_pod_cidr_not_the_subnet() {
    let mut s = flannel("10.244.0.0/16");
    let events = add_node(&mut s, "m5.large", "nodes-a");
    assert!(events.iter().any(|e| e.kind.to_string()
        == "node-1: flanneld leased (etcd subnet manager) pod CIDR 10.244.1.0/24"));
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    let ips: Vec<String> = s
        .pods
        .values()
        .filter(|p| p.is_workload())
        .map(|p| p.ip.unwrap().to_string())
        .collect();
    // flanneld skips the Network's first subnet (SubnetMin); CoreDNS's
    // replicas took .2 and .3.
    assert_eq!(ips, ["10.244.1.4", "10.244.1.5", "10.244.1.6"]);
    // The subnet holds the node IP only: no ENIs, no warm pool.
    assert_eq!(s.subnet("nodes-a").unwrap().pool.in_use(), 1);
    assert!(s.pods.values().any(|p| p.name == "kube-flannel-1"));
}

/// flannel `pkg/subnet/etcd/local_manager.go`: no free subnet left is
/// `out of subnets`; a /23 holds two /24s and the first is never leased.
#[test]
fn flannel_runs_out_of_node_subnets() {
    let mut s = flannel("10.244.0.0/23");
    add_node(&mut s, "m5.large", "nodes-a");
    let events = add_node(&mut s, "m5.large", "nodes-a");
    assert!(events.iter().any(|e| e
        .kind
        .to_string()
        .contains("failed to acquire lease: out of subnets")));
    let second = s.nodes.values().nth(1).unwrap();
    assert!(!second.ready());
    assert!(second
        .not_ready
        .as_deref()
        .unwrap()
        .contains("out of subnets"));
}

#[test]
fn a_full_flannel_range_says_no_ip_addresses_available_in_range_set() {
    let mut s = flannel("10.244.0.0/16");
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"c5.18xlarge","subnet":"nodes-a","max_pods":300}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"add-pods","count":260}"#).unwrap();
    let stuck: Vec<_> = s
        .pods
        .values()
        .filter(|p| p.status == PodStatus::ContainerCreating)
        .collect();
    // 253 addresses, two of them CoreDNS's.
    assert_eq!(stuck.len(), 260 - 251);
    assert_eq!(
        stuck[0].reason.as_deref(),
        Some("FailedCreatePodSandBox: plugin type=\"flannel\" failed (add): failed to allocate for range 0: no IP addresses available in range set: 10.244.1.1-10.244.1.254")
    );
    // Deleting a pod frees its address at once (no cooldown): one more pod runs.
    let running = s
        .pods
        .values()
        .find(|p| p.is_workload() && p.ip.is_some())
        .unwrap()
        .name
        .clone();
    run(
        &mut s,
        &format!(r#"{{"action":"delete-pod","pod":"{running}"}}"#),
    )
    .unwrap();
    assert_eq!(
        s.pods
            .values()
            .filter(|p| p.status == PodStatus::ContainerCreating)
            .count(),
        8
    );
}

#[test]
fn switching_the_cni_with_nodes_running_or_overlapping_the_vpc_is_refused() {
    let mut s = seed();
    add_node(&mut s, "m5.large", "nodes-a");
    let err = run(&mut s, r#"{"action":"set-cni","cni":{"cni":"flannel"}}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "cannot switch from AWS VPC CNI to Flannel with 1 nodes running: a CNI is chosen before nodes join (replay the scenario under Flannel instead)");
    let mut s = seed();
    let err = run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"flannel","network":"10.0.0.0/8"}}"#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "CNI settings refused: flannel Network 10.0.0.0/8 overlaps the VPC block 10.10.0.0/16: pod and VPC addresses would collide");
}

fn cilium(pool: &str) -> Sandbox {
    with_cluster(CniMode::from(crate::cni::Cilium {
        pool: pool.into(),
        ..Default::default()
    }))
}

#[test]
fn cilium_default_pool_is_refused_in_a_10_slash_8_vpc() {
    let err = Sandbox::new("10.10.0.0/16", CniMode::from(crate::cni::Cilium::default()))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("CNI settings refused: cilium cluster pool 10.0.0.0/8 overlaps the VPC block 10.10.0.0/16"), "{err}");
    // A VPC block added later may not collide with the pool either.
    let mut s = cilium("100.64.0.0/16");
    let err = run(
        &mut s,
        r#"{"action":"add-vpc-cidr","cidr":"100.64.0.0/16"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("overlaps the VPC block 100.64.0.0/16"),
        "{err}"
    );
}

/// The same state in either order: an overlay pool over the service CIDR
/// is allowed (nothing on EKS checks it, and Cilium's Helm default
/// 10.0.0.0/8 holds EKS's 10.100.0.0/16 in any VPC outside 10/8), with a
/// warning that says which node's range would collide first.
#[test]
fn a_pool_over_the_service_cidr_is_allowed_with_a_warning_in_either_order() {
    let warning = "Warning: the pod range 10.0.0.0/8 overlaps the service CIDR 10.100.0.0/16.";
    let cmds = [
        r#"{"action":"add-subnet","name":"cluster-a","cidr":"172.31.0.0/28","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"cluster-b","cidr":"172.31.0.16/28","az":"eu-west-1b"}"#,
        r#"{"action":"create-cluster","name":"demo","version":"1.31","subnets":["cluster-a","cluster-b"]}"#,
    ];
    // Cilium first, then the cluster (a scenario's header, a CNI switch on the page).
    let mut first = Sandbox::new(
        "172.31.0.0/16",
        CniMode::from(crate::cni::Cilium::default()),
    )
    .unwrap();
    let mut said = Vec::new();
    for cmd in cmds {
        said.extend(run(&mut first, cmd).unwrap());
    }
    // The cluster first, then `set-cni` (the CLI, a scenario's command).
    let mut then = Sandbox::new("172.31.0.0/16", CniMode::default()).unwrap();
    for cmd in cmds {
        run(&mut then, cmd).unwrap();
    }
    let set = run(&mut then, r#"{"action":"set-cni","cni":{"cni":"cilium"}}"#).unwrap();
    assert_eq!(first.cni, then.cni);
    for events in [&said, &set] {
        let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
        let w = text
            .iter()
            .find(|t| t.starts_with(warning))
            .unwrap_or_else(|| panic!("{text:?}"));
        // 10.100.0.0 is 25,600 /24s into 10.0.0.0/8.
        assert!(
            w.contains("node number 25601 would get 10.100.0.0/24"),
            "{w}"
        );
        assert!(events
            .iter()
            .any(|e| e.kind.is_warning() && e.kind.to_string() == *w));
    }
    // Said once: another setting changed (the routing) is not a new overlap.
    let again = run(
        &mut then,
        r#"{"action":"set-cni","cni":{"cni":"cilium","routing":"geneve"}}"#,
    )
    .unwrap();
    assert!(!again
        .iter()
        .any(|e| e.kind.to_string().contains("service CIDR")));
    // A pool clear of it says nothing.
    let quiet = run(
        &mut then,
        r#"{"action":"set-cni","cni":{"cni":"cilium","pool":"192.168.0.0/16"}}"#,
    )
    .unwrap();
    assert!(!quiet
        .iter()
        .any(|e| e.kind.to_string().contains("service CIDR")));
}

/// Flannel's subnet manager does not know the service range: the node
/// whose subnet lands in it runs, with a warning (cilium issue 13766 for
/// the same in Cilium; kube-controller-manager would skip it, but EKS's
/// allocates no node CIDRs).
#[test]
fn the_node_whose_range_lands_in_the_service_cidr_is_warned() {
    // VPC 10.10.0.0/16: the service CIDR is 172.20.0.0/16.
    let mut s = with_cluster(CniMode::from(crate::cni::Flannel {
        network: "172.16.0.0/12".into(),
        subnet_len: 16,
        subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
        ..Default::default()
    }));
    let pool = s
        .cni
        .service_overlap("172.20.0.0/16".parse().unwrap())
        .unwrap();
    // SubnetMin skips 172.16.0.0/16: 172.17, .18, .19, then 172.20.
    assert_eq!(pool.first, Some(("172.20.0.0/16".parse().unwrap(), 4)));
    for _ in 0..3 {
        let events = add_node(&mut s, "m5.large", "nodes-a");
        assert!(!events
            .iter()
            .any(|e| matches!(e.kind, EventKind::NodeRangeInServices { .. })));
    }
    let events = add_node(&mut s, "m5.large", "nodes-a");
    let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    assert!(
        text.iter().any(|t| t == "node-4: Warning: its pod range 172.20.0.0/16 lies in the service CIDR 172.20.0.0/16: a pod here can get an address that is also a Service's ClusterIP (kubernetes.default is 172.20.0.1), and traffic to that address and port goes to the Service, not the pod (kube-proxy's rules match it first)"),
        "{text:?}"
    );
    assert!(s.nodes.values().all(|n| n.ready()), "the node still runs");
}

/// Calico IPAM claims blocks without knowing the service range: a pool
/// over it warns when set, and again for the node whose block lands there.
#[test]
fn a_calico_block_in_the_service_cidr_is_warned() {
    let mut s = seed();
    let set = run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"calico","pool":"172.20.0.0/16"}}"#,
    )
    .unwrap();
    assert!(set.iter().any(|e| e
        .kind
        .to_string()
        .contains("Calico IPAM claims free blocks at random (podnet takes the lowest)")));
    let events = add_node(&mut s, "m5.large", "nodes-a");
    assert!(
        events.iter().any(|e| matches!(
            &e.kind,
            EventKind::NodeRangeInServices { range, .. } if range.to_string() == "172.20.0.0/26"
        )),
        "{events:?}"
    );
}

#[test]
fn cilium_pods_skip_the_router_and_health_addresses() {
    let mut s = cilium("192.168.0.0/16");
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":2}"#).unwrap();
    let ips: Vec<String> = s
        .pods
        .values()
        .filter(|p| p.is_workload())
        .map(|p| p.ip.unwrap().to_string())
        .collect();
    // CoreDNS took .3 and .4.
    assert_eq!(ips, ["192.168.0.5", "192.168.0.6"]);
    assert!(s.pods.values().any(|p| p.name == "cilium-1"));
}

#[test]
fn cilium_out_of_pool_leaves_the_node_not_ready() {
    let mut s = cilium("192.168.0.0/23");
    add_node(&mut s, "m5.large", "nodes-a");
    add_node(&mut s, "m5.large", "nodes-a");
    let events = add_node(&mut s, "m5.large", "nodes-a");
    assert!(events.iter().any(|e| e
        .kind
        .to_string()
        .contains("Failed to allocate PodCIDRs to node")));
    assert_eq!(s.nodes.values().filter(|n| !n.ready()).count(), 1);
}

#[test]
fn a_full_cilium_range_says_range_is_full_from_the_cilium_plugin() {
    let mut s = cilium("192.168.0.0/16");
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"c5.18xlarge","subnet":"nodes-a","max_pods":300}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"add-pods","count":255}"#).unwrap();
    let stuck: Vec<_> = s
        .pods
        .values()
        .filter(|p| p.status == PodStatus::ContainerCreating)
        .collect();
    // 252 addresses, two of them CoreDNS's.
    assert_eq!(stuck.len(), 255 - 250);
    assert_eq!(
        stuck[0].reason.as_deref(),
        Some("FailedCreatePodSandBox: plugin type=\"cilium-cni\" failed (add): unable to allocate IP via local cilium agent: [POST /ipam][502] postIpamFailure  range is full")
    );
}

#[test]
fn the_scheduler_fills_the_least_loaded_node_first() {
    let mut s = seed();
    add_node(&mut s, "m5.large", "nodes-a");
    add_node(&mut s, "m5.large", "nodes-a");
    run(
        &mut s,
        r#"{"action":"add-pods","count":4,"node":"ip-10-10-1-4"}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"add-pods","count":6}"#).unwrap();
    // node-1 had 8 pods (with CoreDNS's two), node-2 had 2: the 6 go to node-2.
    let loads: Vec<u32> = s.nodes.values().map(|n| n.pods).collect();
    assert_eq!(loads, [8, 8]);
}

fn calico(pool: &str, strict: bool) -> Sandbox {
    with_cluster(CniMode::from(crate::cni::Calico {
        pool: pool.into(),
        strict_affinity: strict,
        ..Default::default()
    }))
}

#[test]
fn a_calico_node_claims_a_block_takes_its_tunnel_address_and_gives_pods_the_rest() {
    let mut s = calico("192.168.0.0/16", false);
    let events = add_node(&mut s, "m5.large", "nodes-a");
    let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.ends_with("calico-ipam: claimed block 192.168.0.0/26 (affine to the node)")),
        "{text:?}"
    );
    assert!(text
        .iter()
        .any(|t| t.ends_with("calico-node: tunnel address 192.168.0.0 on vxlan.calico")));
    assert!(s.pods.values().any(|p| p.name == "calico-node-1"));
    run(&mut s, r#"{"action":"add-pods","count":2}"#).unwrap();
    let ips: Vec<String> = s
        .pods
        .values()
        .filter(|p| p.is_workload())
        .map(|p| p.ip.unwrap().to_string())
        .collect();
    // CoreDNS took .1 and .2.
    assert_eq!(ips, ["192.168.0.3", "192.168.0.4"]);
    assert_eq!(
        s.pod_ranges(NodeId(1)).unwrap(),
        "Calico blocks 192.168.0.0/26 (5 of 64 used)"
    );
    // No VPC address is used by a pod: the node holds only its own IP.
    let node_subnet = s
        .vpc
        .subnets
        .values()
        .find(|x| x.name == "nodes-a")
        .unwrap();
    assert_eq!(node_subnet.pool.in_use(), 1);
}

#[test]
fn a_full_calico_pool_leaves_pods_container_creating_with_no_ips_available_in_pools() {
    // One /26 block: the node's tunnel address, CoreDNS's 2 and 61 pods fill it.
    let mut s = calico("192.168.0.0/26", false);
    add_node(&mut s, "m5.4xlarge", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":62}"#).unwrap();
    let stuck: Vec<_> = s
        .pods
        .values()
        .filter(|p| p.status == PodStatus::ContainerCreating)
        .collect();
    assert_eq!(stuck.len(), 1);
    assert_eq!(
        stuck[0].reason.as_deref(),
        Some("FailedCreatePodSandBox: plugin type=\"calico\" failed (add): failed to request IPv4 addresses: Assigned 0 out of 1 requested IPv4 addresses; No IPs available in pools: [192.168.0.0/26]")
    );
    // Deleting a pod frees its address for the stuck one at once (no warm pool, no cooldown).
    let victim = s
        .pods
        .values()
        .find(|p| p.status == PodStatus::Running && p.is_workload())
        .unwrap()
        .name
        .clone();
    run(
        &mut s,
        &format!(r#"{{"action":"delete-pod","pod":"{victim}"}}"#),
    )
    .unwrap();
    assert!(s.pods.values().all(|p| p.status == PodStatus::Running));
}

#[test]
fn a_second_calico_node_borrows_unless_strict_affinity() {
    for strict in [false, true] {
        // One /26 block, claimed by the first node.
        let mut s = calico("192.168.0.0/26", strict);
        add_node(&mut s, "m5.large", "nodes-a");
        add_node(&mut s, "m5.large", "nodes-a");
        let second = s.nodes.get(&NodeId(2)).unwrap().name.clone();
        run(
            &mut s,
            &format!(r#"{{"action":"add-pods","count":1,"node":"{second}"}}"#),
        )
        .unwrap();
        let pod = s
            .pods
            .values()
            .find(|p| p.is_workload() && p.node == Some(NodeId(2)))
            .unwrap();
        let pod_id = pod.id;
        if strict {
            assert_eq!(pod.status, PodStatus::ContainerCreating);
            assert!(pod
                .reason
                .as_deref()
                .unwrap()
                .ends_with("No more free affine blocks and strict affinity enabled"));
        } else {
            assert_eq!(pod.status, PodStatus::Running);
            let ip = pod.ip.unwrap();
            assert!(
                s.cni_state
                    .blocks()
                    .unwrap()
                    .blocks_of(NodeId(1))
                    .any(|b| b.cidr.contains(&ip)),
                "borrowed from node 1's block"
            );
            let why = crate::query::explain_pod_ip(&s, pod_id).unwrap();
            assert!(
                why.formula.ends_with("from Calico block 192.168.0.0/26"),
                "{}",
                why.formula
            );
            assert!(
                why.steps[0]
                    .text
                    .contains("borrowed it from 192.168.0.0/26, affine to ip-10-10-1-4"),
                "{:?}",
                why.steps
            );
            assert!(why.steps[1].text.starts_with("not a VPC address"));
        }
    }
}

#[test]
fn a_calico_pool_in_use_cannot_change_its_cidr_but_can_turn_strict() {
    let mut s = calico("192.168.0.0/16", false);
    add_node(&mut s, "m5.large", "nodes-a");
    let before = s.clone();
    let err = run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"calico","pool":"172.16.0.0/16"}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("calico IPPool 192.168.0.0/16 (/26 blocks) has 1 blocks allocated"),
        "{err}"
    );
    assert_eq!(s, before);
    run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"calico","pool":"192.168.0.0/16","strict_affinity":true}}"#,
    )
    .unwrap();
}

#[test]
fn an_overlay_cluster_cidr_cannot_change_under_running_nodes() {
    let mut s = with_cluster(CniMode::from(crate::cni::Flannel::default()));
    add_node(&mut s, "m5.large", "nodes-a");
    let before = s.clone();
    let err = run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"flannel","network":"10.245.0.0/16"}}"#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "CNI settings refused: 1 nodes hold pod CIDRs from 10.244.0.0/16 (/24 per node): the cluster CIDR and per-node size cannot change while they run (replay the scenario under the new settings instead)");
    assert_eq!(s, before);
    // The backend is not part of the carving: it may change.
    run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"flannel","backend":"host-gw"}}"#,
    )
    .unwrap();
}

#[test]
fn an_overlay_pod_ip_explains_its_pod_cidr_and_that_the_vpc_cannot_route_it() {
    let mut s = flannel("10.244.0.0/16");
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-pods","count":1}"#).unwrap();
    let pod = s.pods.values().find(|p| p.is_workload()).unwrap().id;
    let why = crate::query::explain_pod_ip(&s, pod).unwrap();
    assert_eq!(
        why.formula,
        "10.244.1.4 from ip-10-10-1-4's pod CIDR 10.244.1.0/24"
    );
    assert!(
        why.steps[1].text.contains("VXLAN (UDP 8472)"),
        "{:?}",
        why.steps
    );
}

#[test]
fn the_addresses_an_action_moved_are_read_from_its_events() {
    use crate::events::Moved;
    let mut s = seed();
    let joined = add_node(&mut s, "m5.large", "nodes-a");
    let moved = s.moved_by(&joined);
    let node = s.nodes.values().next().unwrap();
    let warm: Vec<_> = node
        .ipam
        .enis
        .iter()
        .flat_map(|e| e.all_slots())
        .filter(|x| x.pod.is_none())
        .map(|x| x.ip)
        .collect();
    assert!(!warm.is_empty());
    assert!(warm.iter().all(|ip| moved.contains_key(ip)), "{moved:?}");
    let added = run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    let moved = s.moved_by(&added);
    let taken: Vec<_> = s
        .pods
        .values()
        .filter(|p| p.is_workload())
        .filter_map(|p| p.ip)
        .collect();
    assert_eq!(taken.len(), 3);
    assert!(
        taken.iter().all(|ip| moved.get(ip) == Some(&Moved::Taken)),
        "{moved:?}"
    );
    let pod = s.pods.values().find(|p| p.is_workload()).unwrap();
    let (name, ip) = (pod.name.clone(), pod.ip.unwrap());
    let deleted = s.apply(Command::DeletePod { pod: name }).unwrap();
    assert_eq!(s.moved_by(&deleted).get(&ip), Some(&Moved::Cooling));
}

#[test]
fn with_no_node_registered_the_scheduler_says_only_that_no_nodes_are_available() {
    // kube-scheduler returns ErrNoNodesAvailable before any filter runs,
    // and records its text as the FailedScheduling message: no "0/0 nodes
    // are available" (pkg/scheduler/schedule_one.go).
    let mut s = with_cluster(CniMode::default());
    let events = run(&mut s, r#"{"action":"add-pods","count":1}"#).unwrap();
    let pod = s.pods.values().find(|p| p.is_workload()).unwrap();
    assert_eq!(pod.status, PodStatus::Pending);
    assert_eq!(
        pod.reason.as_deref(),
        Some("no nodes available to schedule pods")
    );
    assert!(events.iter().any(|e| e.kind.to_string()
        == format!(
            "{}: Warning FailedScheduling: no nodes available to schedule pods",
            pod.id
        )));
}

#[test]
fn a_fit_error_counts_and_sorts_its_reasons_as_kube_scheduler_does() {
    use super::pods::{fit_error, histogram, NodeMiss};
    // kubernetes pkg/scheduler/framework/types_test.go TestFitError_Error,
    // "nodes failed two Filter plugins": the counted strings sorted.
    assert_eq!(
        histogram(
            [
                (2, "Node(s) failed Filter plugin FalseFilter-1".to_owned()),
                (1, "Node(s) failed Filter plugin FalseFilter-2".to_owned()),
            ]
            .into_iter()
        ),
        "1 Node(s) failed Filter plugin FalseFilter-2, 2 Node(s) failed Filter plugin FalseFilter-1"
    );
    // Two NotReady nodes and one full one: "1 Too many pods" sorts first,
    // and DefaultPreemption's PostFilter says the same nodes its way.
    assert_eq!(
        fit_error(3, &[(NodeMiss::NotReady, 2), (NodeMiss::TooManyPods, 1)]),
        "0/3 nodes are available: 1 Too many pods, 2 node(s) had untolerated taint \
         {node.kubernetes.io/not-ready: }. preemption: 0/3 nodes are available: \
         1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    );
}

#[test]
fn a_pod_pinned_to_a_not_ready_node_is_not_said_to_find_it_full() {
    // Pinned to node-1 while it is NotReady (no ENIConfig), with node-2
    // Ready: node-1 fails TaintToleration, node-2 NodeAffinity; no node is
    // full.
    let mut s = with_cluster(CniMode::default());
    add_node(&mut s, "m5.large", "nodes-a");
    add_node(&mut s, "m5.large", "nodes-a");
    if let Some(n) = s.nodes.values_mut().find(|n| n.id.0 == 1) {
        n.not_ready = Some("testing".into());
    }
    run(
        &mut s,
        r#"{"action":"add-pods","count":1,"node":"ip-10-10-1-4"}"#,
    )
    .unwrap();
    let pod = s.pods.values().filter(|p| p.is_workload()).last().unwrap();
    assert_eq!(pod.status, PodStatus::Pending);
    assert_eq!(
        pod.reason.as_deref(),
        Some(
            "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, \
             1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: \
             0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        )
    );
}

#[test]
fn flanneld_leases_the_node_range_only_once_its_pod_runs() {
    // flanneld runs in the kube-flannel DaemonSet pod: the lease follows
    // that pod's binding, in the same join.
    let mut s = flannel("10.244.0.0/16");
    let events = add_node(&mut s, "m5.large", "nodes-a");
    let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    let at = |needle: &str| text.iter().position(|t| t.contains(needle));
    let bound = at("Successfully assigned kube-flannel/kube-flannel-1").expect("the agent binds");
    let leased = at("flanneld leased").expect("the node leases");
    assert!(bound < leased, "{text:#?}");
}
