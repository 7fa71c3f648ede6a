//! A CNI that exists only in podnet's tests: the proof that adding a CNI is
//! writing one module like this one (plus its variant line in `CniMode`,
//! its tag in `raw.rs`'s list and its settings there). It is not a real
//! CNI and no text here is a fact about one.
//!
//! "Static routes": each node gets a `/24` of its own network (host-local
//! IPAM behind a bridge), and pods reach other nodes' pods unencapsulated
//! through routes to the node IPs, like flannel's host-gw.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::node_range::{RangeKind, RangePlan};
use super::{Addressing, Cni, CniMode, Crossing, Datapath, KnobSet, Knobs, Masquerade, Wiring};
use crate::catalog::InstanceType;
use crate::cluster::Node;
use crate::events::Recorder;
use crate::explain::Derivation;
use crate::sandbox::{Sandbox, SandboxError};

const SOURCE: &str = "podnet's test CNI (crates/model/src/cni/static_routes.rs)";

/// The test CNI's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticRoutes {
    /// The cluster network pods take addresses from.
    pub network: String,
    /// The prefix length of each node's range.
    pub subnet_len: u8,
}

impl Default for StaticRoutes {
    fn default() -> Self {
        Self {
            network: "10.200.0.0/16".into(),
            subnet_len: 24,
        }
    }
}

impl StaticRoutes {
    fn network(&self) -> Option<Ipv4Net> {
        super::parse_range(&self.network)
    }
}

impl Cni for StaticRoutes {
    fn identity(&self) -> &'static super::Identity {
        &super::Identity {
            name: "Static routes (test)",
            tag: "static-routes",
            label: "Static routes (a test CNI)",
            plugin: "static-routes",
            daemonset: "static-routes",
            agent_pods: ("kube-system", ("k8s-app", "static-routes")),
            network_ready_because:
                "static-routes: the agent has its pod CIDR and wrote 10-static.conflist",
            on_boot:
                "the static-routes agent takes a pod CIDR and routes the others' to their nodes",
            exits_when_blocked: false,
        }
    }

    fn agent_image(&self, _region: &str) -> (String, bool) {
        ("registry.example/static-routes".into(), false)
    }

    fn cannot_start(&self, _node: &str) -> Option<String> {
        None
    }

    fn summary(&self) -> String {
        format!(
            "Static routes, network {}, /{} per node",
            self.network, self.subnet_len
        )
    }

    fn addressing(&self) -> Addressing<'_> {
        Addressing::NodeRanges(self)
    }

    fn initial_state(&self) -> super::CniState {
        super::CniState::Stateless
    }

    fn max_pods(&self, instance: &InstanceType) -> Derivation {
        let (enis, ips) = (instance.max_enis, instance.ipv4_per_eni);
        let value = enis.saturating_mul(ips.saturating_sub(1)).saturating_add(2);
        Derivation::new("max pods", value, "the EKS formula".into()).because(
            "the kubelet's max pods comes from the node, whatever the CNI",
            SOURCE,
        )
    }

    fn datapath(&self) -> Datapath {
        Datapath {
            encapsulation: "none (routes to the node IPs)",
            overhead: 0,
            source: SOURCE,
            vpc_routable: false,
            crossing: Crossing::Direct { source: SOURCE },
            masquerade: Masquerade {
                rule: "static-routes masquerade",
                source: SOURCE,
                out_eth0: false,
                external: false,
                branch_pods_exempt: false,
            },
            wiring: Wiring::Bridge,
        }
    }

    fn problem(&self, vpc: &[Ipv4Net]) -> Option<super::SettingsError> {
        let Some(net) = self.network() else {
            return Some(super::SettingsError::NotACidr {
                setting: "static-routes network",
                value: self.network.clone(),
            });
        };
        if !(net.prefix_len()..=30).contains(&self.subnet_len) {
            return Some(super::SettingsError::NodeRangeTooBig {
                len: self.subnet_len,
                what: "the static-routes network",
                net,
            });
        }
        super::overlap_problem("static-routes network", net, vpc, "")
    }

    fn fitting(&self, _vpc: &[Ipv4Net]) -> CniMode {
        self.clone().into()
    }

    fn tuned(&self, _knobs: &Knobs) -> CniMode {
        self.clone().into()
    }

    fn knobs(&self) -> KnobSet {
        KnobSet::default()
    }

    fn on_eks(&self) -> CniMode {
        self.clone().into()
    }

    fn check_change(&self, _sb: &Sandbox) -> Result<(), SandboxError> {
        Ok(())
    }

    fn after_change(&self, _sb: &mut Sandbox, _events: &mut Recorder) {}

    fn pool_rules(&self, _sb: &Sandbox, node: &Node) -> Vec<(String, &'static str)> {
        crate::query::node_range_pool(node)
    }

    fn explain_pod_ip(&self, sb: &Sandbox, ip: Ipv4Addr, node: &Node) -> Option<Derivation> {
        Some(crate::query::node_range_pod_ip(sb, ip, node))
    }

    fn no_address_advice(&self, _sb: &Sandbox, n: &Node) -> Vec<String> {
        match &n.overlay {
            Some(range) => crate::query::range_full_advice(n, range),
            None => vec![format!(
                "{} has no pod CIDR: the network has none left.",
                n.name
            )],
        }
    }

    fn plan_rule(&self) -> (String, &'static str) {
        super::overlay_plan_rule(self.name())
    }

    fn eks_addon(&self) -> Option<&dyn super::EksAddon> {
        None
    }

    fn pod_range(&self) -> Option<&str> {
        Some(&self.network)
    }

    fn intro_note(&self) -> Option<&'static str> {
        None
    }
    fn policy_enforcement(&self) -> super::Enforcement {
        super::Enforcement::None {
            why: "the test CNI has no policy agent",
            source: SOURCE,
        }
    }
}

