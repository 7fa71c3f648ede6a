//! ipamd's warm pool for one node, one loop iteration at a time.
//!
//! The rules are the VPC CNI's (`pkg/ipamd/ipamd.go`: `isDatastorePoolTooLow`,
//! `increaseDatastorePool`, `tryAssignIPs`/`tryAssignPrefixes`,
//! `tryAllocateENI`, `isDatastorePoolTooHigh`, `tryUnassignCidrsFromAll`,
//! `tryFreeENI`), as summarised in domain-facts §2.3–2.5 and §2.9.
//!
//! Simplifications, also said in the UI: one loop iteration is one step of
//! simulated time (`POOL_MONITOR_INTERVAL_MS`); EC2 answers at once (no API
//! latency, no throttling); ENIs are used in device-index order (ipamd walks
//! a Go map, so the real split between ENIs can differ; totals cannot).

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::vpc_cni::{VpcCni, IPS_PER_PREFIX};
use crate::catalog::InstanceLimits;
use crate::eni::{Eni, EniKind, IpSlot, PrefixSlot};
use crate::events::{Event, EventKind, Recorder};
use crate::ids::{EniId, NodeId, PodId, SubnetId};
use crate::ipam::{AllocError, Holder, IpPool};

/// ipamd checks the pool about every 5 s (`ipPoolMonitorInterval`).
pub const POOL_MONITOR_INTERVAL_MS: u64 = 5_000;
/// Decreases run at most every 30 s (`decreaseIPPoolInterval`).
pub const DECREASE_INTERVAL_MS: u64 = 30_000;
/// An ENI younger than 1 min is never freed (`minENILifeTime`).
pub const MIN_ENI_LIFETIME_MS: u64 = 60_000;

/// Where a node's ENIs get their addresses.
pub trait Subnets {
    /// The subnet a new ENI of `node` goes in; `None` when custom
    /// networking finds no ENIConfig for the node's AZ.
    fn subnet_for_new_eni(&self, node: &NodeIpam) -> Option<SubnetId>;
    /// The address pool of `subnet`.
    fn pool_mut(&mut self, subnet: SubnetId) -> Option<&mut IpPool>;
    /// A fresh ENI id.
    fn next_eni_id(&mut self) -> EniId;
    /// The Availability Zone of `subnet`, for messages.
    fn zone_of(&self, _subnet: SubnetId) -> String {
        String::new()
    }
    /// Whether two subnets route alike: podnet gives each subnet its own
    /// route table, so two whose `0.0.0.0/0` goes the same way count as
    /// sharing one.
    fn routes_alike(&self, _a: SubnetId, _b: SubnetId) -> bool {
        true
    }
}

/// The pool ipamd sees: pod addresses held, used and free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PoolStats {
    /// Pod addresses held (secondary IPs, or 16 per prefix).
    pub total: u32,
    /// Addresses used by pods.
    pub assigned: u32,
    /// `total − assigned` (addresses cooling down count as available, as in ipamd).
    pub available: u32,
    /// Prefixes held.
    pub prefixes: u32,
    /// Prefixes with no pod and nothing cooling down.
    pub idle_prefixes: u32,
    /// ENIs attached.
    pub enis: u32,
}

