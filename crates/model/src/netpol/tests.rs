//! Cases transcribed from upstream. Each test names its source:
//! kubernetes/kubernetes `test/e2e/network/netpol/network_policy.go`
//! (the "Netpol" truth tables: namespaces x, y, z; pods a, b, c labelled
//! `pod: <name>`, each serving 80 and 81 on TCP, UDP and SCTP with ports
//! named `serve-<port>-<protocol>`, as `model.go` builds them; loopback
//! ignored, as those tests do; their `SetSpecIngressRules` and
//! `SetSpecEgressRules` also set `policyTypes`, so the policies here
//! state it), policy-assistant's
//! `pkg/matcher/policy_tests.go`, and `pkg/apis/networking/validation`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::eval::{Direction, Endpoint, Evaluator, NamedPort};
use super::{yaml, PolicyError, PolicySet, Protocol};
use crate::netpol::Policy;

struct Cluster {
    namespaces: BTreeMap<String, super::Labels>,
    pods: Vec<(String, String, super::Labels, Vec<NamedPort>, Ipv4Addr)>,
    set: PolicySet,
}

fn serve_ports() -> Vec<NamedPort> {
    let mut v = Vec::new();
    for port in [80, 81] {
        for (proto, name) in [
            (Protocol::Tcp, "tcp"),
            (Protocol::Udp, "udp"),
            (Protocol::Sctp, "sctp"),
        ] {
            v.push(NamedPort {
                name: format!("serve-{port}-{name}"),
                port,
                protocol: proto,
            });
        }
    }
    v
}

fn labels(pairs: &[(&str, &str)]) -> super::Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Cluster {
    /// `initializeResources(…, "x/a", "x/b", …)`.
    fn new(pods: &[&str]) -> Self {
        let mut namespaces = BTreeMap::new();
        for ns in ["x", "y", "z"] {
            namespaces.insert(
                ns.to_owned(),
                labels(&[("kubernetes.io/metadata.name", ns), ("ns", ns)]),
            );
        }
        let pods = pods
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (ns, name) = p.split_once('/').unwrap_or(("x", p));
                let ip = Ipv4Addr::new(192, 168, 1, 10 + i as u8);
                (
                    ns.to_owned(),
                    name.to_owned(),
                    labels(&[("pod", name)]),
                    serve_ports(),
                    ip,
                )
            })
            .collect();
        Self {
            namespaces,
            pods,
            set: PolicySet::default(),
        }
    }

    fn apply(&mut self, ns: &str, text: &str) {
        for o in yaml::objects(text).unwrap() {
            let p = Policy::new(super::decode(&o).unwrap(), ns).unwrap();
            self.set.apply(p);
        }
    }

    fn ip(&self, pod: &str) -> Ipv4Addr {
        self.pods
            .iter()
            .find(|p| format!("{}/{}", p.0, p.1) == pod)
            .unwrap()
            .4
    }

    fn endpoints(&self) -> Vec<Endpoint<'_>> {
        self.pods
            .iter()
            .map(|(ns, _, l, ports, ip)| Endpoint::Pod {
                namespace: ns,
                labels: l,
                ports,
                ip: *ip,
            })
            .collect()
    }

    /// The cluster's truth table: `from/to` → allowed.
    fn table(&self, port: u16, protocol: Protocol) -> BTreeMap<(String, String), bool> {
        let eps = self.endpoints();
        let ev = Evaluator::new(&self.set, &self.namespaces, eps);
        let mut t = BTreeMap::new();
        for (i, a) in self.pods.iter().enumerate() {
            for (j, b) in self.pods.iter().enumerate() {
                if i == j {
                    continue;
                }
                let ok = ev.verdict(Direction::Egress, i, j, port, protocol).allows()
                    && ev
                        .verdict(Direction::Ingress, i, j, port, protocol)
                        .allows();
                t.insert((format!("{}/{}", a.0, a.1), format!("{}/{}", b.0, b.1)), ok);
            }
        }
        t
    }
}

