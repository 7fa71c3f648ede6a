//! A VPC's ways out and its name service: each subnet's route table, the
//! internet gateway, NAT gateways, VPC endpoints, the DNS attributes and the
//! DHCP options. Together they decide whether a node reaches the API
//! server, EC2 and ECR — the commonest reasons a node of a private cluster
//! does not join (EKS User Guide, troubleshooting "Nodes fail to join
//! cluster"; private-clusters).
//!
//! Sources: Amazon VPC User Guide, route tables ("every route table contains
//! a local route"; a new subnet uses the main route table, which has only
//! it), internet gateways, NAT gateways ("you must create the NAT gateway in
//! a public subnet", "associate an Elastic IP address"), DNS attributes
//! (`enableDnsSupport`, `enableDnsHostnames`), DHCP option sets
//! (`AmazonProvidedDNS`, `domain-name`); AWS PrivateLink guide, "To use
//! private DNS, you must enable both DNS hostnames and DNS resolution";
//! Amazon ECR User Guide, interface VPC endpoints (`ecr.api`, `ecr.dkr`,
//! and the S3 gateway endpoint for image layers).

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::ids::{EniId, SubnetId};

/// Where a subnet's route table sends `0.0.0.0/0`. Every route table also
/// has the `local` route for the VPC's blocks (VPC User Guide, route tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "to", rename_all = "kebab-case")]
pub enum Route {
    /// Only the local route: the main route table of a new VPC. Nothing
    /// leaves the VPC (a private subnet without NAT).
    #[default]
    Local,
    /// `0.0.0.0/0 → igw-…`: a public subnet. Its instances reach the
    /// internet with a public IPv4 address.
    InternetGateway,
    /// `0.0.0.0/0 → nat-…`: a private subnet behind the NAT gateway in the
    /// subnet `via`.
    NatGateway {
        /// The (public) subnet the NAT gateway is in.
        via: SubnetId,
    },
}

/// A NAT gateway: an ENI with a private IP in a public subnet and an Elastic
/// IP; it translates private sources to that Elastic IP (VPC User Guide, NAT
/// gateways).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatGateway {
    /// The subnet it is in.
    pub subnet: SubnetId,
    /// Its network interface (requester-managed, like an X-ENI).
    pub eni: EniId,
    /// Its private IP in that subnet.
    pub private_ip: Ipv4Addr,
    /// Its Elastic IP: what the internet, and the API server's public access
    /// CIDRs, see.
    pub public_ip: Ipv4Addr,
}

/// An AWS service a node of a private cluster reaches through a VPC
/// endpoint (EKS User Guide, private-clusters, "VPC endpoints").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AwsService {
    /// `com.amazonaws.<region>.ec2`: nodeadm's `DescribeInstances` (the node
    /// name) and ipamd's ENI calls.
    Ec2,
    /// `com.amazonaws.<region>.ecr.api`: the kubelet's ECR credential
    /// provider (`GetAuthorizationToken`).
    #[serde(rename = "ecr.api")]
    EcrApi,
    /// `com.amazonaws.<region>.ecr.dkr`: the registry images are pulled from.
    #[serde(rename = "ecr.dkr")]
    EcrDkr,
    /// `com.amazonaws.<region>.s3`, a gateway endpoint: ECR keeps image
    /// layers in S3.
    S3,
    /// `com.amazonaws.<region>.sts`: IAM roles for service accounts
    /// (`AssumeRoleWithWebIdentity`).
    Sts,
    /// `com.amazonaws.<region>.eks-auth`: EKS Pod Identity
    /// (`AssumeRoleForPodIdentity`).
    EksAuth,
}

impl AwsService {
    /// Every service, in the order the EKS User Guide lists them.
    pub const ALL: [Self; 6] = [
        Self::Ec2,
        Self::EcrApi,
        Self::EcrDkr,
        Self::S3,
        Self::Sts,
        Self::EksAuth,
    ];

