//! Cilium with cluster-pool IPAM (its default): the cilium-operator hands
//! each node a pod CIDR from the cluster pool (default `10.0.0.0/8`, `/24`
//! per node); the agent takes the router and health addresses and gives pods
//! the rest. Pod addresses are not VPC addresses; traffic between nodes is
//! encapsulated (VXLAN by default, or Geneve), or routed natively when the
//! network can route the pod CIDRs.
//!
//! Sources: cilium `Documentation/network/concepts/ipam/cluster-pool.rst`,
//! `install/kubernetes/cilium/values.yaml` (`clusterPoolIPv4PodCIDRList`,
//! `clusterPoolIPv4MaskSize`), `Documentation/network/concepts/routing.rst`,
//! `pkg/mtu/mtu.go` (`TunnelOverheadIPv4 = 50`).

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::node_range::{RangeKind, RangePlan};
use super::{Cni, Crossing, Datapath, Masquerade, Tunnel, Wiring};
use crate::catalog::InstanceType;
use crate::cluster::Node;
use crate::events::Recorder;
use crate::explain::Derivation;
use crate::sandbox::{Sandbox, SandboxError};

/// How Cilium carries pod traffic between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CiliumRouting {
    /// VXLAN tunnel (the default): UDP 8472.
    #[default]
    Vxlan,
    /// Geneve tunnel: UDP 6081.
    Geneve,
    /// Native routing: the network must route every node's pod CIDR.
    Native,
}

impl std::fmt::Display for CiliumRouting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Vxlan => "tunnel (VXLAN)",
            Self::Geneve => "tunnel (Geneve)",
            Self::Native => "native",
        })
    }
}

/// Cilium's settings (Helm values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cilium {
    /// `ipam.operator.clusterPoolIPv4PodCIDRList`.
    #[serde(default = "default_pool")]
    pub pool: String,
    /// `ipam.operator.clusterPoolIPv4MaskSize`.
    #[serde(default = "default_mask")]
    pub mask_size: u8,
    /// `routingMode` / `tunnelProtocol`.
    #[serde(default)]
    pub routing: CiliumRouting,
}

fn default_pool() -> String {
    "10.0.0.0/8".into()
}

fn default_mask() -> u8 {
    24
}

impl Default for Cilium {
    fn default() -> Self {
        Self {
            pool: default_pool(),
            mask_size: default_mask(),
            routing: CiliumRouting::default(),
        }
    }
}

impl Cilium {
    /// The cluster pool, if it parses.
    pub fn pool(&self) -> Option<Ipv4Net> {
        super::parse_range(&self.pool)
    }

    /// Cilium with the first of the usual pools (the Helm default
    /// `10.0.0.0/8`, then `192.168.0.0/16`, `172.16.0.0/12`) that does not
    /// overlap `vpc`; the default when none fits.
    pub fn fitting(vpc: &[Ipv4Net]) -> Self {
        ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12"]
            .iter()
            .map(|p| Self {
                pool: (*p).to_owned(),
                ..Self::default()
            })
            .find(|c| c.problem(vpc).is_none())
            .unwrap_or_default()
    }

    /// How node ranges are carved and used.
    pub fn plan(&self) -> Option<RangePlan> {
        Some(RangePlan {
            skip: 0,
            cluster: self.pool()?,
            node_len: self.mask_size,
            kind: RangeKind::CiliumPool,
        })
    }

    /// Why the settings cannot be used with these VPC blocks, if they
    /// cannot (a range over the service CIDR is allowed: see
    /// `CniMode::service_overlap`).
    pub fn problem(&self, vpc: &[Ipv4Net]) -> Option<super::SettingsError> {
        let Some(pool) = self.pool() else {
            return Some(super::SettingsError::NotACidr {
                setting: "cilium cluster pool",
                value: self.pool.clone(),
            });
        };
        if !(pool.prefix_len()..=30).contains(&self.mask_size) {
            return Some(super::SettingsError::NodeRangeTooBig {
                len: self.mask_size,
                what: "the cilium cluster pool",
                net: pool,
            });
        }
        super::overlap_problem(
            "cilium cluster pool",
            pool,
            vpc,
            " (\"10.0.0.0/8 is the default pod CIDR. If your node network is in the same range you will lose connectivity\"): choose a pool outside the VPC, e.g. 192.168.0.0/16",
        )
    }
}

