//! The EKS cluster: its control plane (outside the VPC, reaching in through
//! cross-account ENIs), its nodes and its pods.
//!
//! Sources: EKS User Guide `network-reqs.adoc` (cluster subnets, X-ENIs,
//! 6 free IPs, upgrades), `cluster-endpoint.adoc` (endpoint access),
//! Kubernetes scheduler (`Too many pods`).

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::cni::ipamd::NodeIpam;
use crate::eni::Eni;
use crate::ids::{NodeId, PodId, SubnetId};

/// X-ENIs EKS creates: one in each of two subnets in two different AZs,
/// picked from the cluster subnets however many are given; it can scale to
/// four in those two subnets (awsdocs/amazon-eks-user-guide issue 688,
/// aws/containers-roadmap issues 679 and 2804; EKS User Guide
/// `network-reqs`: "2–4 elastic network interfaces"). podnet does not scale
/// the control plane, so a cluster has two.
pub const XENIS: usize = 2;
/// At most this many while the control plane scales (see [`XENIS`]).
pub const MAX_XENIS: usize = 4;
/// Free IPs each cluster subnet needs at creation ("at least six IP addresses").
pub const MIN_FREE_IPS_PER_CLUSTER_SUBNET: u32 = 6;
/// Free IPs each cluster subnet needs before EKS replaces its X-ENIs (a
/// version upgrade or new cluster subnets): EKS's own refusal reads
/// "need at least 5 IPs in each subnet to be free for this operation"
/// (`InvalidRequestException` quoted in aws/containers-roadmap issue 1693
/// and elsewhere; EKS User Guide `network-reqs`: "up to five").
pub const UPGRADE_FREE_IPS: u32 = 5;
/// The most CIDR blocks podnet takes in the public endpoint's access list.
pub const MAX_PUBLIC_ACCESS_CIDRS: usize = 40;
/// How long EKS takes to sign a new kubelet's serving certificate: "This can
/// take up to 60 seconds" (re:Post, "Kubelet Server Certificate Untaint";
/// the signer is the control plane's eks-certificate-controller). Until
/// then `kubectl exec` and `logs` to the node fail with
/// `remote error: tls: internal error`.
pub const SERVING_CERT_MS: u64 = 60_000;

/// Who can reach the API server endpoint (EKS User Guide, cluster-endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointAccess {
    /// Public only (the default): nodes leave the VPC to reach the API server.
    #[default]
    Public,
    /// Public and private: in-VPC traffic goes through the X-ENIs.
    PublicAndPrivate,
    /// Private only: everything goes through the X-ENIs.
    Private,
}

impl fmt::Display for EndpointAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Public => "public",
            Self::PublicAndPrivate => "public and private",
            Self::Private => "private",
        })
    }
}

/// How the node IAM role is mapped to a Kubernetes user (EKS User Guide,
/// grant-k8s-access.adoc, auth-configmap.adoc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NodeAccess {
    /// An access entry of type `EC2_Linux` (managed node groups get one).
    #[default]
    AccessEntry,
    /// A `mapRoles` entry in the `aws-auth` ConfigMap.
    AwsAuth,
    /// Neither: the kubelet's token authenticates but maps to no user.
    None,
}

impl fmt::Display for NodeAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AccessEntry => "an EC2_Linux access entry",
            Self::AwsAuth => "the aws-auth ConfigMap (mapRoles)",
            Self::None => "no access entry and no aws-auth mapping",
        })
    }
}

/// Which identities the API server accepts (`accessConfig.authenticationMode`;
/// EKS User Guide, grant-k8s-access "Set access mode"). It only moves
/// forward: `CONFIG_MAP` → `API_AND_CONFIG_MAP` → `API`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum AuthMode {
    /// Only the `aws-auth` ConfigMap: the default of `CreateCluster` through
    /// the EKS API, SDKs and CloudFormation.
    #[serde(rename = "CONFIG_MAP")]
    ConfigMap,
    /// Access entries and `aws-auth`: the console's default, and podnet's.
    #[default]
    #[serde(rename = "API_AND_CONFIG_MAP")]
    ApiAndConfigMap,
    /// Only access entries.
    #[serde(rename = "API")]
    Api,
}

