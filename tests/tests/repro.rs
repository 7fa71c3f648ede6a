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