/// One node's network interfaces and ipamd's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeIpam {
    /// The node.
    pub node: NodeId,
    /// Its ENI limits.
    pub limits: InstanceLimits,
    /// Whether the instance supports prefix delegation (Nitro or bare metal).
    pub prefix_capable: bool,
    /// The kubelet's max pods; ipamd never holds more IPs than this.
    pub max_pods: u32,
    /// ENIs, by device index (the primary ENI first).
    pub enis: Vec<Eni>,
    /// Created while custom networking was on: pod ENIs go in the
    /// ENIConfig's subnet and the primary ENI holds no pod addresses.
    #[serde(default)]
    pub custom_networking: bool,
    /// Created (or restarted) with `ENABLE_POD_ENI`: ipamd keeps an ENI
    /// slot for the trunk ENI.
    #[serde(default)]
    pub pod_eni: bool,
    /// Branch ENIs the instance type's trunk can carry (0: not
    /// trunking-compatible; `data/branch-enis.csv`).
    #[serde(default)]
    pub branch_limit: u32,
    /// Branch ENIs on the trunk, one per pod with its own security groups.
    #[serde(default)]
    pub branches: Vec<crate::eni::BranchEni>,
    /// Cilium's ENI mode: the lowest device index whose ENI holds pod
    /// addresses (`first-interface-index`, 0 by default: eth0 too).
    #[serde(default)]
    pub first_pod_eni: u32,
    /// What the node's address agent remembers between its passes.
    #[serde(default)]
    pub agent: AgentMemory,
    last_log: Option<String>,
}

/// What the agent that keeps a node's pool (ipamd, or the cilium-operator
/// in Cilium's ENI mode) remembers between passes: one agent runs per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "agent", rename_all = "kebab-case")]
pub enum AgentMemory {
    /// ipamd: when it last gave addresses back (it waits
    /// `decreaseIPPoolInterval` between decreases).
    Ipamd {
        /// Simulated ms of the last decrease (the node's launch at first).
        last_decrease_ms: u64,
        /// When EC2 last refused for want of addresses: ipamd then waits
        /// [`INSUFFICIENT_COOLDOWN_MS`] before it asks again
        /// (`lastInsufficientCidrError`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        insufficient_at_ms: Option<u64>,
    },
    /// The cilium-operator: since when the node has held more free
    /// addresses than its watermarks want (release waits
    /// `excess-ip-release-delay`).
    Operator {
        /// When the excess began, while it lasts.
        excess_since_ms: Option<u64>,
    },
}

impl Default for AgentMemory {
    fn default() -> Self {
        Self::Ipamd {
            last_decrease_ms: 0,
            insufficient_at_ms: None,
        }
    }
}

/// The settings and limits one loop iteration computes with.
struct Ctx<'a> {
    cfg: &'a VpcCni,
    pd: bool,
    /// Slots per ENI: IPv4 per ENI − 1 (the primary is not for pods).
    m: u32,
    max_enis: u32,
}

impl NodeIpam {
    /// Launches a node: EC2 creates its primary ENI (device index 0) in
    /// `subnet`, whose primary IP becomes the node IP.
    ///
    /// # Errors
    /// [`AllocError`] when the subnet has no free address for the node.
    pub fn launch(
        node: NodeId,
        limits: InstanceLimits,
        prefix_capable: bool,
        max_pods: u32,
        subnet: SubnetId,
        subnets: &mut dyn Subnets,
        now_ms: u64,
    ) -> Result<Self, AllocError> {
        let (id, primary_ip) = new_eni_address(subnets, subnet, 1, Holder::EniPrimary)?;
        let primary = Eni {
            id,
            kind: EniKind::NodePrimary,
            node: Some(node),
            subnet,
            device_index: 0,
            primary_ip,
            secondary: Vec::new(),
            prefixes: Vec::new(),
            attached_at_ms: now_ms,
            free_from: 0,
        };
        Ok(Self {
            node,
            limits,
            prefix_capable,
            max_pods,
            enis: vec![primary],
            custom_networking: false,
            pod_eni: false,
            branch_limit: 0,
            branches: Vec::new(),
            first_pod_eni: 0,
            agent: AgentMemory::Ipamd {
                last_decrease_ms: now_ms,
                insufficient_at_ms: None,
            },
            last_log: None,
        })
    }

    /// The same node, using custom networking or not.
    #[must_use]
    pub fn with_custom_networking(self, on: bool) -> Self {
        Self {
            custom_networking: on,
            ..self
        }
    }

