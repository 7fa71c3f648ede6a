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
use crate::netpol::{Labels, NamedPort};

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
    AddSubnet(AddSubnet),
    /// Create the EKS cluster: the control plane and its X-ENIs.
    CreateCluster(CreateCluster),
    /// Upgrade the control plane: new X-ENIs first, then the old ones go.
    UpgradeControlPlane {
        /// The new Kubernetes version.
        version: String,
    },
    /// Launch a node and join it to the cluster.
    AddNode(AddNode),
    /// Create pods; the scheduler places them unless a node is given.
    AddPods(AddPods),
    /// Create a namespace (it gets `kubernetes.io/metadata.name`).
    AddNamespace {
        /// Its name.
        name: String,
        /// Its labels.
        #[serde(default, skip_serializing_if = "Labels::is_empty")]
        labels: Labels,
    },
    /// Replace a pod's or a namespace's labels; policies re-evaluate.
    SetLabels {
        /// A pod or a namespace.
        kind: LabelTarget,
        /// The pod's namespace (`default` when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// Its name.
        name: String,
        /// The new labels.
        labels: Labels,
    },
    /// `kubectl apply` a NetworkPolicy: the object in its JSON form;
    /// applying a policy of the same namespace and name replaces it.
    ApplyNetworkPolicy {
        /// The NetworkPolicy object.
        policy: serde_json::Value,
    },
    /// `kubectl delete networkpolicy`.
    DeleteNetworkPolicy {
        /// Its namespace (`default` when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// Its name.
        name: String,
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
    /// Change the VPC's DNS attributes (`ModifyVpcAttribute`); an attribute
    /// left out keeps its value.
    SetVpcDns {
        /// `enableDnsHostnames`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dns_hostnames: Option<bool>,
        /// `enableDnsSupport`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dns_support: Option<bool>,
    },
    /// Give the VPC another DHCP option set.
    SetDhcpOptions {
        /// `domain-name-servers`: `amazon-provided` or `custom`.
        #[serde(default)]
        servers: crate::egress::DnsServers,
        /// `domain-name`; the Region's default when left out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain_name: Option<String>,
    },
    /// Attach an internet gateway to the VPC.
    AddInternetGateway,
    /// Create a NAT gateway (with an Elastic IP) in a public subnet.
    AddNatGateway {
        /// The subnet (name or CIDR).
        subnet: String,
    },
    /// Point a subnet's `0.0.0.0/0` route somewhere.
    SetRoute {
        /// The subnet (name or CIDR).
        subnet: String,
        /// `local` (no default route), `internet-gateway` or `nat-gateway`.
        to: String,
        /// For `nat-gateway`: the subnet of the NAT gateway; by default the
        /// one in the same AZ, else the first.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    /// Create a VPC endpoint for an AWS service.
    AddVpcEndpoint {
        /// `ec2`, `ecr.api`, `ecr.dkr`, `s3`, `sts` or `eks-auth`.
        service: String,
        /// For an interface endpoint, its subnets (one ENI each); by
        /// default the cluster subnets.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subnets: Option<Vec<String>>,
    },
    /// Delete a VPC endpoint.
    DeleteVpcEndpoint {
        /// The service.
        service: String,
    },
    /// Change the cluster's subnets (`UpdateClusterConfig`
    /// `resourcesVpcConfig.subnetIds`): the same AZs as at creation.
    UpdateClusterSubnets {
        /// The new cluster subnets (names or CIDRs).
        subnets: Vec<String>,
    },
    /// Who may reach the public endpoint (`publicAccessCidrs`).
    SetPublicAccessCidrs {
        /// CIDR blocks.
        cidrs: Vec<String>,
    },
    /// The cluster's authentication mode (`UpdateClusterConfig`
    /// `accessConfig`): `CONFIG_MAP`, `API_AND_CONFIG_MAP` or `API`.
    SetAuthenticationMode {
        /// The mode.
        mode: crate::cluster::AuthMode,
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

/// Create a subnet in one Availability Zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddSubnet {
    /// Its name; defaults to its CIDR.
    #[serde(default)]
    pub name: Option<String>,
    /// Its block, inside a VPC block.
    pub cidr: String,
    /// Its Availability Zone.
    pub az: String,
    /// Tag it `kubernetes.io/role/cni=1` for the VPC CNI's subnet discovery.
    #[serde(default)]
    pub cni_tag: bool,
    /// Where its route table sends `0.0.0.0/0`: `local` (the default, a
    /// new subnet's main route table), `internet-gateway` or
    /// `nat-gateway` (the one in its AZ, else the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

/// Create the EKS cluster: the control plane and its X-ENIs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateCluster {
    /// The cluster's name.
    pub name: String,
    /// Kubernetes version.
    pub version: String,
    /// Endpoint access.
    #[serde(default)]
    pub endpoint: EndpointAccess,
    /// Cluster subnets (names or CIDRs): at least two, in two AZs.
    pub subnets: Vec<String>,
}

/// Launch a node and join it to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddNode {
    /// EC2 instance type.
    pub instance_type: String,
    /// Subnet (name or CIDR) of its primary ENI.
    pub subnet: String,
    /// The kubelet's max pods set by hand (`--max-pods`, nodeadm's
    /// `maxPods`); it wins over `max_pods_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<u32>,
    /// Where max pods comes from otherwise: `managed-node-group` (the
    /// default: EKS sets it) or `nodeadm` (a self-managed node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods_from: Option<crate::max_pods::MaxPodsFrom>,
}

/// Create pods; the scheduler places them unless a node is given.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AddPods {
    /// How many.
    pub count: u32,
    /// A node (kubectl name) to pin them to.
    #[serde(default)]
    pub node: Option<String>,
    /// Run them with `hostNetwork: true` (they use the node IP).
    #[serde(default)]
    pub host_network: bool,
    /// Name prefix; default `app`.
    #[serde(default)]
    pub name: Option<String>,
    /// Matched by a `SecurityGroupPolicy`: each pod needs a branch ENI
    /// (security groups for pods).
    #[serde(default)]
    pub security_groups: bool,
    /// Their namespace; `default` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Their labels.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    /// The ports their containers declare.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<NamedPort>,
}

