//! What a CNI's datapath is, stated once: how pod packets cross between
//! nodes (and under which header and device), who rewrites a pod's source
//! on the way out, and how a pod is wired to its node. `paths/` reads it;
//! it does not decide any of it again.

use std::net::Ipv4Addr;

use serde::Serialize;

/// How pod packets travel between nodes, and what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Datapath {
    /// The encapsulation, in words (`none` when packets go as they are).
    pub encapsulation: &'static str,
    /// Bytes of outer headers per packet.
    pub overhead: u32,
    /// Where the overhead figure comes from.
    pub source: &'static str,
    /// Whether pod IPs are VPC addresses, so the VPC routes them: other VPC
    /// hosts and the EKS control plane (through its X-ENIs) can reach pods.
    pub vpc_routable: bool,
    /// Pod to pod on another node.
    #[serde(skip)]
    pub crossing: Crossing,
    /// Who rewrites a pod's source when it leaves the pod network.
    #[serde(skip)]
    pub masquerade: Masquerade,
    /// How a pod's network namespace is wired to its node.
    #[serde(skip)]
    pub wiring: Wiring,
}

impl Datapath {
    /// The pod MTU on a link of `link_mtu` bytes (9001 inside a VPC, 1500
    /// across a VPN or the internet).
    pub fn mtu(&self, link_mtu: u32) -> u32 {
        link_mtu.saturating_sub(self.overhead)
    }
}

/// How a pod packet crosses from its node to another node's pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// Pod IPs are VPC addresses: the VPC's local route carries them.
    Vpc,
    /// Wrapped in node-to-node headers.
    Tunnel(Tunnel),
    /// Routed as they are between node IPs (no encapsulation): `source`
    /// says what the network must then allow.
    Direct {
        /// Where the rule comes from.
        source: &'static str,
    },
    /// Tunnelled between subnets, direct inside one (Calico's
    /// `CrossSubnet`).
    TunnelAcrossSubnets {
        /// The tunnel between subnets.
        tunnel: Tunnel,
        /// Where the direct rule inside a subnet comes from.
        direct: &'static str,
    },
}

impl Crossing {
    /// The tunnel device, when pods' packets ever go through one.
    pub fn device(&self) -> Option<&'static str> {
        match self {
            Self::Tunnel(t) | Self::TunnelAcrossSubnets { tunnel: t, .. } => Some(t.device),
            Self::Vpc | Self::Direct { .. } => None,
        }
    }

    /// The way between a node in one subnet and a node in `same_subnet` or
    /// not: a tunnel, or `None` for plain routing (with its source), or
    /// the VPC.
    pub fn between(&self, same_subnet: bool) -> Way {
        match *self {
            Self::Vpc => Way::Vpc,
            Self::Tunnel(t) => Way::Tunnel(t),
            Self::Direct { source } => Way::Direct(source),
            Self::TunnelAcrossSubnets { tunnel, .. } if !same_subnet => Way::Tunnel(tunnel),
            Self::TunnelAcrossSubnets { direct, .. } => Way::Direct(direct),
        }
    }
}

/// The way one packet goes between two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// The VPC routes pod addresses.
    Vpc,
    /// Through a tunnel.
    Tunnel(Tunnel),
    /// Routed as it is; where the rule comes from.
    Direct(&'static str),
}

/// A tunnel between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunnel {
    /// The outer protocol as a trace shows it (`UDP 8472 (VXLAN, VNI 1)`).
    pub protocol: &'static str,
    /// The device that wraps and unwraps (`flannel.1`).
    pub device: &'static str,
    /// Bytes of outer headers.
    pub overhead: u32,
    /// Where it comes from.
    pub source: &'static str,
}

/// Who rewrites a pod's source address to the node's when the packet
/// leaves the pod network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Masquerade {
    /// The rule, as the trace names it (`flanneld --ip-masq`).
    pub rule: &'static str,
    /// Where it comes from.
    pub source: &'static str,
    /// Whether the rule is the VPC CNI's iptables chains on the primary
    /// ENI (`AWS-CONNMARK-CHAIN`, `AWS-SNAT-CHAIN`), so the text says
    /// `out eth0` and names them.
    pub out_eth0: bool,
    /// `AWS_VPC_K8S_CNI_EXTERNALSNAT`: nobody on the node rewrites; a NAT
    /// gateway does.
    pub external: bool,
    /// Pods with their own branch ENI keep their address (security groups
    /// for pods in strict mode).
    pub branch_pods_exempt: bool,
}

