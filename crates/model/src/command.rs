//! Commands: what a learner (or a scenario file) asks the sandbox to do.
//!
//! Objects are referred to by name, as a person writes them: a subnet by its
//! name or CIDR, a node by its kubectl name (`ip-10-10-1-4`), a pod by name.
//! JSON: `{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a"}`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cluster::EndpointAccess;
use crate::cni::CniMode;

/// One thing to do to the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Command {
    /// Associate a secondary IPv4 block with the VPC (e.g. `100.64.0.0/16`).
    AddVpcCidr {
        /// The block.
        cidr: String,
    },
    /// Create a subnet in one Availability Zone.
    AddSubnet {
        /// Its name; defaults to its CIDR.
        #[serde(default)]
        name: Option<String>,
        /// Its block, inside a VPC block.
        cidr: String,
        /// Its Availability Zone.
        az: String,
        /// Tag it `kubernetes.io/role/cni=1` for the VPC CNI's subnet discovery.
        #[serde(default)]
        cni_tag: bool,
    },
    /// Create the EKS cluster: the control plane and its X-ENIs.
    CreateCluster {
        /// The cluster's name.
        name: String,
        /// Kubernetes version.
        version: String,
        /// Endpoint access.
        #[serde(default)]
        endpoint: EndpointAccess,
        /// Cluster subnets (names or CIDRs): at least two, in two AZs.
        subnets: Vec<String>,
    },
    /// Upgrade the control plane: new X-ENIs first, then the old ones go.
    UpgradeControlPlane {
        /// The new Kubernetes version.
        version: String,
    },
    /// Launch a node and join it to the cluster.
    AddNode {
        /// EC2 instance type.
        instance_type: String,
        /// Subnet (name or CIDR) of its primary ENI.
        subnet: String,
        /// The kubelet's max pods; default: the EKS formula for the CNI.
        #[serde(default)]
        max_pods: Option<u32>,
    },
    /// Create pods; the scheduler places them unless a node is given.
    AddPods {
        /// How many.
        count: u32,
        /// A node (kubectl name) to pin them to.
        #[serde(default)]
        node: Option<String>,
        /// Run them with `hostNetwork: true` (they use the node IP).
        #[serde(default)]
        host_network: bool,
        /// Name prefix; default `app`.
        #[serde(default)]
        name: Option<String>,
        /// Matched by a `SecurityGroupPolicy`: each pod needs a branch ENI
        /// (security groups for pods).
        #[serde(default)]
        security_groups: bool,
    },
    /// Delete a pod by name.
    DeletePod {
        /// The pod.
        pod: String,
    },
    /// Terminate a node; its pods are rescheduled.
    DeleteNode {
        /// The node (kubectl name).
        node: String,
    },
    /// Change the CNI or its settings.
    SetCni {
        /// The new CNI and settings.
        cni: CniMode,
    },
    /// Let simulated time pass (cooldowns end, ipamd releases surplus).
    AdvanceTime {
        /// Seconds.
        seconds: u32,
    },
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddVpcCidr { cidr } => write!(f, "add VPC block {cidr}"),
            Self::AddSubnet {
                name: Some(name),
                cidr,
                az,
                ..
            } => {
                write!(f, "add subnet {name} ({cidr}) in {az}")
            }
            Self::AddSubnet {
                name: None,
                cidr,
                az,
                ..
            } => write!(f, "add subnet {cidr} in {az}"),
            Self::CreateCluster { name, version, .. } => {
                write!(f, "create cluster {name} ({version})")
            }
            Self::UpgradeControlPlane { version } => {
                write!(f, "upgrade the control plane to {version}")
            }
            Self::AddNode {
                instance_type,
                subnet,
                ..
            } => write!(f, "add a {instance_type} node in {subnet}"),
            Self::AddPods { count, node, .. } => match node {
                Some(n) => write!(f, "add {count} pods on {n}"),
                None => write!(f, "add {count} pods"),
            },
            Self::DeletePod { pod } => write!(f, "delete pod {pod}"),
            Self::DeleteNode { node } => write!(f, "delete node {node}"),
            Self::SetCni { .. } => write!(f, "change the CNI settings"),
            Self::AdvanceTime { seconds } => write!(f, "wait {seconds} s"),
        }
    }
}