/// What `set-labels` relabels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelTarget {
    /// A pod.
    Pod,
    /// A namespace.
    Namespace,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddVpcCidr { cidr } => write!(f, "add VPC block {cidr}"),
            Self::AddSubnet(AddSubnet {
                name: Some(name),
                cidr,
                az,
                ..
            }) => {
                write!(f, "add subnet {name} ({cidr}) in {az}")
            }
            Self::AddSubnet(AddSubnet {
                name: None,
                cidr,
                az,
                ..
            }) => write!(f, "add subnet {cidr} in {az}"),
            Self::CreateCluster(CreateCluster { name, version, .. }) => {
                write!(f, "create cluster {name} ({version})")
            }
            Self::UpgradeControlPlane { version } => {
                write!(f, "upgrade the control plane to {version}")
            }
            Self::AddNode(AddNode {
                instance_type,
                subnet,
                ..
            }) => write!(
                f,
                "add {} {instance_type} node in {subnet}",
                article(instance_type)
            ),
            Self::AddPods(AddPods { count, node, .. }) => {
                let pods = if *count == 1 { "pod" } else { "pods" };
                match node {
                    Some(n) => write!(f, "add {count} {pods} on {n}"),
                    None => write!(f, "add {count} {pods}"),
                }
            }
            Self::AddNamespace { name, .. } => write!(f, "create namespace {name}"),
            Self::SetLabels {
                kind: LabelTarget::Pod,
                namespace,
                name,
                ..
            } => write!(
                f,
                "label pod {}/{name}",
                namespace
                    .as_deref()
                    .unwrap_or(crate::cluster::DEFAULT_NAMESPACE)
            ),
            Self::SetLabels { name, .. } => write!(f, "label namespace {name}"),
            Self::ApplyNetworkPolicy { policy } => {
                let name = policy
                    .pointer("/metadata/name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("?");
                write!(f, "apply NetworkPolicy {name}")
            }
            Self::DeleteNetworkPolicy { name, .. } => write!(f, "delete NetworkPolicy {name}"),
            Self::DeletePod { pod } => write!(f, "delete pod {pod}"),
            Self::DeleteNode { node } => write!(f, "delete node {node}"),
            Self::SetCni { .. } => write!(f, "change the CNI settings"),
            Self::AdvanceTime { seconds } => write!(f, "wait {seconds} s"),
            Self::SetVpcDns {
                dns_hostnames,
                dns_support,
            } => {
                let word = |on: bool| if on { "on" } else { "off" };
                let mut parts = Vec::new();
                if let Some(on) = dns_hostnames {
                    parts.push(format!("DNS hostnames {}", word(*on)));
                }
                if let Some(on) = dns_support {
                    parts.push(format!("DNS resolution {}", word(*on)));
                }
                if parts.is_empty() {
                    parts.push("DNS attributes unchanged".into());
                }
                write!(f, "turn the VPC's {}", parts.join(" and "))
            }
            Self::SetDhcpOptions { servers, .. } => write!(
                f,
                "DHCP options: {}",
                match servers {
                    crate::egress::DnsServers::AmazonProvided => "AmazonProvidedDNS",
                    crate::egress::DnsServers::Custom => "custom DNS servers",
                }
            ),
            Self::AddInternetGateway => f.write_str("attach an internet gateway"),
            Self::AddNatGateway { subnet } => write!(f, "add a NAT gateway in {subnet}"),
            Self::SetRoute { subnet, to, .. } => write!(f, "route {subnet}'s 0.0.0.0/0 to {to}"),
            Self::AddVpcEndpoint { service, .. } => write!(f, "add the {service} VPC endpoint"),
            Self::DeleteVpcEndpoint { service } => write!(f, "delete the {service} VPC endpoint"),
            Self::UpdateClusterSubnets { subnets } => {
                write!(f, "change the cluster subnets to {}", subnets.join(", "))
            }
            Self::SetPublicAccessCidrs { cidrs } => {
                write!(f, "public access CIDRs {}", cidrs.join(", "))
            }
            Self::SetAuthenticationMode { mode } => write!(f, "authentication mode {mode}"),
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
#[serde(
    deny_unknown_fields,
    expecting = "a command object such as {\"action\": \"add-node\", …}"
)]
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
    dns_support: Option<bool>,
    servers: Option<crate::egress::DnsServers>,
    domain_name: Option<String>,
    to: Option<String>,
    via: Option<String>,
    route: Option<String>,
    service: Option<String>,
    cidrs: Option<Vec<String>>,
    mode: Option<crate::cluster::AuthMode>,
    access: Option<crate::cluster::NodeAccess>,
    api_443: Option<bool>,
    kubelet_10250: Option<bool>,
    namespace: Option<String>,
    labels: Option<Labels>,
    ports: Option<Vec<NamedPort>>,
    kind: Option<LabelTarget>,
    policy: Option<serde_json::Value>,
}

