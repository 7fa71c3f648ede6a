//! Flannel: an overlay. Pods take addresses from the `Network` (default
//! `10.244.0.0/16`), split into one subnet per node (`/24` by default); on
//! each node the host-local IPAM plugin hands out `.2`–`.254`, `.1` being
//! the `cni0` bridge. Pod addresses are not VPC addresses: only node IPs
//! come from the subnets, and traffic between nodes is VXLAN-encapsulated.
//!
//! **On EKS** the stock manifest does not start: kube-flannel runs with
//! `--kube-subnet-mgr`, which takes each node's `spec.podCIDR` from
//! kube-controller-manager, and EKS's kube-controller-manager allocates no
//! node CIDRs and its flags cannot be changed (aws/containers-roadmap issue
//! 315), so flanneld logs `Error registering network: failed to acquire
//! lease: node "…" pod cidr not assigned` and the node stays NotReady. The
//! way people run it on EKS is flanneld's own subnet manager backed by an
//! etcd they run (the workaround in that issue): it leases per-node subnets
//! from `Network`, skipping the first (`SubnetMin`), and fails with `out of
//! subnets` when none is left (flannel `pkg/subnet/config.go`
//! `CheckNetworkConfig`, `pkg/subnet/etcd/local_manager.go`).
//!
//! Sources: flannel `Documentation/kube-flannel.yml`, `configuration.md`,
//! `backends.md`, `pkg/backend/vxlan` (50-byte overhead);
//! containernetworking/plugins host-local `range.go`, `allocator.go`.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::{Cni, Crossing, Datapath, Masquerade, Tunnel, Wiring};
use std::collections::BTreeSet;

use crate::catalog::InstanceType;
use crate::cluster::Node;
use crate::events::Recorder;
use crate::explain::Derivation;
use crate::ids::NodeId;
use crate::sandbox::{Sandbox, SandboxError};

/// How flannel carries pod traffic between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FlannelBackend {
    /// VXLAN (the default): UDP 8472, 50 bytes of overhead.
    #[default]
    Vxlan,
    /// host-gw: plain routes via the other nodes' IPs; needs layer-2
    /// adjacency, which a VPC does not give across subnets.
    HostGw,
}

impl std::fmt::Display for FlannelBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Vxlan => "vxlan",
            Self::HostGw => "host-gw",
        })
    }
}

/// Where flanneld gets each node's subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FlannelSubnetManager {
    /// `--kube-subnet-mgr` (the stock `kube-flannel.yml`): the node's
    /// `spec.podCIDR`, which EKS never sets.
    #[default]
    Kube,
    /// flanneld's local subnet manager on an etcd you run: it leases the
    /// node subnets itself.
    Etcd,
}

/// Flannel's settings (`net-conf.json` and flanneld's flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flannel {
    /// `Network`: the cluster CIDR pods come from.
    #[serde(default = "default_network")]
    pub network: String,
    /// `--node-cidr-mask-size`: each node's pod CIDR.
    #[serde(default = "default_subnet_len")]
    pub subnet_len: u8,
    /// `Backend.Type`.
    #[serde(default)]
    pub backend: FlannelBackend,
    /// `--kube-subnet-mgr` or etcd.
    #[serde(default)]
    pub subnet_manager: FlannelSubnetManager,
}

fn default_network() -> String {
    "10.244.0.0/16".into()
}

fn default_subnet_len() -> u8 {
    24
}

impl Default for Flannel {
    fn default() -> Self {
        Self {
            network: default_network(),
            subnet_len: default_subnet_len(),
            backend: FlannelBackend::default(),
            subnet_manager: FlannelSubnetManager::default(),
        }
    }
}

impl Flannel {
    /// The cluster CIDR, if it parses.
    pub fn network(&self) -> Option<Ipv4Net> {
        super::parse_range(&self.network)
    }

    /// Why the settings cannot be used with these VPC blocks, if they
    /// cannot (a range over the service CIDR is allowed: see
    /// `CniMode::service_overlap`).
    pub fn problem(&self, vpc: &[Ipv4Net]) -> Option<super::SettingsError> {
        let Some(net) = self.network() else {
            return Some(super::SettingsError::NotACidr {
                setting: "flannel Network",
                value: self.network.clone(),
            });
        };
        if !(net.prefix_len()..=30).contains(&self.subnet_len) {
            return Some(super::SettingsError::NodeRangeTooBig {
                len: self.subnet_len,
                what: "flannel Network",
                net,
            });
        }
        super::overlap_problem(
            "flannel Network",
            net,
            vpc,
            ": pod and VPC addresses would collide",
        )
    }