/// `NewReachability(…, true)` with its `Expect*` calls.
struct Reach {
    cells: BTreeMap<(String, String), bool>,
}

impl Reach {
    fn new(c: &Cluster) -> Self {
        Self {
            cells: c
                .table(1, Protocol::Tcp)
                .into_keys()
                .map(|k| (k, true))
                .collect(),
        }
    }
    /// `ExpectPeer`: `from` and `to` are `ns`, `ns/pod` or `*`.
    fn expect(mut self, from: &str, to: &str, ok: bool) -> Self {
        let m =
            |pat: &str, pod: &str| pat == "*" || pat == pod || pod.starts_with(&format!("{pat}/"));
        for ((a, b), v) in self.cells.iter_mut() {
            if m(from, a) && m(to, b) {
                *v = ok;
            }
        }
        self
    }
    fn check(self, c: &Cluster, port: u16, protocol: Protocol) {
        let got = c.table(port, protocol);
        let wrong: Vec<_> = self
            .cells
            .iter()
            .filter(|(k, v)| got.get(*k) != Some(v))
            .collect();
        assert!(
            wrong.is_empty(),
            "port {port}/{protocol}: expected {wrong:?}, the model disagrees"
        );
    }
}

const DENY_ALL_INGRESS: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress}
spec:
  podSelector: {}
  ingress: []
";

// network_policy.go: "should support a 'default-deny-ingress' policy".
#[test]
fn default_deny_ingress() {
    let mut c = Cluster::new(&["x/a", "x/b", "y/a", "y/b"]);
    c.apply("x", DENY_ALL_INGRESS);
    Reach::new(&c)
        .expect("*", "x", false)
        .check(&c, 80, Protocol::Tcp);
}

// "should support a 'default-deny-all' policy".
#[test]
fn default_deny_all() {
    let mut c = Cluster::new(&["x/a", "x/b", "y/a"]);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
",
    );
    Reach::new(&c)
        .expect("*", "x", false)
        .expect("x", "*", false)
        .check(&c, 80, Protocol::Tcp);
}

// "should enforce policy to allow traffic from pods within server
// namespace based on PodSelector" and "... based on PodSelector with
// MatchExpressions".
#[test]
fn allow_from_a_pod_selector() {
    for from in [
        "matchLabels: {pod: b}",
        "matchExpressions: [{key: pod, operator: In, values: [b]}]",
    ] {
        let mut c = Cluster::new(&["x/a", "x/b", "x/c", "y/a"]);
        c.apply(
            "x",
            &format!(
                "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: x-a-allows-x-b}}
spec:
  podSelector: {{matchLabels: {{pod: a}}}}
  ingress:
  - from:
    - podSelector: {{{from}}}
"
            ),
        );
        Reach::new(&c)
            .expect("*", "x/a", false)
            .expect("x/b", "x/a", true)
            .check(&c, 80, Protocol::Tcp);
    }
}

// "should enforce policy to allow ingress traffic for a target": a
// deny-all plus an allow-all to x/a (both selectors empty: every pod of
// every namespace).
#[test]
fn allow_ingress_for_a_target_over_a_deny_all() {
    let mut c = Cluster::new(&["x/a", "x/b", "y/a"]);
    c.apply("x", DENY_ALL_INGRESS);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all-to-a}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{podSelector: {}, namespaceSelector: {}}]
",
    );
    Reach::new(&c)
        .expect("*", "x/a", true)
        .expect("*", "x/b", false)
        .check(&c, 80, Protocol::Tcp);
}

