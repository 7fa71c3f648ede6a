//! Namespaces, labels and NetworkPolicy objects through `Sandbox::apply`.

use super::{add_node, run, seed};
use crate::netpol::api::one_label;

const DENY: &str = r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny","namespace":"shop"},"spec":{"podSelector":{}}}}"#;

fn texts(events: &[crate::events::Event]) -> Vec<String> {
    events.iter().map(|e| e.kind.to_string()).collect()
}

#[test]
fn built_in_namespaces_carry_their_name_label() {
    let s = seed();
    let keys: Vec<&str> = s.namespaces.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["default", "kube-node-lease", "kube-public", "kube-system"]
    );
    assert_eq!(
        s.namespaces["kube-system"],
        one_label("kubernetes.io/metadata.name", "kube-system")
    );
}

#[test]
fn a_namespace_gets_its_name_label_and_keeps_it_when_relabelled() {
    let mut s = seed();
    let e = run(
        &mut s,
        r#"{"action":"add-namespace","name":"shop","labels":{"team":"a"}}"#,
    )
    .unwrap();
    assert_eq!(texts(&e), ["namespace/shop created"]);
    assert_eq!(
        s.namespaces["shop"].get("team").map(String::as_str),
        Some("a")
    );
    run(
        &mut s,
        r#"{"action":"set-labels","kind":"namespace","name":"shop","labels":{"team":"b"}}"#,
    )
    .unwrap();
    assert_eq!(
        s.namespaces["shop"]
            .get("kubernetes.io/metadata.name")
            .map(String::as_str),
        Some("shop")
    );
    assert_eq!(
        s.namespaces["shop"].get("team").map(String::as_str),
        Some("b")
    );
    let err = run(&mut s, r#"{"action":"add-namespace","name":"shop"}"#).unwrap_err();
    assert_eq!(err.to_string(), "namespaces \"shop\" already exists");
    let err = run(&mut s, r#"{"action":"add-namespace","name":"Shop_2"}"#).unwrap_err();
    assert!(err.to_string().starts_with("Namespace \"Shop_2\" is invalid: metadata.name: Invalid value: \"Shop_2\": a lowercase RFC 1123 label"), "{err}");
}

#[test]
fn pods_have_a_namespace_labels_and_ports_and_one_pod_its_exact_name() {
    let mut s = seed();
    add_node(&mut s, "m5.large", "nodes-a");
    run(&mut s, r#"{"action":"add-namespace","name":"shop"}"#).unwrap();
    run(&mut s, r#"{"action":"add-pods","count":1,"name":"web","namespace":"shop","labels":{"app":"web"},"ports":[{"name":"http","port":80,"protocol":"TCP"}]}"#).unwrap();
    let web = s.pods.values().find(|p| p.name == "web").unwrap();
    assert_eq!(
        (
            web.namespace.as_str(),
            web.labels.get("app").map(String::as_str)
        ),
        ("shop", Some("web"))
    );
    assert_eq!(web.ports[0].port, 80);
    let err = run(
        &mut s,
        r#"{"action":"add-pods","count":1,"name":"web","namespace":"shop"}"#,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "pods \"web\" already exists");
    // The same name in another namespace is another pod.
    run(&mut s, r#"{"action":"add-pods","count":1,"name":"web"}"#).unwrap();
    let err = run(
        &mut s,
        r#"{"action":"add-pods","count":2,"namespace":"nowhere"}"#,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "namespaces \"nowhere\" not found");
    let err = run(
        &mut s,
        r#"{"action":"add-pods","count":2,"labels":{"app":"a b"}}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Pod \"app\" is invalid: metadata.labels: Invalid value: \"a b\""),
        "{err}"
    );
    // DaemonSet pods are in their own namespaces.
    let aws_node = s
        .pods
        .values()
        .find(|p| p.name.starts_with("aws-node"))
        .unwrap();
    assert_eq!(aws_node.namespace, "kube-system");
    assert_eq!(
        aws_node.labels.get("k8s-app").map(String::as_str),
        Some("aws-node")
    );
    run(&mut s, r#"{"action":"set-labels","kind":"pod","namespace":"shop","name":"web","labels":{"app":"api"}}"#).unwrap();
    let web = s
        .pods
        .values()
        .find(|p| p.name == "web" && p.namespace == "shop")
        .unwrap();
    assert_eq!(web.labels.get("app").map(String::as_str), Some("api"));
    let err = run(
        &mut s,
        r#"{"action":"set-labels","kind":"pod","name":"ghost","labels":{}}"#,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "no pod default/ghost");
}

#[test]
fn policies_apply_configure_and_delete_in_kubectls_words() {
    let mut s = seed();
    let err = run(&mut s, DENY).unwrap_err();
    assert_eq!(err.to_string(), "namespaces \"shop\" not found");
    assert!(s.policies.is_empty(), "nothing applied");
    run(&mut s, r#"{"action":"add-namespace","name":"shop"}"#).unwrap();
    assert_eq!(
        texts(&run(&mut s, DENY).unwrap()),
        ["networkpolicy.networking.k8s.io/deny created"]
    );
    assert_eq!(
        texts(&run(&mut s, DENY).unwrap()),
        ["networkpolicy.networking.k8s.io/deny unchanged"]
    );
    let changed = DENY.replace(
        r#""spec":{"podSelector":{}}"#,
        r#""spec":{"podSelector":{"matchLabels":{"app":"web"}}}"#,
    );
    assert_eq!(
        texts(&run(&mut s, &changed).unwrap()),
        ["networkpolicy.networking.k8s.io/deny configured"]
    );
    assert_eq!(s.policies.policies().len(), 1);
    let bad = DENY.replace(
        r#""spec":{"podSelector":{}}"#,
        r#""spec":{"ingress":[{"from":[{}]}]}"#,
    );
    let err = run(&mut s, &bad).unwrap_err();
    assert_eq!(err.to_string(), "NetworkPolicy.networking.k8s.io \"deny\" is invalid: spec.ingress[0].from[0]: Required value: must specify a peer");
    assert_eq!(
        s.policies.policies()[0].object.spec.pod_selector.describe(),
        "app=web",
        "the previous policy stays"
    );
    let err = run(
        &mut s,
        r#"{"action":"delete-network-policy","name":"deny"}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "networkpolicies.networking.k8s.io \"deny\" not found in namespace default"
    );
    let e = run(
        &mut s,
        r#"{"action":"delete-network-policy","namespace":"shop","name":"deny"}"#,
    )
    .unwrap();
    assert_eq!(
        texts(&e),
        ["networkpolicy.networking.k8s.io \"deny\" deleted"]
    );
    assert!(s.policies.is_empty());
}

#[test]
fn policies_survive_a_save_and_load() {
    let mut s = seed();
    run(&mut s, r#"{"action":"add-namespace","name":"shop"}"#).unwrap();
    run(&mut s, DENY).unwrap();
    let json = serde_json::to_string(&s).unwrap();
    let back: super::Sandbox = serde_json::from_str(&json).unwrap();
    assert_eq!(back.policies, s.policies);
    assert_eq!(back.namespaces, s.namespaces);
}

mod reach {
    use super::super::{add_node, run, with_cluster};
    use crate::cni::{CniMode, Flannel, VpcCni};
    use crate::netpol::Protocol;
    use crate::query::reach::{Decision, Reach};

    const DENY_WEB: &str = r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"web-from-shop","namespace":"shop"},"spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"podSelector":{}}],"ports":[{"port":"http"}]}]}}}"#;

    fn cluster(cni: CniMode) -> super::super::Sandbox {
        let mut s = with_cluster(cni);
        add_node(&mut s, "m5.large", "nodes-a");
        for cmd in [
            r#"{"action":"add-namespace","name":"shop"}"#,
            r#"{"action":"add-pods","count":1,"name":"web","namespace":"shop","labels":{"app":"web"},"ports":[{"name":"http","port":80}]}"#,
            r#"{"action":"add-pods","count":1,"name":"cart","namespace":"shop","labels":{"app":"cart"}}"#,
            r#"{"action":"add-pods","count":1,"name":"intruder","labels":{"app":"x"}}"#,
        ] {
            run(&mut s, cmd).unwrap();
        }
        run(&mut s, DENY_WEB).unwrap();
        s
    }

    fn allowed(r: &Reach, from: &str, to: &str) -> bool {
        let i = r.parties.iter().position(|p| p.name == from).unwrap();
        let j = r.parties.iter().position(|p| p.name == to).unwrap();
        r.pair(i, j).allowed
    }

    fn enforcing() -> CniMode {
        CniMode::from(VpcCni {
            enable_network_policy: true,
            ..VpcCni::default()
        })
    }

    #[test]
    fn the_vpc_cni_enforces_only_with_network_policy_on() {
        let s = cluster(enforcing());
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        assert_eq!(
            r.parties.len(),
            3 + 2,
            "CoreDNS's 2 replicas are pods; host-network DaemonSet pods are not listed"
        );
        assert!(allowed(&r, "shop/cart", "shop/web"));
        assert!(!allowed(&r, "default/intruder", "shop/web"));
        assert!(
            allowed(&r, "shop/web", "default/intruder"),
            "web is isolated for ingress only"
        );
        let i = r
            .parties
            .iter()
            .position(|p| p.name == "shop/cart")
            .unwrap();
        let j = r.parties.iter().position(|p| p.name == "shop/web").unwrap();
        let pair = r.pair(i, j);
        assert!(pair.served);
        assert_eq!(
            r.rule(&pair.ingress),
            Some(("shop/web-from-shop".into(), 1))
        );
        assert_eq!(
            r.explain(&pair.egress, crate::netpol::Direction::Egress),
            "egress: allowed, no policy selects this pod for egress"
        );
        // Off: the same policy is stored and nothing applies it.
        let s = cluster(CniMode::default());
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        assert!(allowed(&r, "default/intruder", "shop/web"));
    }

    #[test]
    fn flannel_ignores_policies_and_says_so() {
        let s = cluster(CniMode::from(Flannel {
            subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
            ..Flannel::default()
        }));
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        let i = r
            .parties
            .iter()
            .position(|p| p.name == "default/intruder")
            .unwrap();
        let j = r.parties.iter().position(|p| p.name == "shop/web").unwrap();
        let pair = r.pair(i, j);
        assert!(pair.allowed);
        assert!(matches!(pair.ingress, Decision::NotEnforced(_)));
        let text = r.explain(&pair.ingress, crate::netpol::Direction::Ingress);
        assert!(
            text.starts_with(
                "ingress: allowed, not enforced: Flannel does not implement NetworkPolicy"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("; enforced, shop/web-from-shop would deny it"),
            "{text}"
        );
    }

    #[test]
    fn strict_mode_denies_unselected_pods_and_the_own_node_always_passes() {
        let strict = CniMode::from(VpcCni {
            enable_network_policy: true,
            network_policy_enforcing_mode: crate::cni::vpc_cni::NetworkPolicyMode::Strict,
            ..VpcCni::default()
        });
        let s = cluster(strict);
        let node_ip = s.nodes.values().next().unwrap().ip().unwrap();
        let outside = "10.10.200.9".parse().unwrap();
        let r = Reach::new(&s, 80, Protocol::Tcp, &[node_ip, outside]);
        assert!(
            !allowed(&r, "shop/cart", "default/intruder"),
            "no policy selects either"
        );
        assert!(
            !allowed(&r, "shop/cart", "shop/web"),
            "cart's egress: unselected, so denied"
        );
        assert!(
            allowed(&r, &node_ip.to_string(), "shop/web"),
            "the kubelet's node"
        );
        assert!(!allowed(&r, &outside.to_string(), "shop/web"));
    }

    #[test]
    fn the_traps_are_warned_about() {
        let mut s = cluster(enforcing());
        assert!(
            crate::query::reach::warnings(&s).is_empty(),
            "web-from-shop cuts nothing off"
        );
        run(&mut s, r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny-egress","namespace":"shop"},"spec":{"podSelector":{},"policyTypes":["Egress"]}}}"#).unwrap();
        let w = crate::query::reach::warnings(&s);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("2 pod(s), shop/cart among them, cannot reach CoreDNS on 53/UDP"),
            "{}",
            w[0]
        );
        assert!(w[1].contains("cannot reach the API server: the kubernetes Service's endpoints are the X-ENIs' addresses (10.10.0.4, 10.10.0.20) on 443"), "{}", w[1]);
        let s = cluster(CniMode::from(Flannel {
            subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
            ..Flannel::default()
        }));
        let w = crate::query::reach::warnings(&s);
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with("1 NetworkPolicy is stored but not enforced: Flannel does not implement NetworkPolicy"), "{}", w[0]);
    }
}
