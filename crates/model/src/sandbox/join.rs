//! How a node joins the control plane, step by step, and the first step
//! that fails (domain-facts §4 "Node join", "Endpoint access modes").
//!
//! These are the rules the sandbox decides a node's join by (a node whose
//! first gating step fails does not join); the join view in `paths/` shows
//! them.

use crate::cni::Cni as _;
use serde::{Deserialize, Serialize};

use super::{way_text, Sandbox, ServiceReach};
use crate::cluster::{AuthMode, EndpointAccess, Node, NodeAccess, SERVING_CERT_MS};
use crate::egress::{AwsService, DnsServers, Route};
use crate::paths::{Place, TraceError};

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// It works.
    Ok,
    /// It works, with a catch worth knowing.
    Warning,
    /// It fails here; the node does not join (or is not Ready).
    Failed,
    /// Not reached: an earlier step failed.
    NotReached,
}

/// One step of a node's join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinStep {
    /// The step, e.g. `Resolve the API server endpoint`.
    pub title: String,
    /// How it went.
    pub status: StepStatus,
    /// What happens, with this cluster's names and addresses.
    pub detail: String,
    /// The error a real node shows when it fails (or the catch).
    pub message: Option<String>,
    /// Where the rule comes from.
    pub source: String,
    /// Where on the map it happens.
    pub place: Option<Place>,
    /// A failure here keeps the kubelet from registering (or, later, from
    /// reaching the API server).
    #[serde(default)]
    pub gates_join: bool,
    /// Happens once, at boot (nodeadm, the first image pulls): a node that
    /// already runs is past it.
    #[serde(default)]
    pub boot_only: bool,
}

/// A node's join, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    /// The node's name.
    pub node: String,
    /// Registered and Ready.
    pub joined: bool,
    /// The API server endpoint it bootstraps with.
    pub endpoint: String,
    /// Whether it reaches the API server through the X-ENIs.
    pub via_xeni: bool,
    /// The steps, in order.
    pub steps: Vec<JoinStep>,
}

impl Join {
    /// The whole join as text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} joins {} — {}\n",
            self.node,
            self.endpoint,
            if self.joined {
                "joined and Ready"
            } else {
                "does not join"
            }
        );
        for (i, s) in self.steps.iter().enumerate() {
            let mark = match s.status {
                StepStatus::Ok => "ok",
                StepStatus::Warning => "WARNING",
                StepStatus::Failed => "FAILED",
                StepStatus::NotReached => "not reached",
            };
            out += &format!("{}. [{mark}] {}: {}\n", i + 1, s.title, s.detail);
            if let Some(m) = &s.message {
                out += &format!("   {m}\n");
            }
            out += &format!("   [{}]\n", s.source);
        }
        out.trim_end().to_owned()
    }
}

/// A step under construction.
fn step(title: &str, status: StepStatus, detail: String, source: &str) -> JoinStep {
    JoinStep {
        title: title.into(),
        status,
        detail,
        message: None,
        source: source.into(),
        place: None,
        gates_join: false,
        boot_only: false,
    }
}