    /// Whether `eni` may hold pod addresses (custom networking skips the
    /// primary ENI: `GetAllocatableENIs(..., skipPrimary)`; the trunk ENI
    /// belongs to the VPC Resource Controller).
    pub fn for_pods(&self, eni: &Eni) -> bool {
        eni.kind != EniKind::Trunk
            && !(self.custom_networking && eni.device_index == 0)
            && eni.device_index >= self.first_pod_eni
    }

    /// The node IP (the primary ENI's primary IP).
    pub fn node_ip(&self) -> Option<Ipv4Addr> {
        self.enis.first().map(|e| e.primary_ip)
    }

    /// The pool as ipamd counts it.
    pub fn stats(&self, now_ms: u64) -> PoolStats {
        let mut s = PoolStats {
            enis: self.enis.len() as u32,
            ..PoolStats::default()
        };
        for e in self.enis.iter().filter(|e| self.for_pods(e)) {
            s.total += e.pod_ips();
            s.assigned += e.assigned();
            s.prefixes += e.prefixes.len() as u32;
            s.idle_prefixes += e.prefixes.iter().filter(|p| p.is_idle(now_ms)).count() as u32;
        }
        s.available = s.total.saturating_sub(s.assigned);
        s
    }

    /// Whether the CNI will really use prefixes here.
    pub fn uses_prefixes(&self, cfg: &VpcCni) -> bool {
        cfg.prefix_delegation && self.prefix_capable
    }