impl AuthMode {
    /// The API's spelling.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::ConfigMap => "CONFIG_MAP",
            Self::ApiAndConfigMap => "API_AND_CONFIG_MAP",
            Self::Api => "API",
        }
    }

    /// Whether a node role mapped by `access` is known to the API server.
    pub fn accepts(self, access: NodeAccess) -> bool {
        match access {
            NodeAccess::AccessEntry => self != Self::ConfigMap,
            NodeAccess::AwsAuth => self != Self::Api,
            NodeAccess::None => false,
        }
    }
}

impl fmt::Display for AuthMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.api_name())
    }
}

/// The security group rules a node's join and the API server's calls need
/// (EKS User Guide, sec-group-reqs.adoc: TCP 443 and TCP 10250).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SgRules {
    /// The cluster security group (on the X-ENIs) lets nodes in on TCP 443.
    pub api_443: bool,
    /// The nodes' security group lets the control plane in on TCP 10250.
    pub kubelet_10250: bool,
}

impl Default for SgRules {
    fn default() -> Self {
        Self {
            api_443: true,
            kubelet_10250: true,
        }
    }
}

/// The EKS control plane. Its API servers run in an AWS-managed VPC and
/// account; its X-ENIs are requester-managed ENIs in *your* account and
/// cluster subnets (description `Amazon EKS <cluster>`, cannot be detached),
/// attached to instances in the EKS account (EC2 User Guide,
/// "Requester-managed network interfaces").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlPlane {
    /// The cluster's name.
    pub name: String,
    /// Kubernetes version, e.g. `1.31`.
    pub version: String,
    /// Endpoint access.
    pub endpoint: EndpointAccess,
    /// The cluster subnets given at creation (≥ 2, in ≥ 2 AZs).
    pub subnets: Vec<SubnetId>,
    /// The cross-account ENIs, each holding one IP of a cluster subnet.
    pub xenis: Vec<Eni>,
    /// The service CIDR chosen at creation.
    #[serde(default)]
    pub service_cidr: Option<ipnet::Ipv4Net>,
    /// How the node role maps to a Kubernetes user.
    #[serde(default)]
    pub node_access: NodeAccess,
    /// Security group rules for 443 (nodes → API) and 10250 (API → kubelet).
    #[serde(default)]
    pub rules: SgRules,
    /// Which identities count: access entries, `aws-auth`, or both.
    #[serde(default)]
    pub auth_mode: AuthMode,
    /// Who may reach the public endpoint (`publicAccessCidrs`; default
    /// `0.0.0.0/0`). A node going out through a NAT gateway is seen as its
    /// Elastic IP (EKS User Guide, cluster-endpoint).
    #[serde(default = "everywhere")]
    pub public_access_cidrs: Vec<ipnet::Ipv4Net>,
}

fn everywhere() -> Vec<ipnet::Ipv4Net> {
    vec![ipnet::Ipv4Net::default()]
}

impl ControlPlane {
    /// A new control plane with EKS's defaults for what was not given.
    pub fn new(
        name: &str,
        version: &str,
        endpoint: EndpointAccess,
        subnets: Vec<SubnetId>,
    ) -> Self {
        Self {
            name: name.trim().to_owned(),
            version: version.trim().to_owned(),
            endpoint,
            subnets,
            xenis: Vec::new(),
            service_cidr: None,
            node_access: NodeAccess::default(),
            rules: SgRules::default(),
            auth_mode: AuthMode::default(),
            public_access_cidrs: everywhere(),
        }
    }

    /// Whether `ip` may reach the public endpoint.
    pub fn public_allows(&self, ip: Ipv4Addr) -> bool {
        self.public_access_cidrs.iter().any(|c| c.contains(&ip))
    }

