//! Fuzzing on stable Rust (issue 15): share links, scenario files, exercise
//! files and planner inputs, mutated byte by byte and field by field from a
//! seed corpus (every built-in scenario and exercise, the planner's golden
//! inputs and every reproducer in `tests/repro/`).
//!
//! What must hold for every input: no panic, a refusal is a message that
//! names no internal type and echoes no unbounded input, and whatever is
//! accepted runs: a decoded scenario replays (or refuses one command), an
//! exercise starts, a plan's scenarios replay.
//!
//! `cargo test` runs a short pass of each target. CI runs a longer one in
//! the `fuzz` profile (optimised, overflow checks on):
//! `PODNET_FUZZ_SECONDS=60 cargo test --profile fuzz -p podnet-tests --test fuzz`
//! gives each target 60 seconds. A failure prints the seed of its round
//! and proptest's smallest failing input; add that input to `tests/repro/`.

use std::time::{Duration, Instant};

use podnet_model::exercise::{builtin_exercises, Attempt, Exercise};
use podnet_model::plan::{plan, Moment, PlanInput};
use podnet_model::scenario::builtin;
use podnet_model::Scenario;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::Value;

/// A refusal must stay short: a 100 kB name used to be echoed whole.
const MAX_MESSAGE: usize = 2_000;

fn repro(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("repro")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn repro_files() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("repro");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names.iter().map(|n| repro(n)).collect()
}

/// Scenario texts: the built-ins and the reproducers that are scenarios.
fn scenario_corpus() -> Vec<String> {
    let mut all: Vec<String> = builtin::ALL.iter().map(|(_, j)| (*j).to_owned()).collect();
    all.extend(
        repro_files()
            .into_iter()
            .filter(|t| Scenario::from_json(t).is_ok()),
    );
    all
}

fn exercise_corpus() -> Vec<String> {
    let mut all: Vec<String> = builtin_exercises::ALL
        .iter()
        .map(|(_, j)| (*j).to_owned())
        .collect();
    all.push(
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../web/assets/exercises/too-many-pods.json"
        ))
        .unwrap(),
    );
    all
}

fn plan_corpus() -> Vec<String> {
    let mut all: Vec<String> = repro_files()
        .into_iter()
        .filter(|t| PlanInput::from_json(t).is_ok())
        .collect();
    let mut simple = PlanInput::simple("m5.large", 3, 20);
    all.push(serde_json::to_string(&simple).unwrap());
    simple.cni = podnet_model::CniMode::from(podnet_model::VpcCni {
        prefix_delegation: true,
        custom_networking: true,
        ..Default::default()
    });
    all.push(serde_json::to_string(&simple).unwrap());
    assert!(all.len() >= 4, "the planner corpus lost its reproducers");
    all
}

/// One change to a byte string.
#[derive(Debug, Clone)]
enum ByteEdit {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    /// Repeat a range many times (inflation).
    Repeat(usize, usize, u16),
    Truncate(usize),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| ByteEdit::Set(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| ByteEdit::Delete(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| ByteEdit::Insert(i, b)),
        (any::<usize>(), 1usize..32, 2u16..2_000).prop_map(|(i, n, k)| ByteEdit::Repeat(i, n, k)),
        any::<usize>().prop_map(ByteEdit::Truncate),
    ]
}

fn apply_bytes(mut b: Vec<u8>, edits: &[ByteEdit]) -> Vec<u8> {
    for e in edits {
        let len = b.len().max(1);
        match e {
            ByteEdit::Set(i, v) => {
                if let Some(x) = b.get_mut(i % len) {
                    *x = *v;
                }
            }
            ByteEdit::Delete(i, n) => {
                let at = (i % len).min(b.len());
                let end = (at + n).min(b.len());
                b.drain(at..end);
            }
            ByteEdit::Insert(i, bytes) => {
                let at = (i % len).min(b.len());
                b.splice(at..at, bytes.iter().copied());
            }
            ByteEdit::Repeat(i, n, k) => {
                let at = (i % len).min(b.len());
                let end = (at + n).min(b.len());
                let piece: Vec<u8> = b[at..end].to_vec();
                let more: Vec<u8> = piece.repeat(usize::from(*k));
                b.splice(end..end, more);
            }
            ByteEdit::Truncate(i) => b.truncate(i % len),
        }
    }
    b
}

