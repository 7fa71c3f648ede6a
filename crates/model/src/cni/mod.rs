//! CNI strategies: how a node's pods get their addresses.
//!
//! Each strategy is one module; [`CniMode`] is the closed, serialisable
//! choice among them, so scenarios and UI state stay `Clone + PartialEq +
//! Serialize`. Today: the AWS VPC CNI (secondary IPs and prefix delegation,
//! with ipamd's warm pool, custom networking), Flannel, Cilium
//! (cluster-pool) and Calico.

pub mod calico;
pub mod cilium;
pub mod cilium_eni;
pub mod datapath;
pub mod error;
pub mod flannel;
pub mod ipamd;
pub mod node_range;
pub mod node_sim;
pub mod policy;
#[cfg(test)]
pub mod static_routes;
pub mod vpc_cni;

use serde::Serialize;

use std::net::Ipv4Addr;

use crate::catalog::InstanceType;
use crate::cluster::Node;
use crate::events::Recorder;
use crate::explain::Derivation;
use crate::sandbox::{Sandbox, SandboxError};

pub use calico::Calico;
pub use cilium::Cilium;
pub use cilium_eni::CiliumEni;
pub use datapath::{Crossing, Datapath, Masquerade, Tunnel, Way, Wiring};
pub use error::{AllocateError, SettingsError};
pub use flannel::Flannel;
pub use policy::{Enforcement, Gap};
pub use vpc_cni::VpcCni;

/// What a strategy keeps cluster-wide while it runs, beyond each node's
/// own state (ENIs, pod CIDR): one variant per kind, so a Flannel sandbox
/// holds no Calico state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum CniState {
    /// Nothing cluster-wide.
    #[default]
    Stateless,
    /// Calico IPAM's pool: its blocks and their node affinities.
    Blocks(calico::CalicoIpam),
}

impl CniState {
    /// The pool's blocks, under a block-based strategy.
    pub fn blocks(&self) -> Option<&calico::CalicoIpam> {
        match self {
            Self::Blocks(b) => Some(b),
            Self::Stateless => None,
        }
    }

    /// The pool's blocks, to change.
    pub fn blocks_mut(&mut self) -> Option<&mut calico::CalicoIpam> {
        match self {
            Self::Blocks(b) => Some(b),
            Self::Stateless => None,
        }
    }

    /// Whether its indexes agree with what they index.
    pub fn indexes_agree(&self) -> bool {
        self.blocks().is_none_or(calico::CalicoIpam::indexes_agree)
    }
}

