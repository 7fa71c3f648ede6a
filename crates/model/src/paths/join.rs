//! How a node joins the control plane, step by step, and the first step
//! that fails (domain-facts §4 "Node join", "Endpoint access modes").

use serde::{Deserialize, Serialize};

use super::{Place, TraceError};
use crate::cluster::{EndpointAccess, Node, NodeAccess};
use crate::cni::CniMode;
use crate::sandbox::Sandbox;

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
    }
}

impl Sandbox {
    /// How the node called `reference` (kubectl name or id) joins.
    ///
    /// # Errors
    /// [`TraceError::UnknownEndpoint`] for an unknown node,
    /// [`TraceError::NoCluster`] without a cluster.
    pub fn join(&self, reference: &str) -> Result<Join, TraceError> {
        let r = reference.trim();
        let node = self
            .nodes
            .values()
            .find(|n| n.name == r || n.id.to_string() == r)
            .ok_or_else(|| TraceError::UnknownEndpoint {
                reference: r.to_owned(),
            })?;
        self.join_steps(node)
    }

    /// The API server's endpoint name (an example ID; the region from the
    /// cluster subnets' AZ).
    pub fn api_endpoint(&self) -> String {
        let Some(c) = &self.cluster else {
            return String::new();
        };
        let region = c
            .subnets
            .first()
            .and_then(|s| self.vpc.subnets.get(s))
            .map(|s| {
                s.az.trim_end_matches(|ch: char| ch.is_ascii_alphabetic())
                    .to_owned()
            })
            .unwrap_or_default();
        // FNV-1a of the name: a stable 32-hex-digit ID like EKS's.
        let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        for b in c.name.bytes() {
            h ^= u128::from(b);
            h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
        format!("{h:032X}.gr7.{region}.eks.amazonaws.com")
    }

    /// The first failing step of `node`'s way to the API server (resolve,
    /// connect, authenticate), as the kubelet says it.
    pub(crate) fn join_failure(&self, node: &Node) -> Option<String> {
        let join = self.join_steps(node).ok()?;
        join.steps
            .iter()
            .take(5)
            .find(|s| s.status == StepStatus::Failed)
            .and_then(|s| s.message.clone())
    }

    fn join_steps(&self, node: &Node) -> Result<Join, TraceError> {
        let c = self.cluster.as_ref().ok_or(TraceError::NoCluster)?;
        let host = self.api_endpoint();
        let ip = node.ip().map(|i| i.to_string()).unwrap_or_default();
        let subnet = self.vpc.subnets.get(&node.subnet);
        let (subnet_name, az) = subnet.map_or((String::new(), String::new()), |s| {
            (format!("{} ({})", s.name, s.cidr), s.az.clone())
        });
        let resolver = self
            .vpc
            .cidrs
            .first()
            .map(|b| std::net::Ipv4Addr::from(u32::from(b.network()) + 2).to_string())
            .unwrap_or_default();
        let xenis: Vec<String> = c.xenis.iter().map(|x| x.primary_ip.to_string()).collect();
        let mut steps = Vec::new();
        let mut s = step(
            "Launch the instance",
            StepStatus::Ok,
            format!("{} in {subnet_name}, {az}: EC2 creates its primary ENI eth0 with {ip}, the node IP", node.instance_type),
            "EC2; CNI misc/eni-max-pods.txt (the primary IP of eth0 is the node IP)",
        );
        s.place = node.ipam.enis.first().map(|e| Place::Eni { eni: e.id });
        steps.push(s);
        steps.push(step(
            "Bootstrap (nodeadm)",
            StepStatus::Ok,
            format!("NodeConfig: cluster.name {}, apiServerEndpoint https://{host}, certificateAuthority, cidr {} (the service CIDR)", c.name, c.service_cidr()),
            "AMI nodeadm/doc/api.md",
        ));
        // Which way the name resolves decides the path.
        // A private-only endpoint has no public way in; with both, the
        // private way needs the VPC's DNS hostnames.
        let private = match c.endpoint {
            EndpointAccess::Public => false,
            EndpointAccess::PublicAndPrivate => self.vpc.dns_hostnames,
            EndpointAccess::Private => true,
        };
        let mut s = match (c.endpoint, self.vpc.dns_hostnames) {
            (EndpointAccess::Public, _) => step("Resolve the endpoint", StepStatus::Ok, format!("{host} resolves to the public endpoint (AWS-owned addresses): the endpoint is public only"), "EKS User Guide, cluster-endpoint.adoc"),
            (_, true) => step("Resolve the endpoint", StepStatus::Ok, format!("inside the VPC, {host} resolves to the X-ENIs' IPs {} (the Route 53 private hosted zone EKS associates with the VPC)", xenis.join(", ")), "EKS User Guide, cluster-endpoint.adoc"),
            (EndpointAccess::PublicAndPrivate, false) => {
                let mut s = step("Resolve the endpoint", StepStatus::Warning, format!("the VPC has DNS hostnames off, so the private hosted zone does not answer: {host} resolves to the public endpoint and the node goes out of the VPC to reach it"), "EKS User Guide, cluster-endpoint.adoc (enableDnsHostnames, enableDnsSupport)");
                s.message = Some("private endpoint unused: turn on enableDnsHostnames for in-VPC traffic to use the X-ENIs".into());
                s
            }
            (EndpointAccess::Private, false) => {
                let mut s = step("Resolve the endpoint", StepStatus::Failed, "the endpoint is private only and the VPC has DNS hostnames off: the private hosted zone does not answer, so the kubelet cannot find the API server (\"Otherwise, nodes can't register\")".to_owned(), "EKS User Guide, network-reqs.adoc, cluster-endpoint.adoc");
                s.message = Some(format!("dial tcp: lookup {host} on {resolver}:53: no such host"));
                s
            }
        };
        s.place = Some(Place::Node { node: node.id });
        steps.push(s);
        let xeni = c.xenis.first();
        let mut s = if private {
            let (xip, xsubnet) = xeni
                .map(|x| {
                    (
                        x.primary_ip.to_string(),
                        self.vpc
                            .subnets
                            .get(&x.subnet)
                            .map(|s| s.name.clone())
                            .unwrap_or_default(),
                    )
                })
                .unwrap_or_default();
            let mut s = step("Connect to the API server (TCP 443)", StepStatus::Ok, format!("eth0 {ip} → the VPC router (local route) → X-ENI {xip} in {xsubnet}, a cross-account ENI with the cluster security group → kube-apiserver in the AWS-managed VPC"), "EKS User Guide, network-reqs.adoc; sec-group-reqs.adoc (TCP 443)");
            s.place = xeni.map(|x| Place::XEni { eni: x.id });
            if !c.rules.api_443 {
                s.status = StepStatus::Failed;
                s.detail = format!("the cluster security group on the X-ENIs does not allow TCP 443 from the nodes: {ip} → {xip}:443 is dropped");
                s.message = Some(format!("dial tcp {xip}:443: i/o timeout"));
            }
            s
        } else {
            let mut s = step("Connect to the API server (TCP 443)", StepStatus::Ok, format!("eth0 {ip} → the subnet's route to a NAT gateway or internet gateway → the public endpoint: the request leaves the VPC but not Amazon's network"), "EKS User Guide, cluster-endpoint.adoc");
            s.place = Some(Place::Outside);
            s
        };
        if s.status == StepStatus::Ok {
            s.detail += " (kubelet to API server over TLS, checked against the cluster CA)";
        }
        steps.push(s);
        let mut s = step(
            "Authenticate (IAM)",
            StepStatus::Ok,
            format!("the kubelet sends a token from `aws eks get-token --cluster-name {}`; EKS maps the node role with {} to system:node:{{{{EC2PrivateDNSName}}}} in system:nodes", c.name, c.node_access),
            "AMI nodeadm kubeconfig.template.yaml; EKS User Guide, grant-k8s-access.adoc, auth-configmap.adoc",
        );
        s.place = Some(Place::ControlPlane);
        if c.node_access == NodeAccess::None {
            s.status = StepStatus::Failed;
            s.detail = "the token is valid IAM, but no access entry and no aws-auth mapping names the node role: the API server does not know who it is".into();
            s.message = Some(format!(
                "Unable to register node \"{}\" with API server: Unauthorized",
                node.name
            ));
            s.source = "EKS User Guide, troubleshooting.adoc".into();
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
        let cni = match &self.cni {
            CniMode::AwsVpcCni(_) => "aws-node starts ipamd, which attaches ENIs and keeps warm IPs",
            CniMode::Flannel(_) => "kube-flannel reads the node's podCIDR from kube-controller-manager and sets up flannel.1 and cni0",
            CniMode::Cilium(_) => "the cilium agent waits for the podCIDR the cilium-operator gives the node",
            CniMode::Calico(_) => "calico-node takes its tunnel address; blocks come as pods arrive",
            CniMode::CiliumEni(_) => "the cilium-operator allocates the node's ENI addresses (pre-allocate)",
        };
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
            via_xeni: private,
            steps,
        })
    }
}
