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

    /// The party indices of `from` and `to`.
    fn at(r: &Reach, from: &str, to: &str) -> (usize, usize) {
        let find = |name: &str| r.parties.iter().position(|p| p.name == name).unwrap();
        (find(from), find(to))
    }

    fn pair_of(r: &Reach, from: &str, to: &str) -> crate::query::reach::Pair {
        let (i, j) = at(r, from, to);
        r.pair(i, j)
    }

    fn allowed(r: &Reach, from: &str, to: &str) -> bool {
        pair_of(r, from, to).allowed
    }

    /// Whether the source's side lets `from` → `to` out.
    fn egress(r: &Reach, from: &str, to: &str) -> bool {
        let (i, j) = at(r, from, to);
        r.decide(crate::netpol::Direction::Egress, i, j).allows()
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
        let pair = pair_of(&r, "shop/cart", "shop/web");
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
        let pair = pair_of(&r, "default/intruder", "shop/web");
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

    fn calico_on_vpc(pod_eni: bool) -> CniMode {
        CniMode::from(VpcCni {
            calico_policy: true,
            pod_eni,
            ..VpcCni::default()
        })
    }

    #[test]
    fn calico_in_policy_only_mode_enforces_on_the_vpc_cni() {
        let s = cluster(calico_on_vpc(false));
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        assert!(allowed(&r, "shop/cart", "shop/web"));
        assert!(!allowed(&r, "default/intruder", "shop/web"));
        assert!(r
            .enforcement
            .describe()
            .starts_with("enforced by Calico (calico-node's Felix) in policy-only mode"));
        // The VPC CNI still gives the addresses: pods hold VPC addresses.
        let web = s.pods.values().find(|p| p.name == "web").unwrap();
        assert!(s
            .vpc
            .subnets
            .values()
            .any(|n| n.cidr.contains(&web.ip.unwrap())));
    }

    #[test]
    fn calico_leaves_pods_with_security_groups_to_them() {
        let mut s = cluster(calico_on_vpc(true));
        run(&mut s, r#"{"action":"add-pods","count":1,"name":"pay","namespace":"shop","labels":{"app":"web"},"security_groups":true,"ports":[{"name":"http","port":80}]}"#).unwrap();
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        assert!(
            !allowed(&r, "default/intruder", "shop/web"),
            "web has no branch ENI"
        );
        assert!(
            allowed(&r, "default/intruder", "shop/pay"),
            "web-from-shop selects pay, but Calico does not police it"
        );
        let pair = pair_of(&r, "default/intruder", "shop/pay");
        assert!(matches!(
            pair.ingress,
            Decision::SecurityGroups(crate::netpol::Verdict::Denied { .. })
        ));
        assert_eq!(
            r.explain(&pair.ingress, crate::netpol::Direction::Ingress),
            "ingress: allowed by policy, the pod has its own security groups and Calico leaves such pods to them (podnet does not model security group rules)"
        );
    }

    #[test]
    fn the_network_policy_agent_and_calico_together_are_refused() {
        let mut s = with_cluster(calico_on_vpc(false));
        let before = s.cni.clone();
        let err = run(&mut s, r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","calico_policy":true,"enable_network_policy":true}}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("enable_network_policy and calico_policy are both on"),
            "{err}"
        );
        assert_eq!(s.cni, before, "nothing changed");
    }

    /// A default-deny-egress policy in `default` that allows only web's
    /// IP by ipBlock; web's `/32`.
    fn to_web_by_ip(s: &mut super::super::Sandbox) -> String {
        let web = s
            .pods
            .values()
            .find(|p| p.name == "web")
            .unwrap()
            .ip
            .unwrap();
        let block = format!("{web}/32");
        run(s, &format!(r#"{{"action":"apply-network-policy","policy":{{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{{"name":"to-web","namespace":"default"}},"spec":{{"podSelector":{{}},"egress":[{{"to":[{{"ipBlock":{{"cidr":"{block}"}}}}]}}]}}}}}}"#)).unwrap();
        block
    }

    #[test]
    fn cilium_does_not_select_pods_by_ip_block_and_says_so() {
        let mut s = cluster(CniMode::from(crate::cni::Cilium {
            pool: "192.168.0.0/16".into(),
            ..crate::cni::Cilium::default()
        }));
        let block = to_web_by_ip(&mut s);
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        assert!(
            !egress(&r, "default/intruder", "shop/web"),
            "the ipBlock holds web's IP, and Cilium does not match pods by IP"
        );
        let w = crate::query::reach::warnings(&s);
        assert!(w.iter().any(|w| w.starts_with(&format!("the ipBlock {block} of default/to-web (egress rule 1) holds the IPs of 1 pod(s), but Cilium matches pods by identity"))), "{w:?}");
        // The API's reading, as the VPC CNI's agent and Calico have it.
        let mut s = cluster(enforcing());
        to_web_by_ip(&mut s);
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        assert!(egress(&r, "default/intruder", "shop/web"));
        assert!(!egress(&r, "default/intruder", "shop/cart"));
    }

    #[test]
    fn cilium_warns_of_end_port_and_sctp() {
        let mut s = cluster(CniMode::from(crate::cni::Cilium {
            pool: "192.168.0.0/16".into(),
            ..crate::cni::Cilium::default()
        }));
        run(&mut s, r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"range","namespace":"shop"},"spec":{"podSelector":{},"ingress":[{"ports":[{"port":8000,"endPort":8080}]},{"ports":[{"port":9,"protocol":"SCTP"}]}]}}}"#).unwrap();
        let w = crate::query::reach::warnings(&s);
        assert!(w.iter().any(|w| w.starts_with("shop/range uses port ranges (endPort), which the CNI's documentation lists among the NetworkPolicy features it lacks (cilium issue 16622)")), "{w:?}");
        assert!(
            w.iter().any(|w| w.starts_with("shop/range uses SCTP")),
            "{w:?}"
        );
        let mut s = cluster(enforcing());
        run(&mut s, r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"range","namespace":"shop"},"spec":{"podSelector":{},"ingress":[{"ports":[{"port":8000,"endPort":8080}]}]}}}"#).unwrap();
        assert!(crate::query::reach::warnings(&s)
            .iter()
            .all(|w| !w.contains("endPort")));
    }

    #[test]
    fn a_pair_found_alone_decides_as_in_the_whole_matrix() {
        let mut s = cluster(enforcing());
        run(&mut s, r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"egress","namespace":"shop"},"spec":{"podSelector":{"matchLabels":{"app":"cart"}},"egress":[{"to":[{"podSelector":{"matchLabels":{"app":"web"}}}]}]}}}"#).unwrap();
        let whole = Reach::new(&s, 80, Protocol::Tcp, &[]);
        for (i, j) in whole.pairs() {
            let (a, b) = (&whole.parties[i].name, &whole.parties[j].name);
            let (r, x, y) = crate::query::reach::between(&s, a, b, 80, Protocol::Tcp, &[]).unwrap();
            assert_eq!(r.parties.len(), 2);
            assert_eq!(r.pair(x, y), whole.pair(i, j), "{a} → {b}");
        }
    }

    #[test]
    fn dns_over_udp_only_is_warned_about() {
        let mut s = cluster(enforcing());
        run(&mut s, r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"dns-udp","namespace":"shop"},"spec":{"podSelector":{},"egress":[{"to":[{"namespaceSelector":{},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],"ports":[{"port":53,"protocol":"UDP"}]},{"to":[{"ipBlock":{"cidr":"10.10.0.0/28"}},{"ipBlock":{"cidr":"10.10.0.16/28"}}]}]}}}"#).unwrap();
        let w = crate::query::reach::warnings(&s);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with(
                "2 pod(s), shop/cart among them, reach CoreDNS on 53/UDP but not on 53/TCP"
            ),
            "{}",
            w[0]
        );
    }

    #[test]
    fn pods_group_by_namespace_and_labels() {
        let mut s = cluster(enforcing());
        run(&mut s, r#"{"action":"add-pods","count":1,"name":"web2","namespace":"shop","labels":{"app":"web"},"ports":[{"name":"http","port":80}]}"#).unwrap();
        let r = Reach::new(&s, 80, Protocol::Tcp, &[]);
        let groups = r.groups();
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "default {app=x}",
                "kube-system {eks.amazonaws.com/component=coredns, k8s-app=kube-dns}",
                "shop {app=cart}",
                "shop {app=web}"
            ]
        );
        let web = &groups[3];
        assert_eq!(web.members.len(), 2);
        let cell = r.group_cell(&groups[0], web);
        assert_eq!(
            (cell.allowed, cell.total),
            (0, 2),
            "intruder is outside shop"
        );
        let cell = r.group_cell(web, web);
        assert_eq!(
            (cell.allowed, cell.total),
            (2, 2),
            "web and web2, both ways; not to themselves"
        );
        let cell = r.group_cell(&groups[2], web);
        assert_eq!((cell.allowed, cell.total), (2, 2));
        assert!(cell.allowed_pair.is_some() && cell.denied_pair.is_none());
    }

    #[test]
    fn cilium_and_calico_police_a_pods_egress_to_its_own_node_but_let_the_node_in() {
        let deny_egress = r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny-egress","namespace":"shop"},"spec":{"podSelector":{},"policyTypes":["Egress"]}}}"#;
        let allow_node = r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"to-nodes","namespace":"shop"},"spec":{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"ipBlock":{"cidr":"10.10.0.0/16"}}]}]}}}"#;
        let cilium = CniMode::from(crate::cni::Cilium {
            pool: "192.168.0.0/16".into(),
            ..crate::cni::Cilium::default()
        });
        let calico = CniMode::from(crate::cni::Calico::default());
        // (CNI, egress to its own node under deny-egress, the same once an
        // ipBlock holds the node's address)
        for (cni, denied, by_ip_block) in [
            (cilium, true, false),
            (calico, true, true),
            (calico_on_vpc(false), true, true),
            (enforcing(), false, true),
        ] {
            let name = crate::cni::Cni::name(cni.strategy()).to_owned();
            let mut s = cluster(cni);
            run(&mut s, deny_egress).unwrap();
            let node = s.pods.values().find(|p| p.name == "cart").unwrap().node;
            let node_ip = s.nodes.get(&node.unwrap()).unwrap().ip().unwrap();
            let r = Reach::new(&s, 80, Protocol::Tcp, &[node_ip]);
            let ip = node_ip.to_string();
            assert_eq!(
                egress(&r, "shop/cart", &ip),
                !denied,
                "{name}: cart to its node"
            );
            assert!(
                allowed(&r, &ip, "shop/cart"),
                "{name}: the node reaches its pods"
            );
            let pair = pair_of(&r, "shop/cart", &ip);
            let text = r.explain(&pair.egress, crate::netpol::Direction::Egress);
            if denied {
                assert!(text.starts_with("egress: denied"), "{name}: {text}");
                let from_node = pair_of(&r, &ip, "shop/cart");
                let text = r.explain(&from_node.ingress, crate::netpol::Direction::Ingress);
                assert!(text.contains("always lets a pod's own node reach it (what the pod sends to its node goes through its egress policy)"), "{name}: {text}");
            } else {
                assert_eq!(
                    text,
                    "egress: allowed, traffic to and from a pod's own node always is"
                );
            }
            run(&mut s, allow_node).unwrap();
            let r = Reach::new(&s, 80, Protocol::Tcp, &[node_ip]);
            assert_eq!(
                egress(&r, "shop/cart", &ip),
                by_ip_block,
                "{name}: by ipBlock"
            );
        }
    }

    #[test]
    fn cilium_does_not_select_nodes_by_ip_block() {
        let cilium = CniMode::from(crate::cni::Cilium {
            pool: "192.168.0.0/16".into(),
            ..crate::cni::Cilium::default()
        });
        let allow_nodes = r#"{"action":"apply-network-policy","policy":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"from-nodes","namespace":"shop"},"spec":{"podSelector":{"matchLabels":{"app":"cart"}},"ingress":[{"from":[{"ipBlock":{"cidr":"10.10.0.0/16"}}]}]}}}"#;
        for (cni, selects) in [(cilium, false), (enforcing(), true)] {
            let mut s = cluster(cni);
            add_node(&mut s, "m5.large", "nodes-a");
            run(&mut s, allow_nodes).unwrap();
            let cart = s.pods.values().find(|p| p.name == "cart").unwrap().node;
            let other = s
                .nodes
                .values()
                .find(|n| Some(n.id) != cart)
                .unwrap()
                .ip()
                .unwrap();
            let r = Reach::new(&s, 80, Protocol::Tcp, &[other]);
            assert_eq!(
                allowed(&r, &other.to_string(), "shop/cart"),
                selects,
                "another node's address, by ipBlock"
            );
            let warned = crate::query::reach::warnings(&s).iter().any(|w| w.contains("node(s) (their host-network pods, the kubelet), which Cilium does not select by ipBlock"));
            assert_eq!(warned, !selects);
        }
    }

    #[test]
    fn a_trace_with_a_port_carries_it_and_stops_where_policy_drops_it() {
        use crate::paths::Endpoint;
        let s = cluster(enforcing());
        let pod = |name: &str| Endpoint::Pod {
            pod: s.pods.values().find(|p| p.name == name).unwrap().id,
        };
        // Allowed: every hop, and the packet's header says TCP 80.
        let p = s
            .trace_port(pod("cart"), pod("web"), 80, Protocol::Tcp)
            .unwrap();
        assert!(p.reachable, "{}", p.verdict);
        assert!(p.hops.iter().all(|h| h.blocked.is_none()));
        assert!(p
            .hops
            .iter()
            .flat_map(|h| &h.headers)
            .any(|x| x.proto == "TCP 80"));
        assert!(p
            .hops
            .iter()
            .flat_map(|h| &h.headers)
            .all(|x| x.proto != "TCP 8080"));
        let whole = p.hops.len();
        // Denied at web's ingress: the packet crosses to web's node and is
        // dropped on web's host side, before web.
        let p = s
            .trace_port(pod("intruder"), pod("web"), 80, Protocol::Tcp)
            .unwrap();
        assert!(!p.reachable);
        assert!(
            p.verdict
                .starts_with("NetworkPolicy drops it on port 80/TCP; without the policy, "),
            "{}",
            p.verdict
        );
        assert_eq!(p.hops.len(), whole - 1);
        let last = p.hops.last().unwrap();
        assert!(
            last.blocked
                .as_deref()
                .unwrap()
                .starts_with("NetworkPolicy drops it here: ingress: denied"),
            "{:?}",
            last.blocked
        );
        assert!(p.policy.as_ref().is_some_and(|c| !c.egress_denies));
    }
}