    /// Whether the node role's mapping counts under the authentication mode.
    pub fn node_known(&self) -> bool {
        self.auth_mode.accepts(self.node_access)
    }
}

impl ControlPlane {
    /// The Kubernetes service CIDR, as chosen at creation (see
    /// [`default_service_cidr`]).
    pub fn service_cidr(&self) -> ipnet::Ipv4Net {
        self.service_cidr.unwrap_or_else(|| {
            ipnet::Ipv4Net::new(Ipv4Addr::new(10, 100, 0, 0), 16).unwrap_or_default()
        })
    }
}

/// The service CIDR EKS picks when none is given: `172.20.0.0/16` if any VPC
/// block is inside `10.0.0.0/8`, otherwise `10.100.0.0/16` (the rule the
/// AL2 bootstrap mirrors: amazon-eks-ami `templates/al2/runtime/bootstrap.sh`,
/// `TEN_RANGE`; EKS User Guide, create-cluster: "10.100.0.0/16 or
/// 172.20.0.0/16").
///
/// ```
/// # use podnet_model::cluster::default_service_cidr;
/// let seed = ["10.10.0.0/16".parse().unwrap()];
/// assert_eq!(default_service_cidr(&seed).to_string(), "172.20.0.0/16");
/// let other = ["192.168.0.0/16".parse().unwrap()];
/// assert_eq!(default_service_cidr(&other).to_string(), "10.100.0.0/16");
/// ```
pub fn default_service_cidr(vpc: &[ipnet::Ipv4Net]) -> ipnet::Ipv4Net {
    let ten = ipnet::Ipv4Net::new(Ipv4Addr::new(10, 0, 0, 0), 8).unwrap_or_default();
    let (a, b) = if vpc.iter().any(|c| ten.contains(&c.network())) {
        (172, 20)
    } else {
        (10, 100)
    };
    ipnet::Ipv4Net::new(Ipv4Addr::new(a, b, 0, 0), 16).unwrap_or_default()
}

/// A worker node: an EC2 instance joined to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Its id.
    pub id: NodeId,
    /// Its name, as kubectl shows it (`ip-10-10-1-4`).
    pub name: String,
    /// The EC2 instance type.
    pub instance_type: String,
    /// The subnet of its primary ENI.
    pub subnet: SubnetId,
    /// Where the kubelet's max pods came from.
    #[serde(default)]
    pub max_pods_from: crate::max_pods::MaxPodsFrom,
    /// ENIs and ipamd's pool (its `max_pods` is the kubelet's).
    pub ipam: NodeIpam,
    /// Pods bound to it, host-network ones included.
    #[serde(default)]
    pub pods: u32,
    /// Why the node's CNI cannot start (no ENIConfig for its AZ, no pod
    /// CIDR left), if it cannot: the node then stays NotReady.
    #[serde(default)]
    pub not_ready: Option<String>,
    /// Whether the CNI has written its config, so the kubelet reports the
    /// network ready and the node `Ready` (see [`Node::ready`]).
    #[serde(default = "registered")]
    pub network_ready: bool,
    /// Whether the kubelet registered the node with the API server; an
    /// instance that failed to join runs but is no Kubernetes node.
    #[serde(default = "registered")]
    pub registered: bool,
    /// Why the kubelet cannot join, or lost the API server: the first step
    /// of the join that fails (see [`crate::Sandbox::join`]).
    #[serde(default)]
    pub join_error: Option<String>,
    /// With an overlay CNI: the node's pod CIDR and host-local's state.
    #[serde(default)]
    pub overlay: Option<crate::cni::node_range::NodeRange>,
    /// Pods with their own security groups bound to it: each uses one
    /// `vpc.amazonaws.com/pod-eni` (a branch ENI).
    #[serde(default)]
    pub branch_pods: u32,
    /// Why the VPC Resource Controller has not attached the node's trunk
    /// ENI yet, if it wants one.
    #[serde(default)]
    pub trunk_waiting: Option<String>,
    /// Why containerd cannot pull the CNI agent's image, if it cannot: the
    /// agent never starts, so the node stays NotReady.
    #[serde(default)]
    pub image_error: Option<String>,
    /// When the kubelet registered (simulated ms): its serving certificate
    /// is signed [`SERVING_CERT_MS`] later.
    #[serde(default)]
    pub registered_at_ms: u64,
}

