//! Reproducers found by fuzzing (issue 15), kept as tests: each input in
//! `tests/repro/` once broke the model; these say how it behaves now.

use podnet_model::Scenario;

fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("repro")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// Cilium ENI mode, `min_allocate` 40, `pre_allocate` 0, release with no
/// delay: the operator used to assign and release for ever (133,336 events,
/// the clock ~500,000 s on). Now the first allocation is kept.
#[test]
fn the_cilium_operator_settles_with_min_allocate() {
    let s = Scenario::from_json(&read("cilium-osc.json")).unwrap();
    let r = s.replay().unwrap();
    let events = r.events().count();
    assert!(events < 50, "{events} events");
    assert!(r.sandbox.now_ms < 60_000, "clock {} ms", r.sandbox.now_ms);
    let node = r.sandbox.nodes.values().next().unwrap();
    assert_eq!(node.ipam.stats(r.sandbox.now_ms).total, 40, "min-allocate");
}

/// A subnet named "" and one named after another block's CIDR made
/// references ambiguous (a node "in 10.0.3.0/24" landed in 10.0.2.0/24).
/// Both names are refused, naming the rule.
#[test]
fn ambiguous_subnet_names_are_refused() {
    let s = Scenario::from_json(&read("names.json")).unwrap();
    let err = s.replay().unwrap_err().to_string();
    assert!(
        err.starts_with("action 1 (add subnet  (10.0.1.0/24) in a): subnet name \"\" refused"),
        "{err}"
    );
    let mut fixed = s.clone();
    fixed.actions.remove(0);
    let err = fixed.replay().unwrap_err().to_string();
    assert!(
        err.contains("it is a CIDR, 10.0.3.0/24, other than the subnet's own block 10.0.2.0/24"),
        "{err}"
    );
}

fn scenario_with(actions: Vec<podnet_model::Command>) -> Scenario {
    let mut s = Scenario::from_json(podnet_model::scenario::builtin::get("seed").unwrap()).unwrap();
    s.actions.extend(actions);
    s
}

/// Issue 15, point 3: work bounded by what a link can say. Each is refused
/// before any replaying, naming the limit.
#[test]
fn a_short_link_cannot_ask_for_unbounded_work() {
    use podnet_model::Command;
    // One add-pods 200000 with a 20 kB name prefix (a 436-character link).
    let big = scenario_with(vec![Command::AddPods(podnet_model::command::AddPods {
        count: 200_000,
        node: None,
        host_network: false,
        name: Some("x".repeat(20_000)),
        security_groups: false,
        ..Default::default()
    })]);
    let link = big.to_link_fragment();
    assert!(
        link.len() < 2_000,
        "a short link (the seed plus one command): {}",
        link.len()
    );
    let back = Scenario::from_link_fragment(&link).unwrap();
    let err = back.replay().unwrap_err().to_string();
    assert!(
        err.contains("200006 pods added; podnet replays at most 150000"),
        "the seed's 6 and 200,000: {err}"
    );
    // 70,000 commands.
    let many = scenario_with(vec![Command::AdvanceTime { seconds: 1 }; 70_000]);
    let err = many.replay().unwrap_err().to_string();
    assert!(
        err.contains("commands; podnet replays at most 10000"),
        "{err}"
    );
    // 100 day-long waits.
    let waits = scenario_with(vec![Command::AdvanceTime { seconds: 86_400 }; 100]);
    let err = waits.replay().unwrap_err().to_string();
    assert!(
        err.contains("seconds of simulated waiting; podnet replays at most 604800"),
        "{err}"
    );
    // A 20 kB name prefix on its own.
    let name = scenario_with(vec![Command::AddPods(podnet_model::command::AddPods {
        count: 1,
        node: None,
        host_network: false,
        name: Some("x".repeat(20_000)),
        security_groups: false,
        ..Default::default()
    })]);
    let err = name.replay().unwrap_err().to_string();
    assert_eq!(
        err,
        "scenario too large: actions[11].name is 20000 characters; podnet takes at most 256 in a name, CIDR or setting"
    );
    // Under the text limit, the pod name's own: prefix + "-N" ≤ 253.
    let mut name = name;
    if let Some(Command::AddPods(podnet_model::command::AddPods { name, .. })) =
        name.actions.last_mut()
    {
        *name = Some("x".repeat(250));
    }
    let err = name.replay().unwrap_err().to_string();
    assert!(err.contains("pod name prefix length"), "{err}");
}

