//! The VPC: its CIDR blocks and its subnets, each in one Availability Zone
//! with its own address pool.
//!
//! Rules: Amazon VPC User Guide, `vpc-cidr-blocks.md` (blocks, association
//! restrictions), `subnet-sizing.md` (sizes, reservations),
//! `configure-subnets.md` (one AZ per subnet), `amazon-vpc-limits.md` (quotas).

use std::collections::BTreeMap;
use std::fmt;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::addr::{
    overlaps, parse_cidr, parse_subnet_cidr, CidrError, SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN,
};
use crate::ids::SubnetId;
use crate::ipam::IpPool;

/// IPv4 CIDR blocks per VPC, primary included (default quota; adjustable to 50).
pub const MAX_VPC_CIDRS: usize = 5;

/// A subnet: a block of the VPC in one Availability Zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    /// Its id.
    pub id: SubnetId,
    /// Its name (the `Name` tag), unique in the VPC.
    pub name: String,
    /// Its block.
    pub cidr: Ipv4Net,
    /// Its Availability Zone, e.g. `eu-west-1a`.
    pub az: String,
    /// Tagged `kubernetes.io/role/cni=1`: the VPC CNI's subnet discovery may
    /// put pod ENIs here (CNI `isSubnetValidForENICreation`).
    pub cni_tag: bool,
    /// Who holds which of its addresses.
    pub pool: IpPool,
    /// Where its route table sends `0.0.0.0/0` (a new subnet has only the
    /// local route).
    #[serde(default)]
    pub route: crate::egress::Route,
}

/// A VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    /// CIDR blocks, the primary first.
    pub cidrs: Vec<Ipv4Net>,
    /// Subnets by id.
    pub subnets: BTreeMap<SubnetId, Subnet>,
    /// `enableDnsHostnames` (and `enableDnsSupport`): the private endpoint's
    /// Route 53 private hosted zone needs them (EKS User Guide,
    /// cluster-endpoint.adoc, network-reqs.adoc).
    #[serde(default = "yes")]
    pub dns_hostnames: bool,
    /// `enableDnsSupport`: the Route 53 Resolver at the VPC base + 2 answers.
    /// Off, nothing resolves through it — not the API server, not EC2, not
    /// ECR (VPC User Guide, DNS attributes).
    #[serde(default = "yes")]
    pub dns_support: bool,
    /// The DHCP option set: which DNS servers and domain name instances get.
    #[serde(default)]
    pub dhcp: crate::egress::DhcpOptions,
    /// An internet gateway is attached.
    #[serde(default)]
    pub internet_gateway: bool,
    /// NAT gateways, each in a public subnet.
    #[serde(default)]
    pub nat_gateways: Vec<crate::egress::NatGateway>,
    /// VPC endpoints.
    #[serde(default)]
    pub endpoints: Vec<crate::egress::VpcEndpoint>,
    /// Read from a scenario written before podnet modelled route tables
    /// (format 1): every subnet is assumed to have a way out.
    #[serde(default)]
    pub assume_egress: bool,
}

fn yes() -> bool {
    true
}

impl Default for Vpc {
    /// No blocks yet; DNS attributes on, the default DHCP option set, no
    /// gateways, no endpoints (what `CreateVpc` gives, with DNS hostnames
    /// on as EKS needs).
    fn default() -> Self {
        Self {
            cidrs: Vec::new(),
            subnets: BTreeMap::new(),
            dns_hostnames: true,
            dns_support: true,
            dhcp: crate::egress::DhcpOptions::default(),
            internet_gateway: false,
            nat_gateways: Vec::new(),
            endpoints: Vec::new(),
            assume_egress: false,
        }
    }
}

