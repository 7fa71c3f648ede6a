//! CIDR arithmetic under AWS's subnet rules.
//!
//! Pure functions on [`Ipv4Net`]: parsing a CIDR strictly (a network address,
//! not a host inside it), the `/16`–`/28` size rule, the five addresses AWS
//! keeps in every subnet, and overlap. Who holds which address is the
//! allocator's business, not this module's.
//!
//! Source for every rule here: Amazon VPC User Guide, "Subnet CIDR blocks"
//! (`doc_source/subnet-sizing.md`).

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

/// Addresses AWS keeps in every subnet: network, router (+1), DNS (+2), future (+3), broadcast.
pub const RESERVED_PER_SUBNET: u32 = 5;

/// The largest subnet AWS allows is a `/16` (VPC User Guide, subnet sizing).
pub const SUBNET_PREFIX_MIN: u8 = 16;

/// The smallest subnet AWS allows is a `/28` (VPC User Guide, subnet sizing).
pub const SUBNET_PREFIX_MAX: u8 = 28;

/// Why AWS keeps one of a subnet's five reserved addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReservedRole {
    /// The first address: the network address.
    NetworkAddress,
    /// Network + 1: the VPC router.
    VpcRouter,
    /// Network + 2: the Amazon-provided DNS server (AWS reserves base + 2 in every subnet).
    AmazonDns,
    /// Network + 3: reserved by AWS for future use.
    FutureUse,
    /// The last address: broadcast, which a VPC does not support, so AWS keeps it.
    Broadcast,
}

impl ReservedRole {
    /// All five roles, lowest address first.
    pub const ALL: [ReservedRole; 5] = [
        Self::NetworkAddress,
        Self::VpcRouter,
        Self::AmazonDns,
        Self::FutureUse,
        Self::Broadcast,
    ];

    /// How AWS describes this address, in the words of the VPC User Guide.
    pub fn description(self) -> &'static str {
        match self {
            Self::NetworkAddress => "network address",
            Self::VpcRouter => "reserved by AWS for the VPC router",
            Self::AmazonDns => "reserved by AWS for the Amazon DNS server",
            Self::FutureUse => "reserved by AWS for future use",
            Self::Broadcast => "network broadcast address (a VPC does not support broadcast)",
        }
    }

    /// A short label for tables and grid legends.
    pub fn short_label(self) -> &'static str {
        match self {
            Self::NetworkAddress => "network",
            Self::VpcRouter => "VPC router",
            Self::AmazonDns => "Amazon DNS",
            Self::FutureUse => "future use",
            Self::Broadcast => "broadcast",
        }
    }
}

/// One of the five addresses AWS keeps in a subnet, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservedAddress {
    /// The address.
    pub addr: Ipv4Addr,
    /// Why AWS keeps it.
    pub role: ReservedRole,
}

/// Number of addresses in `net`, reserved ones included.
///
/// ```
/// # use podnet_model::addr::total_count;
/// assert_eq!(total_count("10.10.0.0/16".parse()?), 65_536);
/// # Ok::<(), ipnet::AddrParseError>(())
/// ```
pub fn total_count(net: Ipv4Net) -> u64 {
    1u64 << (32 - u32::from(net.prefix_len()))
}

/// Addresses of `net` that can be given to ENIs: all of them but AWS's five.
///
/// ```
/// # use podnet_model::addr::usable_count;
/// assert_eq!(usable_count("10.10.1.0/24".parse()?), 251);
/// assert_eq!(usable_count("10.10.1.0/28".parse()?), 11);
/// # Ok::<(), ipnet::AddrParseError>(())
/// ```
pub fn usable_count(net: Ipv4Net) -> u32 {
    let usable = total_count(net).saturating_sub(u64::from(RESERVED_PER_SUBNET));
    u32::try_from(usable).unwrap_or(u32::MAX)
}

/// The address `offset` places after the network address of `net`, wrapping
/// inside the 32-bit space (callers stay inside the subnet).
fn nth(net: Ipv4Net, offset: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(net.network()).wrapping_add(offset))
}

