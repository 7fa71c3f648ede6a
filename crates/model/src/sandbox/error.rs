//! Why the sandbox refused a command: the object, the numbers, the rule.

use std::fmt;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::catalog::CatalogError;
use crate::ipam::AllocError;
use crate::vpc::VpcError;

/// A refused command. The sandbox is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SandboxError {
    /// A VPC or subnet rule.
    Vpc(VpcError),
    /// An unknown instance type.
    Catalog(CatalogError),
    /// No subnet by that name or CIDR.
    UnknownSubnet {
        /// What was asked for.
        reference: String,
        /// The subnets there are.
        known: Vec<String>,
    },
    /// No node by that name.
    UnknownNode {
        /// What was asked for.
        reference: String,
    },
    /// No pod by that name.
    UnknownPod {
        /// What was asked for.
        reference: String,
    },
    /// A DaemonSet pod cannot be deleted on its own.
    SystemPod {
        /// The pod.
        name: String,
    },
    /// The command needs a cluster and there is none.
    NoCluster {
        /// What was attempted.
        action: String,
    },
    /// There is already a cluster.
    ClusterExists {
        /// Its name.
        name: String,
    },
    /// Cluster subnets that break EKS's rules.
    ClusterSubnets {
        /// Why.
        reason: String,
    },
    /// A cluster subnet with fewer than 6 free IPs at creation.
    ClusterSubnetTooFull {
        /// The subnet's name.
        subnet: String,
        /// Its block.
        cidr: Ipv4Net,
        /// Free addresses.
        free: u32,
    },
    /// The upgrade needs free IPs the cluster subnets do not have.
    UpgradeNeedsFreeIps {
        /// The target version.
        version: String,
        /// Free IPs needed.
        needed: u32,
        /// Free IPs in the cluster subnets, per subnet.
        free: Vec<(String, Ipv4Net, u32)>,
    },
    /// The control plane already runs that version.
    SameVersion {
        /// The version.
        version: String,
    },
    /// EC2 could not launch the node.
    NodeLaunch {
        /// The instance type.
        instance_type: String,
        /// The subnet's name.
        subnet: String,
        /// EC2's answer.
        cause: AllocError,
    },
    /// Another CNI strategy while nodes run the current one.
    CniSwitch {
        /// The current CNI.
        from: String,
        /// The one asked for.
        to: String,
        /// Nodes running.
        nodes: u32,
    },
    /// CNI settings that cannot work.
    CniSettings {
        /// Why.
        reason: String,
    },
    /// An ENIConfig whose subnet is in another Availability Zone.
    EniConfigAz {
        /// The ENIConfig's AZ (its name).
        az: String,
        /// The subnet it names.
        subnet: String,
        /// That subnet's AZ.
        subnet_az: String,
    },
    /// A count or duration out of range.
    OutOfRange {
        /// What.
        what: String,
        /// The value given.
        value: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
}

impl fmt::Display for SandboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Vpc(e) => e.fmt(f),
            Self::Catalog(e) => e.fmt(f),
            Self::UnknownSubnet { reference, known } if known.is_empty() => {
                write!(f, "no subnet {reference}: the VPC has no subnets yet")
            }
            Self::UnknownSubnet { reference, known } => {
                write!(f, "no subnet {reference}: the subnets are {}", known.join(", "))
            }
            Self::UnknownNode { reference } => write!(f, "no node {reference}"),
            Self::UnknownPod { reference } => write!(f, "no pod {reference}"),
            Self::SystemPod { name } => write!(
                f,
                "pod {name} belongs to a DaemonSet and would come straight back: delete its node instead"
            ),
            Self::NoCluster { action } => write!(f, "cannot {action}: create the EKS cluster first"),
            Self::ClusterExists { name } => write!(f, "the sandbox already has a cluster, {name}"),
            Self::ClusterSubnets { reason } => write!(f, "cluster subnets refused: {reason}"),
            Self::ClusterSubnetTooFull { subnet, cidr, free } => write!(
                f,
                "cluster subnet {subnet} ({cidr}) has {free} free IP addresses: EKS needs at least 6 in each cluster subnet for its network interfaces"
            ),
            Self::UpgradeNeedsFreeIps { version, needed, free } => {
                let total: u32 = free.iter().map(|(_, _, n)| n).sum();
                let each: Vec<String> = free.iter().map(|(name, cidr, n)| format!("{name} {cidr}: {n} free")).collect();
                write!(
                    f,
                    "cannot upgrade the control plane to {version}: EKS creates new network interfaces before deleting the old ones and needs up to {needed} free IP addresses in the cluster subnets, which have {total} ({})",
                    each.join("; ")
                )
            }
            Self::SameVersion { version } => write!(f, "the control plane already runs Kubernetes {version}"),
            Self::NodeLaunch { instance_type, subnet, cause } => {
                write!(f, "cannot launch a {instance_type} node in subnet {subnet}: {cause}")
            }
            Self::CniSwitch { from, to, nodes } => write!(
                f,
                "cannot switch from {from} to {to} with {nodes} nodes running: a CNI is chosen before nodes join (replay the scenario under {to} instead)"
            ),
            Self::CniSettings { reason } => write!(f, "CNI settings refused: {reason}"),
            Self::EniConfigAz { az, subnet, subnet_az } => write!(
                f,
                "ENIConfig {az} names subnet {subnet}, which is in {subnet_az}: an ENIConfig's subnet must be in the node's Availability Zone"
            ),
            Self::OutOfRange { what, value, min, max } => {
                write!(f, "{what} must be from {min} to {max}, not {value}")
            }
        }
    }
}

impl std::error::Error for SandboxError {}

impl From<VpcError> for SandboxError {
    fn from(e: VpcError) -> Self {
        Self::Vpc(e)
    }
}

impl From<CatalogError> for SandboxError {
    fn from(e: CatalogError) -> Self {
        Self::Catalog(e)
    }
}