// "should enforce policy to allow traffic only from a different namespace,
// based on NamespaceSelector" (and "with MatchExpressions").
#[test]
fn allow_only_from_another_namespace() {
    for sel in [
        "matchLabels: {kubernetes.io/metadata.name: y}",
        "matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [y]}]",
    ] {
        let mut c = Cluster::new(&["x/a", "x/b", "y/a", "z/a"]);
        c.apply(
            "x",
            &format!(
                "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: allow-client-a-via-ns-selector}}
spec:
  podSelector: {{matchLabels: {{pod: a}}}}
  ingress:
  - from: [{{namespaceSelector: {{{sel}}}}}]
"
            ),
        );
        Reach::new(&c)
            .expect("x", "x/a", false)
            .expect("z", "x/a", false)
            .check(&c, 80, Protocol::Tcp);
    }
}

// "should enforce policy based on PodSelector or NamespaceSelector": two
// peers in one rule add up.
#[test]
fn pod_selector_or_namespace_selector() {
    let mut c = Cluster::new(&["x/a", "x/b", "x/c", "y/a"]);
    c.apply("x", "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ns-y-match-selector}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]}
    - podSelector: {matchLabels: {pod: b}}
");
    Reach::new(&c)
        .expect("x/c", "x/a", false)
        .check(&c, 80, Protocol::Tcp);
}

// "should enforce policy based on PodSelector and NamespaceSelector": both
// in one peer must match.
#[test]
fn pod_selector_and_namespace_selector() {
    let mut c = Cluster::new(&["x/a", "x/b", "y/a", "y/b", "z/b"]);
    c.apply("x", "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ns-y-podselector-and-nsselector}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from:
    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [x]}]}
      podSelector: {matchLabels: {pod: b}}
");
    Reach::new(&c)
        .expect("*", "x/a", false)
        .expect("y/b", "x/a", true)
        .expect("z/b", "x/a", true)
        .check(&c, 80, Protocol::Tcp);
}

// "should enforce policy based on Ports" and "should enforce multiple,
// stacked policies with overlapping podSelectors".
#[test]
fn ports_and_stacked_policies() {
    let mut c = Cluster::new(&["x/a", "x/b", "y/a", "y/b", "z/a"]);
    let allow = |name: &str, port: u16| {
        format!(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}}}
spec:
  podSelector: {{matchLabels: {{pod: a}}}}
  ingress:
  - from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: y}}}}}}]
    ports: [{{port: {port}, protocol: TCP}}]
"
        )
    };
    c.apply("x", &allow("allow-client-a-via-ns-selector", 81));
    let allowed = |c: &Cluster| {
        Reach::new(c)
            .expect("x", "x/a", false)
            .expect("y", "x/a", true)
            .expect("z", "x/a", false)
    };
    allowed(&c).check(&c, 81, Protocol::Tcp);
    Reach::new(&c)
        .expect("*", "x/a", false)
        .check(&c, 80, Protocol::Tcp);
    c.apply("x", &allow("allow-client-a-via-ns-selector-80", 80));
    allowed(&c).check(&c, 80, Protocol::Tcp);
}

// "should allow ingress access on one named port".
#[test]
fn ingress_on_a_named_port() {
    let mut c = Cluster::new(&["x/a", "x/b", "y/a"]);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-all}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: serve-81-tcp}]
",
    );
    Reach::new(&c).check(&c, 81, Protocol::Tcp);
    Reach::new(&c)
        .expect("*", "x", false)
        .check(&c, 80, Protocol::Tcp);
}

// "should allow egress access on one named port": the name is the
// destination pod's.
#[test]
fn egress_on_a_named_port() {
    let mut c = Cluster::new(&["x/a", "y/a"]);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-egress}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: serve-80-tcp}]
",
    );
    Reach::new(&c).check(&c, 80, Protocol::Tcp);
    Reach::new(&c)
        .expect("x", "*", false)
        .check(&c, 81, Protocol::Tcp);
}