/// A 100 kB instance type name: no "did you mean" scan, and the echo is cut.
#[test]
fn a_huge_instance_type_name_is_refused_quickly_and_short() {
    let long = "m".repeat(100_000);
    let err = podnet_model::catalog::lookup(&long)
        .unwrap_err()
        .to_string();
    assert!(err.len() < 200, "{} characters", err.len());
}

/// Issue 15, point 2: 20 prefix-delegation nodes in a /27 and a day-long
/// wait logged two alternating ipamd lines every 5 s (691,346 events).
/// ipamd now waits 2 minutes after each refusal for want of addresses
/// (`insufficientCidrErrorCooldown`), and the recorder counts what each
/// retry says again: a few lines per node, however long the wait.
#[test]
fn a_refused_pool_is_said_once_not_every_pass() {
    let s = Scenario::from_json(&read("flood.json")).unwrap();
    let r = s.replay().unwrap();
    let wait = r.steps.last().unwrap();
    assert!(wait.len() <= 6 * 20, "{} events in the wait", wait.len());
    let advice = wait
        .iter()
        .find(|e| {
            e.kind
                .to_string()
                .contains("Unable to attach IPs/Prefixes for the ENI")
        })
        .expect("ipamd's advice, counted");
    // A day is 691 retries 125 s apart (120 s back-off, then the next pass).
    assert!(advice.count > 600, "counted once a retry: {}", advice.count);
    assert!(advice.to_string().contains("(×"), "{advice}");
    let total: usize = r.steps.iter().map(Vec::len).sum();
    assert!(total < 1_000, "{total} events");
}

/// Issue 15, point 2: nodes that join at the same moment (one access
/// change) used to re-run the scheduler per node, a `FailedScheduling`
/// for every pending pod each time (825,042 events). They are scheduled
/// onto together now: each pending pod is told once.
#[test]
fn nodes_that_join_together_are_scheduled_onto_together() {
    let s = Scenario::from_json(&read("scheduling-flood.json")).unwrap();
    let r = s.replay().unwrap();
    let change = r.steps.last().unwrap();
    let failed = change
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                podnet_model::events::EventKind::PodUnschedulable { .. }
            )
        })
        .count();
    let pending = r
        .sandbox
        .pods
        .values()
        .filter(|p| p.status == podnet_model::cluster::PodStatus::Pending)
        .count();
    assert!(pending > 1_000);
    assert_eq!(
        failed, pending,
        "one FailedScheduling per pod still pending"
    );
    let text = change
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                podnet_model::events::EventKind::PodUnschedulable { .. }
            )
        })
        .map(ToString::to_string)
        .unwrap();
    assert!(
        text.contains("0/100 nodes are available: 100 Too many pods."),
        "{text}"
    );
}

/// Issue 15, point 6: a Cilium pool overlapping the probe's VPC made the
/// probe swap in default settings, losing the /27 per-node mask, and the
/// plan was accepted although its own scenario left 4 pods
/// `ContainerCreating` (`range is full`). The probe now runs the CNI as
/// given, in a VPC block the pool leaves clear; `plan-cilium2.json` (pool
/// 192.168.0.0/16) is the control, refused before and after.
#[test]
fn the_planner_refuses_a_cilium_plan_whose_node_range_is_too_small() {
    use podnet_model::plan::{plan, PlanInput};
    for file in ["plan-cilium.json", "plan-cilium2.json"] {
        let input = PlanInput::from_json(&read(file)).unwrap();
        let e = plan(&input).unwrap_err();
        assert_eq!(e.field, "groups[0].pods_per_node", "{file}: {e}");
        assert!(e.message.contains("stays ContainerCreating"), "{file}: {e}");
        assert!(e.message.ends_with("range is full"), "{file}: {e}");
        // With fewer pods than the /27 holds, the same settings plan, and
        // the plan's own scenarios run with every pod Running.
        let mut fewer = input.clone();
        fewer.groups[0].pods_per_node = 20;
        let p = plan(&fewer).unwrap_or_else(|e| panic!("{file}: {e}"));
        for moment in [
            podnet_model::plan::Moment::Steady,
            podnet_model::plan::Moment::Peak,
        ] {
            let r = p.scenario(moment).unwrap().replay().unwrap();
            let stuck = r
                .sandbox
                .pods
                .values()
                .filter(|p| p.status != podnet_model::PodStatus::Running)
                .count();
            assert_eq!(stuck, 0, "{file} {moment:?}");
        }
    }
}
