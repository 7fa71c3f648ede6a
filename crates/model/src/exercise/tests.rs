//! Every built-in exercise is valid, not solved at the start, and solved by
//! its reference solution; bad files are refused with the field named.

use super::builtin_exercises::{self, ALL};
use super::*;

#[test]
fn every_builtin_exercise_is_solved_by_its_reference_solution() {
    for (id, json) in ALL {
        let ex = Exercise::from_json(json).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(ex.id, id);
        assert!(
            !ex.solved_at_start(),
            "{id} is solved before the learner does anything"
        );
        ex.check_solution().unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(!ex.hints.is_empty(), "{id} has hints");
    }
}

#[test]
fn builtin_titles_are_the_parsed_titles() {
    for (id, title) in builtin_exercises::titles() {
        let ex = Exercise::from_json(builtin_exercises::get(id).unwrap()).unwrap();
        assert_eq!(ex.title, title);
    }
    assert_eq!(builtin_exercises::titles().count(), ALL.len());
}

fn with(f: impl FnOnce(&mut serde_json::Value)) -> Result<Exercise, ExerciseError> {
    let mut v: serde_json::Value =
        serde_json::from_str(builtin_exercises::get("private-endpoint-join").unwrap()).unwrap();
    f(&mut v);
    Exercise::from_json(&v.to_string())
}

#[test]
fn a_bad_file_names_the_field_and_the_problem() {
    let e = Exercise::from_json("{\"version\": 1,").unwrap_err();
    assert_eq!(e.field, "file");
    assert!(e.message.starts_with("line 1, column"), "{e}");

    let e = with(|v| v["id"] = "Not An Id".into()).unwrap_err();
    assert_eq!(e.field, "id");
    assert!(e.message.contains("lowercase letters"), "{e}");

    let e = with(|v| {
        v.as_object_mut().unwrap().remove("title");
    })
    .unwrap_err();
    assert!(e.message.contains("missing field `title`"), "{e}");

    let e = with(|v| v["titel"] = "typo".into()).unwrap_err();
    assert!(e.message.contains("unknown field `titel`"), "{e}");

    let e = with(|v| {
        v["goals"][0]["all"][0] =
            serde_json::json!({"check": "subnet-free", "subnet": "nowhere", "min": 3})
    })
    .unwrap_err();
    assert_eq!(e.field, "goals[0].all[0]");
    assert!(e.message.contains("nowhere"), "{e}");

    let e =
        with(|v| v["goals"][0]["all"][0] = serde_json::json!({"check": "pods-runing", "min": 3}))
            .unwrap_err();
    assert!(e.message.contains("unknown variant `pods-runing`"), "{e}");

    let e = with(|v| v["allowed_actions"] = serde_json::json!(["add-nodes"])).unwrap_err();
    assert_eq!(e.field, "allowed_actions[0]");

    let e = with(|v| v["allowed_actions"] = serde_json::json!(["add-node"])).unwrap_err();
    assert_eq!(e.field, "solution[0]");
    assert!(
        e.message
            .contains("add-vpc-endpoint is not in allowed_actions"),
        "{e}"
    );

    let e = with(|v| v["scenario"] = "no-such-scenario".into()).unwrap_err();
    assert_eq!(e.field, "scenario");

    let e = with(|v| v["goals"] = serde_json::json!([])).unwrap_err();
    assert_eq!(e.field, "goals");
}

#[test]
fn a_solution_that_does_not_solve_names_the_goal_left() {
    let ex =
        with(|v| v["solution"] = serde_json::json!([{"action": "advance-time", "seconds": 5}]))
            .unwrap();
    let e = ex.check_solution().unwrap_err();
    assert_eq!(
        e.field, "goals[2]",
        "goals 0 and 1 (still private, no way out) hold"
    );
    assert!(e.message.contains("Every node joins and is Ready"), "{e}");
}

#[test]
fn a_once_goal_stays_met_after_the_state_moves_on() {
    let ex = Exercise::from_json(builtin_exercises::get("four-cnis").unwrap()).unwrap();
    let mut a = Attempt::new(&ex).unwrap();
    assert!(!a.goals()[0].met);
    // The stock kube-flannel does not start on EKS (no node pod CIDRs).
    a.run(Command::SetCni {
        cni: crate::cni::CniMode::from(crate::cni::Flannel::default()),
    })
    .unwrap();
    assert!(!a.goals()[0].met, "{:?}", a.goals()[0]);
    a.run(Command::SetCni {
        cni: crate::cni::CniMode::from(crate::cni::Flannel {
            subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
            ..Default::default()
        }),
    })
    .unwrap();
    assert!(a.goals()[0].met, "{:?}", a.goals()[0]);
    a.run(Command::SetCni {
        cni: crate::cni::CniMode::from(crate::cni::Calico::default()),
    })
    .unwrap();
    assert!(a.goals()[0].met && a.goals()[1].met);
    assert!(
        a.goals()[0].why.starts_with("met earlier"),
        "{}",
        a.goals()[0].why
    );
    assert!(!a.done());
}

/// Fuzzing reproducer (issue 15, point 7): an inline scenario skipped the
/// version check.
#[test]
fn an_inline_scenario_gets_the_version_check() {
    for v in [0, 99] {
        let e = with(|x| {
            x["scenario"] =
                serde_json::json!({"version": v, "name": "x", "vpc_cidr": "10.0.0.0/16"})
        })
        .unwrap_err();
        assert_eq!(e.field, "scenario.version", "{e}");
    }
}

/// Unknown fields are refused with their name (issue 15, point 7).
#[test]
fn unknown_fields_in_scenarios_and_commands_are_refused() {
    let e = crate::Scenario::from_json(
        r#"{"version": 2, "name": "x", "vpc_cidr": "10.0.0.0/16", "acitons": []}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown field `acitons`"), "{e}");
    let e = serde_json::from_str::<crate::Command>(
        r#"{"action": "add-subnet", "cidr": "10.0.1.0/24", "az": "a", "nmae": "x"}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unknown field `nmae`"), "{e}");
    let e = serde_json::from_str::<crate::Command>(r#""add-node""#).unwrap_err();
    assert!(e.to_string().contains("expected a command object"), "{e}");
    assert!(!e.to_string().contains("RawCommand"), "{e}");
    let e = crate::Scenario::from_json(r#"{"version": 0, "name": "x", "vpc_cidr": "10.0.0.0/16"}"#)
        .unwrap_err();
    assert!(e.to_string().contains("version 0 does not exist"), "{e}");
}