// "should enforce updated policy": applying again replaces; an empty
// ingress list denies.
#[test]
fn an_updated_policy_replaces_the_old() {
    let mut c = Cluster::new(&["x/a", "y/a"]);
    let policy = |ingress: &str| {
        format!(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: allow-all-mutate-to-deny-all}}
spec:
  podSelector: {{}}
  ingress: {ingress}
"
        )
    };
    c.apply("x", &policy("[{}]"));
    Reach::new(&c).check(&c, 81, Protocol::Tcp);
    c.apply("x", &policy("[]"));
    assert_eq!(c.set.policies().len(), 1);
    Reach::new(&c)
        .expect("*", "x", false)
        .check(&c, 81, Protocol::Tcp);
}

// "should work with Ingress, Egress specified together": at port 81 x/a's
// egress is cut, but x/b → x/a still works (a reply is not egress).
#[test]
fn ingress_and_egress_together() {
    let mut c = Cluster::new(&["x/a", "x/b", "x/c", "y/a"]);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-client-a-via-pod-selector}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress, Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {pod: b}}}]
  egress:
  - ports: [{port: 80}]
",
    );
    Reach::new(&c)
        .expect("*", "x/a", false)
        .expect("x/b", "x/a", true)
        .check(&c, 80, Protocol::Tcp);
    Reach::new(&c)
        .expect("*", "x/a", false)
        .expect("x/a", "*", false)
        .expect("x/b", "x/a", true)
        .check(&c, 81, Protocol::Tcp);
}

// "should support denying of egress traffic on the client side (even if
// the server explicitly allows this traffic)".
#[test]
fn egress_denies_even_where_ingress_allows() {
    let mut c = Cluster::new(&["x/a", "y/a", "y/b"]);
    c.apply("x", "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-to-ns-y-pod-a}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}, podSelector: {matchLabels: {pod: a}}}]
");
    for (name, pod) in [
        ("allow-from-xa-on-ya-match-selector", "a"),
        ("allow-from-xa-on-yb-match-selector", "b"),
    ] {
        c.apply("y", &format!("
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}}}
spec:
  podSelector: {{matchLabels: {{pod: {pod}}}}}
  ingress:
  - from: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: x}}}}, podSelector: {{matchLabels: {{pod: a}}}}}}]
"));
    }
    Reach::new(&c)
        .expect("x/a", "*", false)
        .expect("*", "y/a", false)
        .expect("x/a", "y/a", true)
        .expect("*", "y/b", false)
        .check(&c, 80, Protocol::Tcp);
}

// "should enforce ingress policy allowing any port traffic to a server on
// a specific protocol", and policy-assistant "Allowing a protocol should
// implicitly deny other protocols".
#[test]
fn a_protocol_alone_allows_only_that_protocol() {
    let mut c = Cluster::new(&["x/a", "y/a"]);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingress-by-proto}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{protocol: TCP}]
",
    );
    Reach::new(&c).check(&c, 80, Protocol::Tcp);
    Reach::new(&c)
        .expect("*", "x/a", false)
        .check(&c, 80, Protocol::Udp);
}

// "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP'".
#[test]
fn sctp_is_not_tcp() {
    let mut c = Cluster::new(&["x/a", "y/a"]);
    c.apply("x", DENY_ALL_INGRESS);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-only-sctp-ingress-on-port-81}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - ports: [{port: 81, protocol: SCTP}]
",
    );
    Reach::new(&c)
        .expect("*", "x", false)
        .check(&c, 81, Protocol::Tcp);
    Reach::new(&c)
        .expect("*", "x", false)
        .expect("*", "x/a", true)
        .check(&c, 81, Protocol::Sctp);
}

