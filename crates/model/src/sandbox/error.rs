//! Why the sandbox refused a command: the object, the numbers, the rule.

use std::fmt;

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::catalog::CatalogError;
use crate::ipam::AllocError;
use crate::vpc::VpcError;

/// A refused command. The sandbox is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// A NetworkPolicy kubectl would not apply.
    Policy(crate::netpol::PolicyError),
    /// No such namespace (`namespaces "x" not found`).
    NamespaceNotFound {
        /// The namespace.
        name: String,
    },
    /// No such NetworkPolicy.
    PolicyNotFound {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The object exists already (`namespaces "x" already exists`).
    AlreadyExists {
        /// The resource, plural (`namespaces`, `pods`).
        resource: &'static str,
        /// The name.
        name: String,
    },
    /// Names or labels the API server refuses, in its words.
    InvalidObject {
        /// `Namespace` or `Pod`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// Each field error.
        errors: Vec<String>,
    },
    /// An add-on's pod comes straight back when deleted.
    AddonPod {
        /// The pod.
        name: String,
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
    /// Replacing the X-ENIs (an upgrade, new cluster subnets) needs free IPs
    /// the cluster subnets do not have.
    UpgradeNeedsFreeIps {
        /// What was attempted, e.g. `upgrade the control plane to 1.32`.
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
        reason: crate::cni::SettingsError,
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
    /// New cluster subnets in another set of Availability Zones than the
    /// cluster was created with.
    ClusterSubnetAzs {
        /// The AZs of the subnets given.
        given: Vec<String>,
        /// The AZs the cluster was created in.
        original: Vec<String>,
    },
    /// A route, gateway, endpoint, DNS or access setting AWS or EKS refuses.
    Network {
        /// The object, e.g. `NAT gateway in nodes-a`.
        object: String,
        /// Why, with the numbers.
        reason: String,
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
            Self::Policy(e) => e.fmt(f),
            Self::NamespaceNotFound { name } => write!(f, "namespaces \"{name}\" not found"),
            Self::PolicyNotFound { namespace, name } => write!(
                f,
                "networkpolicies.networking.k8s.io \"{name}\" not found in namespace {namespace}"
            ),
            Self::AlreadyExists { resource, name } => {
                write!(f, "{resource} \"{name}\" already exists")
            }
            Self::InvalidObject { kind, name, errors } => {
                let name = crate::json::quoted(name);
                match errors.as_slice() {
                    [one] => write!(f, "{kind} {name} is invalid: {one}"),
                    many => {
                        let more = many.len().saturating_sub(4);
                        let tail = if more > 0 { format!(", and {more} more") } else { String::new() };
                        write!(f, "{kind} {name} is invalid: [{}{tail}]", many.iter().take(4).cloned().collect::<Vec<_>>().join(", "))
                    }
                }
            }
            Self::AddonPod { name } => write!(
                f,
                "pod {name} belongs to the coredns Deployment (an EKS add-on), which would start another: scale the Deployment instead"
            ),
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
                let each: String = free.iter().map(|(name, cidr, n)| format!("{name} ({cidr}) Free IPs: {n} ")).collect();
                write!(
                    f,
                    "cannot {version}: InvalidRequestException: Provided subnets {each}, need at least {needed} IPs in each subnet to be free for this operation (EKS creates the new X-ENIs, in at least two AZs, before it deletes the old ones)"
                )
            }
            Self::ClusterSubnetAzs { given, original } => write!(
                f,
                "cluster subnets refused: they are in {}, but the cluster was created in {}; every subnet you give must be in the same set of Availability Zones as at creation, with at least one subnet in each",
                given.join(", "),
                original.join(", ")
            ),
            Self::Network { object, reason } => write!(f, "{object}: {reason}"),
            Self::SameVersion { version } => write!(f, "the control plane already runs Kubernetes {version}"),
            Self::NodeLaunch { instance_type, subnet, cause } => {
                write!(
                    f,
                    "cannot launch {} {instance_type} node in subnet {subnet}: {cause}",
                    crate::command::article(instance_type)
                )
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

impl From<crate::netpol::PolicyError> for SandboxError {
    fn from(e: crate::netpol::PolicyError) -> Self {
        Self::Policy(e)
    }
}

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