impl Node {
    /// The kubelet's max pods (`allocatable.pods`).
    pub fn max_pods(&self) -> u32 {
        self.ipam.max_pods
    }

    /// Whether the kubelet reports Ready (the scheduler's test): it
    /// registered, reaches the API server, and its CNI is up. Until then the
    /// node carries the `node.kubernetes.io/not-ready:NoSchedule` taint,
    /// which here only the CNI's agent and kube-proxy tolerate (their
    /// DaemonSets' `operator: Exists` tolerations; Kubernetes docs, "Taint
    /// based evictions").
    pub fn ready(&self) -> bool {
        self.registered
            && self.network_ready
            && self.not_ready.is_none()
            && self.join_error.is_none()
            && self.image_error.is_none()
    }

    /// The node IP.
    pub fn ip(&self) -> Option<Ipv4Addr> {
        self.ipam.node_ip()
    }
}

/// Where a pod is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PodStatus {
    /// Not scheduled: no node fits.
    Pending,
    /// Scheduled, but the CNI has not given it an IP yet.
    ContainerCreating,
    /// Has its IP and runs.
    Running,
    /// Bound to a node, but containerd cannot pull its image (kubectl shows
    /// `ImagePullBackOff` after the first `ErrImagePull`).
    ImagePullBackOff,
    /// Its container keeps exiting with an error (the kubelet backs off
    /// restarting it).
    CrashLoopBackOff,
}

impl fmt::Display for PodStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pending => "Pending",
            Self::ContainerCreating => "ContainerCreating",
            Self::Running => "Running",
            Self::ImagePullBackOff => "ImagePullBackOff",
            Self::CrashLoopBackOff => "CrashLoopBackOff",
        })
    }
}

/// A pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// Its id.
    pub id: PodId,
    /// Its name.
    pub name: String,
    /// Uses the node's network namespace and IP (aws-node, kube-proxy).
    pub host_network: bool,
    /// The node asked for (a node selector), if any.
    pub wants_node: Option<NodeId>,
    /// The node it runs on.
    pub node: Option<NodeId>,
    /// Its IP.
    pub ip: Option<Ipv4Addr>,
    /// Its status.
    pub status: PodStatus,
    /// Why it is not Running, in the words kubectl shows.
    pub reason: Option<String>,
    /// Created by the cluster (a DaemonSet pod), not by the learner.
    pub system: bool,
    /// Matched by a `SecurityGroupPolicy`: the VPC Resource Controller's
    /// webhook adds a `vpc.amazonaws.com/pod-eni` request, and the pod gets
    /// its own branch ENI and security groups.
    #[serde(default)]
    pub security_groups: bool,
    /// Its namespace.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Its labels, which NetworkPolicy selectors match.
    #[serde(default)]
    pub labels: crate::netpol::Labels,
    /// The ports its containers declare (named ports for policies).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<crate::netpol::NamedPort>,
    /// Run by an EKS add-on's Deployment (CoreDNS), not by the learner: it
    /// takes a pod IP like any pod, and comes back if deleted.
    #[serde(default)]
    pub addon: bool,
}

impl Pod {
    /// The learner's own pod: neither a DaemonSet's nor an add-on's.
    pub fn is_workload(&self) -> bool {
        !self.system && !self.addon
    }
}

/// Where a pod goes when its spec names no namespace.
pub const DEFAULT_NAMESPACE: &str = "default";

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_owned()
}

fn registered() -> bool {
    true
}

/// kubectl's node name for an IP: `ip-10-10-1-4`.
pub fn node_name(ip: Ipv4Addr) -> String {
    format!("ip-{}", ip.to_string().replace('.', "-"))
}
