//! The model's speed targets, measured and checked (`cargo xtask bench`):
//!
//! - replaying a 5,000-node / 150,000-pod scenario takes ≤ 1 s;
//! - the cost per pod is flat: ≤ 1.3× the 50-node / 1,500-pod case;
//! - allocating an address costs ≤ 2× a bare bitset's;
//! - each path issue 15 found super-linear takes ≤ 1 s at the supported
//!   maximum and grows at most n log n (per-item cost at the maximum ≤ 2×
//!   that at a tenth of it): `podnet ipamd` with 5,000 pods, Calico with
//!   /32 blocks and 150,000 pods, the flat-network check on 5,000 nodes, a
//!   plan over 26 zones and 4,900 nodes, and the event-flood reproducer;
//! - `podnet reach` over 1,000 pods and 200 NetworkPolicies (a million
//!   pairs) takes ≤ 1 s (issue 17).
//!
//! Each figure is the median of several runs. The process exits non-zero
//! when a target is missed, so a regression is visible.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use podnet_model::cni::node_sim::SingleNode;
use podnet_model::cni::Calico;
use podnet_model::{CniMode, Command, EniId, Holder, IpPool, Scenario, VpcCni};

/// The benchmark scenario: `nodes` c5.4xlarge nodes in three /16 subnets of
/// 100.64.0.0/10 blocks, 30 pods each, WARM_IP_TARGET=5 and
/// MINIMUM_IP_TARGET=30 (what the CNI docs advise for large clusters).
fn scenario(nodes: u32) -> Scenario {
    let mut s = Scenario::new("bench", "10.0.0.0/16");
    s.assume_egress = true; // the benchmark counts addresses, not routes
    s.cni = CniMode::from(VpcCni {
        warm_ip_target: 5,
        minimum_ip_target: 30,
        ..VpcCni::default()
    });
    let azs = ["us-east-1a", "us-east-1b", "us-east-1c"];
    for (i, az) in azs.iter().enumerate() {
        s.actions.push(Command::AddVpcCidr {
            cidr: format!("100.{}.0.0/16", 64 + i),
        });
        s.actions
            .push(Command::AddSubnet(podnet_model::command::AddSubnet {
                name: Some(format!("pods-{i}")),
                cidr: format!("100.{}.0.0/16", 64 + i),
                az: (*az).into(),
                cni_tag: false,
                route: None,
            }));
        s.actions
            .push(Command::AddSubnet(podnet_model::command::AddSubnet {
                name: Some(format!("cluster-{i}")),
                cidr: format!("10.0.{i}.0/28"),
                az: (*az).into(),
                cni_tag: false,
                route: None,
            }));
    }
    s.actions.push(Command::CreateCluster(
        podnet_model::command::CreateCluster {
            name: "bench".into(),
            version: "1.31".into(),
            endpoint: Default::default(),
            subnets: (0..3).map(|i| format!("cluster-{i}")).collect(),
        },
    ));
    for n in 0..nodes {
        s.actions
            .push(Command::AddNode(podnet_model::command::AddNode {
                instance_type: "c5.4xlarge".into(),
                subnet: format!("pods-{}", n % 3),
                max_pods: None,
                max_pods_from: None,
            }));
    }
    s.actions
        .push(Command::AddPods(podnet_model::command::AddPods {
            // CoreDNS's replicas count towards the 30 pods per node and the
            // sandbox's limit of 150,000 pods.
            count: nodes * 30 - podnet_model::sandbox::COREDNS_REPLICAS,
            node: None,
            host_network: false,
            name: None,
            security_groups: false,
            ..Default::default()
        }));
    s
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs.get(runs.len() / 2).copied().unwrap_or_default()
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

/// Median time to replay the scenario over `runs` runs, after two untimed
/// warm-up replays: a process's first replays of a big scenario also pay the
/// OS for fresh pages, which is not the model's cost. Freeing the result is
/// not timed either.
fn replay(nodes: u32, runs: usize) -> Duration {
    let s = scenario(nodes);
    for _ in 0..2 {
        drop(black_box(
            s.replay().expect("the benchmark scenario replays"),
        ));
    }
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                let r = s.replay().expect("the benchmark scenario replays");
                let took = start.elapsed();
                let running = r
                    .sandbox
                    .pods
                    .values()
                    .filter(|p| p.ip.is_some() && !p.host_network)
                    .count();
                assert_eq!(running as u32, nodes * 30, "every pod got an IP");
                drop(black_box(r));
                if std::env::var_os("PODNET_BENCH_VERBOSE").is_some() {
                    eprintln!("  {nodes} nodes: {:.4} s", took.as_secs_f64());
                }
                took
            })
            .collect(),
    )
}

/// A bare bitset: the lowest free bit by scanning words from the start.
struct Bitset(Vec<u64>);

impl Bitset {
    fn allocate(&mut self) -> Option<u32> {
        let (i, w) = self
            .0
            .iter_mut()
            .enumerate()
            .find(|(_, w)| **w != u64::MAX)?;
        let bit = w.trailing_ones();
        *w |= 1 << bit;
        Some(i as u32 * 64 + bit)
    }
    fn release(&mut self, off: u32) {
        if let Some(w) = self.0.get_mut(off as usize / 64) {
            *w &= !(1 << (off % 64));
        }
    }
}

