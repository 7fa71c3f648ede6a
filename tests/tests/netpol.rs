//! The NetworkPolicy evaluator against a second one written here from the
//! Kubernetes API reference alone, deliberately naive: it reads the JSON
//! objects as they are (no defaulting step, no precomputation), walks every
//! policy for every pair, and matches selectors by their definition.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use podnet_model::netpol::{
    self, Direction, Endpoint, Evaluator, NamedPort, Policy, PolicySet, Protocol,
};
use proptest::prelude::*;
use serde_json::{json, Value};

type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone)]
struct Pod {
    ns: String,
    labels: Labels,
    ports: Vec<NamedPort>,
    ip: Ipv4Addr,
}

// --- the naive evaluator -------------------------------------------------

fn selector_matches(sel: &Value, labels: &Labels) -> bool {
    let labels_ok = sel["matchLabels"].as_object().is_none_or(|m| {
        m.iter()
            .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
    });
    let exprs_ok = sel["matchExpressions"].as_array().is_none_or(|es| {
        es.iter().all(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = e["values"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let have = labels.get(key);
            match e["operator"].as_str().unwrap_or_default() {
                "In" => have.is_some_and(|h| values.contains(&h.as_str())),
                "NotIn" => !have.is_some_and(|h| values.contains(&h.as_str())),
                "Exists" => have.is_some(),
                _ => have.is_none(),
            }
        })
    });
    labels_ok && exprs_ok
}

fn in_cidr(ip: Ipv4Addr, cidr: &str) -> bool {
    let (base, len) = cidr.split_once('/').unwrap();
    let base: Ipv4Addr = base.parse().unwrap();
    let len: u32 = len.parse().unwrap();
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(ip) & mask == u32::from(base) & mask
}

fn peer_matches(
    peer: &Value,
    policy_ns: &str,
    namespaces: &BTreeMap<String, Labels>,
    other: &Pod,
) -> bool {
    if let Some(block) = peer.get("ipBlock") {
        let cidr = block["cidr"].as_str().unwrap();
        let excepted = block["except"]
            .as_array()
            .is_some_and(|x| x.iter().any(|c| in_cidr(other.ip, c.as_str().unwrap())));
        return in_cidr(other.ip, cidr) && !excepted;
    }
    let ns_ok = match peer.get("namespaceSelector") {
        Some(sel) => selector_matches(sel, &namespaces[&other.ns]),
        None => other.ns == policy_ns,
    };
    let pod_ok = peer
        .get("podSelector")
        .is_none_or(|sel| selector_matches(sel, &other.labels));
    ns_ok && pod_ok
}

fn port_matches(p: &Value, port: u16, proto: Protocol, dest: &Pod) -> bool {
    let want = p["protocol"].as_str().unwrap_or("TCP");
    if want != proto.name() {
        return false;
    }
    match &p["port"] {
        Value::Null => true,
        Value::Number(n) => {
            let lo = n.as_u64().unwrap();
            let hi = p["endPort"].as_u64().unwrap_or(lo);
            (lo..=hi).contains(&u64::from(port))
        }
        Value::String(name) => dest
            .ports
            .iter()
            .any(|c| &c.name == name && c.port == port && c.protocol == proto),
        _ => false,
    }
}

/// Whether `policy` isolates its pods for `kind` ("Ingress"/"Egress"),
/// as the API reference states the default.
fn has_type(policy: &Value, kind: &str) -> bool {
    match policy["spec"]["policyTypes"].as_array() {
        Some(t) if !t.is_empty() => t.iter().any(|x| x == kind),
        _ => {
            kind == "Ingress"
                || policy["spec"]["egress"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty())
        }
    }
}

/// The connection: port, protocol and the destination pod (whose named
/// ports a rule may use).
struct Flow<'a> {
    port: u16,
    proto: Protocol,
    dest: &'a Pod,
}

