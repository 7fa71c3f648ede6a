//! Commands: what a learner (or a scenario file) asks the sandbox to do.
//!
//! Objects are referred to by name, as a person writes them: a subnet by its
//! name or CIDR, a node by its kubectl name (`ip-10-10-1-4`), a pod by name.
//! JSON: `{"action":"add-node","instance_type":"m5.large","subnet":"nodes-a"}`.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::cluster::EndpointAccess;
use crate::cni::CniMode;

/// One thing to do to the sandbox.
///
/// Deserialised through [`RawCommand`] (one flat struct) rather than
/// serde's internally tagged enum: same JSON, same error messages, and a
/// fraction of the code in the `.wasm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
        /// The kubelet's max pods set by hand (`--max-pods`, nodeadm's
        /// `maxPods`); it wins over `max_pods_from`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_pods: Option<u32>,
        /// Where max pods comes from otherwise: `managed-node-group` (the
        /// default: EKS sets it) or `nodeadm` (a self-managed node).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_pods_from: Option<crate::max_pods::MaxPodsFrom>,
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
    /// Turn the VPC's `enableDnsHostnames` (and `enableDnsSupport`) on or off.
    SetVpcDns {
        /// On or off.
        dns_hostnames: bool,
    },
    /// Change the cluster's endpoint access (`UpdateClusterConfig`).
    SetEndpointAccess {
        /// Public, public and private, or private.
        endpoint: EndpointAccess,
    },
    /// How the node role is mapped: an access entry, `aws-auth`, or none.
    SetNodeAccess {
        /// The mapping.
        access: crate::cluster::NodeAccess,
    },
    /// The two security group rules EKS needs.
    SetSecurityGroups {
        /// The cluster security group lets nodes in on TCP 443.
        api_443: bool,
        /// The node security group lets the control plane in on TCP 10250.
        kubelet_10250: bool,
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
            Self::SetVpcDns { dns_hostnames } => write!(
                f,
                "turn the VPC's DNS hostnames {}",
                if *dns_hostnames { "on" } else { "off" }
            ),
            Self::SetEndpointAccess { endpoint } => write!(f, "make the endpoint {endpoint}"),
            Self::SetNodeAccess { access } => write!(f, "map the node role with {access}"),
            Self::SetSecurityGroups {
                api_443,
                kubelet_10250,
            } => write!(
                f,
                "security groups: 443 to the API {}, 10250 to kubelets {}",
                if *api_443 { "allowed" } else { "blocked" },
                if *kubelet_10250 { "allowed" } else { "blocked" }
            ),
        }
    }
}

/// Every field any command has, all optional: what a command's JSON object
/// holds before its `action` says which fields it needs.
#[derive(Deserialize)]
struct RawCommand {
    action: String,
    cidr: Option<String>,
    name: Option<String>,
    az: Option<String>,
    cni_tag: Option<bool>,
    version: Option<String>,
    endpoint: Option<EndpointAccess>,
    subnets: Option<Vec<String>>,
    instance_type: Option<String>,
    subnet: Option<String>,
    max_pods: Option<u32>,
    max_pods_from: Option<crate::max_pods::MaxPodsFrom>,
    count: Option<u32>,
    node: Option<String>,
    host_network: Option<bool>,
    security_groups: Option<bool>,
    pod: Option<String>,
    cni: Option<CniMode>,
    seconds: Option<u32>,
    dns_hostnames: Option<bool>,
    access: Option<crate::cluster::NodeAccess>,
    api_443: Option<bool>,
    kubelet_10250: Option<bool>,
}

/// The `action` names, as serde would list them.
pub const ACTIONS: &[&str] = &[
    "add-vpc-cidr",
    "add-subnet",
    "create-cluster",
    "upgrade-control-plane",
    "add-node",
    "add-pods",
    "delete-pod",
    "delete-node",
    "set-cni",
    "advance-time",
    "set-vpc-dns",
    "set-endpoint-access",
    "set-node-access",
    "set-security-groups",
];

