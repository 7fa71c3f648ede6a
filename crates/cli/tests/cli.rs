//! The `podnet` binary end to end: exit codes, stdout and stderr.

use std::process::{Command, Output};

fn podnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_podnet"))
        .args(args)
        .output()
        .expect("podnet runs")
}

#[test]
fn subnet_prints_251_usable_and_the_reserved_addresses() {
    let out = podnet(&["subnet", "10.10.1.0/24"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("usable     251 (10.10.1.4 - 10.10.1.254)"),
        "{text}"
    );
    assert!(
        text.contains("10.10.1.2       reserved by AWS for the Amazon DNS server"),
        "{text}"
    );
}

#[test]
fn subnet_json_is_machine_readable() {
    let out = podnet(&["subnet", "10.10.0.0/16", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["usable"], 65_531);
    assert_eq!(json["reserved"][4]["addr"], "10.10.255.255");
}

#[test]
fn a_bad_cidr_fails_on_stderr_with_the_rule() {
    let out = podnet(&["subnet", "10.10.1.7/24"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("10.10.1.7/24 is not a network address"),
        "{err}"
    );
}

#[test]
fn help_lists_the_subcommands() {
    let out = podnet(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("subnet"), "{text}");
}

#[test]
fn the_readme_shows_what_max_pods_explain_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let out = podnet(&["max-pods", "--instance-type", "m5.large", "--explain"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(readme.contains(&text), "README should show:\n{text}");
}

#[test]
fn max_pods_prints_the_formula_value_and_explains_it() {
    let out = podnet(&["max-pods", "--instance-type", "m5.large"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "29");
    let out = podnet(&["max-pods", "--instance-type", "m5.large", "--explain"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("3 ENIs × (10 − 1) + 2 = 29"), "{text}");
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--prefix-delegation",
    ]);
    // The calculator's recommendation: 434 capped at 110 (2 vCPUs).
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "110");
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--prefix-delegation",
        "--show-max-allowed",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "434");
    let out = podnet(&["max-pods", "--instance-type", "c5.18xlarge"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "250");
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--prefix-delegation",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["recommended"], 110);
    assert_eq!(json["max_allowed"], 434);
    assert_eq!(json["vcpus"], 2);
    let out = podnet(&["max-pods", "--instance-type", "m5.large", "--max-eni", "2"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "20");
}

#[test]
fn max_pods_all_lists_every_catalog_type() {
    let out = podnet(&["max-pods", "--all"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1391);
    assert!(text.lines().any(|l| l == "m5.large\t29"));
}

#[test]
fn an_unknown_instance_type_suggests_the_closest() {
    let out = podnet(&["max-pods", "--instance-type", "m5.lage"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim(),
        "podnet: unknown instance type m5.lage; did you mean m5.large?"
    );
}

#[test]
fn ipamd_json_matches_the_cni_docs_t3_small_example() {
    let out = podnet(&[
        "ipamd",
        "--instance-type",
        "t3.small",
        "--pods",
        "5",
        "--json",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"enis": 3, "secondary_ips": 9, "prefixes": 0, "pods": 5, "available": 4})
    );
}

#[test]
fn ipamd_accepts_raw_limits_and_prefix_delegation() {
    let out = podnet(&[
        "ipamd",
        "--max-enis",
        "3",
        "--ipv4-per-eni",
        "10",
        "--pods",
        "20",
        "--prefix-delegation",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // ⌈20/16⌉ + WARM_PREFIX_TARGET 1 = 3 prefixes on one ENI.
    assert_eq!(json["prefixes"], 3);
    assert_eq!(json["secondary_ips"], 48);
    assert_eq!(json["enis"], 1);
}

#[test]
fn ipamd_text_shows_a_table_per_eni_and_the_events() {
    let out = podnet(&["ipamd", "--instance-type", "t3.small", "--pods", "10"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("ENI      DEVICE  PRIMARY IP"), "{text}");
    assert!(
        text.contains("Skipping ENI allocation as the max ENI limit is already reached"),
        "{text}"
    );
    assert!(
        text.contains("failed to assign an IP address to container"),
        "{text}"
    );
}

#[test]
fn run_replays_a_builtin_scenario_like_kubectl() {
    let out = podnet(&["run", "seed"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("CONTROL PLANE demo (Kubernetes 1.31, endpoint public and private)"),
        "{text}"
    );
    assert!(
        text.contains("nodes-a         10.10.1.0/24      eu-west-1a        251"),
        "{text}"
    );
    assert!(text.contains("aws-node-1"), "{text}");
}

#[test]
fn run_json_shows_stuck_pods_with_their_reason() {
    let out = podnet(&["run", "subnet-exhaustion", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stuck: Vec<&serde_json::Value> = json["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "container-creating")
        .collect();
    assert_eq!(stuck.len(), 5);
    // subnets[0] is the public subnet with the NAT gateway; [3] is nodes-a.
    assert_eq!(json["subnets"][3]["free"], 0);
}

#[test]
fn run_rejects_a_corrupt_file_with_its_position() {
    let dir = std::env::temp_dir().join(format!("podnet-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, "{\"version\": 1,\n  \"name\": 7}").unwrap();
    let out = podnet(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("not a podnet scenario: line 2, column"),
        "{err}"
    );
}

#[test]
fn max_pods_with_custom_networking_drops_the_primary_eni() {
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--custom-networking",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "20");
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--custom-networking",
        "--prefix-delegation",
        "--show-max-allowed",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "290");
}

#[test]
fn max_pods_under_flannel_explains_the_ami_default() {
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--cni",
        "flannel",
        "--explain",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("max pods = 29"), "{text}");
    assert!(text.contains("253 pod addresses"), "{text}");
}

#[test]
fn max_pods_under_calico_names_its_blocks() {
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--cni",
        "calico",
        "--explain",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("max pods = 29"), "{text}");
    assert!(text.contains("/26 block of 64 addresses"), "{text}");
}

#[test]
fn run_honours_a_calico_scenario() {
    let out = podnet(&["run", "calico", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ips: Vec<&str> = json["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["host_network"] == false)
        .map(|p| p["ip"].as_str().unwrap())
        .collect();
    assert_eq!(ips.len(), 6 + 2, "six pods and CoreDNS's two replicas");
    assert!(ips.iter().all(|ip| ip.starts_with("192.168.0.")), "{ips:?}");
    assert_eq!(
        json["nodes"][0]["pod_addresses"],
        "Calico blocks 192.168.0.0/26 (5 of 64 used)"
    );
    let text = String::from_utf8(podnet(&["run", "calico"]).stdout).unwrap();
    assert!(
        text.contains("OVERLAY POD ADDRESSES (not VPC addresses)\nip-10-10-1-4      Calico blocks 192.168.0.0/26"),
        "{text}"
    );
}

#[test]
fn run_honours_the_scenario_cni() {
    let out = podnet(&["run", "flannel", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ip = json["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["host_network"] == false)
        .unwrap()["ip"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ip.starts_with("10.244."), "{ip}");
}

#[test]
fn compare_puts_the_cnis_side_by_side() {
    let out = podnet(&["compare", "seed"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("AWS VPC CNI"), "{text}");
    assert!(text.contains("Flannel"), "{text}");
    assert!(text.contains("VXLAN"), "{text}");
    let out = podnet(&["compare", "seed", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json[1]["vpc_addresses"], 5,
        "the NAT gateway, 2 X-ENIs, 2 node IPs"
    );
}

#[test]
fn max_pods_with_security_groups_for_pods_adds_the_branch_enis() {
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "c5.4xlarge",
        "--security-groups-for-pods",
    ]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "110 (+54 branch ENIs for pods with their own security groups)"
    );
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "t3.large",
        "--security-groups-for-pods",
        "--explain",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("not trunking-compatible"), "{text}");
}

#[test]
fn run_shows_trunks_and_the_pod_eni_shortage() {
    let out = podnet(&["run", "security-groups-for-pods"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("TRUNK ENIS (security groups for pods)"),
        "{text}"
    );
    assert!(text.contains("9/9"), "{text}");
    assert!(
        text.contains("0/2 nodes are available: 2 Insufficient vpc.amazonaws.com/pod-eni."),
        "{text}"
    );
    assert!(text.contains("ResourceAllocated"), "{text}");
}

#[test]
fn cilium_eni_mode_counts_eth0_and_fails_with_range_is_full() {
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--cni",
        "cilium-eni",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), "29");
    let out = podnet(&[
        "max-pods",
        "--instance-type",
        "m5.large",
        "--cni",
        "cilium-eni",
        "--custom-networking",
        "--explain",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("max pods = 20"), "{text}");
    assert!(text.contains("first-interface-index is 1"), "{text}");
    let out = podnet(&["run", "cilium-eni"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("postIpamFailure  range is full"), "{text}");
    assert!(text.contains("assigned 8 secondary IPs"), "{text}");
    assert!(!text.contains("ipamd"), "{text}");
}

#[test]
fn trace_join_and_flat_follow_the_packets() {
    let out = podnet(&["trace", "flannel", "app-9", "app-7"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("outer: 10.10.1.4 → 10.10.2.4 UDP 8472 (VXLAN, VNI 1)"),
        "{text}"
    );
    let out = podnet(&["trace", "seed", "control-plane", "ip-10-10-1-4", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["reachable"], true);
    assert_eq!(json["hops"][1]["place"]["at"], "x-eni");
    let out = podnet(&["join", "seed", "ip-10-10-1-4"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("— joined and Ready"), "{text}");
    assert!(text.contains("→ 10.10.0.4, 10.10.0.20"), "{text}");
    assert!(
        text.contains("requester-managed ENI in your account"),
        "{text}"
    );
    let out = podnet(&["flat", "flannel"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Yes: under Flannel"), "{text}");
    assert!(
        text.contains("webhooks must run with hostNetwork: true"),
        "{text}"
    );
    let out = podnet(&["trace", "seed", "app-7", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no pod, node or address \"nope\""));
}

#[test]
fn plan_sizes_subnets_per_az_and_writes_a_scenario_that_replays() {
    let dir = std::env::temp_dir().join(format!("podnet-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("plan.json");
    let out = podnet(&[
        "plan",
        "--instance-type",
        "m5.large",
        "--nodes",
        "6..12",
        "--pods-per-node",
        "20",
        "--scenario-out",
        out_file.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "nodes-eu-west-1a         nodes    eu-west-1a        60     180  10.0.0.0/24"
        ),
        "{text}"
    );
    assert!(
        text.contains("one node holds 30 addresses of its subnet, on 3 ENIs"),
        "{text}"
    );
    let run = podnet(&["run", out_file.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let json = podnet(&[
        "plan",
        "--instance-type",
        "m5.large",
        "--nodes",
        "3",
        "--pods",
        "60",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["input"]["groups"][0]["pods_per_node"], 20);

    let yaml = podnet(&[
        "plan",
        "--instance-type",
        "m5.large",
        "--nodes",
        "3",
        "--pods-per-node",
        "10",
        "--prefix-delegation",
        "--eksctl",
    ]);
    let yaml = String::from_utf8(yaml.stdout).unwrap();
    assert!(
        yaml.starts_with("# eksctl ClusterConfig")
            && yaml.contains("\"ENABLE_PREFIX_DELEGATION\":\"true\""),
        "{yaml}"
    );
}

#[test]
fn plan_refuses_more_pods_than_max_pods_with_the_numbers() {
    let out = podnet(&[
        "plan",
        "--instance-type",
        "m5.large",
        "--pods-per-node",
        "40",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("groups[0].pods_per_node: 40 pods + 0 hostNetwork + 2 DaemonSet pods = 42 per node, but m5.large takes at most 29"), "{err}");
}

#[test]
fn fit_and_export_work_on_a_builtin_scenario() {
    let out = podnet(&["fit", "seed", "--nodes", "4", "--pods", "40"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Yes: 4 nodes and 40 pods fit"), "{text}");
    let out = podnet(&["fit", "seed", "--nodes", "30", "--pods", "700"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("No: at 30 nodes"), "{text}");
    let out = podnet(&["export", "eksctl", "seed"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "controlPlaneSubnetIDs: [subnet-REPLACE-cluster-a, subnet-REPLACE-cluster-b]"
        ),
        "{text}"
    );
}

#[test]
fn exercise_list_and_check_prove_the_builtins_and_reject_a_bad_file() {
    let out = podnet(&["exercise", "list"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 15, "{text}");
    assert!(text.starts_with("size-a-subnet "), "{text}");

    let out = podnet(&["exercise", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("15 checked, 0 failed\n"), "{text}");

    let dir = std::env::temp_dir().join(format!("podnet-ex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.json"), r#"{"version": 1, "id": "x", "title": "t", "goal": "g", "scenario": "seed", "goals": [{"text": "t", "all": [{"check": "subnet-free", "subnet": "nope", "min": 1}]}], "explanation": "e", "solution": [{"action": "advance-time", "seconds": 1}]}"#).unwrap();
    let out = podnet(&["exercise", "check", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.json: goals[0].all[0]: subnet:") && err.contains("nope"),
        "{err}"
    );
    assert!(err.contains("1 checked, 1 failed"), "{err}");
}

/// The private-cluster failures in `podnet join`, each with the message the
/// real component prints, and the fixes through `--then` (EKS User Guide,
/// private-clusters, cluster-endpoint; nodeadm `internal/api/status.go`).
#[test]
fn join_shows_private_cluster_failures_and_then_applies_the_fix() {
    let out = podnet(&["join", "private-endpoint-join", "ip-10-10-1-4"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("— does not join"), "{text}");
    assert!(text.contains("[FAILED] Bootstrap (nodeadm)"), "{text}");
    assert!(
        text.contains(
            "operation error EC2: DescribeInstances, exceeded maximum number of attempts, 30"
        ),
        "{text}"
    );
    let fixed = podnet(&[
        "join",
        "private-endpoint-join",
        "ip-10-10-1-4",
        "--then",
        r#"{"action":"add-vpc-endpoint","service":"ec2"}"#,
    ]);
    let text = String::from_utf8(fixed.stdout).unwrap();
    assert!(text.contains("— joined and Ready"), "{text}");
    assert!(text.contains("the ec2 interface endpoint"), "{text}");

    let out = podnet(&["join", "public-endpoint-no-nat", "ip-10-50-1-4"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("its route table has only the local route"),
        "{text}"
    );
    assert!(text.contains("Post \"https://"), "{text}");

    let out = podnet(&["join", "restricted-public-endpoint", "ip-10-60-1-4"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("do not include 203.0.113.1"), "{text}");

    // UpdateClusterConfig with a subnet in another AZ is refused as EKS refuses it.
    let out = podnet(&[
        "run",
        "upgrade-blocked",
        "--then",
        r#"{"action":"add-subnet","name":"cp-c","cidr":"10.40.0.96/28","az":"ap-southeast-2c"}"#,
        "--then",
        r#"{"action":"update-cluster-subnets","subnets":["cluster-a","cp-c"]}"#,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("same set of Availability Zones"), "{err}");
}

/// Fuzzing reproducers (issue 15, points 4 and 5): raw limits that wrapped
/// u32 ("max pods 2") and a pod count that never ended are refused, naming
/// the limit.
#[test]
fn ipamd_refuses_limits_beyond_any_instance() {
    let out = podnet(&[
        "ipamd",
        "--max-enis",
        "65536",
        "--ipv4-per-eni",
        "65537",
        "--pods",
        "3",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("podnet simulates at most 128 ENIs of 256 IPv4 addresses"),
        "{err}"
    );
    let out = podnet(&[
        "ipamd",
        "--instance-type",
        "t3.micro",
        "--pods",
        "4294967295",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("at most 5000 pods"), "{err}");
}

/// Issue 15, point 7: too many zones are refused, never clamped to 26.
#[test]
fn plan_refuses_more_zones_than_it_can_name() {
    let out = podnet(&[
        "plan",
        "--instance-type",
        "m5.large",
        "--nodes",
        "3",
        "--pods-per-node",
        "20",
        "--azs",
        "100",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "podnet: --azs 100: 100 Availability Zones: podnet plans for at most 26 (a letter each); an AWS Region has a handful\n"
    );
}

/// Issue 15, point 8: a VPC block outside /16–/28 is the VPC block's fault.
#[test]
fn plan_blames_the_vpc_block_for_a_slash_zero() {
    let out = podnet(&[
        "plan",
        "--instance-type",
        "m5.large",
        "--nodes",
        "3",
        "--pods-per-node",
        "20",
        "--vpc-cidr",
        "0.0.0.0/0",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "podnet: vpc_cidr: VPC block 0.0.0.0/0 is a /0: AWS allows VPC blocks from /16 to /28\n"
    );
}

fn podnet_into(
    args: &[&str],
    stdout: std::fs::File,
    stderr: std::fs::File,
) -> std::process::ExitStatus {
    Command::new(env!("CARGO_BIN_EXE_podnet"))
        .args(args)
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .expect("podnet runs")
}

/// Issue 15, point 8: output that cannot be written is a failure with a
/// message (it was exit 0 with the output lost), and a stderr that cannot
/// take the message is an exit code, not an abort (it was exit 134).
#[test]
#[cfg(target_os = "linux")]
fn a_full_stream_is_a_failure_not_a_silent_success_or_an_abort() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let log = std::env::temp_dir().join(format!("podnet-full-{}.txt", std::process::id()));
    let status = podnet_into(
        &["subnet", "10.10.1.0/24"],
        full(),
        std::fs::File::create(&log).unwrap(),
    );
    assert_eq!(status.code(), Some(1));
    let err = std::fs::read_to_string(&log).unwrap();
    assert!(
        err.starts_with("podnet: cannot write the output: No space left on device"),
        "{err}"
    );
    let _ = std::fs::remove_file(&log);
    let status = podnet_into(&["subnet", "10.10.1.7/24"], full(), full());
    assert_eq!(status.code(), Some(1));
    let status = podnet_into(&["--help"], full(), full());
    assert_eq!(status.code(), Some(1));
}

/// A scenario saved with a byte-order mark (Windows Notepad) runs as on the page.
#[test]
fn a_scenario_file_with_a_byte_order_mark_runs() {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../model/scenarios/seed.json"
    ))
    .unwrap();
    let path = std::env::temp_dir().join(format!("podnet-bom-{}.json", std::process::id()));
    std::fs::write(&path, format!("\u{feff}{seed}")).unwrap();
    let out = podnet(&["run", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("scenario seed:"));
}

/// One vocabulary (issue 16): `--cni` offers exactly the model's tags, so a
/// new CNI appears here without editing the CLI.
#[test]
fn cni_flags_list_the_models_tags() {
    for sub in ["plan", "max-pods"] {
        let out = podnet(&[sub, "--help"]);
        let text = String::from_utf8(out.stdout).unwrap();
        let listed = text
            .split("[possible values: ")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap_or_default();
        let want = podnet_model::CniMode::tags().join(", ");
        assert_eq!(listed, want, "podnet {sub} --help");
    }
    // The old name of the VPC CNI is still read.
    let out = podnet(&["max-pods", "--instance-type", "m5.large", "--cni", "vpc"]);
    assert!(out.status.success());
}

fn stdout_of(args: &[&str]) -> String {
    let out = podnet(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn reach_json_lists_every_ordered_pair_with_both_sides() {
    let text = stdout_of(&["reach", "network-policy", "--port", "5432", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["port"], 5432);
    assert_eq!(json["protocol"], "TCP");
    assert_eq!(json["enforced"], true);
    let pairs = json["pairs"].as_array().unwrap();
    assert_eq!(
        pairs.len(),
        6 * 5,
        "4 pods and CoreDNS's 2, a pod to itself is not listed"
    );
    assert!(pairs.iter().any(|p| p["to"] == "kube-system/coredns-1"));
    let pair = |from: &str, to: &str| {
        pairs
            .iter()
            .find(|p| p["from"] == from && p["to"] == to)
            .unwrap()
            .clone()
    };
    let ok = pair("shop/api", "shop/db");
    assert_eq!(
        (ok["allowed"].as_bool(), ok["served"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(ok["ingress"]["policy"], "shop/db-from-api");
    assert_eq!(ok["ingress"]["rule"], 1);
    let no = pair("tools/client", "shop/db");
    assert_eq!(no["allowed"], false);
    assert!(no["ingress"]["reason"].as_str().unwrap().starts_with(
        "ingress: denied, shop/db-from-api and shop/default-deny-ingress select this pod"
    ));
    assert!(no["from_ip"].as_str().unwrap().starts_with("10.10."));
}

#[test]
fn reach_with_an_address_lists_it_as_a_source_and_a_destination() {
    let text = stdout_of(&["reach", "network-policy", "--with", "192.0.2.10", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let pairs = json["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 7 * 6);
    let outside = pairs
        .iter()
        .find(|p| p["from"] == "192.0.2.10" && p["to"] == "shop/web")
        .unwrap();
    assert_eq!(
        outside["allowed"], true,
        "web-from-anywhere allows its http port"
    );
    assert_eq!(
        outside["egress"]["reason"],
        "egress: not a pod, so no NetworkPolicy applies"
    );
}

#[test]
fn trace_with_a_port_shows_the_verdicts() {
    let text = stdout_of(&[
        "trace",
        "network-policy",
        "tools/client",
        "shop/db",
        "--port",
        "5432",
    ]);
    assert!(
        text.contains("NetworkPolicy drops it on port 5432/TCP; without the policy, "),
        "{text}"
    );
    assert!(text.contains("ingress: denied, shop/db-from-api and shop/default-deny-ingress select this pod for ingress"), "{text}");
    let text = stdout_of(&[
        "trace",
        "network-policy",
        "shop/api",
        "shop/db",
        "--port",
        "5432",
        "--protocol",
        "tcp",
    ]);
    assert!(
        text.contains("ingress: allowed by shop/db-from-api rule 1"),
        "{text}"
    );
    // The control plane calls in from its X-ENIs' addresses: api-from-web
    // does not let them in (an admission webhook there would time out).
    let text = stdout_of(&[
        "trace",
        "network-policy",
        "control-plane",
        "shop/api",
        "--port",
        "8080",
    ]);
    assert!(
        text.contains("NetworkPolicy drops it on port 8080/TCP; without the policy, "),
        "{text}"
    );
    assert!(
        text.contains("egress: not a pod, so no NetworkPolicy applies"),
        "{text}"
    );
}

#[test]
fn policy_check_validates_like_the_api_server() {
    let dir = std::env::temp_dir().join(format!("podnet-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(&good, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: dns}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  egress:\n  - ports: [{port: 53, protocol: UDP}]\n").unwrap();
    let text = stdout_of(&["policy", "check", good.to_str().unwrap()]);
    assert!(text.contains("networkpolicy.networking.k8s.io/deny valid (namespace shop): selects every pod; isolates ingress and egress"), "{text}");
    assert!(text.contains("networkpolicy.networking.k8s.io/dns valid (namespace default): selects pods with app=web; isolates ingress and egress"), "{text}");
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{}]\n").unwrap();
    let out = podnet(&["policy", "check", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("document 1: NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.ingress[0].from[0]: Required value: must specify a peer"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn export_policies_gives_yaml_kubectl_applies_and_run_json_gives_namespaces() {
    let text = stdout_of(&["export", "policies", "network-policy"]);
    assert_eq!(text.matches("---").count(), 4, "{text}");
    assert!(text.contains("name: db-from-api"), "{text}");
    let run = stdout_of(&["run", "network-policy", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run).unwrap();
    let web = json["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "web")
        .unwrap()
        .clone();
    assert_eq!(web["namespace"], "shop");
    assert_eq!(web["labels"]["app"], "web");
}