impl Cni for Cilium {
    fn identity(&self) -> &'static super::Identity {
        &super::Identity {
            name: "Cilium",
            tag: "cilium",
            label: "Cilium, cluster-pool (overlay)",
            plugin: "cilium-cni",
            daemonset: "cilium",
            agent_pods: ("kube-system", ("k8s-app", "cilium")),
            network_ready_because:
                "cilium: the agent has its pod CIDR and wrote 05-cilium.conflist",
            on_boot: "the cilium agent waits for the podCIDR the cilium-operator gives the node",
            exits_when_blocked: false,
        }
    }

    /// Cilium's chart pulls `quay.io/cilium/cilium`.
    fn agent_image(&self, _region: &str) -> (String, bool) {
        ("quay.io/cilium/cilium".into(), false)
    }

    fn cannot_start(&self, _node: &str) -> Option<String> {
        None
    }

    fn summary(&self) -> String {
        format!(
            "Cilium cluster-pool {}, /{} per node, routing {}",
            self.pool, self.mask_size, self.routing
        )
    }

    fn addressing(&self) -> super::Addressing<'_> {
        super::Addressing::NodeRanges(self)
    }

    fn initial_state(&self) -> super::CniState {
        super::CniState::Stateless
    }

    fn problem(&self, vpc: &[Ipv4Net]) -> Option<super::SettingsError> {
        Cilium::problem(self, vpc)
    }

    /// The Helm default 10.0.0.0/8 would collide with a 10.x VPC.
    fn fitting(&self, vpc: &[Ipv4Net]) -> super::CniMode {
        Cilium::fitting(vpc).into()
    }

    fn tuned(&self, _knobs: &super::Knobs) -> super::CniMode {
        self.clone().into()
    }

    fn knobs(&self) -> super::KnobSet {
        super::KnobSet::default()
    }

    fn on_eks(&self) -> super::CniMode {
        self.clone().into()
    }

    fn check_change(&self, _sb: &Sandbox) -> Result<(), SandboxError> {
        Ok(())
    }

    fn after_change(&self, _sb: &mut Sandbox, _events: &mut Recorder) {}

    fn pool_rules(&self, _sb: &Sandbox, node: &Node) -> Vec<(String, &'static str)> {
        crate::query::node_range_pool(node)
    }

    fn explain_pod_ip(
        &self,
        sb: &Sandbox,
        ip: std::net::Ipv4Addr,
        node: &Node,
    ) -> Option<Derivation> {
        Some(crate::query::node_range_pod_ip(sb, ip, node))
    }

    fn no_address_advice(&self, _sb: &Sandbox, n: &Node) -> Vec<String> {
        match &n.overlay {
            Some(range) => crate::query::range_full_advice(n, range),
            None => vec![
                format!("{} has no pod CIDR: the cluster pool has no free node CIDR left, so the cilium agent cannot start.", n.name),
                "Use a larger cluster pool or a longer per-node mask, or delete nodes.".into(),
            ],
        }
    }

    fn plan_rule(&self) -> (String, &'static str) {
        super::overlay_plan_rule(self.name())
    }

    fn eks_addon(&self) -> Option<&dyn super::EksAddon> {
        None
    }

    fn pod_range(&self) -> Option<&str> {
        Some(&self.pool)
    }

    fn intro_note(&self) -> Option<&'static str> {
        None
    }

    fn max_pods(&self, instance: &InstanceType) -> Derivation {
        let (enis, ips) = (instance.max_enis, instance.ipv4_per_eni);
        let value = enis * (ips - 1) + 2;
        let per_node = self
            .plan()
            .and_then(|p| p.range(0))
            .map_or(0, |c| crate::addr::total_count(c).saturating_sub(4));
        Derivation::new("max pods", value, format!("{enis} ENIs × ({ips} − 1) + 2 = {value}"))
            .because(
                "the EKS AMI sets the kubelet's maxPods from the VPC CNI's formula, whichever CNI runs",
                "AMI nodeadm/internal/kubelet/eni_max_pods.go",
            )
            .because(
                format!("with cluster-pool IPAM no pod uses an ENI address: a /{} holds {per_node} pod addresses after the router and health addresses, so max pods can be raised", self.mask_size),
                "cilium Documentation/network/kubernetes/ipam-cluster-pool.rst",
            )
    }

    fn datapath(&self) -> Datapath {
        const ROUTING: &str = "cilium Documentation/network/concepts/routing.rst";
        let tunnel =
            |encapsulation: &'static str, protocol, device, source: &'static str| Datapath {
                encapsulation,
                overhead: 50,
                source,
                vpc_routable: false,
                crossing: Crossing::Tunnel(Tunnel {
                    protocol,
                    device,
                    overhead: 50,
                    source: ROUTING,
                }),
                masquerade: MASQUERADE,
                wiring: Wiring::Lxc,
            };
        match self.routing {
            CiliumRouting::Vxlan => tunnel(
                "VXLAN (UDP 8472)",
                "UDP 8472 (VXLAN)",
                "cilium_vxlan",
                "cilium pkg/mtu/mtu.go (TunnelOverheadIPv4 = 50)",
            ),
            CiliumRouting::Geneve => tunnel(
                "Geneve (UDP 6081)",
                "UDP 6081 (Geneve)",
                "cilium_geneve",
                "cilium pkg/mtu/mtu.go (TunnelOverheadIPv4 = 50; options add more)",
            ),
            CiliumRouting::Native => Datapath {
                encapsulation: "none (native routing: the VPC must route each node's pod CIDR)",
                overhead: 0,
                source: ROUTING,
                vpc_routable: false,
                crossing: Crossing::Direct {
                    source: "cilium Documentation/network/concepts/routing.rst (native routing: the network must route the PodCIDRs)",
                },
                masquerade: MASQUERADE,
                wiring: Wiring::Lxc,
            },
        }
    }
    /// The cilium agent enforces Kubernetes NetworkPolicy in eBPF.
    fn policy_enforcement(&self) -> super::Enforcement {
        ENFORCEMENT
    }
}