/// Fill a /16, release every other address, fill again: the pattern of pods
/// coming and going.
fn allocation(runs: usize) -> (Duration, Duration) {
    let cidr = "100.64.0.0/16".parse().expect("a CIDR");
    let ours = time(runs, || {
        let mut pool = IpPool::new(cidr);
        let addrs = pool
            .allocate_many(pool.free(), Holder::Secondary(EniId(1)))
            .expect("room");
        for a in addrs.iter().step_by(2) {
            pool.release(*a);
        }
        while pool.allocate(Holder::Secondary(EniId(2))).is_ok() {}
        black_box(pool);
    });
    let bare = time(runs, || {
        let mut bits = Bitset(vec![0; 1024]);
        let mut got = Vec::new();
        while let Some(o) = bits.allocate() {
            got.push(o);
        }
        for o in got.iter().step_by(2) {
            bits.release(*o);
        }
        while bits.allocate().is_some() {}
        black_box(bits.0);
    });
    (ours, bare)
}

/// `podnet ipamd --instance-type t3.micro --pods N` (max pods uncapped).
fn ipamd(pods: u32) -> Duration {
    let t = podnet_model::catalog::lookup("t3.micro").expect("in the catalog");
    time(5, || {
        let mut node = SingleNode::launch(
            t.limits(),
            t.supports_prefix_delegation(),
            pods,
            VpcCni::default(),
            "10.0.0.0/16".parse().expect("a CIDR"),
        )
        .expect("the node launches");
        for _ in 0..pods {
            node.add_pod();
        }
        black_box(node.summary());
    })
}

/// The benchmark scenario under Calico with /32 blocks (one block per pod).
fn calico_32(nodes: u32) -> Duration {
    let mut s = scenario(nodes);
    s.cni = CniMode::from(Calico {
        pool: "172.16.0.0/12".into(),
        block_size: 32,
        ..Calico::default()
    });
    time(3, || drop(black_box(s.replay().expect("replays"))))
}

/// The flat-network check over the benchmark cluster.
fn flat(nodes: u32) -> Duration {
    let sb = scenario(nodes).replay().expect("replays").sandbox;
    time(5, || drop(black_box(sb.flat_network())))
}

/// A plan over 26 zones (the most) for `nodes` c5.4xlarge nodes of 30 pods.
fn plan_26(nodes: u32) -> Duration {
    let mut input = podnet_model::plan::PlanInput::simple("c5.4xlarge", nodes, 30);
    input.azs = podnet_model::plan::az_names(26).expect("26 zones");
    // An overlay: node subnets hold node IPs only, so 4,900 nodes fit.
    input.cni = CniMode::from(Calico {
        pool: "172.16.0.0/12".into(),
        ..Calico::default()
    });
    time(3, || {
        black_box(podnet_model::plan::plan(&input).expect("the benchmark plan plans"));
    })
}

/// The event-flood reproducer (issue 15): 20 prefix-delegation nodes in a
/// /27 and a day-long wait.
fn flood() -> Duration {
    let s = Scenario::from_json(include_str!("../../../tests/repro/flood.json")).expect("reads");
    time(5, || drop(black_box(s.replay().expect("replays"))))
}

/// `podnet reach` on 1,000 pods in 10 namespaces under 200 policies (a
/// million ordered pairs): build the matrix and decide every pair.
fn reach(pods: u32, policies: u32) -> Duration {
    use serde_json::json;
    let nodes = pods.div_ceil(30);
    let mut s = scenario(nodes);
    s.actions.pop(); // the unlabelled pods
    s.cni = CniMode::from(VpcCni {
        enable_network_policy: true,
        ..VpcCni::default()
    });
    for ns in 0..10 {
        s.actions.push(
            serde_json::from_value(json!({"action": "add-namespace", "name": format!("ns{ns}"), "labels": {"team": format!("t{}", ns % 3)}}))
                .expect("a command"),
        );
    }
    for g in 0..pods / 10 {
        s.actions.push(
            serde_json::from_value(json!({
                "action": "add-pods", "count": 10, "name": format!("g{g}"),
                "namespace": format!("ns{}", g % 10),
                "labels": {"app": format!("a{}", g % 20), "tier": format!("t{}", g % 4)},
                "ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}],
            }))
            .expect("a command"),
        );
    }
    for p in 0..policies {
        let spec = match p % 4 {
            0 => json!({"podSelector": {"matchLabels": {"app": format!("a{}", p % 20)}},
                        "ingress": [{"from": [{"podSelector": {"matchLabels": {"tier": format!("t{}", p % 4)}}}], "ports": [{"port": "http"}]}]}),
            1 => {
                json!({"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["t1", "t2"]}]},
                        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": format!("t{}", p % 3)}}}]}]})
            }
            2 => json!({"podSelector": {}, "policyTypes": ["Egress"],
                        "egress": [{"to": [{"ipBlock": {"cidr": "100.64.0.0/10", "except": ["100.65.0.0/16"]}}], "ports": [{"port": 80, "endPort": 90}]},
                                   {"ports": [{"port": 53, "protocol": "UDP"}]}]}),
            _ => json!({"podSelector": {"matchLabels": {"app": format!("a{}", (p + 7) % 20)}},
                        "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": format!("a{}", (p + 1) % 20)}}}]}]}),
        };
        s.actions.push(
            serde_json::from_value(json!({"action": "apply-network-policy", "policy": {
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("p{p}"), "namespace": format!("ns{}", p % 10)}, "spec": spec}}))
            .expect("a command"),
        );
    }
    let sb = s.replay().expect("replays").sandbox;
    time(3, || {
        let r = podnet_model::query::reach::Reach::new(
            &sb,
            80,
            podnet_model::netpol::Protocol::Tcp,
            &[],
        );
        assert_eq!(
            r.parties.len(),
            (pods + podnet_model::sandbox::COREDNS_REPLICAS) as usize,
            "every pod has an IP, CoreDNS's too"
        );
        let allowed = r.pairs().filter(|(i, j)| r.pair(*i, *j).allowed).count();
        black_box(allowed);
    })
}