fn side_allows(
    policies: &[Value],
    namespaces: &BTreeMap<String, Labels>,
    subject: &Pod,
    peer: &Pod,
    flow: &Flow,
    kind: &str,
) -> bool {
    let (rules_key, peers_key) = if kind == "Ingress" {
        ("ingress", "from")
    } else {
        ("egress", "to")
    };
    let selecting: Vec<&Value> = policies
        .iter()
        .filter(|p| p["metadata"]["namespace"].as_str() == Some(subject.ns.as_str()))
        .filter(|p| selector_matches(&p["spec"]["podSelector"], &subject.labels))
        .filter(|p| has_type(p, kind))
        .collect();
    if selecting.is_empty() {
        return true;
    }
    selecting.iter().any(|p| {
        let ns = p["metadata"]["namespace"].as_str().unwrap();
        p["spec"][rules_key]
            .as_array()
            .into_iter()
            .flatten()
            .any(|rule| {
                let peers = rule[peers_key].as_array().filter(|a| !a.is_empty());
                let ports = rule["ports"].as_array().filter(|a| !a.is_empty());
                peers.is_none_or(|ps| ps.iter().any(|x| peer_matches(x, ns, namespaces, peer)))
                    && ports.is_none_or(|ps| {
                        ps.iter()
                            .any(|x| port_matches(x, flow.port, flow.proto, flow.dest))
                    })
            })
    })
}

// --- generators ----------------------------------------------------------

const KEYS: [&str; 2] = ["app", "tier"];
const VALUES: [&str; 3] = ["a", "b", "c"];
const NAMESPACES: [&str; 3] = ["x", "y", "z"];

fn labels() -> impl Strategy<Value = Labels> {
    prop::collection::btree_map(
        prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
        prop::sample::select(VALUES.to_vec()).prop_map(str::to_owned),
        0..3,
    )
}

fn selector() -> impl Strategy<Value = Value> {
    let expr = (
        prop::sample::select(KEYS.to_vec()),
        0..4usize,
        prop::collection::vec(prop::sample::select(VALUES.to_vec()), 1..3),
    )
        .prop_map(|(k, op, vals)| match op {
            0 => json!({"key": k, "operator": "In", "values": vals}),
            1 => json!({"key": k, "operator": "NotIn", "values": vals}),
            2 => json!({"key": k, "operator": "Exists"}),
            _ => json!({"key": k, "operator": "DoesNotExist"}),
        });
    (labels(), prop::collection::vec(expr, 0..2)).prop_map(|(l, e)| {
        let mut s = serde_json::Map::new();
        if !l.is_empty() {
            s.insert("matchLabels".into(), json!(l));
        }
        if !e.is_empty() {
            s.insert("matchExpressions".into(), Value::Array(e));
        }
        Value::Object(s)
    })
}

fn peer() -> impl Strategy<Value = Value> {
    prop_oneof![
        selector().prop_map(|s| json!({"podSelector": s})),
        selector().prop_map(|s| json!({"namespaceSelector": s})),
        (selector(), selector())
            .prop_map(|(p, n)| json!({"podSelector": p, "namespaceSelector": n})),
        (0..8u8, prop::bool::ANY).prop_map(|(i, except)| if except {
            json!({"ipBlock": {"cidr": "10.0.0.0/29", "except": [format!("10.0.0.{i}/32")]}})
        } else {
            json!({"ipBlock": {"cidr": format!("10.0.0.{}/31", i & !1)}})
        }),
    ]
}

fn port() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!({"protocol": "UDP"})),
        Just(json!({"port": 80})),
        Just(json!({"port": 53, "protocol": "UDP"})),
        Just(json!({"port": 80, "endPort": 9090})),
        Just(json!({"port": "http"})),
        Just(json!({"port": "dns", "protocol": "UDP"})),
        Just(json!({"port": "metrics", "protocol": "TCP"})),
    ]
}

fn rules(peers_key: &'static str) -> impl Strategy<Value = Option<Value>> {
    let rule = (
        prop::option::of(prop::collection::vec(peer(), 0..3)),
        prop::option::of(prop::collection::vec(port(), 0..3)),
    )
        .prop_map(move |(peers, ports)| {
            let mut r = serde_json::Map::new();
            if let Some(p) = peers {
                r.insert(peers_key.into(), Value::Array(p));
            }
            if let Some(p) = ports {
                r.insert("ports".into(), Value::Array(p));
            }
            Value::Object(r)
        });
    prop::option::of(prop::collection::vec(rule, 0..3).prop_map(Value::Array))
}

