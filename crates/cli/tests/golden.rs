//! Behaviour pinned by recorded transcripts (issue 16).
//!
//! Every built-in scenario, every built-in exercise (its start plus its
//! reference solution) and the planner under every CNI are run through the
//! `podnet` binary and the model's query layer; the transcript — events,
//! final state, packet paths, joins, explanations, advice, and what a few
//! probing commands do next — is compared with the one recorded in
//! `tests/golden/` before the CNI strategy restructure. A refactor that
//! changes a single event or sentence fails here.
//!
//! To record again after a change that is *meant* to change behaviour:
//! `PODNET_BLESS=1 cargo test -p podnet-cli --test golden`, then read the
//! diff before committing it.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use podnet_model::exercise::{builtin_exercises, Exercise};
use podnet_model::scenario::builtin;
use podnet_model::{Command, Sandbox, Scenario};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

fn podnet(args: &[&str]) -> String {
    let out = Process::new(env!("CARGO_BIN_EXE_podnet"))
        .args(args)
        .output()
        .expect("podnet runs");
    format!(
        "$ podnet {}\n[exit {}]\n{}{}\n",
        args.join(" "),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("serialises")
}

/// Commands that probe what the sandbox does next: more pods than fit,
/// time passing, a node and a pod going away, and every CNI switch.
fn probes(s: &Sandbox) -> Vec<Command> {
    let mut out = vec![
        serde_json::from_str(r#"{"action":"add-pods","count":40}"#).unwrap(),
        serde_json::from_str(r#"{"action":"advance-time","seconds":600}"#).unwrap(),
    ];
    if let Some(p) = s.pods.values().find(|p| !p.host_network) {
        out.push(Command::DeletePod {
            pod: p.name.clone(),
        });
    }
    if let Some(n) = s.nodes.values().next() {
        out.push(Command::DeleteNode {
            node: n.name.clone(),
        });
    }
    for cni in podnet_model::compare::all_cnis() {
        out.push(Command::SetCni { cni });
    }
    out
}

/// The query layer's answers on `s`, one line each.
fn queries(s: &Sandbox) -> String {
    let mut out = String::new();
    let mut line = |what: String, answer: String| {
        out += &format!("{what}: {answer}\n");
    };
    line(
        "explain_upgrade".into(),
        json(&podnet_model::query::explain_upgrade(s)),
    );
    for sub in s.vpc.subnets.values() {
        let id = sub.id;
        line(
            format!("explain_subnet_free {}", sub.name),
            json(&podnet_model::query::explain_subnet_free(s, id)),
        );
        line(
            format!("explain_subnet_usable {}", sub.name),
            json(&podnet_model::query::explain_subnet_usable(s, id)),
        );
        line(
            format!("advice_for_subnet {}", sub.name),
            json(&podnet_model::query::advice_for_subnet(s, id)),
        );
        line(
            format!("address_uses {}", sub.name),
            json(&podnet_model::query::address_uses(s, id)),
        );
        line(format!("route_text {}", sub.name), s.route_text(sub.route));
    }
    for n in s.nodes.values() {
        line(
            format!("explain_max_pods {}", n.name),
            json(&podnet_model::query::explain_max_pods(s, n.id)),
        );
        line(
            format!("explain_node_addresses {}", n.name),
            json(&podnet_model::query::explain_node_addresses(s, n.id)),
        );
        line(format!("no_address {}", n.name), json(&s.no_address(n.id)));
        line(format!("pod_ranges {}", n.name), json(&s.pod_ranges(n.id)));
        for e in &n.ipam.enis {
            line(
                format!("explain_eni {}", e.id),
                json(&podnet_model::query::explain_eni(s, e.id)),
            );
        }
        line(
            format!("join {}", n.name),
            s.join(&n.name)
                .map_or_else(|e| format!("error {e}"), |j| j.to_text()),
        );
    }
    let first = s
        .pods
        .values()
        .find(|p| !p.host_network)
        .map(|p| p.name.clone());
    let pods: Vec<_> = s.pods.values().collect();
    for (i, p) in pods.iter().enumerate() {
        line(
            format!("explain_pod_ip {}", p.name),
            json(&podnet_model::query::explain_pod_ip(s, p.id)),
        );
        line(
            format!("advice_for_pod {}", p.name),
            json(&podnet_model::query::advice_for_pod(s, p.id)),
        );
        line(
            format!("wait_would_help {}", p.name),
            json(&podnet_model::query::wait_would_help(s, p.id)),
        );
        // Paths for the first pods and the last ones (the DaemonSet's,
        // the apps', the newest and stuck ones).
        if i >= 4 && i + 3 < pods.len() {
            continue;
        }
        let mut ends = vec![
            (p.name.clone(), "api-server".to_owned()),
            ("control-plane".to_owned(), p.name.clone()),
            (p.name.clone(), "8.8.8.8".to_owned()),
            (p.name.clone(), "10.0.0.10".to_owned()),
        ];
        if let Some(f) = &first {
            ends.push((p.name.clone(), f.clone()));
            ends.push((f.clone(), p.name.clone()));
        }
        if let Some(n) = s.nodes.values().last() {
            ends.push((p.name.clone(), n.name.clone()));
            ends.push((n.name.clone(), p.name.clone()));
        }
        for (from, to) in ends {
            let answer = s
                .endpoint(&from)
                .and_then(|a| s.endpoint(&to).map(|b| (a, b)))
                .and_then(|(a, b)| s.trace(a, b))
                .map_or_else(|e| format!("error {e}"), |path| path.to_text());
            line(format!("trace {from} -> {to}"), answer);
        }
    }
    out
}

fn transcript_of(name: &str, file: &Path, scenario: &Scenario) -> String {
    let path = file.to_string_lossy();
    let mut out = String::new();
    for args in [
        vec!["run", &path],
        vec!["run", &path, "--json"],
        vec!["flat", &path],
        vec!["compare", &path],
        vec!["fit", &path, "--nodes", "12", "--pods", "300"],
        vec!["export", "eksctl", &path],
    ] {
        out += &podnet(&args);
    }
    let replay = match scenario.replay() {
        Ok(r) => r,
        Err(e) => return out + &format!("replay error: {e}\n"),
    };
    let s = &replay.sandbox;
    out += &format!("== queries on {name}\n");
    out += &queries(s);
    for probe in probes(s) {
        let mut next = s.clone();
        out += &format!("== probe {}\n", json(&probe));
        match next.apply(probe) {
            Ok(events) => {
                for e in &events {
                    out += &format!("{} {}\n", json(e), e.kind);
                }
                let pods: Vec<String> = next
                    .pods
                    .values()
                    .map(|p| format!("{} {:?} {:?} {:?}", p.name, p.status, p.ip, p.node))
                    .collect();
                out += &format!("pods {}\n", pods.join(", "));
            }
            Err(e) => out += &format!("refused: {e}\n"),
        }
    }
    out
}

fn cases() -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    for (name, text) in builtin::ALL {
        out.push((
            format!("scenario-{name}"),
            Scenario::from_json(text).expect("built-in scenario"),
        ));
    }
    for (id, text) in builtin_exercises::ALL {
        let exercise = Exercise::from_json(text).expect("built-in exercise");
        let mut scenario = exercise.start().expect("its start");
        scenario.actions.extend(exercise.solution.iter().cloned());
        out.push((format!("exercise-{id}"), scenario));
    }
    out
}

fn check(name: &str, got: &str, failures: &mut Vec<String>) {
    let file = golden_dir().join(format!("{name}.txt"));
    if std::env::var_os("PODNET_BLESS").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&file, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&file).unwrap_or_default();
    if want != got {
        let at = want
            .lines()
            .zip(got.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| want.lines().count().min(got.lines().count()));
        failures.push(format!(
            "{name}: differs from {} at line {}:\n  recorded: {}\n  now:      {}",
            file.display(),
            at + 1,
            want.lines().nth(at).unwrap_or("<end>"),
            got.lines().nth(at).unwrap_or("<end>")
        ));
    }
}

#[test]
fn every_builtin_scenario_and_exercise_solution_replays_as_recorded() {
    let dir = std::env::temp_dir().join(format!("podnet-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (name, scenario) in cases() {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, scenario.to_json()).unwrap();
        let got = transcript_of(&name, &file, &scenario).replace(&*dir.to_string_lossy(), "<dir>");
        check(&name, &got, &mut failures);
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_planner_under_every_cni_answers_as_recorded() {
    let mut failures = Vec::new();
    for (cni, extra) in [
        ("vpc", vec![]),
        ("vpc", vec!["--prefix-delegation"]),
        ("vpc", vec!["--custom-networking"]),
        (
            "vpc",
            vec!["--warm-ip-target", "5", "--minimum-ip-target", "10"],
        ),
        ("flannel", vec![]),
        ("calico", vec![]),
        ("cilium", vec![]),
        ("cilium-eni", vec![]),
    ] {
        let mut out = String::new();
        let mut args = vec![
            "plan",
            "--instance-type",
            "m5.large",
            "--nodes",
            "3..12",
            "--pods-per-node",
            "25",
            "--cni",
            cni,
        ];
        args.extend(extra.iter().copied());
        out += &podnet(&args);
        args.push("--json");
        out += &podnet(&args);
        for it in ["m5.large", "t3.small", "c6g.16xlarge"] {
            let mut m = vec!["max-pods", "--instance-type", it];
            m.extend(
                extra
                    .iter()
                    .copied()
                    .filter(|a| a.starts_with("--prefix") || a.starts_with("--custom")),
            );
            out += &podnet(&m);
        }
        let name = format!(
            "plan-{cni}{}",
            extra
                .first()
                .map_or(String::new(), |e| e.replace("--", "-"))
        );
        check(&name, &out, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every datapath variant, traced between pods on one node, on two nodes in
/// one subnet, across subnets, and out to the VPC, the internet and the API
/// server.
#[test]
fn every_datapath_variant_traces_as_recorded() {
    let mut failures = Vec::new();
    for (name, base, cni) in [
        ("vpc", "seed", r#"{"cni":"aws-vpc-cni"}"#),
        (
            "vpc-external-snat",
            "seed",
            r#"{"cni":"aws-vpc-cni","external_snat":true}"#,
        ),
        (
            "sgp-standard",
            "security-groups-for-pods",
            r#"{"cni":"aws-vpc-cni","pod_eni":true}"#,
        ),
        (
            "sgp-strict",
            "security-groups-for-pods",
            r#"{"cni":"aws-vpc-cni","pod_eni":true,"pod_sg_enforcing_mode":"strict"}"#,
        ),
        (
            "sgp-strict-external",
            "security-groups-for-pods",
            r#"{"cni":"aws-vpc-cni","pod_eni":true,"external_snat":true}"#,
        ),
        (
            "flannel-vxlan",
            "seed",
            r#"{"cni":"flannel","subnet_manager":"etcd"}"#,
        ),
        (
            "flannel-host-gw",
            "seed",
            r#"{"cni":"flannel","subnet_manager":"etcd","backend":"host-gw"}"#,
        ),
        (
            "calico-ipip",
            "seed",
            r#"{"cni":"calico","pool":"192.168.0.0/16","encapsulation":"ipip"}"#,
        ),
        (
            "calico-vxlan",
            "seed",
            r#"{"cni":"calico","pool":"192.168.0.0/16","encapsulation":"vxlan"}"#,
        ),
        (
            "calico-cross-subnet",
            "seed",
            r#"{"cni":"calico","pool":"192.168.0.0/16"}"#,
        ),
        (
            "calico-none",
            "seed",
            r#"{"cni":"calico","pool":"192.168.0.0/16","encapsulation":"none"}"#,
        ),
        (
            "cilium-vxlan",
            "seed",
            r#"{"cni":"cilium","pool":"192.168.0.0/16"}"#,
        ),
        (
            "cilium-geneve",
            "seed",
            r#"{"cni":"cilium","pool":"192.168.0.0/16","routing":"geneve"}"#,
        ),
        (
            "cilium-native",
            "seed",
            r#"{"cni":"cilium","pool":"192.168.0.0/16","routing":"native"}"#,
        ),
        ("cilium-eni", "seed", r#"{"cni":"cilium-eni"}"#),
    ] {
        let mut scenario = Scenario::from_json(builtin::get(base).unwrap()).unwrap();
        scenario.cni = serde_json::from_str(cni).unwrap();
        let subnet = scenario
            .actions
            .iter()
            .find_map(|a| match a {
                Command::AddNode(podnet_model::command::AddNode { subnet, .. }) => {
                    Some(subnet.clone())
                }
                _ => None,
            })
            .unwrap();
        scenario.actions.push(
            serde_json::from_str(&format!(
                r#"{{"action":"add-node","instance_type":"m5.large","subnet":"{subnet}"}}"#
            ))
            .unwrap(),
        );
        scenario
            .actions
            .push(serde_json::from_str(r#"{"action":"add-pods","count":6}"#).unwrap());
        let mut out = format!("== {name}: {cni}\n");
        let s = match scenario.replay() {
            Ok(r) => r.sandbox,
            Err(e) => {
                out += &format!("replay error: {e}\n");
                check(&format!("datapath-{name}"), &out, &mut failures);
                continue;
            }
        };
        let mut ends: Vec<String> = Vec::new();
        for n in s.nodes.values() {
            ends.push(n.name.clone());
            ends.extend(
                s.pods
                    .values()
                    .filter(|p| p.node == Some(n.id) && !p.host_network)
                    .take(2)
                    .map(|p| p.name.clone()),
            );
        }
        let targets: Vec<String> = ends
            .iter()
            .cloned()
            .chain(["8.8.8.8", "10.10.0.40", "api-server"].map(String::from))
            .collect();
        for from in ends
            .iter()
            .chain(std::iter::once(&"control-plane".to_owned()))
        {
            for to in &targets {
                let answer = s
                    .endpoint(from)
                    .and_then(|a| s.endpoint(to).map(|b| (a, b)))
                    .and_then(|(a, b)| s.trace(a, b))
                    .map_or_else(|e| format!("error {e}\n"), |path| path.to_text());
                out += &format!("-- trace {from} -> {to}\n{answer}");
            }
        }
        check(&format!("datapath-{name}"), &out, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