/// A VPC or subnet change AWS would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum VpcError {
    /// The CIDR text is not usable.
    Cidr(CidrError),
    /// A VPC block outside `/16`–`/28`.
    VpcCidrSize {
        /// The block.
        cidr: Ipv4Net,
    },
    /// A new VPC block overlaps one the VPC has.
    VpcCidrOverlap {
        /// The new block.
        cidr: Ipv4Net,
        /// The existing block.
        existing: Ipv4Net,
    },
    /// The VPC already has its quota of blocks.
    TooManyVpcCidrs {
        /// The block refused.
        cidr: Ipv4Net,
    },
    /// A block AWS never lets a VPC use, or not beside the primary block.
    RestrictedVpcCidr {
        /// The block.
        cidr: Ipv4Net,
        /// Why.
        reason: String,
    },
    /// A subnet outside every VPC block.
    SubnetOutsideVpc {
        /// The subnet block.
        cidr: Ipv4Net,
        /// The VPC's blocks.
        vpc: Vec<Ipv4Net>,
    },
    /// A subnet overlapping another.
    SubnetOverlap {
        /// The new block.
        cidr: Ipv4Net,
        /// The subnet it overlaps.
        existing: String,
        /// That subnet's block.
        existing_cidr: Ipv4Net,
    },
    /// A subnet name already used.
    DuplicateSubnetName {
        /// The name.
        name: String,
    },
    /// A subnet name that would make a reference ambiguous: empty, or a
    /// CIDR other than the subnet's own, or another subnet's CIDR.
    AmbiguousSubnetName {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// A subnet with no Availability Zone.
    MissingAz {
        /// The subnet block.
        cidr: Ipv4Net,
    },
}

impl fmt::Display for VpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cidr(e) => e.fmt(f),
            Self::VpcCidrSize { cidr } => write!(
                f,
                "VPC block {cidr} is a /{}: AWS allows VPC blocks from /{SUBNET_PREFIX_MIN} to /{SUBNET_PREFIX_MAX}",
                cidr.prefix_len()
            ),
            Self::VpcCidrOverlap { cidr, existing } => {
                write!(f, "VPC block {cidr} overlaps the VPC's block {existing}")
            }
            Self::TooManyVpcCidrs { cidr } => write!(
                f,
                "cannot add {cidr}: the VPC already has {MAX_VPC_CIDRS} IPv4 blocks, the default quota (primary included)"
            ),
            Self::RestrictedVpcCidr { cidr, reason } => write!(f, "cannot add {cidr} to the VPC: {reason}"),
            Self::SubnetOutsideVpc { cidr, vpc } => {
                let blocks: Vec<String> = vpc.iter().map(ToString::to_string).collect();
                write!(f, "subnet {cidr} is outside the VPC's blocks ({})", blocks.join(", "))
            }
            Self::SubnetOverlap { cidr, existing, existing_cidr } => {
                write!(f, "subnet {cidr} overlaps subnet {existing} ({existing_cidr})")
            }
            Self::DuplicateSubnetName { name } => write!(f, "a subnet named {name} already exists"),
            Self::AmbiguousSubnetName { name, reason } => {
                write!(f, "subnet name {name:?} refused: {reason}")
            }
            Self::MissingAz { cidr } => {
                write!(f, "subnet {cidr} needs an Availability Zone: each subnet lives in exactly one")
            }
        }
    }
}

impl std::error::Error for VpcError {}

impl From<CidrError> for VpcError {
    fn from(e: CidrError) -> Self {
        Self::Cidr(e)
    }
}

impl Vpc {
    /// A VPC with its primary block.
    ///
    /// # Errors
    /// A malformed block, or one outside `/16`–`/28`.
    pub fn new(primary: &str) -> Result<Self, VpcError> {
        let cidr = vpc_block(primary)?;
        Ok(Self {
            cidrs: vec![cidr],
            subnets: BTreeMap::new(),
            ..Self::default()
        })
    }