// "should enforce except clause while egress access to server in CIDR
// block" and "should ensure an IP overlapping both IPBlock.CIDR and
// IPBlock.Except is allowed": policies add up.
#[test]
fn ip_block_except_and_an_overlapping_allow() {
    let mut c = Cluster::new(&["x/a", "x/b", "x/c"]);
    let b = c.ip("x/b");
    c.apply(
        "x",
        &format!(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: allow-client-a-via-cidr-egress-rule}}
spec:
  podSelector: {{matchLabels: {{pod: a}}}}
  policyTypes: [Egress]
  egress:
  - to: [{{ipBlock: {{cidr: 192.168.0.0/16, except: [{b}/32]}}}}]
"
        ),
    );
    Reach::new(&c)
        .expect("x/a", "x/b", false)
        .check(&c, 80, Protocol::Tcp);
    c.apply(
        "x",
        &format!(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: allow-client-a-to-b}}
spec:
  podSelector: {{matchLabels: {{pod: a}}}}
  policyTypes: [Egress]
  egress:
  - to: [{{ipBlock: {{cidr: {b}/32}}}}]
"
        ),
    );
    Reach::new(&c).check(&c, 80, Protocol::Tcp);
}

// "should enforce policies to check ingress and egress policies can be
// controlled independently based on PodSelector".
#[test]
fn ingress_and_egress_are_independent() {
    let mut c = Cluster::new(&["x/a", "x/b", "y/a"]);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-egress-for-target}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress: [{}]
",
    );
    Reach::new(&c).check(&c, 80, Protocol::Tcp);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress-via-label-selector}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
",
    );
    Reach::new(&c)
        .expect("*", "x/a", false)
        .check(&c, 80, Protocol::Tcp);
}

// policyTypes defaulting (`defaults.go`): an empty egress list does not
// add Egress; an absent policyTypes with egress rules adds it.
#[test]
fn policy_types_default_from_the_rules() {
    let p = |spec: &str| {
        let text = format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\nspec: {spec}\n");
        let o = yaml::objects(&text).unwrap().remove(0);
        Policy::new(super::decode(&o).unwrap(), "default").unwrap()
    };
    let empty = p("{podSelector: {}, egress: []}");
    assert!(empty.ingress.is_some() && empty.egress.is_none());
    let with = p("{podSelector: {}, egress: [{}]}");
    assert!(with.ingress.is_some() && with.egress.is_some());
    let only = p("{podSelector: {}, policyTypes: [Egress]}");
    assert!(only.ingress.is_none() && only.egress == Some(Vec::new()));
}

// The trap in the defaulting: an egress policy that leaves out
// policyTypes is also an ingress deny-all for the pods it selects.
#[test]
fn an_egress_policy_without_policy_types_also_isolates_ingress() {
    let mut c = Cluster::new(&["x/a", "x/b"]);
    c.apply(
        "x",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only-or-so-it-seems}
spec:
  podSelector: {matchLabels: {pod: a}}
  egress: [{}]
",
    );
    Reach::new(&c)
        .expect("x/b", "x/a", false)
        .check(&c, 80, Protocol::Tcp);
}