impl Sandbox {
    /// The API server's endpoint name (an example ID; the Region from the
    /// subnets' AZ).
    pub fn api_endpoint(&self) -> String {
        let Some(c) = &self.cluster else {
            return String::new();
        };
        let region = self.region();
        // FNV-1a of the name: a stable 32-hex-digit ID like EKS's.
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        for b in c.name.bytes() {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
        format!("{h:032X}.gr7.{region}.eks.amazonaws.com")
    }

    /// The EC2 private DNS name of `node`: `ip-10-10-1-4.eu-west-1.compute.internal`
    /// (`ec2.internal` in us-east-1). nodeadm names the node with it
    /// (`nodeadm/internal/kubelet/config.go`: `hostname-override` is the
    /// `PrivateDnsName` from `DescribeInstances`), so a custom DHCP
    /// domain-name does not change the node name.
    pub fn private_dns_name(&self, node: &Node) -> String {
        let region = self.region();
        let suffix = if region == "us-east-1" {
            "ec2.internal".to_owned()
        } else {
            format!("{region}.compute.internal")
        };
        format!("{}.{suffix}", node.name)
    }

    /// How the kubelet on `node` reaches the API server: it resolves the
    /// endpoint's name, so the endpoint access and DNS decide.
    pub(crate) fn kubelet_route(&self, node: &Node) -> ApiRoute {
        let Some(c) = &self.cluster else {
            return ApiRoute::Fails {
                title: "Resolve the endpoint",
                detail: "no cluster".into(),
                message: String::new(),
                source: "",
            };
        };
        let host = self.api_endpoint();
        if let Some(message) = self.lookup_error(node, &host) {
            return ApiRoute::Fails {
                title: "Resolve the endpoint",
                detail: format!("enableDnsSupport is off and the DHCP options use AmazonProvidedDNS: the Route 53 Resolver at {} does not answer, so {host} does not resolve (nor do EC2's and ECR's names)", self.resolver_ip()),
                message,
                source: "Amazon VPC User Guide, DNS attributes (enableDnsSupport)",
            };
        }
        let phz = self.private_dns_works();
        let private = match c.endpoint {
            EndpointAccess::Public => false,
            EndpointAccess::PublicAndPrivate => phz,
            EndpointAccess::Private => true,
        };
        if private {
            return ApiRoute::Xeni {
                resolved: if c.endpoint == EndpointAccess::Private && !phz {
                    "public DNS answers the private-only endpoint's name with the X-ENIs' private IPs (the VPC's private hosted zone is not needed: \"In the past, the endpoint could only be resolved from within the VPC\", EKS User Guide cluster-endpoint; its network-reqs page still says nodes cannot register without DNS hostnames and DNS support — podnet follows the newer cluster-endpoint page)".into()
                } else {
                    "inside the VPC, EKS's Route 53 private hosted zone answers the endpoint's name with the X-ENIs' private IPs".into()
                },
            };
        }
        let why_public = match c.endpoint {
            EndpointAccess::Public => "the endpoint is public only".to_owned(),
            _ => format!(
                "the private hosted zone does not answer ({}), so the name resolves to the public endpoint",
                if self.vpc.dhcp.servers == DnsServers::Custom {
                    "the DHCP options give your own DNS servers"
                } else {
                    "enableDnsHostnames is off"
                }
            ),
        };
        let ip = node.ip().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        match self.way_out(node.subnet, ip) {
            Err(why) => ApiRoute::Fails {
                title: "Connect to the API server (TCP 443)",
                detail: format!("{why_public}, and the node's subnet has no way out: {why}. A public endpoint needs a NAT gateway (private subnet) or an internet gateway and a public IP (public subnet), or the private endpoint"),
                message: format!("Unable to register node \"{}\" with API server: Post \"https://{host}/api/v1/nodes\": dial tcp <public endpoint address>:443: i/o timeout", node.name),
                source: "EKS User Guide, cluster-endpoint.adoc; troubleshooting.adoc (nodes fail to join); Amazon VPC User Guide, route tables",
            },
            Ok(w) => match w.public_ip() {
                Some(p) if !c.public_allows(p) => ApiRoute::Fails {
                    title: "Connect to the API server (TCP 443)",
                    detail: format!("{why_public}; the node leaves the VPC {}, but the endpoint's public access CIDRs ({}) do not include {p}, so EKS drops the connection", way_text(&w), c.public_access_cidrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
                    message: format!("Unable to register node \"{}\" with API server: Post \"https://{host}/api/v1/nodes\": dial tcp <public endpoint address>:443: i/o timeout", node.name),
                    source: "EKS User Guide, cluster-endpoint.adoc (\"If you limit access … the NAT gateway's address must be allowed\")",
                },
                _ => ApiRoute::Public { why: why_public, way: w },
            },
        }
    }
}

/// The kubelet's way to the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ApiRoute {
    /// The name resolves to the X-ENIs: through one in the VPC.
    Xeni {
        /// How the name resolved.
        resolved: String,
    },
    /// The public endpoint, out of the VPC.
    Public {
        /// Why the public endpoint.
        why: String,
        /// How it leaves the VPC.
        way: crate::egress::WayOut,
    },
    /// A step fails.
    Fails {
        /// The step.
        title: &'static str,
        /// What happens.
        detail: String,
        /// The kubelet's error.
        message: String,
        /// The source.
        source: &'static str,
    },
}

impl Sandbox {
    /// The first failing step of `node`'s way to the API server, as the
    /// kubelet (or nodeadm, before it) says it. A node that registered
    /// already booted: nodeadm's EC2 call and the image pulls are behind it.
    pub(crate) fn join_failure(&self, node: &Node) -> Option<String> {
        if !self.join_may_fail(node) {
            return None;
        }
        let join = self.join_steps(node).ok()?;
        join.steps
            .iter()
            .filter(|s| s.gates_join && !(node.registered && s.boot_only))
            .find(|s| s.status == StepStatus::Failed)
            .and_then(|s| s.message.clone())
    }

