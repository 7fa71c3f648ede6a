//! How many addresses each subnet needs, the smallest subnet that holds
//! them, and where each subnet goes in the VPC.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::probe::NodeCost;
use super::{err, PlanError, PlanInput, PlannedSubnet, SubnetRole, LARGEST_SUBNET};
use crate::addr::usable_count;
use crate::cluster::{MAX_XENIS, MIN_FREE_IPS_PER_CLUSTER_SUBNET, UPGRADE_FREE_IPS, XENIS};
use crate::explain::Derivation;

/// IPv4 blocks a VPC can have by default: the primary and four secondary
/// ("IPv4 CIDR blocks per VPC: 5", VPC User Guide, amazon-vpc-limits).
const MAX_VPC_BLOCKS: usize = 5;

/// What one subnet must hold, before it has a place.
#[derive(Debug, Clone)]
pub(super) struct Need {
    name: String,
    role: SubnetRole,
    az: String,
    steady: u32,
    peak: u32,
    prefix_blocks: u32,
    derivation: Derivation,
}

/// How many of `total` nodes spread round-robin over `azs` zones land in zone `k`.
pub(super) fn share(total: u32, azs: u32, k: u32) -> u32 {
    if azs == 0 {
        return 0;
    }
    total / azs + u32::from(k < total % azs)
}

/// The smallest subnet (the longest prefix, `/28` at most) whose usable
/// addresses hold `addresses`, and, with prefix delegation, whose `/28`
/// blocks hold `prefix_blocks` whole prefixes next to the single addresses.
pub fn smallest_subnet(addresses: u32, prefix_blocks: u32) -> Option<u8> {
    let singles = addresses.saturating_sub(prefix_blocks.saturating_mul(16));
    (LARGEST_SUBNET..=28).rev().find(|&len| {
        let net = Ipv4Net::new(Ipv4Addr::UNSPECIFIED, len).ok();
        let usable = net.map(usable_count).unwrap_or(0);
        // AWS's five reserved addresses sit in the first and last /28; the
        // single addresses pack around them, each prefix takes a whole /28.
        let blocks = 1u32 << (28 - len);
        usable >= addresses
            && (prefix_blocks == 0
                || blocks >= prefix_blocks.saturating_add(singles.saturating_add(5).div_ceil(16)))
    })
}