    /// The `index`-th pod CIDR of the cluster CIDR, if there is one.
    pub fn pod_cidr(&self, index: u32) -> Option<Ipv4Net> {
        let net = self.network()?;
        let bits = self
            .subnet_len
            .checked_sub(net.prefix_len())
            .filter(|b| *b <= 31)?;
        if u64::from(index) >= 1u64 << bits || self.subnet_len > 32 {
            return None;
        }
        let size = 1u32.checked_shl(32 - u32::from(self.subnet_len))?;
        let start = u32::from(net.network()).checked_add(index.checked_mul(size)?)?;
        Ipv4Net::new(Ipv4Addr::from(start), self.subnet_len).ok()
    }

    /// How node ranges are carved and used: flanneld's etcd subnet manager
    /// skips the first subnet (`SubnetMin` defaults to `Network` + one
    /// subnet, "otherwise it causes problems"). Under `--kube-subnet-mgr` the
    /// ranges would be kube-controller-manager's, which EKS does not hand
    /// out: see [`Flannel::eks_failure`].
    pub fn plan(&self) -> Option<super::node_range::RangePlan> {
        Some(super::node_range::RangePlan {
            cluster: self.network()?,
            node_len: self.subnet_len,
            kind: super::node_range::RangeKind::HostLocal,
            skip: 1,
        })
    }

    /// flanneld's log line on an EKS node under `--kube-subnet-mgr`, if that
    /// is the subnet manager (flannel `pkg/subnet/kube/kube.go`; the message
    /// users report in flannel issues 728 and 1224).
    pub fn eks_failure(&self, node: &str) -> Option<String> {
        (self.subnet_manager == FlannelSubnetManager::Kube).then(|| {
            format!("kube-flannel: Error registering network: failed to acquire lease: node \"{node}\" pod cidr not assigned (EKS's kube-controller-manager allocates no node pod CIDRs: run flanneld with its own etcd subnet manager)")
        })
    }

    /// Node subnets flanneld can lease: every one of `Network` but the
    /// first (`SubnetMin`).
    pub fn pod_cidrs(&self) -> u32 {
        self.network().map_or(0, |n| {
            (1u32 << (self.subnet_len.saturating_sub(n.prefix_len()).min(31))).saturating_sub(1)
        })
    }
}

