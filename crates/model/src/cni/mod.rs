//! CNI strategies: how a node's pods get their addresses.
//!
//! Each strategy is one module; [`CniMode`] is the closed, serialisable
//! choice among them, so scenarios and UI state stay `Clone + PartialEq +
//! Serialize`. Today: the AWS VPC CNI (secondary IPs and prefix delegation,
//! with ipamd's warm pool, custom networking), Flannel, Cilium
//! (cluster-pool) and Calico.

pub mod calico;
pub mod cilium;
pub mod cilium_eni;
pub mod datapath;
pub mod flannel;
pub mod ipamd;
pub mod node_range;
pub mod node_sim;
pub mod vpc_cni;

use serde::Serialize;

use crate::catalog::InstanceType;
use crate::explain::Derivation;

pub use calico::Calico;
pub use cilium::Cilium;
pub use cilium_eni::CiliumEni;
pub use datapath::{Crossing, Datapath, Masquerade, Tunnel, Way, Wiring};
pub use flannel::Flannel;
pub use vpc_cni::VpcCni;

/// What a CNI strategy answers about a node before any pod exists.
pub trait Cni {
    /// The strategy's name as its users know it.
    fn name(&self) -> &'static str;
    /// Pods the node can run (uncapped), with the derivation.
    fn max_pods(&self, instance: &InstanceType) -> Derivation;
    /// How pod traffic crosses between nodes.
    fn datapath(&self) -> Datapath;
}

/// The CNI a cluster runs, with its settings.
/// JSON: `{"cni":"aws-vpc-cni","warm_eni_target":1,…}`. Deserialised
/// through one flat struct (`raw.rs`), as [`crate::Command`] is: the same
/// JSON, less code in the `.wasm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "cni", rename_all = "kebab-case")]
pub enum CniMode {
    /// The AWS VPC CNI: pod IPs are VPC IPs on the node's ENIs.
    AwsVpcCni(VpcCni),
    /// Flannel: an overlay with a pod CIDR per node.
    Flannel(Flannel),
    /// Cilium with cluster-pool IPAM: an overlay with a pod CIDR per node.
    Cilium(Cilium),
    /// Calico with its own IPAM: an overlay with blocks claimed on demand.
    Calico(Calico),
    /// Cilium with AWS ENI IPAM: pod IPs are VPC IPs on the node's ENIs,
    /// allocated by the cilium-operator between watermarks.
    CiliumEni(CiliumEni),
}

impl Default for CniMode {
    fn default() -> Self {
        Self::AwsVpcCni(VpcCni::default())
    }
}

impl CniMode {
    /// The strategy behind the choice.
    pub fn strategy(&self) -> &dyn Cni {
        match self {
            Self::AwsVpcCni(c) => c,
            Self::Flannel(c) => c,
            Self::Cilium(c) => c,
            Self::Calico(c) => c,
            Self::CiliumEni(c) => c,
        }
    }