    fn ctx<'a>(&self, cfg: &'a VpcCni) -> Ctx<'a> {
        Ctx {
            cfg,
            pd: self.uses_prefixes(cfg),
            m: self.limits.ipv4_per_eni.saturating_sub(1),
            max_enis: cfg
                .max_eni
                .map_or(self.limits.max_enis, |c| c.min(self.limits.max_enis))
                .saturating_sub(u32::from(self.keeps_trunk_slot())),
        }
    }

    /// ENIs ipamd may attach here: `min(instance limit, MAX_ENI)`, less the
    /// slot it keeps for a trunk ENI not attached yet.
    pub fn eni_limit(&self, cfg: &VpcCni) -> u32 {
        self.ctx(cfg).max_enis
    }

    /// What ipamd's next pass would ask EC2 for: `Some(slots)` (IPs, or
    /// prefixes with prefix delegation) when the pool is too low, `None`
    /// when its targets are met and it asks for nothing.
    pub fn next_request(&self, cfg: &VpcCni, now_ms: u64) -> Option<u32> {
        let ctx = self.ctx(cfg);
        let stats = self.stats(now_ms);
        self.too_low(&ctx, stats)
            .then(|| self.request(&ctx, stats).min(ctx.m))
    }

    /// Gives `pod` the first free address, like `AssignPodIPv4Address`.
    pub fn assign_pod(&mut self, pod: PodId, now_ms: u64) -> Option<(EniId, Ipv4Addr)> {
        let (custom, first) = (self.custom_networking, self.first_pod_eni);
        self.enis
            .iter_mut()
            .filter(|e| {
                e.kind != EniKind::Trunk
                    && !(custom && e.device_index == 0)
                    && e.device_index >= first
            })
            .find_map(|e| e.assign(pod, now_ms).map(|ip| (e.id, ip)))
    }

    /// Frees `pod`'s address; it cools down for `IP_COOLDOWN_PERIOD`.
    pub fn unassign_pod(&mut self, pod: PodId, cooldown_s: u32, now_ms: u64) -> Option<Ipv4Addr> {
        let until = now_ms + u64::from(cooldown_s) * 1000;
        self.enis.iter_mut().find_map(|e| e.unassign(pod, until))
    }

    /// One iteration of ipamd's pool loop: grow if the pool is too low,
    /// else (at most every 30 s) shrink. Returns whether anything changed.
    pub fn tick(
        &mut self,
        cfg: &VpcCni,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let ctx = self.ctx(cfg);
        let stats = self.stats(now_ms);
        if self.too_low(&ctx, stats) {
            return self.grow(&ctx, stats, subnets, now_ms, events);
        }
        let last_decrease_ms = match &mut self.agent {
            AgentMemory::Ipamd {
                last_decrease_ms, ..
            } => last_decrease_ms,
            other => {
                *other = AgentMemory::default();
                return false;
            }
        };
        if now_ms.saturating_sub(*last_decrease_ms) < DECREASE_INTERVAL_MS {
            return false;
        }
        *last_decrease_ms = now_ms;
        let released = self.shrink(&ctx, subnets, now_ms, events);
        let freed = self.try_free_eni(&ctx, subnets, now_ms, events);
        released || freed
    }

    /// `isDatastorePoolTooLow` (domain-facts §2.9).
    fn too_low(&self, ctx: &Ctx, s: PoolStats) -> bool {
        if s.total >= self.max_pods {
            return false; // ipamd does not over-provision past max pods
        }
        if ctx.cfg.ip_targets_set() {
            return short_ips(ctx.cfg, s) > 0;
        }
        let (w, per) = if ctx.pd {
            (ctx.cfg.warm_prefix_target, IPS_PER_PREFIX)
        } else {
            (ctx.cfg.warm_eni_target, ctx.m)
        };
        s.available < w.saturating_mul(per) || (w == 0 && s.available == 0)
    }

    /// Slots to request: every free slot (secondary, no IP targets), the
    /// shortfall (IP targets), or prefixes (PD) — §2.9 "Grow".
    fn request(&self, ctx: &Ctx, s: PoolStats) -> u32 {
        let short = short_ips(ctx.cfg, s);
        match (ctx.pd, ctx.cfg.ip_targets_set()) {
            (false, false) => u32::MAX,
            (false, true) => short.max(1),
            (true, true) => short.div_ceil(IPS_PER_PREFIX).max(1),
            (true, false) => ctx
                .cfg
                .warm_prefix_target
                .saturating_sub(s.idle_prefixes)
                .max(1),
        }
    }

    /// `increaseDatastorePool`: addresses on an attached ENI first
    /// (`tryAssignIPs` / `tryAssignPrefixes`), else a new ENI
    /// (`tryAllocateENI`); nothing while the insufficient-address back-off
    /// lasts.
    fn grow(
        &mut self,
        ctx: &Ctx,
        s: PoolStats,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        // `inInsufficientCidrCoolingPeriod`: after EC2 refused for want of
        // addresses, ipamd does not ask again for `insufficientCidrErrorCooldown`.
        let reason = self.too_low_reason(ctx, s);
        let mut said = Said::default();
        if self.insufficient_backoff_ms(now_ms).is_some() {
            // Its debug lines, each pass (Go's %v of 120 s is `2m0s`).
            said.line(reason);
            said.line(
                "Recently we had InsufficientCidr error hence will wait for 2m0s before retrying"
                    .into(),
            );
            self.log_pass(now_ms, events, said);
            return false;
        }
        let want = self.request(ctx, s);
        match self.try_assign(ctx, want, subnets, now_ms, events, &mut said) {
            Assigned::Yes => {
                self.log_pass(now_ms, events, said);
                return true;
            }
            Assigned::Refused => {
                self.refused(now_ms, events, said);
                return false;
            }
            Assigned::NoEni => {}
        }
        if self.enis.len() as u32 >= ctx.max_enis {
            // Two debug lines in ipamd: `isDatastorePoolTooLow`'s reason,
            // then `increaseDatastorePool`'s.
            said.line(reason);
            said.line("Skipping ENI allocation as the max ENI limit is already reached".into());
            self.log_pass(now_ms, events, said);
            return false;
        }
        match self.create_eni(ctx.pd, want.min(ctx.m), subnets, now_ms, events, &mut said) {
            Ok(created) => {
                self.log_pass(now_ms, events, said);
                created
            }
            Err(err) => {
                // ipamd.go `tryAllocateENI` logs `...allocate ENI %v` with
                // awsutils' wrapped error (`AllocENI: failed to create
                // ENI`, `failed to create network interface`) around the
                // AWS SDK v2's `operation error … api error Code: Message`.
                // (Its next line, `Failed to allocate %d IP addresses on an
                // ENI: %v`, repeats the same error and is left out.)
                said.refusal(
                    format!(
                        "Failed to increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: \
                         failed to create network interface: {}",
                        sdk_error(CREATE, &err)
                    ),
                    &err,
                );
                self.refused(now_ms, events, said);
                false
            }
        }
    }

    fn too_low_reason(&self, ctx: &Ctx, s: PoolStats) -> String {
        if ctx.cfg.ip_targets_set() {
            format!(
                "IP pool is too low: short of {} IPs (WARM_IP_TARGET {}, MINIMUM_IP_TARGET {})",
                short_ips(ctx.cfg, s),
                ctx.cfg.warm_ip_target,
                ctx.cfg.minimum_ip_target
            )
        } else if ctx.pd {
            format!(
                "IP pool is too low: available ({}) < ENI target ({}) * addrsPerENI ({})",
                s.available, ctx.cfg.warm_prefix_target, IPS_PER_PREFIX
            )
        } else {
            format!(
                "IP pool is too low: available ({}) < ENI target ({}) * addrsPerENI ({})",
                s.available, ctx.cfg.warm_eni_target, ctx.m
            )
        }
    }

    /// `tryAssignIPs` / `tryAssignPrefixes`: on the first ENI with free
    /// slots, one `AssignPrivateIpAddresses` call for as many as it may
    /// hold (up to `want`); refused, the same call for 1. Refused again,
    /// the next ENI with `ENABLE_SUBNET_DISCOVERY` (its subnet may differ),
    /// else ipamd stops this pass. Every refusal the model makes is for
    /// want of addresses (`containsInsufficientCIDRsOrSubnetIPs`).
    fn try_assign(
        &mut self,
        ctx: &Ctx,
        want: u32,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
        said: &mut Said,
    ) -> Assigned {
        let roomy: Vec<(usize, EniId, u32)> = self
            .enis
            .iter()
            .enumerate()
            .filter(|(_, e)| self.for_pods(e) && e.slots_used() < ctx.m)
            .map(|(i, e)| (i, e.id, ctx.m.saturating_sub(e.slots_used())))
            .collect();
        let what = if ctx.pd {
            "IPv4 Prefixes"
        } else {
            "IP addresses"
        };
        for (idx, eni, room) in roomy {
            let err = match self.add_to_eni(ctx.pd, idx, want.min(room), subnets, now_ms, events) {
                Ok(()) => return Assigned::Yes,
                Err(err) => err,
            };
            said.refusal(assign_refused(eni, &err), &err);
            said.refusal(
                format!(
                    "failed to allocate all available {what} on ENI {eni}, err: {}",
                    sdk_error(ASSIGN, &err)
                ),
                &err,
            );
            // "Try to just get one more IP" (or prefix).
            let err = match self.add_to_eni(ctx.pd, idx, 1, subnets, now_ms, events) {
                Ok(()) => return Assigned::Yes,
                Err(err) => err,
            };
            said.refusal(assign_refused(eni, &err), &err);
            if !ctx.cfg.subnet_discovery {
                return Assigned::Refused;
            }
        }
        Assigned::NoEni
    }

    /// EC2 refused for want of addresses: ipamd's advice, then the
    /// back-off (`increaseDatastorePool`, `tryAllocateENI`).
    fn refused(&mut self, now_ms: u64, events: &mut Recorder, mut said: Said) {
        said.line(INSUFFICIENT_ADVICE.to_owned());
        if let AgentMemory::Ipamd {
            insufficient_at_ms, ..
        } = &mut self.agent
        {
            *insufficient_at_ms = Some(now_ms);
        }
        self.log_pass(now_ms, events, said);
    }

    /// While ipamd waits after an insufficient-address refusal, how long it
    /// still waits, ms (`inInsufficientCidrCoolingPeriod`: it asks again
    /// once more than [`INSUFFICIENT_COOLDOWN_MS`] have passed).
    pub fn insufficient_backoff_ms(&self, now_ms: u64) -> Option<u64> {
        match self.agent {
            AgentMemory::Ipamd {
                insufficient_at_ms: Some(at),
                ..
            } => {
                let ends = at.saturating_add(INSUFFICIENT_COOLDOWN_MS);
                (now_ms <= ends).then(|| ends - now_ms + 1)
            }
            _ => None,
        }
    }

    /// One `AssignPrivateIpAddresses` call on ENI `idx` for `n` IPs (or
    /// `/28` prefixes): EC2 assigns all of them or refuses.
    fn add_to_eni(
        &mut self,
        pd: bool,
        idx: usize,
        n: u32,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> Result<(), AllocError> {
        let node = self.node;
        let Some(eni) = self.enis.get_mut(idx) else {
            return Ok(());
        };
        let pool = subnets
            .pool_mut(eni.subnet)
            .ok_or_else(|| no_pool(eni.subnet))?;
        if pd {
            let prefixes = take_prefixes(pool, eni.id, n)?;
            eni.prefixes
                .extend(prefixes.iter().map(|p| PrefixSlot::new(*p)));
            events.push(at(
                now_ms,
                EventKind::PrefixesAssigned {
                    node,
                    eni: eni.id,
                    prefixes,
                },
            ));
        } else {
            let ips = pool.allocate_many(n, Holder::Secondary(eni.id))?;
            eni.secondary.extend(ips.iter().map(|ip| IpSlot::new(*ip)));
            events.push(at(
                now_ms,
                EventKind::SecondaryIpsAssigned {
                    node,
                    eni: eni.id,
                    ips,
                },
            ));
        }
        Ok(())
    }

    /// `CreateNetworkInterface` with its first `n` IPs or prefixes in one
    /// call, then attach at the lowest free device index.
    fn create_eni(
        &mut self,
        pd: bool,
        n: u32,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
        said: &mut Said,
    ) -> Result<bool, AllocError> {
        let operator = matches!(self.agent, AgentMemory::Operator { .. });
        let home = self.enis.first().map(|e| e.subnet);
        let Some(subnet) = subnets.subnet_for_new_eni(self) else {
            said.line(if operator {
                // pkg/aws/eni/node.go `CreateInterface` when
                // `findSuitableSubnet` finds none, as pkg/ipam/node.go
                // `createInterface` logs it (Go's %v of the empty
                // subnet-ids and subnet-tags; podnet's VPC has no id).
                format!(
                    "Unable to create interface on instance: No matching subnet available for interface creation \
                     (VPC=<vpc> AZ={} SubnetIDs=[] SubnetTags=map[])",
                    home.map(|h| subnets.zone_of(h)).unwrap_or_default()
                )
            } else {
                // ipamd's words when custom networking has no ENIConfig for the node.
                "No ENIConfig could be found for this node; Failed to attach any ENIs for custom networking".into()
            });
            return Ok(false);
        };
        if let Some(home) =
            home.filter(|h| operator && *h != subnet && !subnets.routes_alike(*h, subnet))
        {
            // `logSubnetRouteTableMismatch` with no match type (the double
            // space is upstream's).
            said.line(format!(
                "ENI NodeSubnet and  subnet are not in the same route tables, and you might have unexpected traffic routing \
                 (subnetID={home}, subnetID={subnet})"
            ));
        }
        let needed = if pd { 1 } else { 1 + n };
        let (id, primary_ip) = new_eni_address(subnets, subnet, needed, Holder::EniPrimary)?;
        let pool = subnets.pool_mut(subnet).ok_or_else(|| no_pool(subnet))?;
        let mut eni = Eni {
            id,
            kind: EniKind::NodeSecondary,
            node: Some(self.node),
            subnet,
            device_index: self.lowest_free_device_index(),
            primary_ip,
            secondary: Vec::new(),
            prefixes: Vec::new(),
            attached_at_ms: now_ms,
            free_from: 0,
        };
        if pd {
            match take_prefixes(pool, id, n) {
                Ok(prefixes) => eni.prefixes = prefixes.into_iter().map(PrefixSlot::new).collect(),
                Err(err) => {
                    pool.release(primary_ip);
                    return Err(err);
                }
            }
        } else {
            let ips = pool.allocate_many(n, Holder::Secondary(id))?;
            eni.secondary = ips.into_iter().map(IpSlot::new).collect();
        }
        events.push(at(
            now_ms,
            EventKind::EniAttached {
                node: self.node,
                eni: id,
                subnet,
                device_index: eni.device_index,
                primary_ip,
                secondary_ips: eni.secondary.len() as u32,
                prefixes: eni.prefixes.len() as u32,
            },
        ));
        self.enis.push(eni);
        self.enis.sort_unstable_by_key(|e| e.device_index);
        Ok(true)
    }

    /// `awsGetFreeDeviceNumber`: the lowest index no ENI of the node uses.
    fn lowest_free_device_index(&self) -> u32 {
        (0..)
            .find(|i| self.enis.iter().all(|e| e.device_index != *i))
            .unwrap_or(0)
    }

    /// What one pass of the agent logged, in order. ipamd (and the
    /// cilium-operator) say the same every pass while nothing changes; the
    /// timeline shows it once, until a pass says something else. A pass
    /// that logs nothing ends the repeat.
    pub(super) fn log_pass(&mut self, now_ms: u64, events: &mut Recorder, said: Said) {
        self.log_pass_as(now_ms, events, said, |node, message| EventKind::IpamdLog {
            node,
            message,
        });
    }

    pub(super) fn log_pass_as(
        &mut self,
        now_ms: u64,
        events: &mut Recorder,
        said: Said,
        kind: fn(NodeId, String) -> EventKind,
    ) {
        if said.lines.is_empty() {
            self.last_log = None;
            return;
        }
        if self.last_log.as_deref() != Some(said.gist.as_str()) {
            self.last_log = Some(said.gist);
            for message in said.lines {
                events.push(at(now_ms, kind(self.node, message)));
            }
        }
    }
}

