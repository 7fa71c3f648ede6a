//! EC2 instance types and their ENI limits.
//!
//! All 1,391 types of `data/instance-enis.csv`, extracted from the AWS VPC CNI
//! (`pkg/vpc/vpc_ip_resource_limit.go` at v1.23.1), validated by `build.rs`
//! and parsed once on first use. Limits are for the **default network card** only, as
//! the VPC CNI and the max-pods formula use them. Max-pods arithmetic lives
//! with the CNIs; this module only knows the hardware.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The hypervisor EC2 reports for a type. Prefix delegation needs Nitro (or
/// bare metal): CNI `IsPrefixDelegationSupported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hypervisor {
    /// The AWS Nitro System.
    Nitro,
    /// The older Xen-based types.
    Xen,
    /// Not reported: bare metal, and a few manual entries.
    Unknown,
}

/// One EC2 instance type as the VPC CNI knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceType {
    /// The type's name, e.g. `m5.large`.
    pub name: &'static str,
    /// ENIs on the default network card.
    pub max_enis: u32,
    /// IPv4 addresses per ENI, the ENI's primary address included.
    pub ipv4_per_eni: u32,
    /// The hypervisor.
    pub hypervisor: Hypervisor,
    /// Whether this is a bare-metal type.
    pub bare_metal: bool,
    /// Max ENIs of each network card, `;`-separated in card order (card 0
    /// is the default), as in the CSV.
    pub cards: &'static str,
    /// Branch ENIs a trunk ENI can carry (security groups for pods); 0 when
    /// the type is not trunking-compatible (`data/branch-enis.csv`, from the
    /// VPC Resource Controller's `pkg/aws/vpc/limits.go`).
    pub branch_enis: u32,
    /// Whether the VPC Resource Controller's table lists the type at all; a
    /// type newer than the table is treated as not trunking-compatible, as
    /// that controller would.
    pub branch_listed: bool,
    /// Default vCPUs (EC2 `VCpuInfo.DefaultVCpus`), when known
    /// (`data/instance-vcpus.csv`): the 110 / 250 max-pods cap depends on it.
    pub vcpus: Option<u32>,
}

/// Where the branch-ENI table comes from (`data/branch-enis.csv`).
pub const BRANCH_TABLE: &str = "the VPC Resource Controller's pkg/aws/vpc/limits.go (aws/amazon-vpc-resource-controller-k8s b8d425119bdb, generated 2026-03-20)";

/// The validated, sorted catalog text `build.rs` wrote.
const DATA: &str = include_str!(concat!(env!("OUT_DIR"), "/catalog.csv"));

/// The catalog, parsed once.
static TABLE: std::sync::OnceLock<Vec<InstanceType>> = std::sync::OnceLock::new();

fn table() -> &'static [InstanceType] {
    TABLE.get_or_init(|| DATA.lines().filter_map(parse_line).collect())
}

/// One line of `catalog.csv` (build.rs checked every line, so none is skipped).
fn parse_line(line: &'static str) -> Option<InstanceType> {
    let mut f = line.split(',');
    let name = f.next()?;
    let max_enis = f.next()?.parse().ok()?;
    let ipv4_per_eni = f.next()?.parse().ok()?;
    let hypervisor = match f.next()? {
        "n" => Hypervisor::Nitro,
        "x" => Hypervisor::Xen,
        _ => Hypervisor::Unknown,
    };
    let bare_metal = f.next()? == "1";
    let branch = f.next()?;
    let branch_listed = branch != "-";
    let branch_enis = if branch_listed {
        branch.parse().ok()?
    } else {
        0
    };
    let vcpus = f.next()?.parse().ok().filter(|v: &u32| *v > 0);
    let cards = f.next()?;
    Some(InstanceType {
        name,
        max_enis,
        ipv4_per_eni,
        hypervisor,
        bare_metal,
        cards,
        branch_enis,
        branch_listed,
        vcpus,
    })
}

impl InstanceType {
    /// The ENI limits the CNIs compute with.
    pub fn limits(&self) -> InstanceLimits {
        InstanceLimits {
            max_enis: self.max_enis,
            ipv4_per_eni: self.ipv4_per_eni,
        }
    }

    /// Whether ipamd can use `/28` prefixes here: Nitro or bare metal
    /// (CNI `pkg/awsutils/awsutils.go`, `IsPrefixDelegationSupported`).
    pub fn supports_prefix_delegation(&self) -> bool {
        self.hypervisor == Hypervisor::Nitro || self.bare_metal
    }