/// The needs of every subnet: node subnets (and pod subnets under custom
/// networking) per AZ, and one cluster subnet per AZ.
pub(super) fn needs(input: &PlanInput, nodes: &[NodeCost]) -> Vec<Need> {
    let k_all = input.azs.len() as u32;
    let mut out = Vec::new();
    let custom = nodes.iter().any(|n| n.pod_subnet > 0);
    for (k, az) in input.azs.iter().enumerate() {
        let k = k as u32;
        for role in [SubnetRole::Nodes, SubnetRole::Pods] {
            if role == SubnetRole::Pods && !custom {
                continue;
            }
            let (mut steady, mut peak, mut blocks) = (0, 0, 0);
            let mut terms = Vec::new();
            let mut steps = Vec::new();
            for (g, n) in input.groups.iter().zip(nodes) {
                let (per, prefixes) = match role {
                    SubnetRole::Pods => (n.pod_subnet, n.pod_prefixes),
                    _ => (n.node_subnet, n.node_prefixes),
                };
                let s = share(g.min_nodes, k_all, k);
                let p = share(g.max(), k_all, k) + input.surge_per_az;
                steady += s * per;
                peak += p * per;
                blocks += p * prefixes;
                terms.push(format!("{p} × {per}"));
                steps.push((
                    format!(
                        "{}: {} of {} nodes in {az} at steady state; at peak {} of the maximum {} plus {} surge nodes while the group updates; each holds {per} here ({})",
                        g.name, s, g.min_nodes, share(g.max(), k_all, k), g.max(), input.surge_per_az, n.derivation.formula
                    ),
                    "EKS User Guide, managed-node-update-behavior.adoc (up to two new instances per AZ); podnet model".to_owned(),
                ));
            }
            let name = format!("{role}-{az}");
            let mut d = Derivation::new(
                "peak addresses",
                peak,
                format!(
                    "{} = {peak} at peak ({steady} at steady state)",
                    terms.join(" + ")
                ),
            );
            for (t, s) in steps {
                d = d.because(t, &s);
            }
            out.push(Need {
                name,
                role,
                az: az.clone(),
                steady,
                peak,
                prefix_blocks: blocks,
                derivation: d,
            });
        }
        // EKS picks two of the cluster subnets (which two is not
        // documented) and can scale to four X-ENIs in them: two each.
        let xeni = u32::try_from(MAX_XENIS / XENIS).unwrap_or(2);
        let peak = (xeni + UPGRADE_FREE_IPS).max(MIN_FREE_IPS_PER_CLUSTER_SUBNET);
        let d = Derivation::new(
            "peak addresses",
            peak,
            format!("{xeni} X-ENIs + {UPGRADE_FREE_IPS} for an upgrade = {peak}"),
        )
        .because(
            "EKS puts one requester-managed X-ENI in each of two cluster subnets in two AZs, and up to four in those two when the control plane scales; which two it picks is not documented, so every cluster subnet is sized for two",
            "awsdocs/amazon-eks-user-guide issue 688; aws/containers-roadmap issues 679, 2804",
        )
        .because(
            format!("an upgrade creates new X-ENIs before deleting the old ones, and EKS refuses it unless each cluster subnet has {UPGRADE_FREE_IPS} free IPs; creation needs {MIN_FREE_IPS_PER_CLUSTER_SUBNET} free per subnet"),
            "EKS User Guide, network-reqs.adoc; InvalidRequestException \"need at least 5 IPs in each subnet\" (aws/containers-roadmap issue 1693)",
        )
        .because(
            "dedicated small cluster subnets keep nodes from eating the X-ENIs' room",
            "EKS Best Practices, networking/subnets.adoc",
        );
        out.push(Need {
            name: format!("cluster-{az}"),
            role: SubnetRole::Cluster,
            az: az.clone(),
            steady: xeni,
            peak,
            prefix_blocks: 0,
            derivation: d,
        });
    }
    out
}

/// A VPC block being filled from its start, largest subnets first.
struct Block {
    net: Ipv4Net,
    next: u64,
}

impl Block {
    fn new(net: Ipv4Net) -> Self {
        Self {
            net,
            next: u64::from(u32::from(net.network())),
        }
    }

    /// The next aligned `/len` that fits, taken.
    fn take(&mut self, len: u8) -> Option<Ipv4Net> {
        let size = 1u64 << (32 - u32::from(len));
        let start = self.next.div_ceil(size) * size;
        let end = u64::from(u32::from(self.net.broadcast())) + 1;
        if len < self.net.prefix_len() || start + size > end {
            return None;
        }
        self.next = start + size;
        Ipv4Net::new(Ipv4Addr::from(u32::try_from(start).ok()?), len).ok()
    }
}

/// The next `/16` of `100.64.0.0/10` (the CG-NAT space BPG recommends for
/// pods) that overlaps no block of the VPC.
fn next_secondary(blocks: &[Block]) -> Option<Ipv4Net> {
    (64u8..128)
        .filter_map(|b| Ipv4Net::new(Ipv4Addr::new(100, b, 0, 0), 16).ok())
        .find(|c| blocks.iter().all(|b| !crate::addr::overlaps(b.net, *c)))
}

/// Where the subnets go.
pub(super) struct Layout {
    pub subnets: Vec<PlannedSubnet>,
    pub blocks: Vec<Ipv4Net>,
    pub notes: Vec<String>,
}