/// What one pass of an agent logs, and what makes two passes say the same.
#[derive(Debug, Default)]
pub(super) struct Said {
    lines: Vec<String>,
    /// The lines without podnet's numbers of an EC2 refusal (free,
    /// requested): they fall while single-IP retries succeed, and the real
    /// lines do not carry them.
    gist: String,
}

impl Said {
    /// A line as the agent logs it.
    pub(super) fn line(&mut self, line: String) {
        self.gist.push_str(&line);
        self.gist.push('\n');
        self.lines.push(line);
    }

    /// A line that quotes EC2's refusal `err`, with podnet's numbers.
    pub(super) fn refusal(&mut self, line: String, err: &AllocError) {
        self.gist.push_str(&line.replace(&err.numbers(), ""));
        self.gist.push('\n');
        self.lines.push(line);
    }
}

/// What `tryAssignIPs` / `tryAssignPrefixes` returned.
enum Assigned {
    /// Addresses (or prefixes) were added to an ENI.
    Yes,
    /// EC2 refused and ipamd gives up this pass (without subnet discovery).
    Refused,
    /// No attached ENI took any: try a new ENI.
    NoEni,
}

/// `insufficientCidrErrorCooldown` (ipamd.go): 2 minutes.
pub const INSUFFICIENT_COOLDOWN_MS: u64 = 120_000;

