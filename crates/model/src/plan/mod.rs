//! Plan the addresses: how big each subnet must be for a cluster, per
//! Availability Zone and per role, at steady state and at peak, with the
//! derivation of every number; a proposed layout inside the VPC; the plan
//! as a scenario to play with; and the eksctl `ClusterConfig` for it.
//!
//! The addresses one node holds are not computed by a second copy of the
//! CNI's rules: the planner replays one node of each group in the sandbox
//! (the same ipamd, operator or overlay the page shows) and counts. The
//! tests then replay the whole plan at peak and check that nothing runs out.

mod eksctl;
mod fit;
mod layout;
mod probe;
mod scenario;
#[cfg(test)]
mod tests;

use crate::cni::Cni as _;
use std::fmt;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::cni::CniMode;
use crate::explain::Derivation;

pub use eksctl::eksctl_config;
pub(crate) use eksctl::vpc_cni_addon;
pub use fit::{will_it_fit, Fit, Shortage};
use layout::share as share_of;
pub use layout::smallest_subnet;
pub use probe::NodeCost;
pub use scenario::Moment;

/// Extra nodes per Availability Zone while a managed node group updates:
/// EKS raises the Auto Scaling group by up to twice the number of AZs
/// ("it's possible that we'd launch up to two instances per Availability
/// Zone", EKS User Guide, managed-node-update-behavior.adoc).
pub const DEFAULT_SURGE_PER_AZ: u32 = 2;

/// Most nodes a plan may have at peak.
pub const MAX_PLANNED_NODES: u32 = 5_000;

/// Most pods a plan may have at peak.
pub const MAX_PLANNED_PODS: u32 = 150_000;

/// Largest subnet AWS allows (`/16`, VPC User Guide, subnet sizing).
pub const LARGEST_SUBNET: u8 = 16;

/// One node group of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInput {
    /// Its name (the eksctl node group name).
    #[serde(default = "default_group_name")]
    pub name: String,
    /// EC2 instance type.
    pub instance_type: String,
    /// Nodes at steady state (the desired size, and the minimum).
    pub min_nodes: u32,
    /// Nodes at most (the Auto Scaling group's maximum); at least `min_nodes`.
    #[serde(default)]
    pub max_nodes: Option<u32>,
    /// Pods per node that need a pod IP (DaemonSet pods of the CNI and
    /// kube-proxy excluded: the sandbox adds those).
    pub pods_per_node: u32,
    /// Extra `hostNetwork: true` pods per node: they count against max
    /// pods but use the node IP.
    #[serde(default)]
    pub host_network_pods: u32,
}

fn default_group_name() -> String {
    "workers".into()
}

impl GroupInput {
    /// The maximum, never below the minimum.
    pub fn max(&self) -> u32 {
        self.max_nodes.unwrap_or(self.min_nodes).max(self.min_nodes)
    }
}

/// What to plan for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    /// The cluster's name.
    #[serde(default = "default_cluster_name")]
    pub name: String,
    /// The VPC's primary block.
    #[serde(default = "default_vpc")]
    pub vpc_cidr: String,
    /// Availability Zones to spread nodes over (EKS needs two for its
    /// cluster subnets).
    #[serde(default = "default_azs")]
    pub azs: Vec<String>,
    /// Node groups.
    pub groups: Vec<GroupInput>,
    /// The CNI and its settings.
    #[serde(default)]
    pub cni: CniMode,
    /// Surge nodes per AZ during a node group update
    /// ([`DEFAULT_SURGE_PER_AZ`]).
    #[serde(default = "default_surge")]
    pub surge_per_az: u32,
}

fn default_cluster_name() -> String {
    "planned".into()
}

fn default_vpc() -> String {
    "10.0.0.0/16".into()
}

fn default_azs() -> Vec<String> {
    ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        .map(String::from)
        .to_vec()
}

/// The most Availability Zones a plan may span (zone names end in one letter).
pub const MAX_AZS: usize = 26;