    /// Whether the VPC Resource Controller can attach a trunk ENI here, so
    /// pods can have their own security groups (`IsTrunkingCompatible`:
    /// Nitro types outside the `t` family, EKS User Guide
    /// security-groups-for-pods).
    pub fn trunking_compatible(&self) -> bool {
        self.branch_enis > 0
    }

    /// Number of network cards.
    pub fn network_cards(&self) -> u32 {
        u32::try_from(self.cards.split(';').count()).unwrap_or(u32::MAX)
    }

    /// ENIs over all network cards (only card 0 is used for pods).
    pub fn total_enis_all_cards(&self) -> u32 {
        self.cards
            .split(';')
            .filter_map(|c| c.parse::<u32>().ok())
            .sum()
    }
}

/// The two numbers every ENI-based calculation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstanceLimits {
    /// ENIs that can be attached (default network card).
    pub max_enis: u32,
    /// IPv4 addresses per ENI, primary included.
    pub ipv4_per_eni: u32,
}

/// Every instance type, sorted by name.
pub fn all() -> &'static [InstanceType] {
    table()
}

/// An instance type name the catalog does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CatalogError {
    /// No such type; the closest names are suggested.
    UnknownInstanceType {
        /// What was asked for.
        name: String,
        /// Up to three close names, best first.
        suggestions: Vec<String>,
    },
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownInstanceType { name, suggestions } => {
                write!(f, "unknown instance type {name}")?;
                match suggestions.as_slice() {
                    [] => write!(f, " ({} types are known, e.g. m5.large)", table().len()),
                    [one] => write!(f, "; did you mean {one}?"),
                    many => write!(f, "; did you mean {}?", many.join(", ")),
                }
            }
        }
    }
}

impl std::error::Error for CatalogError {}

/// Looks up a type by name (case-insensitive, spaces trimmed).
///
/// # Errors
/// [`CatalogError::UnknownInstanceType`] with the closest names.
pub fn lookup(name: &str) -> Result<&'static InstanceType, CatalogError> {
    let wanted = name.trim().to_ascii_lowercase();
    table()
        .binary_search_by(|t| t.name.cmp(wanted.as_str()))
        .ok()
        .and_then(|i| table().get(i))
        .ok_or_else(|| {
            // No EC2 type name is longer than 24 characters: a longer input
            // gets no suggestions (they cost time per character) and is
            // echoed cut short.
            let long = wanted.chars().count() > MAX_TYPE_NAME;
            CatalogError::UnknownInstanceType {
                name: if long {
                    format!(
                        "{}…",
                        name.trim().chars().take(MAX_TYPE_NAME).collect::<String>()
                    )
                } else {
                    name.trim().to_owned()
                },
                suggestions: if long {
                    Vec::new()
                } else {
                    closest(&wanted, 3)
                },
            }
        })
}

/// The longest input `lookup` suggests names for (EC2's longest type name,
/// `u7in-32tb.224xlarge`, has 19 characters).
const MAX_TYPE_NAME: usize = 32;

/// Types whose name contains `query` (case-insensitive), for a searchable
/// picker: names starting with the query first.
pub fn search(query: &str) -> Vec<&'static InstanceType> {
    let q = query.trim().to_ascii_lowercase();
    let mut hits: Vec<&InstanceType> = table().iter().filter(|t| t.name.contains(&q)).collect();
    hits.sort_unstable_by_key(|t| (!t.name.starts_with(&q), t.name));
    hits
}

/// Up to `n` names at the smallest edit distance from `wanted`, if that
/// distance still looks like a typo.
fn closest(wanted: &str, n: usize) -> Vec<String> {
    let limit = (wanted.len() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, &str)> = table()
        .iter()
        .map(|t| (edit_distance(wanted, t.name), t.name))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort_unstable();
    // Only the nearest: "m5.lage" should suggest m5.large, not every *.large.
    let best = scored.first().map_or(0, |(d, _)| *d);
    scored
        .into_iter()
        .take_while(|(d, _)| *d == best)
        .take(n)
        .map(|(_, name)| name.to_owned())
        .collect()
}