/// Where a strategy's pod addresses come from: the three families the
/// sandbox knows how to run. A new CNI picks one and states its rules
/// through [`Cni`]; the sandbox never asks which CNI it is.
#[derive(Clone, Copy)]
pub enum Addressing<'a> {
    /// VPC addresses on the node's ENIs, kept by an agent between targets
    /// (ipamd, the cilium-operator).
    Enis(&'a dyn EniIpam),
    /// One pod CIDR per node, carved from a cluster range.
    NodeRanges(&'a dyn RangeIpam),
    /// Blocks of an IP pool claimed by nodes on demand (Calico IPAM).
    Blocks(&'a Calico),
}

/// The rules of an ENI-based strategy that the sandbox's ENI machinery
/// (`cni::ipamd`) needs.
pub trait EniIpam {
    /// ENIs the node may attach.
    fn eni_limit(&self, ipam: &ipamd::NodeIpam) -> u32;
    /// Whether the node takes `/28` prefixes.
    fn uses_prefixes(&self, ipam: &ipamd::NodeIpam) -> bool;
    /// Addresses (or prefixes) the agent would ask for next, `None` when
    /// its targets are met.
    /// `prefixes` says whether the node's pool is counted in prefixes.
    fn next_request(&self, ipam: &ipamd::NodeIpam, now_ms: u64, prefixes: bool) -> Option<u32>;
    /// Seconds a freed address cools down before reuse.
    fn cooldown_s(&self) -> u32;
    /// Whether new ENIs may go in other tagged subnets of the node's AZ
    /// (`ENABLE_SUBNET_DISCOVERY`).
    fn subnet_discovery(&self) -> bool;
    /// The first device index that holds pod addresses.
    fn first_pod_eni(&self) -> u32;
    /// ENIConfigs by AZ (custom networking), as subnet references.
    fn eni_configs(&self) -> Option<&std::collections::BTreeMap<String, String>>;
    /// `ENABLE_POD_ENI`: a slot kept for the trunk ENI.
    fn pod_eni(&self) -> bool;
    /// The agent's name in events and advice (`ipamd`, `the cilium-operator`).
    fn agent(&self) -> &'static str;
    /// Custom networking: pod ENIs in the subnet of the node's ENIConfig,
    /// none on the primary ENI.
    fn custom_networking(&self) -> bool;
    /// Whether the EKS `vpc-cni` add-on runs with prefix delegation (nodeadm
    /// and managed node groups read it for max pods).
    fn addon_prefix_delegation(&self) -> bool;
    /// One pass of the agent over a node's pool; whether it changed.
    fn tick(
        &self,
        ipam: &mut ipamd::NodeIpam,
        subnets: &mut dyn ipamd::Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool;
    /// What the plugin answers a CNI ADD when the node has no free address.
    fn no_address_failure(&self) -> AddFailure;
}

/// Why a CNI ADD gave a pod no address, in the plugin's words (the kubelet
/// reports `plugin type="…" failed (add): …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddFailure {
    /// The plugin's `type` in the CNI config (`aws-cni`, `flannel`, …).
    pub plugin: &'static str,
    /// What it said.
    pub cause: AllocateError,
}

impl AddFailure {
    /// A failure of `plugin` with `cause`.
    pub fn new(plugin: &'static str, cause: AllocateError) -> Self {
        Self { plugin, cause }
    }
}

impl std::fmt::Display for AddFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "plugin type=\"{}\" failed (add): {}",
            self.plugin, self.cause
        )
    }
}

/// The rules of a strategy that gives each node a pod CIDR of its own.
pub trait RangeIpam {
    /// How the cluster range is carved (`None` when it does not parse;
    /// [`Cni::problem`] says why).
    fn plan(&self) -> Option<node_range::RangePlan>;
    /// Who gives a node its pod CIDR, as the event says.
    fn assigned_by(&self) -> &'static str;
    /// Why a node gets no pod CIDR when `plan` has none left, in the
    /// agent's words.
    fn out_of_ranges(&self, plan: &node_range::RangePlan) -> String;
    /// What the plugin says to a CNI ADD on a node without a pod CIDR.
    fn add_without_range(&self, node: &str) -> AllocateError;
}

/// Settings that the CLI and the planner offer as plain flags; each
/// strategy takes those it has ([`Cni::tuned`]) and says which
/// ([`Cni::knobs`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Knobs {
    /// `/28` prefixes instead of single addresses.
    pub prefix_delegation: bool,
    /// Pods off the primary ENI (custom networking, or Cilium's
    /// `first-interface-index` 1).
    pub custom_networking: bool,
    /// Security groups for pods (`ENABLE_POD_ENI`).
    pub security_groups_for_pods: bool,
    /// `MAX_ENI`.
    pub max_eni: Option<u32>,
    /// `WARM_ENI_TARGET`.
    pub warm_eni_target: Option<u32>,
    /// `WARM_IP_TARGET`.
    pub warm_ip_target: Option<u32>,
    /// `MINIMUM_IP_TARGET`.
    pub minimum_ip_target: Option<u32>,
    /// `WARM_PREFIX_TARGET`.
    pub warm_prefix_target: Option<u32>,
}

/// Which [`Knobs`] a strategy takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KnobSet {
    /// Prefix delegation.
    pub prefix_delegation: bool,
    /// Custom networking.
    pub custom_networking: bool,
    /// Security groups for pods.
    pub security_groups_for_pods: bool,
    /// `MAX_ENI` and the warm targets.
    pub warm_targets: bool,
}