/// A field a variant needs, or serde's `missing field` error.
pub(crate) fn need<T, E: serde::de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = RawCommand::deserialize(deserializer)?;
        Ok(match r.action.as_str() {
            "add-vpc-cidr" => Self::AddVpcCidr {
                cidr: need(r.cidr, "cidr")?,
            },
            "add-subnet" => Self::AddSubnet {
                name: r.name,
                cidr: need(r.cidr, "cidr")?,
                az: need(r.az, "az")?,
                cni_tag: r.cni_tag.unwrap_or_default(),
            },
            "create-cluster" => Self::CreateCluster {
                name: need(r.name, "name")?,
                version: need(r.version, "version")?,
                endpoint: r.endpoint.unwrap_or_default(),
                subnets: need(r.subnets, "subnets")?,
            },
            "upgrade-control-plane" => Self::UpgradeControlPlane {
                version: need(r.version, "version")?,
            },
            "add-node" => Self::AddNode {
                instance_type: need(r.instance_type, "instance_type")?,
                subnet: need(r.subnet, "subnet")?,
                max_pods: r.max_pods,
                max_pods_from: r.max_pods_from,
            },
            "add-pods" => Self::AddPods {
                count: need(r.count, "count")?,
                node: r.node,
                host_network: r.host_network.unwrap_or_default(),
                name: r.name,
                security_groups: r.security_groups.unwrap_or_default(),
            },
            "delete-pod" => Self::DeletePod {
                pod: need(r.pod, "pod")?,
            },
            "delete-node" => Self::DeleteNode {
                node: need(r.node, "node")?,
            },
            "set-cni" => Self::SetCni {
                cni: need(r.cni, "cni")?,
            },
            "advance-time" => Self::AdvanceTime {
                seconds: need(r.seconds, "seconds")?,
            },
            "set-vpc-dns" => Self::SetVpcDns {
                dns_hostnames: need(r.dns_hostnames, "dns_hostnames")?,
            },
            "set-endpoint-access" => Self::SetEndpointAccess {
                endpoint: need(r.endpoint, "endpoint")?,
            },
            "set-node-access" => Self::SetNodeAccess {
                access: need(r.access, "access")?,
            },
            "set-security-groups" => Self::SetSecurityGroups {
                api_443: r.api_443.unwrap_or(true),
                kubelet_10250: r.kubelet_10250.unwrap_or(true),
            },
            other => return Err(D::Error::unknown_variant(other, ACTIONS)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Command> {
        vec![
            Command::AddVpcCidr {
                cidr: "100.64.0.0/16".into(),
            },
            Command::AddSubnet {
                name: Some("a".into()),
                cidr: "10.0.1.0/24".into(),
                az: "eu-west-1a".into(),
                cni_tag: true,
            },
            Command::CreateCluster {
                name: "demo".into(),
                version: "1.31".into(),
                endpoint: EndpointAccess::Private,
                subnets: vec!["a".into(), "b".into()],
            },
            Command::UpgradeControlPlane {
                version: "1.32".into(),
            },
            Command::AddNode {
                instance_type: "m5.large".into(),
                subnet: "a".into(),
                max_pods: Some(50),
                max_pods_from: None,
            },
            Command::AddPods {
                count: 3,
                node: Some("ip-10-0-1-4".into()),
                host_network: true,
                name: Some("web".into()),
                security_groups: true,
            },
            Command::DeletePod {
                pod: "web-1".into(),
            },
            Command::DeleteNode {
                node: "ip-10-0-1-4".into(),
            },
            Command::SetCni {
                cni: CniMode::default(),
            },
            Command::AdvanceTime { seconds: 30 },
            Command::SetVpcDns {
                dns_hostnames: false,
            },
            Command::SetEndpointAccess {
                endpoint: EndpointAccess::Private,
            },
            Command::SetNodeAccess {
                access: crate::cluster::NodeAccess::AwsAuth,
            },
            Command::SetSecurityGroups {
                api_443: false,
                kubelet_10250: true,
            },
        ]
    }

    #[test]
    fn every_command_round_trips_through_json() {
        for cmd in every_kind() {
            let json = serde_json::to_string(&cmd).unwrap();
            let back: Command = serde_json::from_str(&json).unwrap();
            assert_eq!(back, cmd, "{json}");
        }
        assert_eq!(ACTIONS.len(), every_kind().len());
    }

    #[test]
    fn defaults_apply_and_bad_commands_say_what_is_wrong() {
        let c: Command = serde_json::from_str(r#"{"action":"add-pods","count":2}"#).unwrap();
        assert_eq!(
            c,
            Command::AddPods {
                count: 2,
                node: None,
                host_network: false,
                name: None,
                security_groups: false
            }
        );
        let err = serde_json::from_str::<Command>(r#"{"action":"add-node","subnet":"a"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("missing field `instance_type`"), "{err}");
        let err = serde_json::from_str::<Command>(r#"{"action":"fly"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("unknown variant `fly`, expected one of `add-vpc-cidr`"),
            "{err}"
        );
        let err = serde_json::from_str::<Command>(r#"{"action":"add-pods","count":"x"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid type: string \"x\", expected u32"),
            "{err}"
        );
    }
}