// policy-assistant policy_tests.go: "Policy allowing egress to ips" (the
// ipBlock /24 matches a pod's IP too), and "Policy allowing ingress to
// named port" from an address.
#[test]
fn policy_assistant_ip_and_named_port_cases() {
    let mut set = PolicySet::default();
    for text in [
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: vary-egress-37-0-0-0-19, namespace: x}
spec:
  egress:
  - ports: [{port: 80, protocol: TCP}]
    to: [{podSelector: {}}, {ipBlock: {cidr: 192.168.242.213/24}}]
  - ports: [{port: 53, protocol: UDP}]
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
",
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: abc, namespace: x}
spec:
  ingress:
  - ports: [{port: port-hello, protocol: TCP}]
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Ingress]
",
    ] {
        let o = yaml::objects(text).unwrap().remove(0);
        set.apply(Policy::new(super::decode(&o).unwrap(), "default").unwrap());
    }
    let ns: BTreeMap<String, super::Labels> = [
        ("x".into(), labels(&[("ns", "x")])),
        ("y".into(), labels(&[("ns", "y")])),
    ]
    .into_iter()
    .collect();
    let a = labels(&[("pod", "a")]);
    let b = labels(&[("pod", "b")]);
    let hello = [NamedPort {
        name: "port-hello".into(),
        port: 8080,
        protocol: Protocol::Tcp,
    }];
    let eps = [
        Endpoint::Pod {
            namespace: "x",
            labels: &a,
            ports: &hello,
            ip: Ipv4Addr::new(1, 2, 3, 4),
        },
        Endpoint::Pod {
            namespace: "y",
            labels: &b,
            ports: &[],
            ip: Ipv4Addr::new(192, 168, 242, 249),
        },
        Endpoint::Address(Ipv4Addr::new(1, 2, 3, 5)),
    ];
    let ev = Evaluator::new(&set, &ns, eps.to_vec());
    assert!(ev
        .verdict(Direction::Egress, 0, 1, 80, Protocol::Tcp)
        .allows());
    assert!(!ev
        .verdict(Direction::Egress, 0, 1, 81, Protocol::Tcp)
        .allows());
    assert!(ev
        .verdict(Direction::Egress, 0, 2, 53, Protocol::Udp)
        .allows());
    assert!(ev
        .verdict(Direction::Ingress, 2, 0, 8080, Protocol::Tcp)
        .allows());
    assert!(!ev
        .verdict(Direction::Ingress, 2, 0, 8081, Protocol::Tcp)
        .allows());
    assert_eq!(
        set.explain(
            &ev.verdict(Direction::Ingress, 2, 0, 8080, Protocol::Tcp),
            Direction::Ingress
        ),
        "ingress: allowed by x/abc rule 1"
    );
    assert_eq!(
        set.explain(
            &ev.verdict(Direction::Ingress, 2, 0, 8081, Protocol::Tcp),
            Direction::Ingress
        ),
        "ingress: denied, x/abc selects this pod for ingress and no rule allows it"
    );
    assert_eq!(
        ev.verdict(Direction::Ingress, 0, 2, 80, Protocol::Tcp),
        super::Verdict::NotAPod
    );
    assert_eq!(
        ev.verdict(Direction::Ingress, 0, 1, 80, Protocol::Tcp),
        super::Verdict::NotIsolated
    );
}

fn invalid(text: &str) -> String {
    let o = yaml::objects(text).unwrap().remove(0);
    match super::decode(&o).map(|p| Policy::new(p, "default")) {
        Ok(Err(e)) | Err(e) => e.to_string(),
        Ok(Ok(_)) => String::new(),
    }
}