/// One change to a JSON document, at the `pick`-th node in document order.
#[derive(Debug, Clone)]
enum JsonEdit {
    Replace(usize, Wild),
    Remove(usize),
    /// An unknown field next to the node's own.
    Unknown(usize),
    /// The node's array or string repeated `k` times.
    Grow(usize, u16),
}

/// Values that have broken parsers and models before.
#[derive(Debug, Clone)]
enum Wild {
    Num(i128),
    Float(f64),
    Str(String),
    LongStr(usize),
    Null,
    Bool(bool),
    EmptyArray,
    EmptyObject,
}

fn wild() -> impl Strategy<Value = Wild> {
    prop_oneof![
        prop_oneof![
            Just(0i128),
            Just(1),
            Just(-1),
            Just(26),
            Just(27),
            Just(i128::from(u8::MAX) + 1),
            Just(i128::from(u16::MAX) + 1),
            Just(i128::from(u32::MAX)),
            Just(i128::from(u32::MAX) + 1),
            Just(i128::from(u64::MAX)),
            Just(150_001),
            Just(5_001),
            Just(86_401),
            any::<u32>().prop_map(i128::from),
        ]
        .prop_map(Wild::Num),
        prop_oneof![Just(1e308), Just(-0.0), Just(0.5)].prop_map(Wild::Float),
        prop_oneof![
            Just(String::new()),
            Just("0.0.0.0/0".to_owned()),
            Just("10.0.0.0/8".to_owned()),
            Just("255.255.255.255/32".to_owned()),
            Just("10.0.0.7/16".to_owned()),
            Just("\u{feff}".to_owned()),
            Just("m5.large".to_owned()),
            Just("eu-west-1a".to_owned()),
            "[a-z0-9./-]{0,12}",
        ]
        .prop_map(Wild::Str),
        (1usize..100_000).prop_map(Wild::LongStr),
        Just(Wild::Null),
        any::<bool>().prop_map(Wild::Bool),
        Just(Wild::EmptyArray),
        Just(Wild::EmptyObject),
    ]
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<usize>(), wild()).prop_map(|(i, w)| JsonEdit::Replace(i, w)),
        2 => any::<usize>().prop_map(JsonEdit::Remove),
        1 => any::<usize>().prop_map(JsonEdit::Unknown),
        1 => (any::<usize>(), 2u16..200).prop_map(|(i, k)| JsonEdit::Grow(i, k)),
    ]
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(o) => o.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`-th node in document order (0 is the root).
fn nth(v: &mut Value, n: usize) -> Option<&mut Value> {
    if n == 0 {
        return Some(v);
    }
    let mut left = n - 1;
    let children: Vec<&mut Value> = match v {
        Value::Array(a) => a.iter_mut().collect(),
        Value::Object(o) => o.values_mut().collect(),
        _ => return None,
    };
    for c in children {
        let size = count(c);
        if left < size {
            return nth(c, left);
        }
        left -= size;
    }
    None
}

fn wild_value(w: &Wild) -> Value {
    match w {
        Wild::Num(n) => serde_json::from_str(&n.to_string()).unwrap_or(Value::Null),
        Wild::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Wild::Str(s) => Value::String(s.clone()),
        Wild::LongStr(n) => Value::String("x".repeat(*n)),
        Wild::Null => Value::Null,
        Wild::Bool(b) => Value::Bool(*b),
        Wild::EmptyArray => Value::Array(Vec::new()),
        Wild::EmptyObject => Value::Object(serde_json::Map::new()),
    }
}

fn apply_json(text: &str, edits: &[JsonEdit]) -> String {
    let Ok(mut v) = serde_json::from_str::<Value>(text) else {
        return text.to_owned();
    };
    for e in edits {
        let size = count(&v);
        match e {
            JsonEdit::Replace(i, w) => {
                if let Some(node) = nth(&mut v, i % size) {
                    *node = wild_value(w);
                }
            }
            JsonEdit::Remove(i) => {
                // Remove a member of the node's parent: pick an object or array.
                if let Some(node) = nth(&mut v, i % size) {
                    match node {
                        Value::Object(o) => {
                            if let Some(k) = o.keys().nth(i % o.len().max(1)).cloned() {
                                o.remove(&k);
                            }
                        }
                        Value::Array(a) if !a.is_empty() => {
                            let at = i % a.len();
                            a.remove(at);
                        }
                        _ => {}
                    }
                }
            }
            JsonEdit::Unknown(i) => {
                if let Some(Value::Object(o)) = nth(&mut v, i % size) {
                    o.insert("nmae".into(), Value::Bool(true));
                }
            }
            JsonEdit::Grow(i, k) => {
                if let Some(node) = nth(&mut v, i % size) {
                    match node {
                        Value::Array(a) if !a.is_empty() => {
                            let copy = a.clone();
                            for _ in 1..*k {
                                a.extend(copy.iter().cloned());
                            }
                        }
                        Value::String(s) => *s = s.repeat(usize::from(*k)),
                        _ => {}
                    }
                }
            }
        }
    }
    serde_json::to_string(&v).unwrap_or_default()
}

/// A refusal reads as a message: short, and naming no Rust type.
fn check_message(what: &str, message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.is_empty(), "{what}: an empty message");
    prop_assert!(
        message.len() <= MAX_MESSAGE,
        "{what}: a {}-character message: {}…",
        message.len(),
        &message[..message
            .char_indices()
            .nth(200)
            .map_or(message.len(), |(i, _)| i)]
    );
    for internal in [
        "RawCommand",
        "RawCni",
        "struct ",
        "enum Command",
        "PodId(",
        "NodeId(",
    ] {
        prop_assert!(
            !message.contains(internal),
            "{what}: names {internal:?}: {message}"
        );
    }
    Ok(())
}

/// A decoded scenario replays, or refuses one command with a message.
fn check_scenario(s: &Scenario) -> Result<(), TestCaseError> {
    match s.replay() {
        Ok(r) => {
            prop_assert!(
                r.sandbox.indexes_agree(),
                "indexes out of step after a replay"
            );
        }
        Err(e) => check_message("replay", &e.to_string())?,
    }
    Ok(())
}

fn scenario_text(text: &str) -> Result<(), TestCaseError> {
    match Scenario::from_json(text) {
        Ok(s) => check_scenario(&s),
        Err(e) => check_message("scenario file", &e.to_string()),
    }
}

fn link_text(link: &str) -> Result<(), TestCaseError> {
    match Scenario::from_link_fragment(link) {
        Ok(s) => check_scenario(&s),
        Err(e) => check_message("share link", &e.to_string()),
    }
}

fn exercise_text(text: &str) -> Result<(), TestCaseError> {
    match Exercise::from_json(text) {
        Ok(ex) => match Attempt::new(&ex) {
            Ok(a) => {
                prop_assert_eq!(a.goals().len(), ex.goals.len());
            }
            Err(e) => check_message("exercise start", &e.to_string())?,
        },
        Err(e) => check_message("exercise file", &e.to_string())?,
    }
    Ok(())
}

fn plan_text(text: &str) -> Result<(), TestCaseError> {
    let input = match PlanInput::from_json(text) {
        Ok(i) => i,
        Err(e) => return check_message("plan input", &e.to_string()),
    };
    match plan(&input) {
        Ok(p) => {
            // An accepted plan is one whose own scenarios run.
            for moment in [Moment::Steady, Moment::Peak] {
                let s = p.scenario(moment);
                prop_assert!(s.is_ok(), "{moment:?}: {:?}", s.err());
                let r = s.unwrap().replay();
                prop_assert!(r.is_ok(), "{moment:?}: {:?}", r.err());
                let r = r.unwrap();
                let stuck = r
                    .sandbox
                    .pods
                    .values()
                    .filter(|p| p.status != podnet_model::PodStatus::Running)
                    .count();
                prop_assert_eq!(
                    stuck,
                    0,
                    "{:?}: pods not Running in an accepted plan",
                    moment
                );
            }
            let _ = p.to_text();
        }
        Err(e) => check_message("plan", &e.to_string())?,
    }
    Ok(())
}

/// Runs `test` on inputs drawn by `strategy` for the time budget (at least
/// one round of `per_round` cases), each round from a seed it prints.
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    per_round: u32,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let budget = std::env::var("PODNET_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::ZERO, Duration::from_secs);
    let start = Instant::now();
    let mut round: u64 = 0;
    let mut cases = 0u64;
    loop {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&round.to_le_bytes());
        seed[8..16].copy_from_slice(&(name.len() as u64).to_le_bytes());
        let config = Config {
            cases: per_round,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("fuzz {name}, round {round} (seed {seed:?}): {e}");
        }
        cases += u64::from(per_round);
        round += 1;
        if start.elapsed() >= budget {
            break;
        }
    }
    println!(
        "fuzz {name}: {cases} cases in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

fn corpus_pick(corpus: Vec<String>) -> impl Strategy<Value = String> {
    prop::sample::select(corpus)
}

/// Texts from `corpus`, mutated byte by byte or field by field.
fn mutants(corpus: Vec<String>, edits: usize) -> impl Strategy<Value = String> {
    let bytes = (
        corpus_pick(corpus.clone()),
        prop::collection::vec(byte_edit(), 1..edits),
    )
        .prop_map(|(t, e)| String::from_utf8_lossy(&apply_bytes(t.into_bytes(), &e)).into_owned());
    let fields = (
        corpus_pick(corpus),
        prop::collection::vec(json_edit(), 1..4),
    )
        .prop_map(|(t, e)| apply_json(&t, &e));
    prop_oneof![bytes, fields]
}

#[test]
fn scenario_files() {
    fuzz("scenario files", mutants(scenario_corpus(), 4), 24, |t| {
        scenario_text(&t)
    });
}

#[test]
fn share_links() {
    let links: Vec<String> = scenario_corpus()
        .iter()
        .filter_map(|t| Scenario::from_json(t).ok())
        .map(|s| s.to_link_fragment())
        .collect();
    // The link's characters mutated, or the scenario mutated and re-encoded.
    let packed = mutants(scenario_corpus(), 3).prop_map(|json| {
        use base64::Engine as _;
        let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 6);
        format!(
            "s=1.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
        )
    });
    fuzz(
        "share links",
        prop_oneof![mutants(links, 4), packed],
        24,
        |l| link_text(&l),
    );
}

#[test]
fn exercise_files() {
    fuzz("exercise files", mutants(exercise_corpus(), 3), 16, |t| {
        exercise_text(&t)
    });
}

#[test]
fn planner_inputs() {
    fuzz("planner inputs", mutants(plan_corpus(), 3), 16, |t| {
        plan_text(&t)
    });
}

/// The seed corpus itself: every reproducer decodes as what it is and is
/// handled (the repro tests say how each behaves now).
#[test]
fn the_seed_corpus_is_handled() {
    for t in scenario_corpus() {
        scenario_text(&t).unwrap();
    }
    for t in exercise_corpus() {
        exercise_text(&t).unwrap();
    }
    for t in plan_corpus() {
        plan_text(&t).unwrap();
    }
}