impl Cni for Flannel {
    fn identity(&self) -> &'static super::Identity {
        &super::Identity {
            name: "Flannel",
            tag: "flannel",
            label: "Flannel (overlay)",
            plugin: "flannel",
            daemonset: "kube-flannel",
            // Documentation/kube-flannel.yml: namespace kube-flannel, app: flannel.
            agent_pods: ("kube-flannel", ("app", "flannel")),
            network_ready_because: "kube-flannel: flanneld wrote /run/flannel/subnet.env and 10-flannel.conflist",
            on_boot: "kube-flannel reads the node's podCIDR from kube-controller-manager and sets up flannel.1 and cni0",
            // flanneld exits when it cannot register its network (no pod
            // CIDR on EKS, out of subnets).
            exits_when_blocked: true,
        }
    }

    /// kube-flannel's manifest uses `ghcr.io/flannel-io/flannel`
    /// (flannel `Documentation/kube-flannel.yml`).
    fn agent_image(&self, _region: &str) -> (String, bool) {
        ("ghcr.io/flannel-io/flannel".into(), false)
    }

    fn cannot_start(&self, node: &str) -> Option<String> {
        self.eks_failure(node)
    }

    fn summary(&self) -> String {
        format!(
            "Flannel, Network {}, /{} per node, backend {}, subnet manager {}",
            self.network,
            self.subnet_len,
            self.backend,
            match self.subnet_manager {
                FlannelSubnetManager::Kube => "--kube-subnet-mgr (node podCIDRs: none on EKS)",
                FlannelSubnetManager::Etcd => "flanneld on etcd",
            }
        )
    }

    fn addressing(&self) -> super::Addressing<'_> {
        super::Addressing::NodeRanges(self)
    }

    fn initial_state(&self) -> super::CniState {
        super::CniState::Stateless
    }

    fn problem(&self, vpc: &[Ipv4Net]) -> Option<super::SettingsError> {
        Flannel::problem(self, vpc)
    }

    fn fitting(&self, _vpc: &[Ipv4Net]) -> super::CniMode {
        self.clone().into()
    }

    fn tuned(&self, _knobs: &super::Knobs) -> super::CniMode {
        self.clone().into()
    }

    fn knobs(&self) -> super::KnobSet {
        super::KnobSet::default()
    }

    /// The stock `--kube-subnet-mgr` does not start on EKS (no node pod
    /// CIDRs): flanneld on its own etcd does.
    fn on_eks(&self) -> super::CniMode {
        Self {
            subnet_manager: FlannelSubnetManager::Etcd,
            ..self.clone()
        }
        .into()
    }

    /// flanneld on its etcd gives leases to nodes that run; going back to
    /// `--kube-subnet-mgr` would take them away (and fail on EKS).
    fn check_change(&self, sb: &Sandbox) -> Result<(), SandboxError> {
        let Some(now) = sb.cni.as_flannel() else {
            return Ok(());
        };
        let leased = sb.nodes.values().any(|n| n.overlay.is_some());
        if leased && now.subnet_manager != self.subnet_manager {
            return Err(SandboxError::CniSettings {
                reason: super::SettingsError::LeasesHeld,
            });
        }
        Ok(())
    }

    fn pool_rules(&self, _sb: &Sandbox, node: &Node) -> Vec<(String, &'static str)> {
        crate::query::node_range_pool(node)
    }

    fn explain_pod_ip(&self, sb: &Sandbox, ip: Ipv4Addr, node: &Node) -> Option<Derivation> {
        Some(crate::query::node_range_pod_ip(sb, ip, node))
    }

    fn no_address_advice(&self, _sb: &Sandbox, n: &Node) -> Vec<String> {
        match &n.overlay {
            Some(range) => crate::query::range_full_advice(n, range),
            None if self.eks_failure(&n.name).is_some() => vec![
                format!("{} has no pod CIDR: kube-flannel runs with --kube-subnet-mgr, which reads the node's spec.podCIDR, and EKS's kube-controller-manager never sets one (aws/containers-roadmap issue 315).", n.name),
                "Run flanneld with its own subnet manager on an etcd you operate (Flannel settings: Subnet manager etcd), or use the AWS VPC CNI, Calico or Cilium, whose IPAM needs no node pod CIDR from EKS.".into(),
            ],
            None => vec![
                format!("{} has no pod CIDR: flanneld's etcd subnet manager has no free /{} left in the Network (out of subnets).", n.name, self.subnet_len),
                "Use a larger flannel Network, or a longer SubnetLen (smaller node subnets, more of them), or delete nodes.".into(),
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
        Some(&self.network)
    }

    fn intro_note(&self) -> Option<&'static str> {
        None
    }

    /// With the etcd subnet manager the kube-flannel pods restart: each
    /// node without a subnet leases one and its CNI comes up.
    fn after_change(&self, sb: &mut Sandbox, events: &mut Recorder) {
        if self.eks_failure("").is_some() {
            return;
        }
        let waiting: Vec<NodeId> = sb
            .nodes
            .values()
            .filter(|n| n.registered && n.overlay.is_none())
            .map(|n| n.id)
            .collect();
        sb.ready_together(events, BTreeSet::new(), |s, events| {
            for id in waiting {
                if let Some(n) = s.nodes.get_mut(&id) {
                    n.not_ready = None;
                }
                s.assign_pod_cidr(id, events);
                if s.nodes.get(&id).is_some_and(|n| n.overlay.is_some()) {
                    s.cni_unblocked(
                        id,
                        "kube-flannel: flanneld leased the node's subnet from etcd and wrote 10-flannel.conflist",
                        events,
                    );
                }
            }
        });
    }

    /// The kubelet's max pods is what the EKS AMI sets from the VPC CNI's
    /// formula, whatever the CNI: nodeadm and bootstrap.sh read
    /// `eni-max-pods`. An overlay needs no ENI addresses, so it can be raised.
    fn max_pods(&self, instance: &InstanceType) -> Derivation {
        let enis = instance.max_enis;
        let ips = instance.ipv4_per_eni;
        let value = enis * (ips - 1) + 2;
        let per_node = self
            .pod_cidr(0)
            .map_or(0, |c| crate::addr::total_count(c).saturating_sub(3));
        Derivation::new("max pods", value, format!("{enis} ENIs × ({ips} − 1) + 2 = {value}"))
            .because(
                "the EKS AMI sets the kubelet's maxPods from the VPC CNI's formula, whichever CNI runs",
                "AMI nodeadm/internal/kubelet/eni_max_pods.go",
            )
            .because(
                format!("with flannel no pod uses an ENI address: a /{} pod CIDR holds {per_node} pod addresses, so max pods can be raised (kubelet default 110)", self.subnet_len),
                "containernetworking/plugins host-local; kubelet defaults.go",
            )
    }

    fn datapath(&self) -> Datapath {
        let masquerade = Masquerade {
            rule: "flanneld --ip-masq",
            source: "flannel Documentation/kube-flannel.yml (--ip-masq)",
            out_eth0: false,
            external: false,
            branch_pods_exempt: false,
        };
        match self.backend {
            FlannelBackend::Vxlan => Datapath {
                encapsulation: "VXLAN (UDP 8472)",
                overhead: 50,
                source: "flannel pkg/backend/vxlan (encapOverhead = 50)",
                vpc_routable: false,
                crossing: Crossing::Tunnel(Tunnel {
                    protocol: "UDP 8472 (VXLAN, VNI 1)",
                    device: "flannel.1",
                    overhead: 50,
                    source: "flannel Documentation/backends.md",
                }),
                masquerade,
                wiring: Wiring::Bridge,
            },
            FlannelBackend::HostGw => Datapath {
                encapsulation: "none (host-gw: routes via node IPs; needs layer-2 adjacency)",
                overhead: 0,
                source: "flannel Documentation/backends.md",
                vpc_routable: false,
                crossing: Crossing::Direct {
                    source: "flannel Documentation/backends.md (host-gw: \"requires direct layer2 connectivity\")",
                },
                masquerade,
                wiring: Wiring::Bridge,
            },
        }
    }
    /// Flannel "is focused on networking"; policy needs another project
    /// (flannel README.md).
    fn policy_enforcement(&self) -> super::Enforcement {
        super::Enforcement::None {
            why: "Flannel does not implement NetworkPolicy: the API server accepts the policy and nothing on the nodes applies it",
            source: "flannel README.md (\"Flannel is focused on networking. For network policy, other projects such as Calico can be used.\")",
        }
    }
}

