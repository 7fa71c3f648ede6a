//! A node's life in the learner's loop: it registers NotReady, its DaemonSet
//! pods bind first, the CNI comes up, it turns Ready, and only then do the
//! Pending pods come. The symptoms the product teaches (`Too many pods`,
//! `failed to assign an IP address`) never show for the wrong cause.

use podnet_model::cluster::PodStatus;
use podnet_model::exercise::{builtin_exercises, Attempt, Exercise};
use podnet_model::{Command, EventKind, Sandbox, Scenario};

fn seed() -> Sandbox {
    let json = podnet_model::scenario::builtin::get("seed").expect("seed is built in");
    Scenario::from_json(json)
        .expect("seed reads")
        .replay()
        .expect("seed replays")
        .sandbox
}

fn add_node(s: &mut Sandbox, subnet: &str) -> Vec<podnet_model::Event> {
    s.apply(Command::AddNode(podnet_model::command::AddNode {
        instance_type: "m5.large".into(),
        subnet: subnet.into(),
        max_pods: None,
        max_pods_from: None,
    }))
    .expect("the node launches")
}

fn add_pods(s: &mut Sandbox, count: u32) {
    s.apply(Command::AddPods(podnet_model::command::AddPods {
        count,
        node: None,
        host_network: false,
        name: None,
        security_groups: false,
        ..Default::default()
    }))
    .expect("pods are created");
}

/// The reproduction of the issue: 80 pods on the seed, then the node the
/// inspector advises.
#[test]
fn a_node_added_for_pending_pods_runs_its_daemonsets_first_and_then_27_pods() {
    let mut s = seed();
    add_pods(&mut s, 80);
    let pending = s
        .pods
        .values()
        .filter(|p| p.status == PodStatus::Pending)
        .count();
    assert_eq!(
        pending,
        80 + 6 - (2 * 27 - 2),
        "two full m5.large nodes hold 27 pods each besides aws-node and kube-proxy, CoreDNS's 2 among them"
    );
    let events = add_node(&mut s, "nodes-a");
    let node = s
        .nodes
        .values()
        .find(|n| n.id.0 == 3)
        .expect("node-3 exists");
    assert!(node.ready());
    for ds in ["aws-node-3", "kube-proxy-3"] {
        let pod = s
            .pods
            .values()
            .find(|p| p.name == ds)
            .expect("DaemonSet pod exists");
        assert_eq!(pod.status, PodStatus::Running, "{ds}");
        assert_eq!(pod.node, Some(node.id), "{ds}");
    }
    let apps_on_new = s
        .pods
        .values()
        .filter(|p| p.is_workload() && p.node == Some(node.id))
        .count();
    assert_eq!(
        apps_on_new, 27,
        "max pods 29 counts aws-node and kube-proxy"
    );
    assert!(
        s.pods
            .values()
            .all(|p| p.status != PodStatus::ContainerCreating),
        "no pod waits for an address while nodes-a has room"
    );
    // The order of events: registered NotReady, DaemonSet pods bound, Ready,
    // then the app pods.
    let position = |f: &dyn Fn(&EventKind) -> bool| {
        events
            .iter()
            .position(|e| f(&e.kind))
            .expect("the event happened")
    };
    let joined = position(&|k| matches!(k, EventKind::NodeJoined { .. }));
    let not_ready = position(&|k| matches!(k, EventKind::NodeNotReady { .. }));
    let ready = position(&|k| matches!(k, EventKind::NodeReady { .. }));
    let ds_ids: Vec<_> = s
        .pods
        .values()
        .filter(|p| p.system && p.node == Some(node.id))
        .map(|p| p.id)
        .collect();
    let first_app =
        position(&|k| matches!(k, EventKind::PodScheduled { pod, .. } if !ds_ids.contains(pod)));
    let last_ds = events
        .iter()
        .rposition(
            |e| matches!(&e.kind, EventKind::PodScheduled { pod, .. } if ds_ids.contains(pod)),
        )
        .expect("the DaemonSet pods were scheduled");
    assert!(joined < not_ready && not_ready < last_ds && last_ds < ready && ready < first_app);
    // Each binding says which pod, as kube-scheduler's `Scheduled` event
    // does (`Successfully assigned %v/%v to %v`): the one bound to a
    // NotReady node is a DaemonSet's, by its name.
    let said = |i: usize| {
        events
            .get(i)
            .map(|e| e.kind.to_string())
            .unwrap_or_default()
    };
    let ds_line = said(last_ds);
    assert!(
        ds_line.contains(&format!(
            "Successfully assigned kube-system/kube-proxy-3 to {} (node-3)",
            node.name
        )),
        "{ds_line}"
    );
    assert!(
        said(first_app).contains(": Successfully assigned default/app-"),
        "{}",
        said(first_app)
    );
    let text = events
        .get(not_ready)
        .map(|e| e.kind.to_string())
        .unwrap_or_default();
    assert!(text.contains("NetworkPluginNotReady"), "{text}");
}