/// The five addresses AWS keeps in `net`, lowest first.
///
/// Meaningful for AWS-sized subnets (`/16`–`/28`); for a `/30` or smaller
/// the roles would overlap, which is one reason AWS refuses such subnets.
pub fn reserved_addresses(net: Ipv4Net) -> [ReservedAddress; 5] {
    ReservedRole::ALL.map(|role| {
        let addr = match role {
            ReservedRole::NetworkAddress => net.network(),
            ReservedRole::VpcRouter => nth(net, 1),
            ReservedRole::AmazonDns => nth(net, 2),
            ReservedRole::FutureUse => nth(net, 3),
            ReservedRole::Broadcast => net.broadcast(),
        };
        ReservedAddress { addr, role }
    })
}

/// The reason AWS keeps `addr` in `net`, or `None` when it is assignable
/// (or outside `net`).
pub fn reserved_role(net: Ipv4Net, addr: Ipv4Addr) -> Option<ReservedRole> {
    reserved_addresses(net)
        .into_iter()
        .find(|r| r.addr == addr)
        .map(|r| r.role)
}

/// First and last assignable address of `net` (network + 4 to broadcast − 1),
/// or `None` when nothing is left after the reservations.
pub fn usable_range(net: Ipv4Net) -> Option<(Ipv4Addr, Ipv4Addr)> {
    if usable_count(net) == 0 {
        return None;
    }
    let last = Ipv4Addr::from(u32::from(net.broadcast()).wrapping_sub(1));
    Some((nth(net, 4), last))
}

/// Whether two CIDR blocks share at least one address.
///
/// ipnet has no `overlaps`; two aligned blocks overlap exactly when one
/// contains the other's network address.
pub fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A CIDR that cannot be used, with the input and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CidrError {
    /// The text is not `a.b.c.d/n`.
    Malformed {
        /// What was typed.
        input: String,
    },
    /// An IPv6 CIDR where podnet models IPv4.
    Ipv6 {
        /// What was typed.
        input: String,
    },
    /// The address has host bits set, so it is not the start of its block.
    HostBitsSet {
        /// What was typed.
        input: String,
        /// The block that contains the typed address.
        network: Ipv4Net,
    },
    /// The block is outside AWS's `/16`–`/28` subnet sizes.
    SubnetSizeOutOfRange {
        /// The block.
        cidr: Ipv4Net,
    },
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { input } if input.trim().is_empty() => {
                write!(f, "no CIDR given: type one like 10.10.1.0/24")
            }
            Self::Malformed { input }
                if !input.contains('/') && input.parse::<std::net::Ipv4Addr>().is_ok() =>
            {
                write!(
                    f,
                    "\"{input}\" is not a CIDR: it has no prefix length (add /n, e.g. {input}/24)"
                )
            }
            Self::Malformed { input } if !input.contains('/') => write!(
                f,
                "{} is not a CIDR: expected a.b.c.d/n, e.g. 10.10.1.0/24",
                crate::json::quoted(input)
            ),
            Self::Malformed { input } => write!(
                f,
                "{} is not an IPv4 CIDR: expected a.b.c.d/n with each part 0-255 and n from 0 to 32",
                crate::json::quoted(input)
            ),
            Self::Ipv6 { input } => write!(
                f,
                "{} is an IPv6 CIDR: podnet models IPv4 subnets (IPv6 subnets on AWS are a fixed /64)",
                crate::json::quoted(input)
            ),
            Self::HostBitsSet { input, network } => write!(
                f,
                "{input} is not a network address: host bits are set (the /{} block containing it starts at {})",
                network.prefix_len(),
                network
            ),
            Self::SubnetSizeOutOfRange { cidr } => {
                let size = if cidr.prefix_len() < SUBNET_PREFIX_MIN { "large" } else { "small" };
                write!(
                    f,
                    "subnet {cidr} is too {size}: AWS subnets are /{SUBNET_PREFIX_MIN} ({} addresses) to /{SUBNET_PREFIX_MAX} ({} addresses), and a /{} has {}",
                    group_thousands(1u64 << (32 - SUBNET_PREFIX_MIN)),
                    group_thousands(1u64 << (32 - SUBNET_PREFIX_MAX)),
                    cidr.prefix_len(),
                    group_thousands(total_count(*cidr)),
                )
            }
        }
    }
}

impl std::error::Error for CidrError {}