impl super::RangeIpam for Flannel {
    fn plan(&self) -> Option<super::node_range::RangePlan> {
        Flannel::plan(self)
    }

    fn assigned_by(&self) -> &'static str {
        "flanneld leased (etcd subnet manager)"
    }
    /// flanneld's etcd subnet manager has no subnet left.
    fn out_of_ranges(&self, plan: &super::node_range::RangePlan) -> String {
        format!("kube-flannel: Error registering network: failed to acquire lease: out of subnets (flannel Network {} has no free /{} left)", plan.cluster, plan.node_len)
    }
    /// flanneld cannot start without a pod CIDR, so the flannel plugin
    /// finds no subnet.env (flannel `pkg/subnet/kube/kube.go`).
    fn add_without_range(&self, node: &str) -> super::AllocateError {
        super::AllocateError::NoPodCidr {
            message: format!("loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file or directory (flanneld: Error registering network: failed to acquire lease: node \"{node}\" pod cidr not assigned)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// flannel `pkg/subnet/config.go` `CheckNetworkConfig`: SubnetMin skips
    /// the first subnet, SubnetMax is the last one.
    #[test]
    fn the_network_splits_into_255_leasable_slash_24s() {
        let f = Flannel::default();
        assert_eq!(f.pod_cidrs(), 255);
        let plan = f.plan().unwrap();
        assert_eq!(plan.range(0).unwrap().to_string(), "10.244.1.0/24");
        assert_eq!(plan.range(254).unwrap().to_string(), "10.244.255.0/24");
        assert!(plan.range(255).is_none());
        assert_eq!(f.pod_cidr(1).unwrap().to_string(), "10.244.1.0/24");
        assert_eq!(f.pod_cidr(255).unwrap().to_string(), "10.244.255.0/24");
        assert!(f.pod_cidr(256).is_none());
    }

    #[test]
    fn a_network_overlapping_the_vpc_is_refused() {
        let f = Flannel {
            network: "10.0.0.0/8".into(),
            ..Flannel::default()
        };
        let vpc = ["10.10.0.0/16".parse().unwrap()];
        assert_eq!(f.problem(&vpc).unwrap().to_string(), "flannel Network 10.0.0.0/8 overlaps the VPC block 10.10.0.0/16: pod and VPC addresses would collide");
        assert!(Flannel::default().problem(&vpc).is_none());
    }

    #[test]
    fn vxlan_costs_50_bytes() {
        let d = Flannel::default().datapath();
        assert_eq!((d.overhead, d.mtu(9001), d.mtu(1500)), (50, 8951, 1450));
        assert!(!d.vpc_routable);
    }
}