impl super::RangeIpam for StaticRoutes {
    fn plan(&self) -> Option<super::node_range::RangePlan> {
        self.network().map(|cluster| RangePlan {
            cluster,
            node_len: self.subnet_len,
            kind: RangeKind::HostLocal,
            skip: 0,
        })
    }

    fn assigned_by(&self) -> &'static str {
        "static-routes agent assigned"
    }
    fn out_of_ranges(&self, plan: &RangePlan) -> String {
        format!(
            "static-routes: network {} has no free /{} left",
            plan.cluster, plan.node_len
        )
    }
    fn add_without_range(&self, _node: &str) -> super::AllocateError {
        super::no_range_yet(self.plugin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::PodStatus;
    use crate::scenario::{builtin, Scenario};

    /// The seed scenario (two AZs, two nodes, six pods) under the test CNI.
    fn seed() -> Scenario {
        let mut s = Scenario::from_json(builtin::get("seed").unwrap()).unwrap();
        s.cni = serde_json::from_str(r#"{"cni":"static-routes"}"#).unwrap();
        s.actions.push(
            serde_json::from_str(
                r#"{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a"}"#,
            )
            .unwrap(),
        );
        s.actions
            .push(serde_json::from_str(r#"{"action":"add-pods","count":6}"#).unwrap());
        s
    }

    #[test]
    fn the_vocabulary_lists_it_without_being_told() {
        assert!(CniMode::tags().contains(&"static-routes"));
        let mode = CniMode::from_tag("static-routes").unwrap();
        assert_eq!(mode, CniMode::from(StaticRoutes::default()));
        assert!(CniMode::all().contains(&mode));
        assert!(crate::compare::all_cnis().contains(&mode));
    }

    #[test]
    fn it_runs_through_the_sandbox() {
        let r = seed().replay().unwrap();
        let s = &r.sandbox;
        let net: Ipv4Net = "10.200.0.0/16".parse().unwrap();
        let apps: Vec<_> = s.pods.values().filter(|p| p.is_workload()).collect();
        assert_eq!(apps.len(), 12);
        for p in &apps {
            assert_eq!(p.status, PodStatus::Running, "{}: {:?}", p.name, p.reason);
            assert!(net.contains(&p.ip.unwrap()), "{} has {:?}", p.name, p.ip);
        }
        for n in s.nodes.values() {
            assert!(n.ready(), "{} is Ready", n.name);
            assert_eq!(n.overlay.as_ref().unwrap().cidr.prefix_len(), 24);
        }
        assert!(r
            .events()
            .any(|e| e.kind.to_string().contains("static-routes agent assigned")));
        let first = apps[0];
        let why = crate::query::explain_pod_ip(s, first.id).unwrap();
        assert!(why.formula.contains("pod CIDR"), "{why:?}");
        assert!(s.join(&s.nodes.values().next().unwrap().name).is_ok());
    }

    #[test]
    fn it_runs_through_the_compare_view() {
        let rows = crate::compare::compare(&seed(), &CniMode::all());
        let row = rows
            .iter()
            .find(|r| r.cni == "Static routes (test)")
            .unwrap();
        assert_eq!(row.error, None);
        assert_eq!(
            (row.running, row.pending, row.container_creating),
            (12, 0, 0)
        );
        assert_eq!(row.datapath.mtu(9001), 9001);
        assert!(!row.datapath.vpc_routable);
    }

    #[test]
    fn it_runs_through_the_trace() {
        let s = seed().replay().unwrap().sandbox;
        let on = |subnet: &str| {
            let sub = s.subnet(subnet).unwrap().id;
            s.pods
                .values()
                .filter(|p| p.is_workload())
                .filter(|p| {
                    p.node
                        .and_then(|n| s.nodes.get(&n))
                        .is_some_and(|n| n.subnet == sub)
                })
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        };
        let (a, b) = (on("nodes-a"), on("nodes-b"));
        let trace = |from: &str, to: &str| {
            s.trace(s.endpoint(from).unwrap(), s.endpoint(to).unwrap())
                .unwrap()
        };
        // Two nodes in one subnet: routed as they are, with the test CNI's source.
        let same_node = |p: &String| s.pods.values().find(|x| &x.name == p).and_then(|x| x.node);
        let other = a.iter().find(|p| same_node(p) != same_node(&a[0])).unwrap();
        let path = trace(&a[0], other);
        assert!(path.reachable, "{}", path.to_text());
        assert!(
            path.hops.iter().any(|h| h.source == SOURCE),
            "{}",
            path.to_text()
        );
        assert!(
            path.hops.iter().any(|h| h.interface == "cni0 bridge"),
            "{}",
            path.to_text()
        );
        // Across subnets the VPC has no route to the node ranges.
        let path = trace(&a[0], &b[0]);
        assert!(!path.reachable, "{}", path.to_text());
        // Out of the cluster, the test CNI's masquerade rewrites the source.
        let path = trace(&a[0], "10.10.0.40");
        assert!(
            path.hops.iter().any(|h| h
                .nat
                .as_deref()
                .is_some_and(|n| n.contains("static-routes masquerade"))),
            "{}",
            path.to_text()
        );
    }
}
