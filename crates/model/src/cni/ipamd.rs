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
            AgentMemory::Ipamd { last_decrease_ms } => last_decrease_ms,
            other => {
                *other = AgentMemory::Ipamd {
                    last_decrease_ms: 0,
                };
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

    fn grow(
        &mut self,
        ctx: &Ctx,
        s: PoolStats,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let want = self.request(ctx, s);
        let reason = self.too_low_reason(ctx, s);
        let existing = self
            .enis
            .iter()
            .position(|e| self.for_pods(e) && e.slots_used() < ctx.m);
        if let Some(idx) = existing {
            match self.add_to_eni(ctx.pd, ctx.m, idx, want, subnets, now_ms, events) {
                Ok(()) => {
                    self.last_log = None;
                    return true;
                }
                Err(err) => {
                    let eni = self.enis.get(idx).map_or(EniId(0), |e| e.id);
                    // awsutils.go `AllocIPAddresses`: the same words for
                    // addresses and prefixes, then the AWS SDK v2's error.
                    self.log(
                        now_ms,
                        events,
                        format!(
                            "Failed to allocate a private IP/Prefix addresses on ENI {eni}: {}",
                            sdk_error(ASSIGN, &err)
                        ),
                    );
                }
            }
        }
        if self.enis.len() as u32 >= ctx.max_enis {
            self.log(
                now_ms,
                events,
                format!(
                    "{reason}; Skipping ENI allocation as the max ENI limit is already reached"
                ),
            );
            return false;
        }
        match self.create_eni(ctx.pd, want.min(ctx.m), subnets, now_ms, events) {
            Ok(created) => {
                if created {
                    self.last_log = None;
                }
                created
            }
            Err(err) => {
                self.log(
                    now_ms,
                    events,
                    // ipamd.go `tryAllocateENI` logs `...allocate ENI %v` with
                    // awsutils' wrapped error (`AllocENI: failed to create
                    // ENI`, `failed to create network interface`) around the
                    // AWS SDK v2's `operation error … api error Code: Message`.
                    format!(
                        "Failed to increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: \
                         failed to create network interface: {}",
                        sdk_error(CREATE, &err)
                    ),
                );
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

    /// Adds up to `want` slots to ENI `idx`; in secondary mode a failed
    /// batch is retried with 1, as `tryAssignIPs` does.
    #[allow(clippy::too_many_arguments)]
    fn add_to_eni(
        &mut self,
        pd: bool,
        m: u32,
        idx: usize,
        want: u32,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> Result<(), AllocError> {
        let node = self.node;
        let Some(eni) = self.enis.get_mut(idx) else {
            return Ok(());
        };
        let n = want.min(m.saturating_sub(eni.slots_used()));
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
            let ips = pool
                .allocate_many(n, Holder::Secondary(eni.id))
                .or_else(|_| pool.allocate_many(1, Holder::Secondary(eni.id)))?;
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
    ) -> Result<bool, AllocError> {
        let Some(subnet) = subnets.subnet_for_new_eni(self) else {
            // ipamd's words when custom networking has no ENIConfig for the node.
            self.log(now_ms, events, "No ENIConfig could be found for this node; Failed to attach any ENIs for custom networking".into());
            return Ok(false);
        };
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

    fn log(&mut self, now_ms: u64, events: &mut Recorder, message: String) {
        // ipamd repeats the same line every 5 s; the timeline shows it once.
        if self.last_log.as_deref() != Some(message.as_str()) {
            self.last_log = Some(message.clone());
            events.push(at(
                now_ms,
                EventKind::IpamdLog {
                    node: self.node,
                    message,
                },
            ));
        }
    }
}

/// `short = max(WARM_IP_TARGET − available, MINIMUM_IP_TARGET − total, 0)`.
fn short_ips(cfg: &VpcCni, s: PoolStats) -> u32 {
    cfg.warm_ip_target
        .saturating_sub(s.available)
        .max(cfg.minimum_ip_target.saturating_sub(s.total))
}

fn take_prefixes(pool: &mut IpPool, eni: EniId, n: u32) -> Result<Vec<ipnet::Ipv4Net>, AllocError> {
    let mut got = Vec::new();
    for _ in 0..n {
        match pool.allocate_prefix(Holder::Prefix(eni)) {
            Ok(p) => got.push(p),
            Err(err) if got.is_empty() => return Err(err),
            Err(_) => break,
        }
    }
    Ok(got)
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
mod trunk;