// pkg/apis/networking/validation/validation_test.go
// (TestValidateNetworkPolicy's error cases), in the API server's words.
#[test]
fn the_api_servers_validation_errors() {
    let head = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\n";
    let cases = [
        ("spec: {podSelector: {}, ingress: [{from: [{}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.ingress[0].from[0]: Required value: must specify a peer"),
        ("spec: {podSelector: {}, ingress: [{from: [{podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer"),
        ("spec: {podSelector: {}, ingress: [{ports: [{protocol: ICMP}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\""),
        ("spec: {podSelector: {}, egress: [{ports: [{port: 0}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.egress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"),
        ("spec: {podSelector: {}, egress: [{ports: [{port: 81, endPort: 80}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.egress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`"),
        ("spec: {podSelector: {}, egress: [{ports: [{port: http, endPort: 90}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric"),
        ("spec: {podSelector: {}, egress: [{ports: [{endPort: 90}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.egress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified"),
        ("spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/24]}}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.egress[0].to[0].ipBlock.except[0]: Invalid value: \"192.168.0.0/24\": must be a strict subset of `cidr`"),
        ("spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.egress[0].to[0].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`"),
        ("spec: {podSelector: {}, egress: [{to: [{ipBlock: {}}]}]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.egress[0].to[0].ipBlock.cidr: Required value: "),
        ("spec: {podSelector: {matchExpressions: [{key: app, operator: In}]}}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"),
        ("spec: {podSelector: {matchExpressions: [{key: app, operator: Exists, values: [x]}]}}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.podSelector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        ("spec: {podSelector: {matchExpressions: [{key: app, operator: Like, values: [x]}]}}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.podSelector.matchExpressions[0].operator: Invalid value: \"Like\": not a valid selector operator"),
        ("spec: {podSelector: {}, policyTypes: [Ingress, Egress, Ingress]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.policyTypes: Invalid value: [\"Ingress\", \"Egress\", \"Ingress\"]: may not specify more than two policyTypes"),
        ("spec: {podSelector: {}, policyTypes: [Both]}", "NetworkPolicy.networking.k8s.io \"bad\" is invalid: spec.policyTypes[0]: Unsupported value: \"Both\": supported values: \"Ingress\", \"Egress\""),
    ];
    for (spec, want) in cases {
        assert_eq!(invalid(&format!("{head}{spec}")), want, "{spec}");
    }
    // Two errors: in brackets, in order.
    assert_eq!(
        invalid(&format!("{head}spec: {{podSelector: {{}}, ingress: [{{ports: [{{port: 0}}], from: [{{}}]}}]}}")),
        "NetworkPolicy.networking.k8s.io \"bad\" is invalid: [spec.ingress[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ingress[0].from[0]: Required value: must specify a peer]"
    );
    assert!(invalid("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Bad_Name}\n")
        .starts_with("NetworkPolicy.networking.k8s.io \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"));
    assert_eq!(
        invalid("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {}\n"),
        "NetworkPolicy.networking.k8s.io \"\" is invalid: metadata.name: Required value: name or generateName is required"
    );
}

#[test]
fn decoding_errors_name_the_field() {
    let e = invalid("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {ingres: []}\n");
    assert_eq!(e, "NetworkPolicy in version \"v1\" cannot be handled as a NetworkPolicy: strict decoding error: unknown field \"spec.ingres\"");
    let e = invalid("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {ingress: [{ports: [{endPort: eighty}]}]}\n");
    assert!(e.contains("invalid type: string \"eighty\""), "{e}");
    let e = invalid("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, exept: []}}]}]}\n");
    assert_eq!(e, "NetworkPolicy in version \"v1\" cannot be handled as a NetworkPolicy: strict decoding error: unknown field \"spec.egress[0].to[0].ipBlock.exept\"");
    let o = yaml::objects(
        "apiVersion: networking.k8s.io/v2\nkind: NetworkPolicy\nmetadata: {name: p}\n",
    )
    .unwrap()
    .remove(0);
    let e = Policy::new(super::decode(&o).unwrap(), "default").unwrap_err();
    assert!(matches!(e, PolicyError::NoMatch { .. }), "{e}");
    assert!(matches!(
        yaml::objects("spec: [unclosed"),
        Err(PolicyError::Syntax { .. })
    ));
}

#[test]
fn yaml_documents_and_lists_round_trip() {
    let text = "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n---\n---\nkind: List\nitems:\n- {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: b}}\n";
    let objects = yaml::objects(text).unwrap();
    assert_eq!(objects.len(), 2);
    let back = yaml::objects(&yaml::documents(&objects)).unwrap();
    assert_eq!(back, objects);
}

#[test]
fn an_empty_pod_selector_reads_as_every_pod_not_none() {
    let doc = |sel: &str| {
        let o = yaml::objects(&format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec: {{podSelector: {sel}}}\n")).unwrap().remove(0);
        Policy::new(super::decode(&o).unwrap(), "default").unwrap()
    };
    let all = doc("{}");
    assert_eq!(all.pod_selector.describe(), "<none>");
    assert_eq!(all.pod_selector.selects(), "every pod");
    let web = doc("{matchLabels: {app: web}}");
    assert_eq!(web.pod_selector.selects(), "pods with app=web");
}