/// Levenshtein distance, one row at a time.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let diagonal = prev
                .get(j)
                .map_or(usize::MAX, |d| d + usize::from(ca != *cb));
            let up = prev.get(j + 1).map_or(usize::MAX, |d| d + 1);
            let left = cur.last().map_or(usize::MAX, |d| d + 1);
            cur.push(diagonal.min(up).min(left));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_all_1391_types_sorted() {
        assert_eq!(all().len(), 1391);
        assert!(all().windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn lookup_finds_known_types_with_their_limits() {
        let m5 = lookup("m5.large").unwrap();
        assert_eq!(
            m5.limits(),
            InstanceLimits {
                max_enis: 3,
                ipv4_per_eni: 10
            }
        );
        assert!(m5.supports_prefix_delegation());
        assert_eq!(lookup(" M5.Large ").unwrap().name, "m5.large");
    }

    /// vCPUs come from Karpenter's generated instance-type reference (see
    /// data/README.md); the 21 types it never listed stay unknown.
    #[test]
    fn vcpus_are_known_for_all_but_the_types_no_source_lists() {
        for (t, want) in [
            ("m5.large", 2),
            ("m5.4xlarge", 16),
            ("c5.18xlarge", 72),
            ("t3.micro", 2),
            ("p3.16xlarge", 64),
            ("m5.8xlarge", 32),
        ] {
            assert_eq!(lookup(t).unwrap().vcpus, Some(want), "{t}");
        }
        let unknown: Vec<&str> = all()
            .iter()
            .filter(|t| t.vcpus.is_none())
            .map(|t| t.name)
            .collect();
        assert_eq!(unknown.len(), 21, "{unknown:?}");
        assert!(
            unknown.iter().all(|t| t.ends_with(".metal")
                || ["c7i.32xlarge", "cr1.8xlarge", "hs1.8xlarge", "trn2.3xlarge"].contains(t)),
            "{unknown:?}"
        );
        // No type sits at exactly 30 vCPUs, where the calculator (110) and
        // the managed node group text (250) would disagree.
        assert!(all().iter().all(|t| t.vcpus != Some(30)));
    }

    #[test]
    fn branch_enis_come_from_the_resource_controller_table() {
        // EKS User Guide: "a c5.4xlarge ... up to 54 branch network interfaces".
        for (t, want) in [
            ("c5.4xlarge", 54),
            ("m5.large", 9),
            ("m5.xlarge", 18),
            ("m5.metal", 120),
            ("c6g.medium", 4),
            ("c7i-flex.large", 3),
            ("t3.large", 0),
            ("m4.large", 0),
            ("i4i.large", 0),
        ] {
            assert_eq!(lookup(t).unwrap().branch_enis, want, "{t}");
        }
        let trunking = all().iter().filter(|t| t.trunking_compatible()).count();
        assert_eq!(trunking, 1059);
        // New with the table of 2026-03-20 (podnet had none of them before).
        for t in [
            "c8gb.large",
            "m8a.large",
            "r8a.large",
            "i8g.large",
            "c8a.large",
        ] {
            assert!(lookup(t).unwrap().trunking_compatible(), "{t}");
        }
        // Listed as not compatible, versus not listed at all.
        assert!(lookup("t3.large").unwrap().branch_listed);
        assert!(!lookup("c9g.large").unwrap().branch_listed);
    }

    #[test]
    fn only_nitro_or_bare_metal_types_outside_the_t_family_trunk() {
        for t in all().iter().filter(|t| t.trunking_compatible()) {
            assert!(
                t.hypervisor == Hypervisor::Nitro || t.bare_metal,
                "{} is trunking-compatible but not Nitro",
                t.name
            );
            let family = t.name.split('.').next().unwrap_or_default();
            assert!(
                !family.starts_with('t') || family.starts_with("trn"),
                "{} is in the t family",
                t.name
            );
        }
    }

    #[test]
    fn multi_card_types_count_only_the_default_card() {
        let p5 = lookup("p5.48xlarge").unwrap();
        assert_eq!(
            (p5.max_enis, p5.network_cards(), p5.total_enis_all_cards()),
            (2, 32, 64)
        );
    }

    #[test]
    fn prefix_delegation_needs_nitro_or_bare_metal() {
        assert!(!lookup("m4.large").unwrap().supports_prefix_delegation());
        let metal = all()
            .iter()
            .find(|t| t.bare_metal && t.hypervisor == Hypervisor::Unknown)
            .unwrap();
        assert!(metal.supports_prefix_delegation());
    }

    #[test]
    fn an_unknown_type_suggests_the_closest_names() {
        let err = lookup("m5.lage").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown instance type m5.lage; did you mean m5.large?"
        );
        let err = lookup("banana").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown instance type banana (1391 types are known, e.g. m5.large)"
        );
    }

    #[test]
    fn search_puts_prefix_matches_first() {
        let names: Vec<&str> = search("t3.mi").iter().map(|t| t.name).collect();
        assert_eq!(names, vec!["t3.micro"]);
        let hits = search("large");
        assert!(hits.len() > 100);
        assert!(hits.iter().all(|t| t.name.contains("large")));
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("m5.lage", "m5.large"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