fn too_many_azs(count: usize) -> PlanError {
    err(
        "azs",
        format!("{count} Availability Zones: podnet plans for at most {MAX_AZS} (a letter each); an AWS Region has a handful"),
    )
}

/// `count` Availability Zone names of one Region: `eu-west-1a`, `b`, …
///
/// # Errors
/// A [`PlanError`] on `azs` when `count` is over [`MAX_AZS`] (never clamped).
pub fn az_names(count: u32) -> Result<Vec<String>, PlanError> {
    if count as usize > MAX_AZS {
        return Err(too_many_azs(count as usize));
    }
    Ok((b'a'..)
        .take(count as usize)
        .map(|c| format!("eu-west-1{}", char::from(c)))
        .collect())
}

fn default_surge() -> u32 {
    DEFAULT_SURGE_PER_AZ
}

impl PlanInput {
    /// One group of `nodes` × `pods_per_node` with everything else at its default.
    pub fn simple(instance_type: &str, nodes: u32, pods_per_node: u32) -> Self {
        Self {
            name: default_cluster_name(),
            vpc_cidr: default_vpc(),
            azs: default_azs(),
            groups: vec![GroupInput {
                name: default_group_name(),
                instance_type: instance_type.into(),
                min_nodes: nodes,
                max_nodes: None,
                pods_per_node,
                host_network_pods: 0,
            }],
            cni: CniMode::default(),
            surge_per_az: DEFAULT_SURGE_PER_AZ,
        }
    }

    /// Reads a plan input from JSON, naming the field that is wrong.
    pub fn from_json(text: &str) -> Result<Self, PlanError> {
        crate::json::parse(text).map_err(|e| {
            err(
                "input",
                format!("line {}, column {}: {}", e.line, e.column, e.message),
            )
        })
    }
}

/// What a subnet is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubnetRole {
    /// Nodes' primary ENIs (and, without custom networking, pod IPs).
    Nodes,
    /// Pod ENIs under custom networking (an ENIConfig per AZ).
    Pods,
    /// The control plane's cross-account ENIs.
    Cluster,
}

impl fmt::Display for SubnetRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Nodes => "nodes",
            Self::Pods => "pods",
            Self::Cluster => "cluster",
        })
    }
}

/// One subnet of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedSubnet {
    /// Its name, e.g. `nodes-eu-west-1a`.
    pub name: String,
    /// What it is for.
    pub role: SubnetRole,
    /// Its Availability Zone.
    pub az: String,
    /// Addresses held at steady state.
    pub steady: u32,
    /// Addresses held at peak (surge nodes, upgrade).
    pub peak: u32,
    /// `/28` blocks the peak needs whole (prefix delegation), if any.
    pub prefix_blocks: u32,
    /// The proposed block.
    pub cidr: Ipv4Net,
    /// Its usable addresses (after AWS's five).
    pub usable: u32,
    /// How its size was chosen.
    pub derivation: Derivation,
}

/// A plan: the subnets, the VPC blocks, and how each number came about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// What was asked.
    pub input: PlanInput,
    /// What one node of each group holds, measured in the sandbox.
    pub nodes: Vec<NodeCost>,
    /// The subnets, by role then AZ.
    pub subnets: Vec<PlannedSubnet>,
    /// The VPC's blocks: the primary, then any secondary the layout needed.
    pub vpc_blocks: Vec<Ipv4Net>,
    /// An overlay's own range: does it hold the nodes at peak?
    pub overlay: Option<Derivation>,
    /// Things to know (fragmentation, secondary blocks, simplifications).
    pub notes: Vec<String>,
}

/// Why a plan cannot be made: the field and the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    /// The input field at fault, e.g. `groups[0].pods_per_node`.
    pub field: String,
    /// What is wrong, with the numbers.
    pub message: String,
    /// Changes to the input that would make it plannable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