impl Masquerade {
    /// `SNAT {from} → {to}` with the rule.
    pub fn text(&self, from: impl std::fmt::Display, to: impl std::fmt::Display) -> String {
        if self.out_eth0 {
            format!("SNAT {from} → {to}, out eth0 ({})", self.rule)
        } else {
            format!("SNAT {from} → {to} ({})", self.rule)
        }
    }
    /// Why a packet to `ip`, outside the VPC, leaves the node rewritten;
    /// `branch` for a pod with its own branch ENI (standard mode).
    pub fn leaving_the_vpc(&self, ip: Ipv4Addr, branch: bool) -> String {
        if !self.out_eth0 {
            return format!("{ip} is outside the VPC: the node rewrites the source to its primary IP and sends it out eth0");
        }
        let sg = if branch {
            " (standard mode: a pod with its own security groups is SNATed like any other, and only eth0's security groups apply)"
        } else {
            ""
        };
        format!("{ip} is outside the VPC: AWS-CONNMARK-CHAIN marks the connection, ip rule 1024 (fwmark 0x80 lookup main) sends it out eth0, and AWS-SNAT-CHAIN rewrites the source to the node's primary IP{sg}")
    }
}

/// How a pod's `eth0` reaches its node, and how the node hands a packet to
/// a local pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wiring {
    /// A veth into a Linux bridge that is the pods' gateway (flannel's
    /// `cni0`, from the bridge plugin).
    Bridge,
    /// A veth to the host's `lxc*` device, where eBPF forwards (Cilium's
    /// overlay).
    Lxc,
    /// A `/32` veth pair whose gateway is `169.254.1.1`, with a host route
    /// per pod; `host_device` names the host end (`cali*`), `None` for
    /// the VPC CNI's own; `branch_strict` says whether branch-ENI pods run
    /// in strict mode.
    Veth {
        /// The host end's name pattern, when not the VPC CNI's.
        host_device: Option<&'static str>,
        /// Where the pod's `169.254.1.1` gateway comes from.
        gateway_source: &'static str,
        /// `POD_SECURITY_GROUP_ENFORCING_MODE=strict`.
        branch_strict: bool,
    },
}

/// The VPC CNI's pod gateway.
pub(crate) const POD_GW: &str = "CNI pkg/networkutils/helper.go (gateway 169.254.1.1)";

impl Wiring {
    /// The pod's side: its interface, its routing decision, the source. A
    /// pod with its own branch ENI (`branch`) has its VLAN's route table.
    pub fn pod_side(
        &self,
        ip: &str,
        gateway: Option<Ipv4Addr>,
        branch: bool,
    ) -> (String, String, String) {
        match self {
            Self::Bridge => (
                format!("eth0 {ip}, a veth into the cni0 bridge"),
                format!(
                    "default route via {}, the cni0 bridge (host-local's gateway)",
                    gateway.map(|g| g.to_string()).unwrap_or_default()
                ),
                "flannel-cni flannel_linux.go; CNI plugins bridge (isGateway)".into(),
            ),
            Self::Lxc => (
                format!("eth0 {ip}, a veth to the host's lxc device"),
                "default route via cilium_host; eBPF on the lxc device forwards it".into(),
                "cilium Documentation/network/concepts/routing.rst".into(),
            ),
            Self::Veth { .. } if branch => (
                format!("eth0 {ip}/32, a veth pair to the host (the pod's own branch ENI carries its traffic)"),
                "the pod's only route: default via 169.254.1.1; on the host, the branch ENI's VLAN has a route table of its own, so the pod's packets go out its VLAN on the trunk".into(),
                "CNI README.md (POD_SECURITY_GROUP_ENFORCING_MODE); EKS User Guide, security-groups-for-pods".into(),
            ),
            Self::Veth { gateway_source, .. } => (
                format!("eth0 {ip}/32, a veth pair to the host"),
                "the pod's only route: default via 169.254.1.1, the host end of its veth".into(),
                (*gateway_source).into(),
            ),
        }
    }

    /// The node's side, delivering to local `ip`: the device, the decision,
    /// the source.
    pub fn host_side(&self, ip: Ipv4Addr) -> (&'static str, String, &'static str) {
        match self {
            Self::Bridge => (
                "cni0 bridge",
                format!("{ip} is on the node's pod range: the cni0 bridge delivers it"),
                "CNI plugins bridge",
            ),
            Self::Lxc => (
                "lxc* veth",
                format!("eBPF forwards {ip} to its endpoint's lxc device"),
                "cilium Documentation/network/concepts/routing.rst",
            ),
            Self::Veth {
                host_device: Some(dev),
                ..
            } => (
                "cali* veth",
                format!("host route {ip}/32 via the pod's {dev} veth (Calico adds one per pod)"),
                "calico felix routes",
            ),
            Self::Veth {
                host_device: None, ..
            } => (
                "the pod's veth",
                format!("host route {ip}/32 via the pod's veth (the CNI adds one per pod)"),
                "CNI pkg/networkutils (per-pod host route)",
            ),
        }
    }

    /// Whether branch-ENI pods run in strict mode.
    pub fn branch_strict(&self) -> bool {
        matches!(
            self,
            Self::Veth {
                branch_strict: true,
                ..
            }
        )
    }
}