/// The `action` names, as serde would list them.
pub const ACTIONS: &[&str] = &[
    "add-vpc-cidr",
    "add-subnet",
    "create-cluster",
    "upgrade-control-plane",
    "add-node",
    "add-pods",
    "add-namespace",
    "set-labels",
    "apply-network-policy",
    "delete-network-policy",
    "delete-pod",
    "delete-node",
    "set-cni",
    "advance-time",
    "set-vpc-dns",
    "set-endpoint-access",
    "set-node-access",
    "set-security-groups",
    "set-dhcp-options",
    "add-internet-gateway",
    "add-nat-gateway",
    "set-route",
    "add-vpc-endpoint",
    "delete-vpc-endpoint",
    "update-cluster-subnets",
    "set-public-access-cidrs",
    "set-authentication-mode",
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
            "add-subnet" => Self::AddSubnet(AddSubnet {
                name: r.name,
                cidr: need(r.cidr, "cidr")?,
                az: need(r.az, "az")?,
                cni_tag: r.cni_tag.unwrap_or_default(),
                route: r.route,
            }),
            "create-cluster" => Self::CreateCluster(CreateCluster {
                name: need(r.name, "name")?,
                version: need(r.version, "version")?,
                endpoint: r.endpoint.unwrap_or_default(),
                subnets: need(r.subnets, "subnets")?,
            }),
            "upgrade-control-plane" => Self::UpgradeControlPlane {
                version: need(r.version, "version")?,
            },
            "add-node" => Self::AddNode(AddNode {
                instance_type: need(r.instance_type, "instance_type")?,
                subnet: need(r.subnet, "subnet")?,
                max_pods: r.max_pods,
                max_pods_from: r.max_pods_from,
            }),
            "add-pods" => Self::AddPods(AddPods {
                count: need(r.count, "count")?,
                node: r.node,
                host_network: r.host_network.unwrap_or_default(),
                name: r.name,
                security_groups: r.security_groups.unwrap_or_default(),
                namespace: r.namespace,
                labels: r.labels.unwrap_or_default(),
                ports: r.ports.unwrap_or_default(),
            }),
            "add-namespace" => Self::AddNamespace {
                name: need(r.name, "name")?,
                labels: r.labels.unwrap_or_default(),
            },
            "set-labels" => Self::SetLabels {
                kind: need(r.kind, "kind")?,
                namespace: r.namespace,
                name: need(r.name, "name")?,
                labels: need(r.labels, "labels")?,
            },
            "apply-network-policy" => Self::ApplyNetworkPolicy {
                policy: need(r.policy, "policy")?,
            },
            "delete-network-policy" => Self::DeleteNetworkPolicy {
                namespace: r.namespace,
                name: need(r.name, "name")?,
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
                dns_hostnames: r.dns_hostnames,
                dns_support: r.dns_support,
            },
            "set-dhcp-options" => Self::SetDhcpOptions {
                servers: r.servers.unwrap_or_default(),
                domain_name: r.domain_name,
            },
            "add-internet-gateway" => Self::AddInternetGateway,
            "add-nat-gateway" => Self::AddNatGateway {
                subnet: need(r.subnet, "subnet")?,
            },
            "set-route" => Self::SetRoute {
                subnet: need(r.subnet, "subnet")?,
                to: need(r.to, "to")?,
                via: r.via,
            },
            "add-vpc-endpoint" => Self::AddVpcEndpoint {
                service: need(r.service, "service")?,
                subnets: r.subnets,
            },
            "delete-vpc-endpoint" => Self::DeleteVpcEndpoint {
                service: need(r.service, "service")?,
            },
            "update-cluster-subnets" => Self::UpdateClusterSubnets {
                subnets: need(r.subnets, "subnets")?,
            },
            "set-public-access-cidrs" => Self::SetPublicAccessCidrs {
                cidrs: need(r.cidrs, "cidrs")?,
            },
            "set-authentication-mode" => Self::SetAuthenticationMode {
                mode: need(r.mode, "mode")?,
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

/// "a" or "an" before an instance type, as it is read aloud: the family
/// letters a, f, h, i, m, r and x start with a vowel sound ("an m5.large",
/// "a c5.large"); mac types are read as a word.
pub(crate) fn article(instance_type: &str) -> &'static str {
    let vowel_sound = instance_type
        .chars()
        .next()
        .is_some_and(|c| "afhimrx".contains(c.to_ascii_lowercase()))
        && !instance_type.starts_with("mac");
    if vowel_sound {
        "an"
    } else {
        "a"
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
            Command::AddSubnet(AddSubnet {
                name: Some("a".into()),
                cidr: "10.0.1.0/24".into(),
                az: "eu-west-1a".into(),
                cni_tag: true,
                route: Some("nat-gateway".into()),
            }),
            Command::CreateCluster(CreateCluster {
                name: "demo".into(),
                version: "1.31".into(),
                endpoint: EndpointAccess::Private,
                subnets: vec!["a".into(), "b".into()],
            }),
            Command::UpgradeControlPlane {
                version: "1.32".into(),
            },
            Command::AddNode(AddNode {
                instance_type: "m5.large".into(),
                subnet: "a".into(),
                max_pods: Some(50),
                max_pods_from: None,
            }),
            Command::AddPods(AddPods {
                count: 3,
                node: Some("ip-10-0-1-4".into()),
                host_network: true,
                name: Some("web".into()),
                security_groups: true,
                namespace: Some("shop".into()),
                labels: crate::netpol::api::one_label("app", "web"),
                ports: vec![NamedPort {
                    name: "http".into(),
                    port: 80,
                    protocol: crate::netpol::Protocol::Tcp,
                }],
            }),
            Command::AddNamespace {
                name: "shop".into(),
                labels: crate::netpol::api::one_label("team", "a"),
            },
            Command::SetLabels {
                kind: LabelTarget::Pod,
                namespace: Some("shop".into()),
                name: "web".into(),
                labels: Labels::new(),
            },
            Command::ApplyNetworkPolicy {
                policy: serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"}}),
            },
            Command::DeleteNetworkPolicy {
                namespace: None,
                name: "deny".into(),
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
                dns_hostnames: Some(false),
                dns_support: None,
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
            Command::SetDhcpOptions {
                servers: crate::egress::DnsServers::Custom,
                domain_name: Some("corp.example".into()),
            },
            Command::AddInternetGateway,
            Command::AddNatGateway {
                subnet: "public-a".into(),
            },
            Command::SetRoute {
                subnet: "a".into(),
                to: "nat-gateway".into(),
                via: Some("public-a".into()),
            },
            Command::AddVpcEndpoint {
                service: "ec2".into(),
                subnets: Some(vec!["a".into()]),
            },
            Command::DeleteVpcEndpoint {
                service: "ec2".into(),
            },
            Command::UpdateClusterSubnets {
                subnets: vec!["a".into(), "b".into()],
            },
            Command::SetPublicAccessCidrs {
                cidrs: vec!["198.51.100.0/24".into()],
            },
            Command::SetAuthenticationMode {
                mode: crate::cluster::AuthMode::Api,
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
            Command::AddPods(AddPods {
                count: 2,
                node: None,
                host_network: false,
                name: None,
                security_groups: false,
                namespace: None,
                labels: Labels::new(),
                ports: Vec::new(),
            })
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