    /// Checks a secondary block against AWS's rules without adding it.
    ///
    /// # Errors
    /// Size, overlap, quota or association restriction (VPC User Guide,
    /// "IPv4 CIDR block association restrictions").
    pub fn check_secondary_cidr(&self, input: &str) -> Result<Ipv4Net, VpcError> {
        let cidr = vpc_block(input)?;
        if self.cidrs.len() >= MAX_VPC_CIDRS {
            return Err(VpcError::TooManyVpcCidrs { cidr });
        }
        if let Some(existing) = self.cidrs.iter().find(|c| overlaps(**c, cidr)) {
            return Err(VpcError::VpcCidrOverlap {
                cidr,
                existing: *existing,
            });
        }
        if let Some(reason) = self
            .cidrs
            .first()
            .and_then(|p| association_restriction(*p, cidr))
        {
            return Err(VpcError::RestrictedVpcCidr { cidr, reason });
        }
        Ok(cidr)
    }

    /// Checks a new subnet without adding it.
    ///
    /// # Errors
    /// A bad CIDR, a missing AZ, a block outside the VPC, an overlap, or a
    /// name already used.
    pub fn check_subnet(&self, name: &str, input: &str, az: &str) -> Result<Ipv4Net, VpcError> {
        let cidr = parse_subnet_cidr(input)?;
        if az.trim().is_empty() {
            return Err(VpcError::MissingAz { cidr });
        }
        if !self.cidrs.iter().any(|c| c.contains(&cidr)) {
            return Err(VpcError::SubnetOutsideVpc {
                cidr,
                vpc: self.cidrs.clone(),
            });
        }
        if let Some(s) = self.subnets.values().find(|s| overlaps(s.cidr, cidr)) {
            return Err(VpcError::SubnetOverlap {
                cidr,
                existing: s.name.clone(),
                existing_cidr: s.cidr,
            });
        }
        if self.subnets.values().any(|s| s.name == name) {
            return Err(VpcError::DuplicateSubnetName {
                name: name.to_owned(),
            });
        }
        // Commands refer to a subnet by name or by CIDR: a name must not be
        // empty, nor look like another block, nor be taken as another
        // subnet's CIDR (or a node "in 10.0.3.0/24" could land elsewhere).
        let ambiguous = |reason: String| VpcError::AmbiguousSubnetName {
            name: name.chars().take(60).collect(),
            reason,
        };
        if name.trim().is_empty() {
            return Err(ambiguous(
                "a subnet needs a name to be referred to (leave it out to use its CIDR)".into(),
            ));
        }
        if let Ok(as_cidr) = name.parse::<Ipv4Net>() {
            if as_cidr != cidr {
                return Err(ambiguous(format!(
                    "it is a CIDR, {as_cidr}, other than the subnet's own block {cidr}"
                )));
            }
        }
        if let Some(s) = self.subnets.values().find(|s| s.cidr.to_string() == name) {
            return Err(ambiguous(format!("it is the CIDR of subnet {}", s.name)));
        }
        if let Some(s) = self.subnets.values().find(|s| s.name == cidr.to_string()) {
            return Err(ambiguous(format!(
                "subnet {} is named after this block",
                s.name
            )));
        }
        Ok(cidr)
    }

    /// The subnet called `reference` (by name, else by CIDR).
    pub fn find_subnet(&self, reference: &str) -> Option<&Subnet> {
        let r = reference.trim();
        self.subnets
            .values()
            .find(|s| s.name == r)
            .or_else(|| self.subnets.values().find(|s| s.cidr.to_string() == r))
    }

    /// Availability Zones that have subnets, sorted.
    pub fn azs(&self) -> Vec<String> {
        let mut azs: Vec<String> = self.subnets.values().map(|s| s.az.clone()).collect();
        azs.sort_unstable();
        azs.dedup();
        azs
    }
}

fn vpc_block(input: &str) -> Result<Ipv4Net, VpcError> {
    let cidr = parse_cidr(input)?;
    if !(SUBNET_PREFIX_MIN..=SUBNET_PREFIX_MAX).contains(&cidr.prefix_len()) {
        return Err(VpcError::VpcCidrSize { cidr });
    }
    Ok(cidr)
}

fn block(s: &str) -> Ipv4Net {
    s.parse().unwrap_or_default()
}

