//! The X-ENIs and a node's way in, as EKS does it (issue 13). Each test names
//! its source.

use podnet_model::cluster::{AuthMode, NodeAccess, PodStatus};
use podnet_model::paths::{Endpoint, StepStatus};
use podnet_model::{Command, Sandbox, Scenario};

fn run(s: &mut Sandbox, json: &str) -> Result<(), String> {
    let cmd: Command = serde_json::from_str(json).map_err(|e| e.to_string())?;
    s.apply(cmd).map(|_| ()).map_err(|e| e.to_string())
}

/// The sandbox of a built-in scenario.
fn builtin(name: &str) -> Sandbox {
    Scenario::from_json(podnet_model::scenario::builtin::get(name).unwrap())
        .unwrap()
        .replay()
        .unwrap()
        .sandbox
}

/// Applies each command (scenario JSON), which must all succeed.
fn run_all(s: &mut Sandbox, commands: &[&str]) {
    for c in commands {
        run(s, c).unwrap();
    }
}

/// A VPC with a public subnet, its NAT gateway and `subnets` (name, CIDR, AZ).
fn vpc(subnets: &[(&str, &str, &str)]) -> Sandbox {
    let mut s = Sandbox::new("10.0.0.0/16", Default::default()).unwrap();
    run_all(
        &mut s,
        &[
            r#"{"action":"add-internet-gateway"}"#,
            r#"{"action":"add-subnet","name":"public-a","cidr":"10.0.255.0/28","az":"eu-west-1a","route":"internet-gateway"}"#,
            r#"{"action":"add-nat-gateway","subnet":"public-a"}"#,
        ],
    );
    for (name, cidr, az) in subnets {
        run(&mut s, &format!(r#"{{"action":"add-subnet","name":"{name}","cidr":"{cidr}","az":"{az}","route":"nat-gateway"}}"#)).unwrap();
    }
    s
}

fn three_az() -> Sandbox {
    let mut s = vpc(&[
        ("c-a", "10.0.0.0/28", "eu-west-1a"),
        ("c-b", "10.0.0.16/28", "eu-west-1b"),
        ("c-c", "10.0.0.32/28", "eu-west-1c"),
        ("nodes-c", "10.0.3.0/24", "eu-west-1c"),
    ]);
    run(&mut s, r#"{"action":"create-cluster","name":"demo","version":"1.31","endpoint":"private","subnets":["c-a","c-b","c-c"]}"#).unwrap();
    s
}

fn azs_of_xenis(s: &Sandbox) -> Vec<String> {
    let c = s.cluster.as_ref().unwrap();
    let mut v: Vec<String> = c
        .xenis
        .iter()
        .map(|x| s.vpc.subnets[&x.subnet].az.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// awsdocs/amazon-eks-user-guide issue 688, aws/containers-roadmap issues
/// 679 and 2804: two X-ENIs in two subnets of two AZs, however many subnets.
#[test]
fn a_three_az_cluster_has_x_enis_in_exactly_two_azs() {
    let mut s = three_az();
    assert_eq!(s.cluster.as_ref().unwrap().xenis.len(), 2);
    assert_eq!(azs_of_xenis(&s), ["eu-west-1a", "eu-west-1b"]);
    // A node in the AZ without an X-ENI crosses AZs to reach the API server.
    run(
        &mut s,
        r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-c"}"#,
    )
    .unwrap();
    let node = s.nodes.values().next().unwrap().name.clone();
    let join = s.join(&node).unwrap();
    assert!(join.joined, "{}", join.to_text());
    assert!(
        join.steps[3].detail.contains("no X-ENI in eu-west-1c"),
        "{}",
        join.steps[3].detail
    );
}

/// EKS's refusal, "need at least 5 IPs in each subnet to be free for this
/// operation" (aws/containers-roadmap issue 1693; clowdhaus/eksup issue 24):
/// the check is per subnet, not summed.
#[test]
fn an_upgrade_with_room_in_one_subnet_only_is_refused_and_new_subnets_fix_it() {
    let mut s = vpc(&[
        ("c-a", "10.0.0.0/28", "eu-west-1a"),
        ("c-b", "10.0.0.16/28", "eu-west-1b"),
    ]);
    run(&mut s, r#"{"action":"create-cluster","name":"demo","version":"1.31","endpoint":"private","subnets":["c-a","c-b"]}"#).unwrap();
    // Fill c-b: 11 usable, 1 X-ENI; t3.micro nodes take 2 addresses each at boot.
    while s
        .vpc
        .subnets
        .values()
        .find(|x| x.name == "c-b")
        .unwrap()
        .pool
        .free()
        >= 5
    {
        run(
            &mut s,
            r#"{"action":"add-node","instance_type":"t3.micro","subnet":"c-b"}"#,
        )
        .unwrap();
    }
    let free_a = s
        .vpc
        .subnets
        .values()
        .find(|x| x.name == "c-a")
        .unwrap()
        .pool
        .free();
    assert!(free_a + 4 >= 5 + 4 && free_a >= 5, "c-a has room: {free_a}");
    let before = s.clone();
    let err = run(
        &mut s,
        r#"{"action":"upgrade-control-plane","version":"1.32"}"#,
    )
    .unwrap_err();
    assert!(
        err.contains("InvalidRequestException: Provided subnets c-a (10.0.0.0/28) Free IPs: "),
        "{err}"
    );
    assert!(err.contains("need at least 5 IPs in each subnet"), "{err}");
    assert_eq!(s, before, "a refused upgrade changes nothing");
    // Another AZ set is refused (EKS User Guide, network-reqs: "the same set of AZs").
    run(
        &mut s,
        r#"{"action":"add-subnet","name":"cp-c","cidr":"10.0.0.64/28","az":"eu-west-1c"}"#,
    )
    .unwrap();
    let err = run(
        &mut s,
        r#"{"action":"update-cluster-subnets","subnets":["c-a","cp-c"]}"#,
    )
    .unwrap_err();
    assert!(err.contains("same set of Availability Zones"), "{err}");
    assert!(err.contains("eu-west-1a, eu-west-1c"), "{err}");
    // New subnets in the same AZs: the X-ENIs move there, then the upgrade works.
    run_all(
        &mut s,
        &[
            r#"{"action":"add-subnet","name":"cp-b","cidr":"10.0.0.80/28","az":"eu-west-1b"}"#,
            r#"{"action":"update-cluster-subnets","subnets":["c-a","cp-b"]}"#,
        ],
    );
    let c = s.cluster.as_ref().unwrap();
    assert_eq!(c.xenis.len(), 2);
    assert!(c
        .xenis
        .iter()
        .all(|x| s.vpc.subnets[&x.subnet].name != "c-b"));
    run(
        &mut s,
        r#"{"action":"upgrade-control-plane","version":"1.32"}"#,
    )
    .unwrap();
    assert_eq!(
        azs_of_xenis(&s),
        ["eu-west-1a", "eu-west-1b"],
        "still two AZs"
    );
}

/// containers-roadmap issue 2804: pods use the kubernetes service, whose
/// EndpointSlice lists the X-ENIs, whatever the endpoint access.
#[test]
fn pods_reach_the_api_server_through_an_x_eni_under_a_public_endpoint() {
    let s = builtin("public-endpoint-no-nat");
    let mut s = s;
    run(
        &mut s,
        r#"{"action":"set-route","subnet":"nodes-a","to":"nat-gateway"}"#,
    )
    .unwrap();
    let pod = s
        .pods
        .values()
        .find(|p| p.is_workload() && p.status == PodStatus::Running)
        .unwrap()
        .id;
    let p = s.trace(Endpoint::Pod { pod }, Endpoint::ApiServer).unwrap();
    assert!(p.reachable);
    assert!(p.verdict.contains("through X-ENI"), "{}", p.verdict);
    let node = s.nodes.values().next().unwrap().id;
    let k = s
        .trace(Endpoint::Node { node }, Endpoint::ApiServer)
        .unwrap();
    assert!(
        k.verdict.contains("public endpoint"),
        "the kubelet follows DNS: {}",
        k.verdict
    );
}

/// EKS User Guide, private-clusters: without the ECR endpoints (and no way
/// out) the CNI's image cannot be pulled, so the node registers NotReady.
#[test]
fn a_private_cluster_without_ecr_endpoints_backs_off_pulling_aws_node() {
    let mut s = Sandbox::new("10.10.0.0/16", Default::default()).unwrap();
    for c in [
        r#"{"action":"add-subnet","name":"c-a","cidr":"10.10.0.0/28","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"c-b","cidr":"10.10.0.16/28","az":"eu-west-1b"}"#,
        r#"{"action":"add-subnet","name":"nodes-a","cidr":"10.10.1.0/24","az":"eu-west-1a"}"#,
        r#"{"action":"create-cluster","name":"demo","version":"1.31","endpoint":"private","subnets":["c-a","c-b"]}"#,
        r#"{"action":"add-vpc-endpoint","service":"ec2"}"#,
        r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a"}"#,
    ] {
        run(&mut s, c).unwrap();
    }
    let n = s.nodes.values().next().unwrap();
    assert!(n.registered && !n.ready());
    let err = n.image_error.clone().unwrap();
    assert!(
        err.starts_with(
            "Failed to pull image \"602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni"
        ),
        "{err}"
    );
    let aws_node = s
        .pods
        .values()
        .find(|p| p.name.starts_with("aws-node"))
        .unwrap();
    assert_eq!(aws_node.status, PodStatus::ImagePullBackOff);
    for svc in ["ecr.api", "ecr.dkr"] {
        run(
            &mut s,
            &format!(r#"{{"action":"add-vpc-endpoint","service":"{svc}"}}"#),
        )
        .unwrap();
        assert!(
            !s.nodes.values().next().unwrap().ready(),
            "layers still need S3"
        );
    }
    run(&mut s, r#"{"action":"add-vpc-endpoint","service":"s3"}"#).unwrap();
    assert!(s.nodes.values().next().unwrap().ready());
    assert!(s
        .pods
        .values()
        .all(|p| p.status != PodStatus::ImagePullBackOff));
}

/// EKS User Guide, grant-k8s-access: which mapping counts under which
/// authentication mode, and the mode only moves forward.
#[test]
fn the_authentication_mode_decides_which_mapping_counts_and_only_moves_forward() {
    assert!(!AuthMode::ConfigMap.accepts(NodeAccess::AccessEntry));
    assert!(AuthMode::ConfigMap.accepts(NodeAccess::AwsAuth));
    assert!(!AuthMode::Api.accepts(NodeAccess::AwsAuth));
    assert!(AuthMode::ApiAndConfigMap.accepts(NodeAccess::AccessEntry));
    let mut s = three_az();
    run_all(
        &mut s,
        &[
            r#"{"action":"set-node-access","access":"aws-auth"}"#,
            r#"{"action":"set-authentication-mode","mode":"API"}"#,
            r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-c"}"#,
        ],
    );
    let n = s.nodes.values().next().unwrap();
    assert!(!n.registered);
    assert!(n
        .join_error
        .as_deref()
        .unwrap()
        .ends_with("with API server: Unauthorized"));
    let err = run(
        &mut s,
        r#"{"action":"set-authentication-mode","mode":"CONFIG_MAP"}"#,
    )
    .unwrap_err();
    assert!(
        err.contains("cannot change from API to CONFIG_MAP"),
        "{err}"
    );
    run(
        &mut s,
        r#"{"action":"set-node-access","access":"access-entry"}"#,
    )
    .unwrap();
    assert!(s.nodes.values().next().unwrap().registered);
}

/// nodeadm names the node with EC2's PrivateDnsName (internal/kubelet/config.go),
/// so a custom DHCP domain-name does not change it; custom DNS servers hide
/// the interface endpoints' private DNS (PrivateLink guide).
#[test]
fn dhcp_options_change_dns_but_not_the_node_name() {
    let mut s = builtin("private-endpoint-join");
    run_all(
        &mut s,
        &[
            r#"{"action":"add-vpc-endpoint","service":"ec2"}"#,
            r#"{"action":"set-dhcp-options","servers":"amazon-provided","domain_name":"corp.example"}"#,
        ],
    );
    let node = s.nodes.values().next().unwrap();
    assert!(node.ready());
    let join = s.join(&node.name).unwrap();
    assert!(
        join.steps[1]
            .detail
            .contains("ip-10-10-1-4.eu-west-1.compute.internal"),
        "{}",
        join.steps[1].detail
    );
    assert!(join.steps[1]
        .detail
        .contains("corp.example changes the OS hostname, not the node name"));
    // Custom DNS servers: the ec2 endpoint's private DNS name is not seen, so
    // a new node's nodeadm times out (no way out of this VPC).
    run_all(
        &mut s,
        &[
            r#"{"action":"set-dhcp-options","servers":"custom"}"#,
            r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a"}"#,
        ],
    );
    let new = s.nodes.values().last().unwrap();
    assert!(!new.registered);
    let join = s.join(&new.name).unwrap();
    assert_eq!(
        join.steps[1].status,
        StepStatus::Failed,
        "{}",
        join.to_text()
    );
    assert!(
        join.steps[1].detail.contains("private DNS needs"),
        "{}",
        join.steps[1].detail
    );
    // The private-only endpoint still resolves: public DNS gives the X-ENIs.
    let old = s.nodes.values().next().unwrap();
    assert!(old.ready(), "the running node keeps its API server");
}

/// A Pending pod with no Ready node is not told to add capacity: it is told
/// which node failed to join and why (the join's real message).
#[test]
fn a_pending_pod_in_a_cluster_with_no_ready_node_names_the_join_failure() {
    let s = builtin("private-endpoint-join");
    let pod = s.pods.values().find(|p| p.is_workload()).unwrap().id;
    let advice = podnet_model::query::advice_for_pod(&s, pod).join("\n");
    assert!(advice.contains("No node is Ready"), "{advice}");
    assert!(
        advice.contains("ip-10-10-1-4 never registered: nodeadm init:"),
        "{advice}"
    );
    assert!(!advice.contains("max pods"), "{advice}");
}

/// Amazon VPC User Guide, route tables and NAT gateways: traffic to the
/// internet leaves through the subnet's 0.0.0.0/0 route, or not at all.
#[test]
fn traffic_out_of_the_vpc_follows_the_route_table() {
    let seed = builtin("seed");
    let out = Endpoint::Address {
        ip: "198.51.100.7".parse().unwrap(),
    };
    let pod = seed.pods.values().find(|p| p.is_workload()).unwrap().id;
    let p = seed.trace(Endpoint::Pod { pod }, out).unwrap();
    assert!(p.reachable);
    assert!(
        p.verdict.contains("sees 203.0.113.1"),
        "the NAT gateway's Elastic IP: {}",
        p.verdict
    );
    let mut s = builtin("public-endpoint-no-nat");
    let node = s.nodes.values().next().unwrap().id;
    let p = s.trace(Endpoint::Node { node }, out).unwrap();
    assert!(!p.reachable);
    assert!(p.verdict.contains("only the local route"), "{}", p.verdict);
    run(
        &mut s,
        r#"{"action":"set-route","subnet":"nodes-a","to":"internet-gateway"}"#,
    )
    .unwrap();
    let p = s.trace(Endpoint::Node { node }, out).unwrap();
    assert!(
        p.reachable && p.verdict.contains("203.0.113."),
        "the instance's public IP: {}",
        p.verdict
    );
}

/// flanneld runs in its DaemonSet pod: a node whose kube-flannel image
/// cannot be pulled (quay.io, no way out) leases no pod CIDR; once a NAT
/// route lets the image pull, flanneld leases one and the node turns Ready.
#[test]
fn a_flannel_node_that_cannot_pull_its_agent_leases_no_range_until_it_can() {
    let mut s = Sandbox::new("10.10.0.0/16", Default::default()).unwrap();
    for c in [
        r#"{"action":"set-cni","cni":{"cni":"flannel","subnet_manager":"etcd"}}"#,
        r#"{"action":"add-internet-gateway"}"#,
        r#"{"action":"add-subnet","name":"public-a","cidr":"10.10.0.32/28","az":"eu-west-1a","route":"internet-gateway"}"#,
        r#"{"action":"add-nat-gateway","subnet":"public-a"}"#,
        r#"{"action":"add-subnet","name":"c-a","cidr":"10.10.0.0/28","az":"eu-west-1a"}"#,
        r#"{"action":"add-subnet","name":"c-b","cidr":"10.10.0.16/28","az":"eu-west-1b"}"#,
        r#"{"action":"add-subnet","name":"nodes-a","cidr":"10.10.1.0/24","az":"eu-west-1a"}"#,
        r#"{"action":"create-cluster","name":"demo","version":"1.31","endpoint":"private","subnets":["c-a","c-b"]}"#,
        r#"{"action":"add-vpc-endpoint","service":"ec2"}"#,
        r#"{"action":"add-vpc-endpoint","service":"ecr.api"}"#,
        r#"{"action":"add-vpc-endpoint","service":"ecr.dkr"}"#,
        r#"{"action":"add-vpc-endpoint","service":"s3"}"#,
        r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a"}"#,
    ] {
        run(&mut s, c).unwrap();
    }
    let n = s.nodes.values().next().unwrap();
    assert!(n.registered && !n.ready());
    assert!(n.image_error.is_some(), "quay.io is out of reach");
    assert!(
        n.overlay.is_none(),
        "flanneld never ran, so it leased nothing"
    );
    let cmd: Command =
        serde_json::from_str(r#"{"action":"set-route","subnet":"nodes-a","to":"nat-gateway"}"#)
            .unwrap();
    let events = s.apply(cmd).unwrap();
    let n = s.nodes.values().next().unwrap();
    assert!(n.ready() && n.overlay.is_some());
    let text: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    let at = |needle: &str| text.iter().position(|t| t.contains(needle));
    assert!(
        at("the images pull now") < at("flanneld leased") && at("flanneld leased").is_some(),
        "{text:#?}"
    );
}