    /// A quick test before building the join's words: could a gating step
    /// fail? (Most nodes join; 5,000 of them should not cost 5,000 texts.)
    fn join_may_fail(&self, node: &Node) -> bool {
        let Some(c) = &self.cluster else {
            return true;
        };
        if !c.node_known() || !c.rules.api_443 {
            return true;
        }
        if !node.registered && !self.can_reach(node, AwsService::Ec2) {
            return true;
        }
        !matches!(self.kubelet_route_kind(node), Some(true))
    }

    /// Whether the kubelet's way to the API server works without building
    /// its words: `Some(true)` it does, `Some(false)` or `None` check in full.
    fn kubelet_route_kind(&self, node: &Node) -> Option<bool> {
        let c = self.cluster.as_ref()?;
        let resolver = self.vpc.dns_support || self.vpc.dhcp.servers == DnsServers::Custom;
        if !resolver {
            return Some(false);
        }
        let private = match c.endpoint {
            EndpointAccess::Public => false,
            EndpointAccess::PublicAndPrivate => self.private_dns_works(),
            EndpointAccess::Private => true,
        };
        if private {
            return Some(true);
        }
        let ip = node.ip().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        Some(match self.way_out(node.subnet, ip) {
            Ok(w) => w.public_ip().is_none_or(|p| c.public_allows(p)),
            Err(_) => false,
        })
    }

    /// Whether containerd on `node` can pull the CNI agent's image, and if
    /// not, the kubelet's `Failed to pull image` message.
    pub(crate) fn image_pull_error(&self, node: &Node) -> Option<String> {
        let (_, ecr) = self.cni.strategy().agent_image("");
        let quick = if ecr {
            [AwsService::EcrApi, AwsService::EcrDkr, AwsService::S3]
                .iter()
                .all(|svc| self.can_reach(node, *svc))
        } else {
            (self.vpc.dns_support || self.vpc.dhcp.servers == DnsServers::Custom)
                && self
                    .way_out(
                        node.subnet,
                        node.ip().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
                    )
                    .is_ok()
        };
        if quick {
            return None;
        }
        let s = self.pull_step(node);
        (s.status == StepStatus::Failed)
            .then_some(s.message)
            .flatten()
    }