    /// The `cni` tag its JSON carries (`aws-vpc-cni`, `flannel`, …).
    pub fn tag(&self) -> &'static str {
        match self {
            Self::AwsVpcCni(_) => "aws-vpc-cni",
            Self::Flannel(_) => "flannel",
            Self::Cilium(_) => "cilium",
            Self::Calico(_) => "calico",
            Self::CiliumEni(_) => "cilium-eni",
        }
    }

    /// The CNI's DaemonSet, whose pod runs on every node (the "+2" with
    /// kube-proxy).
    pub fn daemonset(&self) -> &'static str {
        match self {
            Self::AwsVpcCni(_) => "aws-node",
            Self::Flannel(_) => "kube-flannel",
            Self::Cilium(_) | Self::CiliumEni(_) => "cilium",
            Self::Calico(_) => "calico-node",
        }
    }

    /// The agent's container image, without its tag, and whether it comes
    /// from the EKS add-on registry in ECR (`{account}.dkr.ecr.{region}…`)
    /// rather than a public registry on the internet: the VPC CNI is the
    /// `vpc-cni` add-on (EKS User Guide, add-on image registries);
    /// kube-flannel's manifest uses `ghcr.io/flannel-io/flannel`
    /// (flannel `Documentation/kube-flannel.yml`); Calico's manifest
    /// `docker.io/calico/node`; Cilium's chart `quay.io/cilium/cilium`.
    pub fn agent_image(&self, region: &str) -> (String, bool) {
        let ecr = format!(
            "{}.dkr.ecr.{region}.amazonaws.com",
            crate::egress::ECR_ACCOUNT
        );
        match self {
            Self::AwsVpcCni(_) => (format!("{ecr}/amazon-k8s-cni"), true),
            Self::Flannel(_) => ("ghcr.io/flannel-io/flannel".into(), false),
            Self::Cilium(_) | Self::CiliumEni(_) => ("quay.io/cilium/cilium".into(), false),
            Self::Calico(_) => ("docker.io/calico/node".into(), false),
        }
    }

    /// What the CNI's agent does before the kubelet reports the network
    /// ready: it writes its CNI config (VPC CNI `cmd/aws-vpc-cni/main.go`
    /// copies `10-aws.conflist` once ipamd answers).
    pub fn network_ready_because(&self) -> &'static str {
        match self {
            Self::AwsVpcCni(_) => "aws-node: ipamd started and answers, so 10-aws.conflist is in /etc/cni/net.d",
            Self::CiliumEni(_) => "cilium: the operator allocated the node's first ENI addresses, so 05-cilium.conflist is written",
            Self::Cilium(_) => "cilium: the agent has its pod CIDR and wrote 05-cilium.conflist",
            Self::Flannel(_) => "kube-flannel: flanneld wrote /run/flannel/subnet.env and 10-flannel.conflist",
            Self::Calico(_) => "calico-node: Felix is up and 10-calico.conflist is written",
        }
    }

    /// Whether pod addresses are VPC addresses on the nodes' ENIs (the VPC
    /// CNI, or Cilium's ENI IPAM), rather than an overlay's.
    pub fn uses_enis(&self) -> bool {
        matches!(self, Self::AwsVpcCni(_) | Self::CiliumEni(_))
    }

    /// How an overlay carves node ranges (`None` for the VPC CNI).
    pub fn plan(&self) -> Option<node_range::RangePlan> {
        match self {
            Self::AwsVpcCni(_) | Self::Calico(_) | Self::CiliumEni(_) => None,
            Self::Flannel(f) => f.plan(),
            Self::Cilium(c) => c.plan(),
        }
    }

    /// The same strategy with its defaults, but with a pool that fits `vpc`
    /// where the default would collide (Cilium's `10.0.0.0/8` in a `10.x`
    /// VPC, Calico's `192.168.0.0/16` in a `192.168.x` one).
    pub fn fitting(self, vpc: &[ipnet::Ipv4Net]) -> Self {
        match self {
            Self::Cilium(_) => Self::Cilium(Cilium::fitting(vpc)),
            Self::Calico(_) => Self::Calico(Calico::fitting(vpc)),
            other => other,
        }
    }

    /// Why an overlay's settings cannot work with these VPC blocks and
    /// service CIDR, if they cannot.
    pub fn problem(
        &self,
        vpc: &[ipnet::Ipv4Net],
        service: Option<ipnet::Ipv4Net>,
    ) -> Option<String> {
        match self {
            Self::AwsVpcCni(_) => None,
            Self::CiliumEni(c) => c.problem(),
            Self::Flannel(f) => f.problem(vpc, service),
            Self::Cilium(c) => c.problem(vpc, service),
            Self::Calico(c) => c.problem(vpc, service),
        }
    }
}

#[path = "raw.rs"]
mod raw;
pub(crate) use raw::CNIS;

/// An overlay's range from its setting text, if it is an IPv4 CIDR.
pub(crate) fn parse_range(text: &str) -> Option<ipnet::Ipv4Net> {
    text.trim()
        .parse::<ipnet::Ipv4Net>()
        .ok()
        .map(|n| n.trunc())
}

/// Why an overlay's range `net` (named `what`, e.g. `flannel Network
/// 10.244.0.0/16`) cannot be used: it overlaps a VPC block (`vpc_note` says
/// why that matters) or the service CIDR.
pub(crate) fn overlap_problem(
    what: &str,
    net: ipnet::Ipv4Net,
    vpc: &[ipnet::Ipv4Net],
    service: Option<ipnet::Ipv4Net>,
    vpc_note: &str,
) -> Option<String> {
    if let Some(v) = vpc.iter().find(|v| crate::addr::overlaps(**v, net)) {
        return Some(format!("{what} {net} overlaps the VPC block {v}{vpc_note}"));
    }
    service
        .filter(|s| crate::addr::overlaps(*s, net))
        .map(|s| format!("{what} {net} overlaps the service CIDR {s}"))
}