/// The VPC User Guide's association restrictions, by the primary block's range.
fn association_restriction(primary: Ipv4Net, cidr: Ipv4Net) -> Option<String> {
    let rfc1918 = [
        block("10.0.0.0/8"),
        block("172.16.0.0/12"),
        block("192.168.0.0/16"),
    ];
    if overlaps(block("169.254.0.0/16"), cidr) {
        return Some("169.254.0.0/16 (link-local) can never be used in a VPC".into());
    }
    let home = rfc1918.iter().find(|r| r.contains(&primary))?;
    let other_private = rfc1918.iter().any(|r| r != home && overlaps(*r, cidr));
    if other_private || overlaps(block("198.19.0.0/16"), cidr) {
        return Some(format!(
            "a VPC whose primary block {primary} is in {home} cannot add blocks from the other RFC 1918 ranges or 198.19.0.0/16; 100.64.0.0/10 (CG-NAT space) is allowed"
        ));
    }
    if *home == block("172.16.0.0/12") && overlaps(block("172.31.0.0/16"), cidr) {
        return Some("a VPC in 172.16.0.0/12 cannot add 172.31.0.0/16".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vpc() -> Vpc {
        let mut v = Vpc::new("10.10.0.0/16").unwrap();
        let cidr = v
            .check_subnet("nodes-a", "10.10.1.0/24", "eu-west-1a")
            .unwrap();
        let id = SubnetId(1);
        v.subnets.insert(
            id,
            Subnet {
                id,
                name: "nodes-a".into(),
                cidr,
                az: "eu-west-1a".into(),
                cni_tag: false,
                pool: IpPool::new(cidr),
                route: crate::egress::Route::Local,
            },
        );
        v
    }

    #[test]
    fn subnet_errors_name_the_blocks() {
        let v = vpc();
        for (cidr, az, message) in [
            (
                "10.10.1.128/25",
                "eu-west-1a",
                "subnet 10.10.1.128/25 overlaps subnet nodes-a (10.10.1.0/24)",
            ),
            (
                "10.11.0.0/24",
                "eu-west-1a",
                "subnet 10.11.0.0/24 is outside the VPC's blocks (10.10.0.0/16)",
            ),
            (
                "10.10.2.0/24",
                " ",
                "subnet 10.10.2.0/24 needs an Availability Zone: each subnet lives in exactly one",
            ),
        ] {
            assert_eq!(
                v.check_subnet("x", cidr, az).unwrap_err().to_string(),
                message
            );
        }
        assert_eq!(
            v.check_subnet("nodes-a", "10.10.2.0/24", "eu-west-1a")
                .unwrap_err()
                .to_string(),
            "a subnet named nodes-a already exists"
        );
    }

    #[test]
    fn secondary_blocks_follow_the_association_restrictions() {
        let v = vpc();
        assert!(v.check_secondary_cidr("100.64.0.0/16").is_ok());
        assert!(v.check_secondary_cidr("10.20.0.0/16").is_ok());
        let err = v
            .check_secondary_cidr("192.168.0.0/16")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot add 192.168.0.0/16 to the VPC: a VPC whose primary block 10.10.0.0/16 is in 10.0.0.0/8"), "{err}");
        assert_eq!(
            v.check_secondary_cidr("10.10.128.0/17")
                .unwrap_err()
                .to_string(),
            "VPC block 10.10.128.0/17 overlaps the VPC's block 10.10.0.0/16"
        );
        assert_eq!(
            v.check_secondary_cidr("100.64.0.0/10")
                .unwrap_err()
                .to_string(),
            "VPC block 100.64.0.0/10 is a /10: AWS allows VPC blocks from /16 to /28"
        );
    }

    #[test]
    fn find_subnet_matches_a_name_or_a_cidr() {
        let v = vpc();
        assert_eq!(v.find_subnet("nodes-a").map(|s| s.id), Some(SubnetId(1)));
        assert_eq!(
            v.find_subnet("10.10.1.0/24").map(|s| s.id),
            Some(SubnetId(1))
        );
        assert!(v.find_subnet("nope").is_none());
    }
}