    fn pull_step(&self, node: &Node) -> JoinStep {
        let region = self.region();
        let (image, ecr) = self.cni.strategy().agent_image(&region);
        let tag = "<tag>";
        let pull = |cause: String| {
            format!("Failed to pull image \"{image}:{tag}\": rpc error: code = Unknown desc = failed to pull and unpack image \"{image}:{tag}\": {cause}")
        };
        let mut s = step(
            "Pull the CNI's images",
            StepStatus::Ok,
            String::new(),
            "Amazon ECR User Guide, interface VPC endpoints (ecr.api, ecr.dkr, the S3 gateway endpoint); EKS User Guide, private-clusters",
        );
        s.place = Some(Place::Node { node: node.id });
        s.boot_only = true;
        if ecr {
            let api = self.reach_service(node, AwsService::EcrApi);
            let dkr = self.reach_service(node, AwsService::EcrDkr);
            let s3 = self.reach_service(node, AwsService::S3);
            let dkr_host = AwsService::EcrDkr.host(&region);
            let repo = image.rsplit('/').next().unwrap_or_default();
            s.detail = if api.via.ends_with(&way_tail(&dkr.via))
                && s3.via.ends_with(&way_tail(&dkr.via))
                && api.error.is_none()
                && dkr.error.is_none()
                && s3.error.is_none()
                && !way_tail(&dkr.via).is_empty()
            {
                format!("containerd pulls {image} (aws-node) and kube-proxy from the EKS registry: the registry token (ecr.api), the manifests (ecr.dkr) and the layers (S3) all go out of the VPC{}", way_tail(&dkr.via))
            } else {
                format!(
                    "containerd pulls {image} (aws-node) and kube-proxy from the EKS registry: the registry token via {}; manifests via {}; layers from S3 via {}",
                    api.via, dkr.via, s3.via
                )
            };
            let fail = if let Some(e) = &dkr.error {
                Some(pull(format!("failed to resolve reference \"{image}:{tag}\": failed to do request: Head \"https://{dkr_host}/v2/{repo}/manifests/{tag}\": {e}")))
            } else if api.error.is_some() {
                Some(pull(format!("failed to resolve reference \"{image}:{tag}\": unexpected status from HEAD request to https://{dkr_host}/v2/{repo}/manifests/{tag}: 401 Unauthorized (the ecr-credential-provider could not reach {} for a token)", AwsService::EcrApi.host(&region))))
            } else {
                s3.error.as_ref().map(|e| pull(format!("failed to copy: httpReadSeeker: failed open: failed to do request: Get \"https://{}/…\": {e}", AwsService::S3.host(&region))))
            };
            if let Some(m) = fail {
                s.status = StepStatus::Failed;
                s.message = Some(m);
                let out: Vec<(&str, &ServiceReach)> =
                    [("ecr.api", &api), ("ecr.dkr", &dkr), ("S3", &s3)]
                        .into_iter()
                        .filter(|(_, r)| r.error.is_some())
                        .collect();
                let names: Vec<&str> = out.iter().map(|(n, _)| *n).collect();
                let why = out.first().map(|(_, r)| r.via.clone()).unwrap_or_default();
                s.detail = format!("containerd pulls {image} (aws-node) and kube-proxy from the EKS registry in ECR, and cannot reach {}: {why}. A private cluster needs the ecr.api and ecr.dkr interface endpoints and the S3 gateway endpoint (or a NAT gateway)", names.join(", "));
            }
        } else {
            let registry = image.split('/').next().unwrap_or_default().to_owned();
            let ip = node.ip().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
            let out = self.lookup_error(node, &registry).map_or_else(
                || {
                    self.way_out(node.subnet, ip).map_err(|why| {
                        (
                            why.to_string(),
                            format!("dial tcp <{registry}'s public address>:443: i/o timeout"),
                        )
                    })
                },
                |e| Err(("the VPC resolver does not answer".to_owned(), e)),
            );
            match out {
                Ok(w) => s.detail = format!("containerd pulls {image} from {registry} on the internet, {} (kube-proxy comes from the EKS registry in ECR)", way_text(&w)),
                Err((why, e)) => {
                    s.status = StepStatus::Failed;
                    s.detail = format!("{image} is on {registry}, a public registry on the internet, and the node cannot get there: {why}. VPC endpoints do not help: copy the image into ECR (a pull-through cache) or give the subnet a NAT gateway");
                    let repo = image.split_once('/').map(|x| x.1).unwrap_or_default();
                    s.message = Some(pull(format!("failed to resolve reference \"{image}:{tag}\": failed to do request: Head \"https://{registry}/v2/{repo}/manifests/{tag}\": {e}")));
                }
            }
        }
        s
    }
}

impl Sandbox {
    pub(crate) fn join_steps(&self, node: &Node) -> Result<Join, TraceError> {
        let c = self.cluster.as_ref().ok_or(TraceError::NoCluster)?;
        let host = self.api_endpoint();
        let ip = node.ip().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        let subnet = self.vpc.subnets.get(&node.subnet);
        let (subnet_name, az) = subnet.map_or((String::new(), String::new()), |s| {
            (format!("{} ({})", s.name, s.cidr), s.az.clone())
        });
        let public = subnet.is_some_and(|s| s.route == Route::InternetGateway);
        let dns_name = self.private_dns_name(node);
        let mut steps = Vec::new();
        let mut s = step(
            "Launch the instance",
            StepStatus::Ok,
            format!(
                "{} in {subnet_name}, {az}: EC2 creates its primary ENI eth0 with {ip}, the node IP{}",
                node.instance_type,
                if public { "; the subnet routes to the internet gateway, so the instance also gets a public IPv4 address (a public subnet with auto-assign on, as managed node groups require)" } else { "" }
            ),
            "EC2; CNI misc/eni-max-pods.txt (the primary IP of eth0 is the node IP); EKS User Guide, managed node groups (MapPublicIpOnLaunch)",
        );
        s.place = node.ipam.enis.first().map(|e| Place::Eni { eni: e.id });
        steps.push(s);

        // nodeadm asks EC2 for the instance's private DNS name before it
        // writes the kubelet's config (nodeadm/internal/api/status.go).
        let ec2 = self.reach_service(node, AwsService::Ec2);
        let domain_note = match &self.vpc.dhcp.domain_name {
            Some(d) => format!(" The DHCP option set's domain-name {d} changes the OS hostname, not the node name: nodeadm uses EC2's PrivateDnsName"),
            None => String::new(),
        };
        let mut s = step(
            "Bootstrap (nodeadm)",
            StepStatus::Ok,
            format!("NodeConfig: cluster.name {}, apiServerEndpoint https://{host}, certificateAuthority, cidr {} (the service CIDR). nodeadm calls EC2 DescribeInstances via {} and names the node {dns_name}, its private DNS name.{domain_note}", c.name, c.service_cidr(), ec2.via),
            "AMI nodeadm/doc/api.md; nodeadm/internal/api/status.go (DescribeInstances), internal/kubelet/config.go (hostname-override)",
        );
        s.place = Some(Place::Node { node: node.id });
        s.gates_join = true;
        s.boot_only = true;
        if let (Some(e), true) = (&ec2.error, node.registered) {
            s.detail = format!("nodeadm ran at boot, when EC2 answered, and named the node {dns_name}; it does not run again (today it would fail: {e})");
        } else if let Some(e) = ec2.error {
            s.status = StepStatus::Failed;
            s.detail = format!("nodeadm must call EC2 DescribeInstances for the node's name before the kubelet starts, and cannot: {}. A private cluster needs the ec2 interface endpoint (or a NAT gateway)", ec2.via);
            s.message = Some(format!("nodeadm init: expected err to be of type smithy.APIError, got operation error EC2: DescribeInstances, exceeded maximum number of attempts, 30, https response error StatusCode: 0, RequestID: , request send failed, Post \"https://{}/\": {e}", AwsService::Ec2.host(&self.region())));
            s.source = "AMI nodeadm/internal/api/status.go, internal/aws/ec2/instance_waiter.go (instanceRetryable), cmd/nodeadm/init/init.go (RetryMaxAttempts 30); EKS User Guide, private-clusters".into();
        }
        steps.push(s);

        let route = self.kubelet_route(node);
        let xenis: Vec<String> = c.xenis.iter().map(|x| x.primary_ip.to_string()).collect();
        let xeni = self.nearest_xeni_of(node);
        let (mut resolve, mut connect) = match &route {
            ApiRoute::Fails {
                title,
                detail,
                message,
                source,
            } if *title == "Resolve the endpoint" => {
                let mut r = step(title, StepStatus::Failed, detail.clone(), source);
                r.message = Some(message.clone());
                (
                    r,
                    step(
                        "Connect to the API server (TCP 443)",
                        StepStatus::NotReached,
                        String::new(),
                        "",
                    ),
                )
            }
            ApiRoute::Fails {
                title,
                detail,
                message,
                source,
            } => {
                let r = step(
                    "Resolve the endpoint",
                    StepStatus::Ok,
                    format!("{host} resolves to the public endpoint's addresses"),
                    "EKS User Guide, cluster-endpoint.adoc",
                );
                let mut k = step(title, StepStatus::Failed, detail.clone(), source);
                k.message = Some(message.clone());
                k.place = Some(Place::Outside);
                (r, k)
            }
            ApiRoute::Xeni { resolved } => {
                let r = step(
                    "Resolve the endpoint",
                    StepStatus::Ok,
                    format!("{resolved}: {host} → {}", xenis.join(", ")),
                    "EKS User Guide, cluster-endpoint.adoc",
                );
                let (xip, xsubnet, xaz) = xeni
                    .map(|x| {
                        let s = self.vpc.subnets.get(&x.subnet);
                        (
                            x.primary_ip.to_string(),
                            s.map(|s| s.name.clone()).unwrap_or_default(),
                            s.map(|s| s.az.clone()).unwrap_or_default(),
                        )
                    })
                    .unwrap_or_default();
                let cross = if xaz != az && !xaz.is_empty() {
                    format!(" (no X-ENI in {az}: EKS put its two in two of the cluster subnets' AZs, so this crosses AZs)")
                } else {
                    String::new()
                };
                let mut k = step("Connect to the API server (TCP 443)", StepStatus::Ok, format!("eth0 {ip} → the VPC router (local route) → X-ENI {xip} in {xsubnet}{cross}: a requester-managed ENI in your account and subnet, with the cluster security group, attached to an instance in the EKS account → kube-apiserver"), "EKS User Guide, network-reqs.adoc; sec-group-reqs.adoc (TCP 443); EC2 User Guide, requester-managed network interfaces");
                k.place = xeni.map(|x| Place::XEni { eni: x.id });
                if !c.rules.api_443 {
                    k.status = StepStatus::Failed;
                    k.detail = format!("the cluster security group on the X-ENIs does not allow TCP 443 from the nodes: {ip} → {xip}:443 is dropped");
                    k.message = Some(format!("dial tcp {xip}:443: i/o timeout"));
                }
                (r, k)
            }
            ApiRoute::Public { why, way } => {
                let mut r = step(
                    "Resolve the endpoint",
                    StepStatus::Ok,
                    format!("{why}: {host} resolves to the public endpoint (AWS-owned addresses)"),
                    "EKS User Guide, cluster-endpoint.adoc",
                );
                if c.endpoint == EndpointAccess::PublicAndPrivate {
                    r.status = StepStatus::Warning;
                    r.message = Some("private endpoint unused: in-VPC traffic would use the X-ENIs if the VPC's private hosted zone answered (enableDnsSupport, enableDnsHostnames and AmazonProvidedDNS)".into());
                    r.source = "EKS User Guide, cluster-endpoint.adoc (enableDnsHostnames, enableDnsSupport)".into();
                }
                let mut k = step("Connect to the API server (TCP 443)", StepStatus::Ok, format!("eth0 {ip} → {} → the public endpoint: the request leaves the VPC but not Amazon's network", way_text(way)), "EKS User Guide, cluster-endpoint.adoc; Amazon VPC User Guide, NAT gateways, internet gateways");
                k.place = Some(Place::Outside);
                (r, k)
            }
        };
        resolve.place = Some(Place::Node { node: node.id });
        resolve.gates_join = true;
        connect.gates_join = true;
        if connect.status == StepStatus::Ok {
            connect.detail += " (kubelet to API server over TLS, checked against the cluster CA)";
        }
        steps.push(resolve);
        steps.push(connect);

        let mut s = step(
            "Authenticate (IAM)",
            StepStatus::Ok,
            format!("the kubelet sends a token from `aws eks get-token --cluster-name {}` (a presigned STS URL, signed on the node: no STS call); under authentication mode {}, EKS maps the node role with {} to system:node:{dns_name} in system:nodes", c.name, c.auth_mode, c.node_access),
            "AMI nodeadm kubeconfig.template.yaml; EKS User Guide, grant-k8s-access.adoc, auth-configmap.adoc",
        );
        s.place = Some(Place::ControlPlane);
        s.gates_join = true;
        if !c.node_known() {
            s.status = StepStatus::Failed;
            s.detail = match (c.node_access, c.auth_mode) {
                (NodeAccess::None, _) => "the token is valid IAM, but no access entry and no aws-auth mapping names the node role: the API server does not know who it is".into(),
                (NodeAccess::AccessEntry, AuthMode::ConfigMap) => "the node role has an access entry, but the authentication mode is CONFIG_MAP: access entries do not count, only aws-auth".into(),
                (_, _) => "the node role is mapped only in the aws-auth ConfigMap, but the authentication mode is API: aws-auth is ignored, only access entries count".into(),
            };
            s.message = Some(format!(
                "Unable to register node \"{}\" with API server: Unauthorized",
                node.name
            ));
            s.source = "EKS User Guide, grant-k8s-access.adoc (authentication modes); troubleshooting.adoc".into();
        }
        steps.push(s);
        let mut s = step(
            "Register the node",
            StepStatus::Ok,
            format!(
                "kubectl get nodes lists {} (NotReady until its CNI runs)",
                node.name
            ),
            "Kubernetes kubelet node registration",
        );
        s.place = Some(Place::Node { node: node.id });
        steps.push(s);

        let mut pull = self.pull_step(node);
        if node.registered && node.image_error.is_none() {
            // Pulled at boot: the images are on the node now.
            pull.status = StepStatus::Ok;
            pull.message = None;
        } else if let Some(e) = &node.image_error {
            pull.status = StepStatus::Failed;
            pull.message = Some(e.clone());
        }
        steps.push(pull);

        let cni = self.cni.strategy().on_boot();
        let mut s = step(
            "Start the CNI",
            StepStatus::Ok,
            format!("{cni}; the kubelet reports Ready"),
            "CNI docs (per plugin); Kubernetes node conditions",
        );
        s.place = Some(Place::Node { node: node.id });
        if let Some(reason) = &node.not_ready {
            s.status = StepStatus::Failed;
            s.detail = format!("{cni}, but it cannot start: the node stays NotReady");
            s.message = Some(reason.clone());
        } else if node.image_error.is_some() {
            s.status = StepStatus::Failed;
            s.detail = format!("the {} pod is in ImagePullBackOff, so no CNI config is written: the node stays NotReady", self.cni.strategy().daemonset());
            s.message = Some(crate::sandbox::NETWORK_NOT_READY.into());
        }
        steps.push(s);

        let signed_at = node.registered_at_ms.saturating_add(SERVING_CERT_MS);
        let mut s = step(
            "Serving certificate (CSR)",
            StepStatus::Ok,
            format!("the kubelet asked for a serving certificate (a kubernetes.io/kubelet-serving CSR for {dns_name} and {ip}); EKS's eks-certificate-controller approved and signed it"),
            "re:Post, \"Kubelet Server Certificate Untaint\" (\"can take up to 60 seconds\"); Kubernetes docs, kubelet TLS bootstrapping",
        );
        s.place = Some(Place::ControlPlane);
        let mut cert_pending = false;
        if node.registered && self.now_ms < signed_at {
            cert_pending = true;
            s.status = StepStatus::Warning;
            s.detail = format!("the kubelet's serving certificate CSR is not signed yet (EKS signs it within 60 s of registration; {} s to go): until then the API server cannot open TLS to the kubelet, so kubectl exec and logs fail", (signed_at - self.now_ms).div_ceil(1000));
            s.message = Some(format!("Error from server: Get \"https://{ip}:10250/containerLogs/…\": remote error: tls: internal error"));
        }
        steps.push(s);

        let (xip, xeni_place) = xeni
            .map(|x| (x.primary_ip.to_string(), Some(Place::XEni { eni: x.id })))
            .unwrap_or_default();
        let mut s = step(
            "API server → kubelet (kubectl exec, logs)",
            StepStatus::Ok,
            format!("the control plane reaches {ip}:10250 from X-ENI {xip}, whatever the endpoint access: the X-ENIs carry exec, logs and proxy traffic"),
            "EKS User Guide, network-reqs.adoc; sec-group-reqs.adoc (TCP 10250)",
        );
        s.place = xeni_place;
        if !c.rules.kubelet_10250 {
            s.status = StepStatus::Warning;
            s.detail = "the node's security group does not allow TCP 10250 from the cluster security group: the node works, but kubectl exec and logs to it time out".to_owned();
            s.message = Some(format!(
                "Error from server: error dialing backend: dial tcp {ip}:10250: i/o timeout"
            ));
        } else if cert_pending {
            s.status = StepStatus::Warning;
            s.detail += "; TLS waits for the serving certificate above";
        }
        steps.push(s);
        // Steps after a failure are not reached.
        let mut failed = false;
        for s in &mut steps {
            if failed {
                s.status = StepStatus::NotReached;
            } else if s.status == StepStatus::Failed {
                failed = true;
            }
        }
        Ok(Join {
            node: node.name.clone(),
            joined: !failed && node.registered && node.ready(),
            endpoint: format!("https://{host}"),
            via_xeni: matches!(route, ApiRoute::Xeni { .. }),
            steps,
        })
    }

    /// The X-ENI in `node`'s AZ, else the first.
    pub(crate) fn nearest_xeni_of(&self, n: &Node) -> Option<&crate::eni::Eni> {
        let c = self.cluster.as_ref()?;
        let az = self.vpc.subnets.get(&n.subnet).map(|s| s.az.as_str());
        c.xenis
            .iter()
            .find(|x| self.vpc.subnets.get(&x.subnet).map(|s| s.az.as_str()) == az)
            .or_else(|| c.xenis.first())
    }
}

/// The ", through the NAT gateway …" tail of a reach through the internet.
fn way_tail(via: &str) -> String {
    via.split_once("public address,")
        .map(|(_, tail)| format!(",{tail}"))
        .unwrap_or_default()
}