/// A change to the planner's input that removes its refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fix", rename_all = "kebab-case")]
pub enum Fix {
    /// Turn prefix delegation on: `/28` prefixes raise max pods.
    PrefixDelegation {
        /// Max pods then.
        max_pods: u32,
    },
    /// A larger type of the same family for the group.
    InstanceType {
        /// The group (0-based).
        group: usize,
        /// The type.
        name: String,
        /// Its max pods.
        max_pods: u32,
    },
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PrefixDelegation { max_pods } => write!(
                f,
                "turn on prefix delegation (the ENI formula then allows {max_pods} pods per node)"
            ),
            Self::InstanceType { name, max_pods, .. } => {
                write!(
                    f,
                    "use {name} (the ENI formula allows {max_pods} pods per node)"
                )
            }
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)?;
        if !self.fixes.is_empty() {
            let fixes: Vec<String> = self.fixes.iter().map(ToString::to_string).collect();
            write!(f, "; to plan it, {}", fixes.join(", or "))?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanError {}

pub(crate) fn err(field: impl Into<String>, message: impl Into<String>) -> PlanError {
    PlanError {
        field: field.into(),
        message: message.into(),
        fixes: Vec::new(),
    }
}

/// Plans the subnets for `input`.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    // No name or setting longer than any real one (it would be echoed).
    crate::json::check_text_lengths(input).map_err(|(field, length)| {
        err(
            field,
            format!(
                "{length} characters; podnet takes at most {} in a name, CIDR or setting",
                crate::json::MAX_TEXT
            ),
        )
    })?;
    // The VPC's own rules (a /16 to /28 block) before any other field.
    let vpc = crate::vpc::Vpc::new(&input.vpc_cidr)
        .map_err(|e| err("vpc_cidr", e.to_string()))?
        .cidrs
        .first()
        .copied()
        .unwrap_or_default();
    if input.azs.len() < 2 {
        return Err(err(
            "azs",
            format!("{} Availability Zone(s) given: EKS needs cluster subnets in at least two (EKS User Guide, network-reqs.adoc)", input.azs.len()),
        ));
    }
    // Refuse too many zones before anything looks at each of them.
    if input.azs.len() > MAX_AZS {
        return Err(too_many_azs(input.azs.len()));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(dup) = input.azs.iter().find(|a| !seen.insert(a.as_str())) {
        return Err(err("azs", format!("{dup} is listed twice")));
    }
    if input.groups.is_empty() {
        return Err(err("groups", "no node group: add at least one"));
    }
    // The plan replays the cluster in the sandbox: keep it to the sizes
    // podnet's benchmarks cover (5,000 nodes).
    let peak_nodes = input.groups.iter().fold(0u64, |n, g| {
        n + u64::from(g.max()) + u64::from(input.surge_per_az) * input.azs.len() as u64
    });
    if peak_nodes > u64::from(MAX_PLANNED_NODES) {
        return Err(err(
            "groups",
            format!("{peak_nodes} nodes at peak: podnet plans up to {MAX_PLANNED_NODES} (the largest cluster it replays in its benchmarks)"),
        ));
    }
    let peak_pods = input.groups.iter().fold(0u64, |n, g| {
        let nodes = u64::from(g.max()) + u64::from(input.surge_per_az) * input.azs.len() as u64;
        n + nodes * (u64::from(g.pods_per_node) + u64::from(g.host_network_pods))
    });
    if peak_pods > u64::from(MAX_PLANNED_PODS) {
        return Err(err(
            "groups",
            format!("{peak_pods} pods at peak: podnet plans up to {MAX_PLANNED_PODS} (the largest cluster it replays in its benchmarks)"),
        ));
    }
    let nodes = input
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| probe::measure(input, i, g))
        .collect::<Result<Vec<_>, _>>()?;
    let overlay = probe::overlay_room(input)?;
    let needs = layout::needs(input, &nodes);
    let layout::Layout {
        subnets,
        blocks: vpc_blocks,
        mut notes,
    } = layout::lay_out(input, vpc, needs)?;
    notes.extend(nodes.iter().flat_map(|n| n.notes.iter().cloned()));
    let mut plan = Plan {
        input: input.clone(),
        nodes,
        subnets,
        vpc_blocks,
        overlay,
        notes,
    };
    // The plan's own scenarios must replay with every pod Running: an
    // overlay range overlapping the laid-out VPC, say, is refused here
    // with the sandbox's reason.
    let service = plan.check_runs()?;
    let over = service.and_then(|s| input.cni.service_overlap(s));
    plan.notes.extend(over.map(|o| {
        let mut note = service_note(&o, peak_nodes);
        if o.first.is_some() {
            note.push_str(crate::cni::IN_ORDER);
        }
        note
    }));
    Ok(plan)
}