/// ipamd's advice when EC2 refused for want of addresses
/// (`increaseDatastorePool`, `tryAllocateENI`), word for word.
pub const INSUFFICIENT_ADVICE: &str =
    "Unable to attach IPs/Prefixes for the ENI, subnet doesn't seem to have enough IPs/Prefixes. \
     Consider using new subnet or carve a reserved range using create-subnet-cidr-reservation";

/// awsutils.go `AllocIPAddresses`: the same words for addresses and
/// prefixes, then the AWS SDK v2's error.
fn assign_refused(eni: EniId, err: &AllocError) -> String {
    format!(
        "Failed to allocate a private IP/Prefix addresses on ENI {eni}: {}",
        sdk_error(ASSIGN, err)
    )
}

/// `short = max(WARM_IP_TARGET − available, MINIMUM_IP_TARGET − total, 0)`.
fn short_ips(cfg: &VpcCni, s: PoolStats) -> u32 {
    cfg.warm_ip_target
        .saturating_sub(s.available)
        .max(cfg.minimum_ip_target.saturating_sub(s.total))
}

/// `n` free aligned `/28`s for `eni`, all or none: EC2 refuses a request
/// it cannot satisfy whole (`InsufficientCidrBlocks`).
fn take_prefixes(pool: &mut IpPool, eni: EniId, n: u32) -> Result<Vec<ipnet::Ipv4Net>, AllocError> {
    if pool.free_prefixes() < n {
        return Err(AllocError::InsufficientCidrBlocks {
            subnet: pool.cidr(),
            free: pool.free(),
        });
    }
    (0..n)
        .map(|_| pool.allocate_prefix(Holder::Prefix(eni)))
        .collect()
}

