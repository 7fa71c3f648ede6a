//! The README's examples stay true: its scenario replays, and its CLI
//! transcript matches what `podnet` prints.

use podnet_model::cni::Cni;
use podnet_model::{catalog, Scenario, VpcCni};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap()
}

#[test]
fn the_readme_scenario_replays() {
    let text = readme();
    let start = text.find("```json\n").expect("a JSON block") + "```json\n".len();
    let end = start + text[start..].find("```").unwrap();
    let scenario = Scenario::from_json(&text[start..end]).unwrap();
    let replay = scenario.replay().unwrap();
    assert_eq!(replay.sandbox.nodes.len(), 1);
}

/// The transcript's formula line and the calculator's two numbers for an
/// m5.large with prefixes (the CLI's own test checks the whole transcript).
#[test]
fn the_readme_max_pods_numbers_are_the_models() {
    use podnet_model::max_pods::{calculator, recommended, CalculatorFlags};
    let m5 = catalog::lookup("m5.large").unwrap();
    let d = VpcCni::default().max_pods(m5);
    let text = readme();
    assert!(
        text.contains(&format!("min({}, cap) = 29", d.formula)),
        "{}",
        d.formula
    );
    let pd = CalculatorFlags {
        prefix_delegation: true,
        ..CalculatorFlags::default()
    };
    let shown = format!(
        "--prefix-delegation\n{}\n$ podnet max-pods --instance-type m5.large --prefix-delegation --show-max-allowed\n{}\n",
        recommended(m5, pd),
        calculator(m5, pd)
    );
    assert!(text.contains(&shown), "README should show:\n{shown}");
}

#[test]
fn the_readme_plan_input_plans() {
    let text = readme();
    let at = text
        .find("A plan input for several groups")
        .expect("the plan example");
    let start = at + text[at..].find("```\n").unwrap() + 4;
    let end = start + text[start..].find("```").unwrap();
    let input = podnet_model::plan::PlanInput::from_json(&text[start..end]).unwrap();
    let plan = podnet_model::plan::plan(&input).unwrap();
    assert_eq!(plan.nodes.len(), 2);
    assert_eq!(plan.input.azs, ["us-east-1a", "us-east-1b"]);
}

#[test]
fn the_readme_lists_every_exercise_and_every_check() {
    let text = readme();
    for (id, _) in podnet_model::exercise::builtin_exercises::titles() {
        assert!(
            text.contains(&format!("| `{id}` |")),
            "README misses exercise {id}"
        );
    }
    for check in podnet_model::exercise::CHECKS {
        assert!(
            text.contains(&format!("| `{check}` |")),
            "README misses check {check}"
        );
    }
}

#[test]
fn the_shipped_example_exercise_is_valid_and_solvable() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../web/assets/exercises");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let ex =
            podnet_model::exercise::Exercise::from_json(&std::fs::read_to_string(&path).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ex.check_solution()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// The NetworkPolicy actions the README documents run, in order, after the
/// built-in seed scenario.
#[test]
fn the_readme_network_policy_actions_run() {
    let text = readme();
    let section = &text[text
        .find("### Namespaces, labels and NetworkPolicy")
        .unwrap()..];
    let start = section.find("```json\n").unwrap() + "```json\n".len();
    let end = start + section[start..].find("```").unwrap();
    // One action per line; a line that does not close its braces continues
    // on the next.
    let mut actions = Vec::new();
    let mut pending = String::new();
    for line in section[start..end].lines() {
        pending.push_str(line);
        if pending.matches('{').count() == pending.matches('}').count() {
            actions.push(std::mem::take(&mut pending));
        }
    }
    assert_eq!(actions.len(), 6, "{actions:?}");
    let mut scenario =
        Scenario::from_json(podnet_model::scenario::builtin::get("seed").unwrap()).unwrap();
    for a in &actions {
        scenario.actions.push(serde_json::from_str(a).unwrap());
    }
    let replay = scenario.replay().unwrap();
    assert!(
        replay.sandbox.policies.is_empty(),
        "the last action deletes the policy"
    );
    assert!(replay
        .sandbox
        .pods
        .values()
        .any(|p| p.name == "web" && p.namespace == "shop"));
}