/// The planner's word for an overlay range over the service CIDR EKS will
/// pick: the sandbox warns of it too (`PodRangeOverServices`), and nothing
/// on EKS refuses it (`CniMode::service_overlap` has the sources).
fn service_note(o: &crate::cni::ServiceOverlap, peak_nodes: u64) -> String {
    let (pool, service) = (o.pool, o.service);
    let head = format!("The pod range {pool} overlaps the service CIDR EKS picks for this VPC, {service}; nothing refuses it");
    match o.first {
        Some((first, nth)) if u64::from(nth) <= peak_nodes => format!(
            "{head}, and node number {nth} of this plan's {peak_nodes} at peak would get {first}: its pods could get addresses that are also Services' ClusterIPs, which \"usually breaks the cluster utterly\" (cilium PR 31504). Choose a range outside {service}."
        ),
        Some((first, nth)) => format!(
            "{head}. Ranges go out in order and only node number {nth} would get one inside it ({first}), beyond this plan's {peak_nodes} nodes at peak; a range outside {service} keeps it so as the cluster grows."
        ),
        None => format!(
            "{head}, and Calico IPAM claims free blocks at random, so any node's block may land in it, giving pods addresses that are also Services' ClusterIPs. Choose a pool outside {service}."
        ),
    }
}

impl Plan {
    /// A plain-text summary to paste into a design document.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let i = &self.input;
        let _ = writeln!(
            out,
            "Address plan for cluster {} ({}), VPC {}",
            i.name,
            i.cni.strategy().name(),
            self.vpc_blocks
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" + ")
        );
        for (g, n) in i.groups.iter().zip(&self.nodes) {
            let _ = writeln!(
                out,
                "\nNode group {}: {} × {}..{} nodes (+{} per AZ while updating), {} pods per node (+{} hostNetwork)",
                g.name, g.instance_type, g.min_nodes, g.max(), i.surge_per_az, g.pods_per_node, g.host_network_pods
            );
            let _ = writeln!(out, "  {}", n.max_pods.formula);
            let _ = writeln!(out, "  {}", n.summary());
        }
        if let Some(o) = &self.overlay {
            let _ = writeln!(out, "\n{}: {}", o.quantity, o.formula);
        }
        let _ = writeln!(
            out,
            "\n{:<24} {:<8} {:<12} {:>7} {:>7}  {:<18} {:>7}",
            "SUBNET", "ROLE", "AZ", "STEADY", "PEAK", "CIDR", "USABLE"
        );
        for s in &self.subnets {
            let _ = writeln!(
                out,
                "{:<24} {:<8} {:<12} {:>7} {:>7}  {:<18} {:>7}",
                s.name,
                s.role,
                s.az,
                s.steady,
                s.peak,
                s.cidr.to_string(),
                s.usable
            );
        }
        let _ = writeln!(out, "\nWhy each size:");
        let mut previous: Option<&[crate::explain::Step]> = None;
        for s in &self.subnets {
            let _ = writeln!(out, "- {}: {}", s.name, s.derivation.formula);
            // The same rules for the next AZ are not repeated.
            let same_rules = previous.is_some_and(|p| {
                p.len() == s.derivation.steps.len()
                    && p.iter()
                        .zip(&s.derivation.steps)
                        .skip(1)
                        .all(|(a, b)| a == b)
                    && s.role == SubnetRole::Cluster
            });
            if !same_rules {
                for step in &s.derivation.steps {
                    let _ = writeln!(out, "    {} [{}]", step.text, step.source);
                }
            }
            previous = Some(&s.derivation.steps);
        }
        if !self.notes.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out.trim_end().to_owned()
    }
}