fn ec2_code(err: &AllocError) -> String {
    format!("{} ({})", err.ec2_message(), err.numbers())
}

/// The EC2 call that adds addresses or prefixes to an ENI.
pub(super) const ASSIGN: &str = "AssignPrivateIpAddresses";
/// The EC2 call that creates an ENI.
pub(super) const CREATE: &str = "CreateNetworkInterface";

/// EC2's refusal of `operation` as the AWS SDK for Go v2 words it, the form
/// ipamd and the cilium-operator log (smithy-go's `OperationError`,
/// `ResponseError` and `GenericAPIError`); the request id is elided.
pub(super) fn sdk_error(operation: &str, err: &AllocError) -> String {
    format!(
        "operation error EC2: {operation}, https response error StatusCode: 400, RequestID: <id>, api error {}",
        ec2_code(err)
    )
}

/// A subnet id with no pool is a model bug; it is reported as an empty
/// subnet rather than a panic, which would kill the page.
/// The first address of a new ENI in `subnet`, for `holder(id)`: checks
/// that the subnet has `needed` free addresses before taking an ENI id, so
/// a refusal changes nothing.
pub(super) fn new_eni_address(
    subnets: &mut dyn Subnets,
    subnet: SubnetId,
    needed: u32,
    holder: fn(EniId) -> Holder,
) -> Result<(EniId, Ipv4Addr), AllocError> {
    let pool = subnets.pool_mut(subnet).ok_or_else(|| no_pool(subnet))?;
    if pool.free() < needed {
        return Err(AllocError::InsufficientFreeAddressesInSubnet {
            subnet: pool.cidr(),
            requested: needed,
            free: pool.free(),
        });
    }
    let id = subnets.next_eni_id();
    let pool = subnets.pool_mut(subnet).ok_or_else(|| no_pool(subnet))?;
    Ok((id, pool.allocate(holder(id))?))
}

fn no_pool(_subnet: SubnetId) -> AllocError {
    AllocError::InsufficientFreeAddressesInSubnet {
        subnet: ipnet::Ipv4Net::default(),
        requested: 1,
        free: 0,
    }
}

pub(super) fn at(at_ms: u64, kind: EventKind) -> Event {
    Event::new(at_ms, kind)
}

mod cilium_operator;
mod shrink;
#[cfg(test)]
mod tests;
mod trunk;