/// The fixed facts of a strategy: its names and its agent's words. The
/// [`Cni`] methods of the same names read them (they are not behaviour a
/// strategy could inherit by mistake: each strategy states its own).
#[derive(Debug, PartialEq, Eq)]
pub struct Identity {
    /// The strategy's name as its users know it.
    pub name: &'static str,
    /// The `cni` tag its JSON carries (`aws-vpc-cni`, `flannel`, …).
    pub tag: &'static str,
    /// Its entry in a picker (`Flannel (overlay)`).
    pub label: &'static str,
    /// The plugin's `type` in the node's CNI config, as the kubelet names
    /// it in `plugin type="…" failed (add)`.
    pub plugin: &'static str,
    /// The CNI's DaemonSet, whose pod runs on every node (the "+2" with
    /// kube-proxy).
    pub daemonset: &'static str,
    /// The namespace of the DaemonSet and the label its pods carry.
    pub agent_pods: (&'static str, (&'static str, &'static str)),
    /// What the agent does before the kubelet reports the network ready.
    pub network_ready_because: &'static str,
    /// What the agent does on a node that just joined (the join view's step).
    pub on_boot: &'static str,
    /// Whether the agent exits (its pod in `CrashLoopBackOff`) while it
    /// cannot start, rather than waiting.
    pub exits_when_blocked: bool,
}

/// A CNI strategy: what it is, what its settings mean, where its addresses
/// come from and how its packets travel. One module per CNI implements it;
/// [`CniMode`] is the closed choice among them.
pub trait Cni {
    /// What the strategy is, in the words its users and the kubelet use.
    fn identity(&self) -> &'static Identity;
    /// The strategy's name as its users know it.
    fn name(&self) -> &'static str {
        self.identity().name
    }
    /// The `cni` tag its JSON carries (`aws-vpc-cni`, `flannel`, …).
    fn tag(&self) -> &'static str {
        self.identity().tag
    }
    /// Its entry in a picker (`Flannel (overlay)`).
    fn label(&self) -> &'static str {
        self.identity().label
    }
    /// The plugin's `type` in the node's CNI config.
    fn plugin(&self) -> &'static str {
        self.identity().plugin
    }
    /// The CNI's DaemonSet.
    fn daemonset(&self) -> &'static str {
        self.identity().daemonset
    }
    /// What the agent does before the kubelet reports the network ready.
    fn network_ready_because(&self) -> &'static str {
        self.identity().network_ready_because
    }
    /// What the agent does on a node that just joined.
    fn on_boot(&self) -> &'static str {
        self.identity().on_boot
    }
    /// Whether the agent exits while it cannot start.
    fn exits_when_blocked(&self) -> bool {
        self.identity().exits_when_blocked
    }
    /// The agent's container image, without its tag, and whether it comes
    /// from the EKS add-on registry in ECR rather than a public registry.
    fn agent_image(&self, region: &str) -> (String, bool);
    /// Why the agent cannot start on node `node` at all, if it cannot
    /// (flannel's `--kube-subnet-mgr` on EKS, which gives no pod CIDRs).
    fn cannot_start(&self, node: &str) -> Option<String>;
    /// The `CniChanged` event's summary of these settings.
    fn summary(&self) -> String;
    /// Where pod addresses come from.
    fn addressing(&self) -> Addressing<'_>;
    /// Its cluster-wide state when it starts.
    fn initial_state(&self) -> CniState;
    /// Pods the node can run (uncapped), with the derivation.
    fn max_pods(&self, instance: &InstanceType) -> Derivation;
    /// How pod traffic crosses between nodes.
    fn datapath(&self) -> Datapath;
    /// Why these settings cannot work with these VPC blocks, if they
    /// cannot. A pool over the service CIDR is not refused (see
    /// [`CniMode::service_overlap`]).
    fn problem(&self, vpc: &[ipnet::Ipv4Net]) -> Option<SettingsError>;
    /// The same strategy with its defaults, but with a pool that fits `vpc`
    /// where the default would collide.
    fn fitting(&self, vpc: &[ipnet::Ipv4Net]) -> CniMode;
    /// These settings with the `knobs` it has applied.
    fn tuned(&self, knobs: &Knobs) -> CniMode;
    /// Which knobs it has.
    fn knobs(&self) -> KnobSet;
    /// These settings made to run on EKS where the default does not (the
    /// compare view's column).
    fn on_eks(&self) -> CniMode;
    /// Why the sandbox, as it runs, cannot move to these settings (beyond
    /// [`Cni::problem`]): what its nodes already hold.
    ///
    /// # Errors
    /// The [`SandboxError`] naming the setting and what holds it.
    fn check_change(&self, sb: &Sandbox) -> Result<(), SandboxError>;
    /// What the agents do on running nodes once these settings apply.
    fn after_change(&self, sb: &mut Sandbox, events: &mut Recorder);
    /// Why `node` holds the addresses it holds, beyond its ENIs' primary
    /// IPs: the rule its agent keeps (`(text, source)` lines).
    fn pool_rules(&self, sb: &Sandbox, node: &Node) -> Vec<(String, &'static str)>;
    /// Where pod address `ip` on `node` comes from.
    fn explain_pod_ip(&self, sb: &Sandbox, ip: Ipv4Addr, node: &Node) -> Option<Derivation>;
    /// What would give a `ContainerCreating` pod on `node` its address.
    fn no_address_advice(&self, sb: &Sandbox, node: &Node) -> Vec<String>;
    /// The planner's line on what one node holds besides its pods' IPs.
    fn plan_rule(&self) -> (String, &'static str);
    /// What EKS itself configures when this CNI is its `vpc-cni` add-on
    /// (`None` for a CNI installed after the cluster exists).
    fn eks_addon(&self) -> Option<&dyn EksAddon>;
    /// The CNI's own pod range as set (an overlay's cluster CIDR or pool),
    /// `None` when pods take VPC addresses.
    fn pod_range(&self) -> Option<&str>;
    /// What the page's introduction adds about this CNI, if anything
    /// beyond its range and datapath.
    fn intro_note(&self) -> Option<&'static str>;
    /// Who, if anyone, enforces NetworkPolicy under these settings.
    fn policy_enforcement(&self) -> Enforcement;
}

/// What a plugin says to a CNI ADD on a node without a pod CIDR, where
/// the node's agent keeps it NotReady so that no pod is scheduled there.
pub(crate) fn no_range_yet(plugin: &str) -> AllocateError {
    AllocateError::NoPodCidr {
        message: format!("{plugin}: the node has no pod CIDR yet"),
    }
}

/// A CNI that is the EKS `vpc-cni` add-on: what EKS, eksctl and the
/// max-pods calculator know of it.
pub trait EksAddon {
    /// Security groups for pods (`ENABLE_POD_ENI`) is on.
    fn security_groups_for_pods(&self) -> bool;
    /// These settings with ENIConfigs `configs` (AZ → subnet) where custom
    /// networking is on: how a planned scenario names its pod subnets.
    fn with_eni_configs(&self, configs: std::collections::BTreeMap<String, String>) -> CniMode;
    /// The `addons:` of an eksctl ClusterConfig.
    fn eksctl_addons(&self) -> String;
}

/// The planner's line for an overlay: pods take no VPC address.
pub(crate) fn overlay_plan_rule(name: &str) -> (String, &'static str) {
    (
        format!("{name} gives pods addresses from its own range: the node holds only its own IP in the VPC"),
        "domain-facts §5–7 (overlay IPAM)",
    )
}

/// The CNI a cluster runs, with its settings.
/// JSON: `{"cni":"aws-vpc-cni","warm_eni_target":1,…}`. Deserialised
/// through one flat struct (`raw.rs`), as [`crate::Command`] is: the same
/// JSON, less code in the `.wasm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "cni", rename_all = "kebab-case")]
pub enum CniMode {
    /// The AWS VPC CNI: pod IPs are VPC IPs on the node's ENIs.
    AwsVpcCni(VpcCni),
    /// Flannel: an overlay with a pod CIDR per node.
    Flannel(Flannel),
    /// Cilium with cluster-pool IPAM: an overlay with a pod CIDR per node.
    Cilium(Cilium),
    /// Calico with its own IPAM: an overlay with blocks claimed on demand.
    Calico(Calico),
    /// Cilium with AWS ENI IPAM: pod IPs are VPC IPs on the node's ENIs,
    /// allocated by the cilium-operator between watermarks.
    CiliumEni(CiliumEni),
    /// A CNI of podnet's tests only (`static_routes.rs`).
    #[cfg(test)]
    StaticRoutes(static_routes::StaticRoutes),
}

impl Default for CniMode {
    fn default() -> Self {
        Self::AwsVpcCni(VpcCni::default())
    }
}

macro_rules! from_settings {
    ($($variant:ident($t:ty)),* $(,)?) => {
        $(impl From<$t> for CniMode {
            fn from(settings: $t) -> Self {
                Self::$variant(settings)
            }
        })*
    };
}
from_settings!(
    AwsVpcCni(VpcCni),
    Flannel(Flannel),
    Cilium(Cilium),
    Calico(Calico),
    CiliumEni(CiliumEni),
);
#[cfg(test)]
from_settings!(StaticRoutes(static_routes::StaticRoutes));

/// `impl Cni for CniMode`: each method hands the call to the variant's
/// strategy. The one list of methods is the trait's; the compiler checks
/// this one matches it.
macro_rules! delegate {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Cni for CniMode {
            $(fn $name(&self $(, $arg: $ty)*) -> $ret {
                match self {
                    CniMode::AwsVpcCni(c) => c.$name($($arg),*),
                    CniMode::Flannel(c) => c.$name($($arg),*),
                    CniMode::Cilium(c) => c.$name($($arg),*),
                    CniMode::Calico(c) => c.$name($($arg),*),
                    CniMode::CiliumEni(c) => c.$name($($arg),*),
                    #[cfg(test)]
                    CniMode::StaticRoutes(c) => c.$name($($arg),*),
                }
            })*
        }
    };
}
delegate! {
    fn identity(&self) -> &'static Identity;
    fn agent_image(&self, region: &str) -> (String, bool);
    fn cannot_start(&self, node: &str) -> Option<String>;
    fn summary(&self) -> String;
    fn addressing(&self) -> Addressing<'_>;
    fn initial_state(&self) -> CniState;
    fn max_pods(&self, instance: &InstanceType) -> Derivation;
    fn datapath(&self) -> Datapath;
    fn problem(&self, vpc: &[ipnet::Ipv4Net]) -> Option<SettingsError>;
    fn fitting(&self, vpc: &[ipnet::Ipv4Net]) -> CniMode;
    fn tuned(&self, knobs: &Knobs) -> CniMode;
    fn knobs(&self) -> KnobSet;
    fn on_eks(&self) -> CniMode;
    fn check_change(&self, sb: &Sandbox) -> Result<(), SandboxError>;
    fn after_change(&self, sb: &mut Sandbox, events: &mut Recorder) -> ();
    fn pool_rules(&self, sb: &Sandbox, node: &Node) -> Vec<(String, &'static str)>;
    fn explain_pod_ip(&self, sb: &Sandbox, ip: Ipv4Addr, node: &Node) -> Option<Derivation>;
    fn no_address_advice(&self, sb: &Sandbox, node: &Node) -> Vec<String>;
    fn plan_rule(&self) -> (String, &'static str);
    fn eks_addon(&self) -> Option<&dyn EksAddon>;
    fn pod_range(&self) -> Option<&str>;
    fn intro_note(&self) -> Option<&'static str>;
    fn policy_enforcement(&self) -> Enforcement;
}

impl CniMode {
    /// The strategy behind the choice: `CniMode` is a [`Cni`] that hands
    /// each call to its variant's (static dispatch: the `.wasm` keeps only
    /// the methods something calls).
    pub fn strategy(&self) -> &impl Cni {
        self
    }

    /// The strategy whose `cni` tag is `tag`, with its default settings.
    pub fn from_tag(tag: &str) -> Option<Self> {
        raw::defaults(tag)
    }

    /// Every CNI podnet models, with its defaults, in the order pickers
    /// list them.
    pub fn all() -> Vec<Self> {
        CNIS.iter().filter_map(|t| Self::from_tag(t)).collect()
    }

    /// The `cni` tags, in the order of [`CniMode::all`].
    pub fn tags() -> &'static [&'static str] {
        CNIS
    }

    /// The `cni` tag its JSON carries (`aws-vpc-cni`, `flannel`, …).
    pub fn tag(&self) -> &'static str {
        self.strategy().tag()
    }

    /// Whether two settings are of the same strategy.
    pub fn same_strategy(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    /// Whether pod addresses are VPC addresses on the nodes' ENIs (the VPC
    /// CNI, or Cilium's ENI IPAM), rather than an overlay's.
    pub fn uses_enis(&self) -> bool {
        matches!(self.strategy().addressing(), Addressing::Enis(_))
    }

    /// The ENI rules, for an ENI-based strategy.
    pub fn eni_ipam(&self) -> Option<&dyn EniIpam> {
        match self.strategy().addressing() {
            Addressing::Enis(e) => Some(e),
            Addressing::NodeRanges(_) | Addressing::Blocks(_) => None,
        }
    }

    /// How an overlay carves node ranges (`None` without node ranges).
    pub fn plan(&self) -> Option<node_range::RangePlan> {
        match self.strategy().addressing() {
            Addressing::NodeRanges(r) => r.plan(),
            Addressing::Enis(_) | Addressing::Blocks(_) => None,
        }
    }

    /// The same strategy with its defaults, but with a pool that fits `vpc`.
    pub fn fitting(self, vpc: &[ipnet::Ipv4Net]) -> Self {
        self.strategy().fitting(vpc)
    }

    /// Why the settings cannot work with these VPC blocks.
    pub fn problem(&self, vpc: &[ipnet::Ipv4Net]) -> Option<SettingsError> {
        self.strategy().problem(vpc)
    }

    /// How the overlay's pod range meets the service CIDR, if it does.
    ///
    /// Not refused, as on a real cluster: nothing validates it on EKS, and
    /// Cilium's Helm default `10.0.0.0/8` holds EKS's `10.100.0.0/16` in
    /// any VPC outside 10/8. It is harmless until a node's range lands in
    /// the service range: neither the cilium-operator, flanneld's subnet
    /// manager nor Calico IPAM knows that range (cilium issue 13766), unlike
    /// kube-controller-manager, which EKS does not let allocate node CIDRs
    /// and which leaves it out (`range_allocator.go` `filterOutServiceRange`,
    /// kops PR 16344). Then a pod can get a Service's ClusterIP, "which
    /// usually breaks the cluster utterly" (cilium PR 31504).
    pub fn service_overlap(&self, service: ipnet::Ipv4Net) -> Option<ServiceOverlap> {
        let (pool, plan) = match self.plan() {
            Some(plan) => (plan.cluster, Some(plan)),
            None => (self.as_calico()?.pool()?, None),
        };
        if !crate::addr::overlaps(pool, service) {
            return None;
        }
        // Node ranges go out in order (podnet; the cilium-operator's
        // cidrset does too): the first one inside the service range.
        let first = plan.and_then(|plan| {
            let size_log = 32 - u32::from(plan.node_len.min(32));
            let offset = u32::from(service.network()).saturating_sub(u32::from(pool.network()));
            let index = offset
                .checked_shr(size_log)
                .unwrap_or(0)
                .saturating_sub(plan.skip);
            plan.range(index)
                .filter(|r| crate::addr::overlaps(*r, service))
                .map(|r| (r, index.saturating_add(1)))
        });
        Some(ServiceOverlap {
            pool,
            service,
            first,
        })
    }

    /// The AWS VPC CNI's settings, when it is the CNI (its own settings
    /// form, and ipamd, read them).
    pub fn as_vpc_cni(&self) -> Option<&VpcCni> {
        match self {
            Self::AwsVpcCni(c) => Some(c),
            Self::Flannel(_) | Self::Cilium(_) | Self::Calico(_) | Self::CiliumEni(_) => None,
            #[cfg(test)]
            Self::StaticRoutes(_) => None,
        }
    }

    /// Flannel's settings, when it is the CNI.
    pub fn as_flannel(&self) -> Option<&Flannel> {
        match self {
            Self::Flannel(c) => Some(c),
            Self::AwsVpcCni(_) | Self::Cilium(_) | Self::Calico(_) | Self::CiliumEni(_) => None,
            #[cfg(test)]
            Self::StaticRoutes(_) => None,
        }
    }

    /// Cilium's (cluster-pool) settings, when it is the CNI.
    pub fn as_cilium(&self) -> Option<&Cilium> {
        match self {
            Self::Cilium(c) => Some(c),
            Self::AwsVpcCni(_) | Self::Flannel(_) | Self::Calico(_) | Self::CiliumEni(_) => None,
            #[cfg(test)]
            Self::StaticRoutes(_) => None,
        }
    }

    /// Calico's settings, when it is the CNI.
    pub fn as_calico(&self) -> Option<&Calico> {
        match self {
            Self::Calico(c) => Some(c),
            Self::AwsVpcCni(_) | Self::Flannel(_) | Self::Cilium(_) | Self::CiliumEni(_) => None,
            #[cfg(test)]
            Self::StaticRoutes(_) => None,
        }
    }

    /// Cilium's ENI-mode settings, when it is the CNI.
    pub fn as_cilium_eni(&self) -> Option<&CiliumEni> {
        match self {
            Self::CiliumEni(c) => Some(c),
            Self::AwsVpcCni(_) | Self::Flannel(_) | Self::Cilium(_) | Self::Calico(_) => None,
            #[cfg(test)]
            Self::StaticRoutes(_) => None,
        }
    }
}

mod raw;
pub(crate) use raw::CNIS;

/// How far "in order" holds for the node counted in [`ServiceOverlap`]:
/// the cilium-operator leases node ranges in order; flanneld's etcd subnet
/// manager picks at random among the lowest 100 free subnets (flannel
/// `pkg/subnet/etcd/local_manager.go`, `allocateSubnet`: `len(bag) < 100`,
/// `randInt(0, len(bag))`); podnet leases the lowest.
pub const IN_ORDER: &str = " (podnet counts in order, as the cilium-operator leases; flanneld picks at random among the lowest 100 free subnets, so under Flannel that node can come up to 99 nodes sooner)";

/// An overlay's pod range over the cluster's service CIDR (see
/// [`CniMode::service_overlap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceOverlap {
    /// The pod range (cluster pool, flannel Network, Calico IPPool).
    pub pool: ipnet::Ipv4Net,
    /// The service CIDR.
    pub service: ipnet::Ipv4Net,
    /// The first node range handed out inside the service CIDR, and which
    /// node gets it, counting from 1 in the order ranges go out; `None`
    /// under Calico, whose blocks are claimed at random.
    pub first: Option<(ipnet::Ipv4Net, u32)>,
}

/// An overlay's range from its setting text, if it is an IPv4 CIDR.
pub(crate) fn parse_range(text: &str) -> Option<ipnet::Ipv4Net> {
    text.trim()
        .parse::<ipnet::Ipv4Net>()
        .ok()
        .map(|n| n.trunc())
}

/// Why an overlay's range `net` (named `what`, e.g. `flannel Network
/// 10.244.0.0/16`) cannot be used: it overlaps a VPC block (`vpc_note` says
/// why that matters).
pub(crate) fn overlap_problem(
    what: &'static str,
    net: ipnet::Ipv4Net,
    vpc: &[ipnet::Ipv4Net],
    vpc_note: &'static str,
) -> Option<SettingsError> {
    vpc.iter()
        .find(|v| crate::addr::overlaps(**v, net))
        .map(|v| SettingsError::OverlapsVpc {
            what,
            net,
            block: *v,
            note: vpc_note,
        })
}