fn policy() -> impl Strategy<Value = Value> {
    (prop::sample::select(NAMESPACES.to_vec()), 0..1000u32, selector(), 0..4usize, rules("from"), rules("to")).prop_map(|(ns, id, sel, types, ingress, egress)| {
        let mut spec = serde_json::Map::new();
        spec.insert("podSelector".into(), sel);
        match types {
            1 => { spec.insert("policyTypes".into(), json!(["Ingress"])); }
            2 => { spec.insert("policyTypes".into(), json!(["Egress"])); }
            3 => { spec.insert("policyTypes".into(), json!(["Ingress", "Egress"])); }
            _ => {}
        }
        if let Some(i) = ingress { spec.insert("ingress".into(), i); }
        if let Some(e) = egress { spec.insert("egress".into(), e); }
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": format!("p{id}"), "namespace": ns}, "spec": spec})
    })
}

fn pods() -> impl Strategy<Value = Vec<Pod>> {
    let all_ports = vec![
        NamedPort {
            name: "http".into(),
            port: 80,
            protocol: Protocol::Tcp,
        },
        NamedPort {
            name: "dns".into(),
            port: 53,
            protocol: Protocol::Udp,
        },
        NamedPort {
            name: "metrics".into(),
            port: 9090,
            protocol: Protocol::Tcp,
        },
    ];
    prop::collection::vec(
        (
            prop::sample::select(NAMESPACES.to_vec()),
            labels(),
            prop::sample::subsequence(all_ports, 0..4),
        ),
        2..7,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (ns, labels, ports))| Pod {
                ns: ns.to_owned(),
                labels,
                ports,
                ip: Ipv4Addr::new(10, 0, 0, i as u8),
            })
            .collect()
    })
}

fn namespaces() -> impl Strategy<Value = BTreeMap<String, Labels>> {
    prop::collection::vec(labels(), 3).prop_map(|ls| {
        NAMESPACES
            .iter()
            .zip(ls)
            .map(|(ns, mut l)| {
                l.insert("kubernetes.io/metadata.name".into(), (*ns).to_owned());
                ((*ns).to_owned(), l)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_matrix_matches_the_naive_reading(
        policies in prop::collection::vec(policy(), 0..5),
        pods in pods(),
        namespaces in namespaces(),
    ) {
        let mut set = PolicySet::default();
        // Applying twice under one name replaces: the naive side keeps the last.
        let mut last: BTreeMap<(String, String), Value> = BTreeMap::new();
        for p in &policies {
            let checked = Policy::new(netpol::decode(p).unwrap(), "default").unwrap();
            last.insert((checked.namespace.clone(), checked.name.clone()), p.clone());
            set.apply(checked);
        }
        let naive: Vec<Value> = last.into_values().collect();
        let endpoints: Vec<Endpoint> = pods
            .iter()
            .map(|p| Endpoint::Pod { namespace: &p.ns, labels: &p.labels, ports: &p.ports, ip: p.ip })
            .collect();
        let ev = Evaluator::new(&set, &namespaces, endpoints);
        for (port, proto) in [(80, Protocol::Tcp), (53, Protocol::Udp), (9090, Protocol::Tcp), (81, Protocol::Tcp), (53, Protocol::Sctp)] {
            for (i, a) in pods.iter().enumerate() {
                for (j, b) in pods.iter().enumerate() {
                    if i == j { continue; }
                    let egress = side_allows(&naive, &namespaces, a, b, &Flow { port, proto, dest: b }, "Egress");
                    let ingress = side_allows(&naive, &namespaces, b, a, &Flow { port, proto, dest: b }, "Ingress");
                    prop_assert_eq!(ev.verdict(Direction::Egress, i, j, port, proto).allows(), egress, "egress {} → {} {}/{}", i, j, port, proto);
                    prop_assert_eq!(ev.verdict(Direction::Ingress, i, j, port, proto).allows(), ingress, "ingress {} → {} {}/{}", i, j, port, proto);
                }
            }
        }
    }
}