/// Parses an IPv4 CIDR that must be a network address (`10.10.1.0/24`, not
/// `10.10.1.5/24`), as the EC2 API requires for VPC and subnet blocks.
///
/// # Errors
/// [`CidrError::Malformed`], [`CidrError::Ipv6`] or [`CidrError::HostBitsSet`].
pub fn parse_cidr(input: &str) -> Result<Ipv4Net, CidrError> {
    let text = input.trim();
    let net: Ipv4Net = text.parse().map_err(|_| {
        if text.contains(':') {
            CidrError::Ipv6 {
                input: text.to_owned(),
            }
        } else {
            CidrError::Malformed {
                input: text.to_owned(),
            }
        }
    })?;
    if net.addr() != net.network() {
        return Err(CidrError::HostBitsSet {
            input: text.to_owned(),
            network: net.trunc(),
        });
    }
    Ok(net)
}

/// Parses a subnet CIDR: a network address of size `/16` to `/28`.
///
/// # Errors
/// Any [`CidrError`] of [`parse_cidr`], or
/// [`CidrError::SubnetSizeOutOfRange`].
pub fn parse_subnet_cidr(input: &str) -> Result<Ipv4Net, CidrError> {
    let net = parse_cidr(input)?;
    if !(SUBNET_PREFIX_MIN..=SUBNET_PREFIX_MAX).contains(&net.prefix_len()) {
        return Err(CidrError::SubnetSizeOutOfRange { cidr: net });
    }
    Ok(net)
}

/// Everything a learner wants to know about one subnet block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetSummary {
    /// The block.
    pub cidr: Ipv4Net,
    /// All addresses, reserved ones included.
    pub total: u32,
    /// Addresses left for ENIs after AWS's five.
    pub usable: u32,
    /// The five addresses AWS keeps, lowest first.
    pub reserved: Vec<ReservedAddress>,
    /// First assignable address.
    pub first_usable: Ipv4Addr,
    /// Last assignable address.
    pub last_usable: Ipv4Addr,
}

impl SubnetSummary {
    /// Parses and summarises a subnet CIDR.
    ///
    /// # Errors
    /// Any [`CidrError`] of [`parse_subnet_cidr`].
    pub fn parse(input: &str) -> Result<Self, CidrError> {
        parse_subnet_cidr(input).map(Self::of)
    }

    /// Summarises a block already known to be a valid subnet size.
    pub fn of(cidr: Ipv4Net) -> Self {
        let (first_usable, last_usable) =
            usable_range(cidr).unwrap_or((cidr.network(), cidr.network()));
        Self {
            cidr,
            total: u32::try_from(total_count(cidr)).unwrap_or(u32::MAX),
            usable: usable_count(cidr),
            reserved: reserved_addresses(cidr).to_vec(),
            first_usable,
            last_usable,
        }
    }
}