/// Until its CNI is up a node takes no ordinary pod: the scheduler says the
/// taint, not `Too many pods`.
#[test]
fn a_node_whose_cni_cannot_start_takes_only_its_daemonset_pods() {
    let json = podnet_model::scenario::builtin::get("custom-networking").expect("built in");
    let mut scenario = Scenario::from_json(json).expect("reads");
    // Custom networking without the ENIConfigs: the CNI cannot start.
    scenario.actions.retain(|a| {
        !matches!(
            a,
            Command::AddNode(podnet_model::command::AddNode { .. })
                | Command::AddPods(podnet_model::command::AddPods { .. })
        )
    });
    let mut s = scenario.replay().expect("replays").sandbox;
    if let Some(mut c) = s.cni.as_vpc_cni().cloned() {
        c.eni_configs.clear();
        s.apply(Command::SetCni { cni: c.into() })
            .expect("settings apply");
    }
    let subnet = s
        .vpc
        .subnets
        .values()
        .find(|x| x.name.starts_with("nodes"))
        .map(|x| x.name.clone())
        .expect("a node subnet");
    add_node(&mut s, &subnet);
    add_pods(&mut s, 3);
    let node = s.nodes.values().next().expect("one node");
    assert!(!node.ready());
    assert_eq!(
        s.pods
            .values()
            .filter(|p| p.system && p.node == Some(node.id))
            .count(),
        2
    );
    for p in s.pods.values().filter(|p| p.is_workload()) {
        assert_eq!(p.status, PodStatus::Pending);
        let reason = p.reason.clone().unwrap_or_default();
        assert!(
            reason.contains("untolerated taint {node.kubernetes.io/not-ready: }")
                && !reason.contains("Too many pods"),
            "{reason}"
        );
    }
}

fn solve(exercise: &Exercise, commands: Vec<Command>) -> Attempt {
    let mut attempt = Attempt::new(exercise).expect("the exercise starts");
    for c in commands {
        attempt.run(c).expect("the command is allowed and applies");
    }
    attempt
}

/// `size-a-subnet` succeeds on a /24 whether the learner adds the pods or
/// the nodes first.
#[test]
fn size_a_subnet_works_pods_first_and_nodes_first() {
    let json = builtin_exercises::ALL
        .iter()
        .find(|(id, _)| *id == "size-a-subnet")
        .map(|(_, j)| *j)
        .expect("built in");
    let exercise = Exercise::from_json(json).expect("reads");
    let subnet = Command::AddSubnet(podnet_model::command::AddSubnet {
        name: Some("nodes-a".into()),
        cidr: "10.0.1.0/24".into(),
        az: "eu-west-1a".into(),
        cni_tag: false,
        route: Some("nat-gateway".into()),
    });
    let node = || {
        Command::AddNode(podnet_model::command::AddNode {
            instance_type: "m5.large".into(),
            subnet: "nodes-a".into(),
            max_pods: None,
            max_pods_from: None,
        })
    };
    let pods = Command::AddPods(podnet_model::command::AddPods {
        count: 120,
        node: None,
        host_network: false,
        name: None,
        security_groups: false,
        ..Default::default()
    });
    let mut nodes_first = vec![subnet.clone()];
    nodes_first.extend((0..6).map(|_| node()));
    nodes_first.push(pods.clone());
    let mut pods_first = vec![subnet, pods];
    pods_first.extend((0..6).map(|_| node()));
    for (order, commands) in [("nodes first", nodes_first), ("pods first", pods_first)] {
        let attempt = solve(&exercise, commands);
        assert!(attempt.done(), "{order}: {:?}", attempt.goals());
    }
}

/// With prefix delegation an m5.large of a managed node group gets 110 (the
/// calculator's 434 capped below 30 vCPUs); a self-managed one keeps
/// nodeadm's 29; each "why?" says so.
#[test]
fn max_pods_comes_from_the_node_group_not_the_cni() {
    let mut s = seed();
    s.apply(Command::SetCni {
        cni: podnet_model::CniMode::from(podnet_model::VpcCni {
            prefix_delegation: true,
            ..Default::default()
        }),
    })
    .expect("prefix delegation turns on");
    for (from, want, says) in [
        (
            podnet_model::max_pods::MaxPodsFrom::ManagedNodeGroup,
            110,
            "cap max pods at 110",
        ),
        (
            podnet_model::max_pods::MaxPodsFrom::Nodeadm,
            29,
            "ignores prefix delegation",
        ),
    ] {
        s.apply(Command::AddNode(podnet_model::command::AddNode {
            instance_type: "m5.large".into(),
            subnet: "nodes-a".into(),
            max_pods: None,
            max_pods_from: Some(from),
        }))
        .expect("the node launches");
        let node = s.nodes.values().last().expect("the new node");
        assert_eq!(node.max_pods(), want, "{from}");
        let why = podnet_model::query::explain_max_pods(&s, node.id)
            .expect("a why")
            .to_string();
        assert!(why.contains(says), "{why}");
    }
    // The seed's VPC is in 10.0.0.0/8, so EKS chose 172.20.0.0/16.
    let service = s.cluster.as_ref().map(|c| c.service_cidr().to_string());
    assert_eq!(service.as_deref(), Some("172.20.0.0/16"));
}