/// The cilium agent enforces Kubernetes NetworkPolicy in eBPF, in either
/// IPAM mode, by identity: a pod is matched by its labels, never by an
/// `ipBlock` holding its IP (cilium Documentation/network/kubernetes/policy.rst,
/// "Known missing features for Kubernetes Network Policy").
pub(crate) const ENFORCEMENT: super::Enforcement = super::Enforcement::Enforced {
    enforcer: "cilium-agent",
    agent: "cilium-agent (eBPF), on each node",
    source:
        "cilium Documentation/network/kubernetes/policy.rst (NetworkPolicy, known missing features)",
    unselected_denied: false,
    note: Some(
        "Cilium matches pods by identity: an ipBlock holding a pod's or a node's IP does not select it",
    ),
    ip_block_selects_pods: false,
    ip_block_selects_nodes: false,
    branch_pods_exempt: false,
    own_node_egress_policed: true,
    gaps: &[super::policy::Gap::EndPort, super::policy::Gap::Sctp],
};

/// Cilium's own masquerading of pod traffic leaving the pod network (both
/// IPAM modes).
pub(crate) const MASQUERADE: Masquerade = Masquerade {
    rule: "Cilium masquerading (enable-ipv4-masquerade)",
    source: "cilium Documentation/network/concepts/masquerading.rst",
    out_eth0: false,
    external: false,
    branch_pods_exempt: false,
};

impl super::RangeIpam for Cilium {
    fn plan(&self) -> Option<super::node_range::RangePlan> {
        Cilium::plan(self)
    }

    fn assigned_by(&self) -> &'static str {
        "cilium-operator assigned"
    }
    /// The agent waits for its podCIDR and the node stays NotReady.
    fn out_of_ranges(&self, plan: &super::node_range::RangePlan) -> String {
        format!("cilium-operator: Failed to allocate PodCIDRs to node: the cluster pool {} has no free /{} left; the cilium agent cannot start", plan.cluster, plan.node_len)
    }
    /// Not reached: the node stays NotReady without one.
    fn add_without_range(&self, _node: &str) -> super::AllocateError {
        super::no_range_yet(self.plugin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pool_collides_with_a_10_slash_8_vpc() {
        let vpc = ["10.10.0.0/16".parse().unwrap()];
        let err = Cilium::default().problem(&vpc).unwrap().to_string();
        assert!(
            err.starts_with("cilium cluster pool 10.0.0.0/8 overlaps the VPC block 10.10.0.0/16"),
            "{err}"
        );
        let ok = Cilium {
            pool: "192.168.0.0/16".into(),
            ..Cilium::default()
        };
        assert!(ok.problem(&vpc).is_none());
    }

    #[test]
    fn fitting_skips_pools_that_overlap_the_vpc() {
        assert_eq!(
            Cilium::fitting(&["10.10.0.0/16".parse().unwrap()]).pool,
            "192.168.0.0/16"
        );
        assert_eq!(
            Cilium::fitting(&["172.31.0.0/16".parse().unwrap()]).pool,
            "10.0.0.0/8"
        );
    }

    #[test]
    fn tunnels_cost_50_bytes_and_native_routing_none() {
        assert_eq!(Cilium::default().datapath().mtu(1500), 1450);
        let native = Cilium {
            routing: CiliumRouting::Native,
            ..Cilium::default()
        };
        assert_eq!(native.datapath().mtu(9001), 9001);
    }
}