/// Formats `n` with commas between thousands (`65536` → `65,536`), as the
/// AWS console shows address counts.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn usable_count_matches_the_vpc_user_guide() {
        for (cidr, usable) in [
            ("10.0.0.0/28", 11),
            ("10.0.0.0/27", 27),
            ("10.0.0.0/24", 251),
            ("10.0.0.0/20", 4091),
            ("10.0.0.0/16", 65_531),
        ] {
            assert_eq!(usable_count(net(cidr)), usable, "{cidr}");
        }
    }

    #[test]
    fn reserved_addresses_are_the_first_four_and_the_last() {
        let got: Vec<(String, ReservedRole)> = reserved_addresses(net("10.0.0.0/24"))
            .iter()
            .map(|r| (r.addr.to_string(), r.role))
            .collect();
        assert_eq!(
            got,
            vec![
                ("10.0.0.0".into(), ReservedRole::NetworkAddress),
                ("10.0.0.1".into(), ReservedRole::VpcRouter),
                ("10.0.0.2".into(), ReservedRole::AmazonDns),
                ("10.0.0.3".into(), ReservedRole::FutureUse),
                ("10.0.0.255".into(), ReservedRole::Broadcast),
            ]
        );
    }

    #[test]
    fn reserved_role_finds_only_the_five() {
        let n = net("10.10.1.0/24");
        assert_eq!(
            reserved_role(n, "10.10.1.2".parse().unwrap()),
            Some(ReservedRole::AmazonDns)
        );
        assert_eq!(reserved_role(n, "10.10.1.4".parse().unwrap()), None);
        assert_eq!(
            reserved_role(n, "10.10.1.255".parse().unwrap()),
            Some(ReservedRole::Broadcast)
        );
    }

    #[test]
    fn usable_range_skips_the_reserved_addresses() {
        let (first, last) = usable_range(net("10.10.1.16/28")).unwrap();
        assert_eq!(
            (first.to_string(), last.to_string()),
            ("10.10.1.20".into(), "10.10.1.30".into())
        );
    }

    #[test]
    fn parse_subnet_cidr_accepts_every_aws_size_and_trims_spaces() {
        assert_eq!(parse_subnet_cidr(" 10.10.1.0/24 "), Ok(net("10.10.1.0/24")));
        assert!(parse_subnet_cidr("10.10.0.0/16").is_ok());
        assert!(parse_subnet_cidr("10.10.0.240/28").is_ok());
    }

    #[test]
    fn parse_errors_name_the_input_and_the_rule() {
        for (input, message) in [
            ("", "no CIDR given: type one like 10.10.1.0/24"),
            ("10.10.1.0", "\"10.10.1.0\" is not a CIDR: it has no prefix length (add /n, e.g. 10.10.1.0/24)"),
            (
                "10.10.1.0/33",
                "\"10.10.1.0/33\" is not an IPv4 CIDR: expected a.b.c.d/n with each part 0-255 and n from 0 to 32",
            ),
            (
                "2001:db8::/64",
                "\"2001:db8::/64\" is an IPv6 CIDR: podnet models IPv4 subnets (IPv6 subnets on AWS are a fixed /64)",
            ),
            (
                "10.10.1.5/24",
                "10.10.1.5/24 is not a network address: host bits are set (the /24 block containing it starts at 10.10.1.0/24)",
            ),
            (
                "10.10.1.0/29",
                "subnet 10.10.1.0/29 is too small: AWS subnets are /16 (65,536 addresses) to /28 (16 addresses), and a /29 has 8",
            ),
            (
                "10.0.0.0/8",
                "subnet 10.0.0.0/8 is too large: AWS subnets are /16 (65,536 addresses) to /28 (16 addresses), and a /8 has 16,777,216",
            ),
        ] {
            let err = parse_subnet_cidr(input).unwrap_err();
            assert_eq!(err.to_string(), message, "input {input:?}");
        }
    }

    #[test]
    fn overlaps_is_true_for_nested_and_equal_blocks_only() {
        assert!(overlaps(net("10.0.0.0/16"), net("10.0.1.0/24")));
        assert!(overlaps(net("10.0.1.0/24"), net("10.0.0.0/16")));
        assert!(overlaps(net("10.0.1.0/24"), net("10.0.1.0/24")));
        assert!(!overlaps(net("10.0.1.0/24"), net("10.0.2.0/24")));
    }

    #[test]
    fn group_thousands_inserts_commas() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(251), "251");
        assert_eq!(group_thousands(4091), "4,091");
        assert_eq!(group_thousands(16_777_216), "16,777,216");
    }

    proptest! {
        #[test]
        fn every_aws_subnet_keeps_exactly_five(addr in any::<u32>(), prefix in SUBNET_PREFIX_MIN..=SUBNET_PREFIX_MAX) {
            let n = Ipv4Net::new(Ipv4Addr::from(addr), prefix).unwrap().trunc();
            let s = SubnetSummary::parse(&n.to_string()).unwrap();
            prop_assert_eq!(u64::from(s.usable) + 5, u64::from(s.total));
            let distinct: std::collections::HashSet<_> = s.reserved.iter().map(|r| r.addr).collect();
            prop_assert_eq!(distinct.len(), 5);
            prop_assert!(s.reserved.iter().all(|r| n.contains(&r.addr)));
            prop_assert!(reserved_role(n, s.first_usable).is_none());
            prop_assert!(reserved_role(n, s.last_usable).is_none());
        }

        #[test]
        fn overlaps_agrees_with_shared_addresses(a in any::<u32>(), pa in 16u8..=28, b in any::<u32>(), pb in 16u8..=28) {
            let x = Ipv4Net::new(Ipv4Addr::from(a), pa).unwrap().trunc();
            let y = Ipv4Net::new(Ipv4Addr::from(b), pb).unwrap().trunc();
            let shared = u32::from(x.network()).max(u32::from(y.network()))
                <= u32::from(x.broadcast()).min(u32::from(y.broadcast()));
            prop_assert_eq!(overlaps(x, y), shared);
        }
    }
}