/// Checks one path at the maximum `n` against a tenth of it: absolute time
/// and per-item growth.
fn scale(label: &str, at_max: Duration, at_tenth: Duration) -> [bool; 2] {
    let growth = at_max.as_secs_f64() / (10.0 * at_tenth.as_secs_f64()).max(1e-9);
    println!(
        "{label}: {:.3} s at the maximum, {:.4} s at a tenth",
        at_max.as_secs_f64(),
        at_tenth.as_secs_f64()
    );
    let absolute = check(
        &format!("{label} at the maximum"),
        at_max.as_secs_f64(),
        1.0,
        " s",
    );
    // Under 50 ms the ratio is timer and cache noise, not growth.
    if at_max.as_secs_f64() < 0.05 {
        println!("     {label}: growth {growth:.2}× (not checked: too fast to tell)");
        return [absolute, true];
    }
    [
        absolute,
        check(
            &format!("{label}, per item at the maximum vs a tenth"),
            growth,
            2.0,
            "×",
        ),
    ]
}

fn check(label: &str, value: f64, limit: f64, unit: &str) -> bool {
    let ok = value <= limit;
    println!(
        "{} {label}: {value:.2}{unit} (target ≤ {limit}{unit})",
        if ok { "PASS" } else { "MISS" }
    );
    ok
}

fn main() -> ExitCode {
    // `cargo test --benches` runs this with --test-ish flags: do nothing then.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return ExitCode::SUCCESS;
    }
    let big = replay(5_000, 9);
    let small = replay(50, 61);
    let per_pod_big = big.as_secs_f64() / 150_000.0;
    let per_pod_small = small.as_secs_f64() / 1_500.0;
    let (ours, bare) = allocation(9);
    println!(
        "replay 5,000 nodes / 150,000 pods: {:.3} s",
        big.as_secs_f64()
    );
    println!(
        "replay 50 nodes / 1,500 pods:      {:.3} ms",
        small.as_secs_f64() * 1e3
    );
    println!(
        "per pod: {:.2} µs at 150k, {:.2} µs at 1.5k",
        per_pod_big * 1e6,
        per_pod_small * 1e6
    );
    println!(
        "allocation, fill/half-release/refill a /16: IpPool {:.2} ms, bare bitset {:.2} ms",
        ours.as_secs_f64() * 1e3,
        bare.as_secs_f64() * 1e3
    );
    let mut scaled = Vec::new();
    scaled.extend(scale("podnet ipamd, 5,000 pods", ipamd(5_000), ipamd(500)));
    scaled.extend(scale(
        "Calico /32 blocks, 150,000 pods",
        calico_32(5_000),
        calico_32(500),
    ));
    scaled.extend(scale(
        "flat-network check, 5,000 nodes",
        flat(5_000),
        flat(500),
    ));
    scaled.extend(scale(
        "plan, 26 zones, 4,900 nodes",
        plan_26(4_900),
        plan_26(490),
    ));
    let matrix = reach(1_000, 200);
    println!(
        "podnet reach, 1,000 pods × 200 policies (999,000 pairs): {:.3} s",
        matrix.as_secs_f64()
    );
    scaled.push(check(
        "podnet reach, 1,000 pods, 200 policies",
        matrix.as_secs_f64(),
        1.0,
        " s",
    ));
    let flooded = flood();
    println!("event-flood reproducer: {:.3} s", flooded.as_secs_f64());
    scaled.push(check(
        "event-flood reproducer",
        flooded.as_secs_f64(),
        1.0,
        " s",
    ));
    let all = [
        scaled.iter().all(|ok| *ok),
        check("150k-pod replay", big.as_secs_f64(), 1.0, " s"),
        check(
            "cost per pod, 150k vs 1.5k",
            per_pod_big / per_pod_small,
            1.3,
            "×",
        ),
        check(
            "allocation vs bare bitset",
            ours.as_secs_f64() / bare.as_secs_f64(),
            2.0,
            "×",
        ),
    ];
    if all.iter().all(|ok| *ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
