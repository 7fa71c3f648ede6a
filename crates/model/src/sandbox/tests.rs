use super::*;
use crate::cluster::PodStatus;

fn seed() -> Sandbox {
    let mut s = Sandbox::new("10.10.0.0/16", CniMode::default()).unwrap();
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

fn run(s: &mut Sandbox, json: &str) -> Result<Vec<Event>, SandboxError> {
    s.apply(serde_json::from_str(json).unwrap())
}

fn count(s: &Sandbox, status: PodStatus) -> usize {
    s.pods
        .values()
        .filter(|p| p.status == status && !p.system)
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
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a"}"#,
    )
    .unwrap();
    let node = s.nodes.values().next().unwrap();
    assert_eq!(node.name, "ip-10-10-1-4");
    assert_eq!(node.max_pods(), 29);
    // aws-node and kube-proxy use the node IP.
    let system: Vec<_> = s.pods.values().filter(|p| p.system).collect();
    assert_eq!(system.len(), 2);
    assert!(system
        .iter()
        .all(|p| p.ip == node.ip() && p.status == PodStatus::Running));
    // WARM_ENI_TARGET=1: 9 warm IPs on the primary ENI; node IP + 9 = 10 addresses.
    assert_eq!(s.subnet("nodes-a").unwrap().pool.in_use(), 10);
}

#[test]
fn pods_beyond_max_pods_stay_pending_with_too_many_pods() {
    let mut s = seed();
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"t3.micro","subnet":"nodes-a"}"#,
    )
    .unwrap();
    let events = run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    // t3.micro: max pods 4 = 2 DaemonSet pods + 2 more.
    assert_eq!(
        (count(&s, PodStatus::Running), count(&s, PodStatus::Pending)),
        (2, 1)
    );
    let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t
                .ends_with("Warning FailedScheduling: 0/1 nodes are available: 1 Too many pods.")),
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
    // 2 ENIs × 1 secondary IP = 2 pod IPs; the other 2 pods are scheduled but get no IP.
    assert_eq!(
        (
            count(&s, PodStatus::Running),
            count(&s, PodStatus::ContainerCreating)
        ),
        (2, 2)
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
    assert!(err.starts_with("cannot upgrade the control plane to 1.32: EKS creates new network interfaces before deleting the old ones"), "{err}");
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
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"t3.micro","subnet":"nodes-a"}"#,
    )
    .unwrap();
    run(&mut s, r#"{"action":"add-pods","count":3}"#).unwrap();
    run(&mut s, r#"{"action":"delete-pod","pod":"app-5"}"#).unwrap();
    // app-7 is scheduled; app-5's IP is cooling down for 30 s, so app-7 waits for it.
    assert_eq!(count(&s, PodStatus::Pending), 0);
    run(&mut s, r#"{"action":"advance-time","seconds":60}"#).unwrap();
    assert_eq!(count(&s, PodStatus::Running), 2);
}