    /// The endpoint's short name, as in `com.amazonaws.<region>.<name>`.
    pub fn short(self) -> &'static str {
        match self {
            Self::Ec2 => "ec2",
            Self::EcrApi => "ecr.api",
            Self::EcrDkr => "ecr.dkr",
            Self::S3 => "s3",
            Self::Sts => "sts",
            Self::EksAuth => "eks-auth",
        }
    }

    /// Parses [`AwsService::short`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.short() == text.trim())
    }

    /// The service's public name in `region`.
    pub fn host(self, region: &str) -> String {
        match self {
            Self::EcrApi => format!("api.ecr.{region}.amazonaws.com"),
            Self::EcrDkr => format!("{ECR_ACCOUNT}.dkr.ecr.{region}.amazonaws.com"),
            Self::S3 => format!("prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com"),
            Self::EksAuth => format!("eks-auth.{region}.api.aws"),
            _ => format!("{}.{region}.amazonaws.com", self.short()),
        }
    }

    /// A gateway endpoint (a route-table entry, no address in a subnet)
    /// rather than an interface endpoint (an ENI per subnet).
    pub fn is_gateway(self) -> bool {
        self == Self::S3
    }

    /// Who on a node needs it.
    pub fn needed_by(self) -> &'static str {
        match self {
            Self::Ec2 => "nodeadm asks DescribeInstances for the node's private DNS name (the node name); ipamd attaches ENIs and assigns IPs",
            Self::EcrApi => "the kubelet's ecr-credential-provider gets a registry token (GetAuthorizationToken)",
            Self::EcrDkr => "containerd pulls aws-node, kube-proxy and CoreDNS from the EKS registry",
            Self::S3 => "ECR serves image layers from S3 (a gateway endpoint: a route, no address)",
            Self::Sts => "pods using IAM roles for service accounts (AssumeRoleWithWebIdentity); not the join itself: the kubelet's token is signed locally",
            Self::EksAuth => "pods using EKS Pod Identity (the eks-pod-identity-agent); not the join itself",
        }
    }
}

impl fmt::Display for AwsService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

/// The account EKS's add-on images (aws-node, kube-proxy, CoreDNS) are in
/// for most Regions (EKS User Guide, "View Amazon container image
/// registries for Amazon EKS add-ons").
pub const ECR_ACCOUNT: &str = "602401143452";

/// A VPC endpoint: an interface endpoint has one ENI in each subnet it was
/// given (one per AZ); a gateway endpoint has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcEndpoint {
    /// The service.
    pub service: AwsService,
    /// Its ENIs: (subnet, ENI, private IP).
    pub enis: Vec<(SubnetId, EniId, Ipv4Addr)>,
}

/// Which DNS servers the VPC's DHCP option set hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DnsServers {
    /// `AmazonProvidedDNS`: the Route 53 Resolver at the VPC base + 2, which
    /// answers the VPC's private hosted zones (the default option set).
    #[default]
    AmazonProvided,
    /// Your own DNS servers: they resolve public names, but not the VPC's
    /// private hosted zones unless they forward to the Route 53 Resolver.
    Custom,
}

/// The VPC's DHCP option set (VPC User Guide, DHCP option sets).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct DhcpOptions {
    /// `domain-name-servers`.
    #[serde(default)]
    pub servers: DnsServers,
    /// `domain-name`, if not the Region's default (`<region>.compute.internal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
}

/// The longest DHCP `domain-name` podnet accepts (a DNS name's 253 characters).
pub const MAX_DOMAIN_NAME: usize = 253;

/// How a node's request leaves the VPC, if it can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WayOut {
    /// Through a NAT gateway: the source becomes its Elastic IP.
    Nat {
        /// The NAT gateway's subnet.
        subnet: SubnetId,
        /// Its Elastic IP.
        public_ip: Ipv4Addr,
    },
    /// Straight out of a public subnet with the instance's public IP.
    Internet {
        /// The instance's public IP.
        public_ip: Ipv4Addr,
    },
    /// A scenario written before podnet modelled route tables: every subnet
    /// is assumed to have a way out.
    Assumed,
}

impl WayOut {
    /// The source address the internet sees, if known.
    pub fn public_ip(&self) -> Option<Ipv4Addr> {
        match self {
            Self::Nat { public_ip, .. } | Self::Internet { public_ip } => Some(*public_ip),
            Self::Assumed => None,
        }
    }
}

/// Why a subnet has no way out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoWayOut {
    /// The route table has only the local route.
    LocalOnly,
    /// It routes to a NAT gateway whose own subnet has no route to the
    /// internet gateway.
    NatWithoutIgw {
        /// The NAT gateway's subnet name.
        nat_subnet: String,
    },
    /// It routes to a NAT gateway that no longer exists.
    NoNat,
}

impl fmt::Display for NoWayOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LocalOnly => f.write_str(
                "its route table has only the local route: no NAT gateway, no internet gateway",
            ),
            Self::NatWithoutIgw { nat_subnet } => write!(
                f,
                "its NAT gateway is in {nat_subnet}, which has no route to an internet gateway"
            ),
            Self::NoNat => {
                f.write_str("its route table points at a NAT gateway that does not exist")
            }
        }
    }
}

/// The example public addresses podnet gives Elastic IPs and instances'
/// public IPs: `203.0.113.0/24`, the documentation range (RFC 5737), so no
/// real address is shown.
pub fn example_public_ip(n: u32) -> Ipv4Addr {
    Ipv4Addr::new(
        203,
        0,
        113,
        u8::try_from(n.saturating_sub(1) % 254 + 1).unwrap_or(1),
    )
}