/// Sizes every need and places it: node and cluster subnets in the primary
/// block first, pod subnets in a secondary `100.64.0.0/10` block; a
/// secondary block is added when the primary is full.
pub(super) fn lay_out(
    input: &PlanInput,
    vpc: Ipv4Net,
    needs: Vec<Need>,
) -> Result<Layout, PlanError> {
    let mut sized = Vec::new();
    for n in needs {
        let len = smallest_subnet(n.peak, n.prefix_blocks).ok_or_else(|| {
            err(
                "groups",
                format!(
                    "subnet {} needs {} addresses at peak{}: more than the largest subnet AWS allows (a /16, 65,531 usable); spread the nodes over more Availability Zones{}",
                    n.name,
                    n.peak,
                    if n.prefix_blocks > 0 { format!(" ({} /28 prefixes)", n.prefix_blocks) } else { String::new() },
                    if n.role == SubnetRole::Nodes { " or use custom networking to move pod IPs to their own subnets" } else { "" }
                ),
            )
        })?;
        sized.push((n, len));
    }
    // Largest first, so that every subnet lands aligned with no gap.
    // Keys are unique (one need per role and AZ): an unstable sort is exact,
    // and keeps the stable sort's code out of the .wasm.
    sized.sort_unstable_by_key(|(n, len)| (*len, n.role, n.az.clone()));
    let mut blocks = vec![Block::new(vpc)];
    let mut notes = Vec::new();
    let mut out = Vec::new();
    for (n, len) in sized {
        let wants_secondary = n.role == SubnetRole::Pods;
        let mut placed = None;
        for b in blocks
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| !wants_secondary || *i > 0)
        {
            if let Some(net) = b.1.take(len) {
                placed = Some(net);
                break;
            }
        }
        let cidr = match placed {
            Some(net) => net,
            None => {
                if blocks.len() >= MAX_VPC_BLOCKS {
                    return Err(err(
                        "vpc_cidr",
                        format!("subnet {} (a /{len}) does not fit: {} and {} more /16 blocks are full, and a VPC has at most {MAX_VPC_BLOCKS} IPv4 blocks by default (VPC User Guide, amazon-vpc-limits)", n.name, vpc, blocks.len() - 1),
                    ));
                }
                let extra = next_secondary(&blocks).ok_or_else(|| {
                    err(
                        "vpc_cidr",
                        "no free /16 left in 100.64.0.0/10 for a secondary block",
                    )
                })?;
                notes.push(if wants_secondary {
                    format!("Pod subnets go in the secondary block {extra} (from 100.64.0.0/10, the CG-NAT space EKS Best Practices recommend for custom networking), so pods do not use the primary block {vpc}.")
                } else {
                    format!("The primary block {vpc} is too small: the plan adds the secondary block {extra} from 100.64.0.0/10 (associate it with the VPC before creating the subnets).")
                });
                let mut b = Block::new(extra);
                let net = b.take(len).ok_or_else(|| {
                    err("groups", format!("subnet {} does not fit a /16", n.name))
                })?;
                blocks.push(b);
                net
            }
        };
        let usable = usable_count(cidr);
        let mut d = n.derivation;
        d.formula = format!(
            "{}; the smallest subnet that holds it is a /{len}: {} addresses − 5 reserved by AWS = {usable}{}",
            d.formula,
            1u64 << (32 - u32::from(len)),
            if n.prefix_blocks > 0 {
                format!(", with room for {} aligned /28 prefixes", n.prefix_blocks)
            } else {
                String::new()
            }
        );
        d = d.because(
            "AWS reserves the first four addresses and the last one of every subnet; subnets are /16 to /28",
            "VPC User Guide, subnet-sizing.md",
        );
        out.push(PlannedSubnet {
            name: n.name,
            role: n.role,
            az: n.az,
            steady: n.steady,
            peak: n.peak,
            prefix_blocks: n.prefix_blocks,
            cidr,
            usable,
            derivation: d,
        });
    }
    out.sort_unstable_by_key(|s| {
        (
            s.role,
            input
                .azs
                .iter()
                .position(|a| *a == s.az)
                .unwrap_or(usize::MAX),
        )
    });
    Ok(Layout {
        subnets: out,
        blocks: blocks.iter().map(|b| b.net).collect(),
        notes,
    })
}
