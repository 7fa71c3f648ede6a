//! ipamd giving addresses back: surplus IPs and prefixes, then whole ENIs
//! (`isDatastorePoolTooHigh`, `tryUnassignCidrsFromAll`, `tryFreeENI`,
//! `shouldRemoveExtraENIs`; domain-facts §2.9 "Shrink").

use super::{at, Ctx, NodeIpam, Subnets, MIN_ENI_LIFETIME_MS};
use crate::cni::vpc_cni::IPS_PER_PREFIX;
use crate::eni::EniKind;
use crate::events::{EventKind, Recorder};

impl NodeIpam {
    /// Releases surplus warm IPs or idle prefixes, newest ENI first.
    pub(super) fn shrink(
        &mut self,
        ctx: &Ctx,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let s = self.stats(now_ms);
        let cfg = ctx.cfg;
        let over = match (ctx.pd, cfg.ip_targets_set()) {
            (false, true) => s
                .available
                .saturating_sub(cfg.warm_ip_target)
                .min(s.total.saturating_sub(cfg.minimum_ip_target)),
            (true, true) => s
                .idle_prefixes
                .min(
                    s.prefixes.saturating_sub(
                        s.assigned
                            .saturating_add(cfg.warm_ip_target)
                            .div_ceil(IPS_PER_PREFIX),
                    ),
                )
                .min(
                    s.prefixes
                        .saturating_sub(cfg.minimum_ip_target.div_ceil(IPS_PER_PREFIX)),
                ),
            (true, false) => s.idle_prefixes.saturating_sub(cfg.warm_prefix_target),
            // Secondary mode with WARM_ENI_TARGET frees whole ENIs, not IPs.
            (false, false) => 0,
        };
        if over == 0 {
            return false;
        }
        if ctx.pd {
            self.release_prefixes(over, subnets, now_ms, events)
        } else {
            self.release_ips(over, subnets, now_ms, events)
        }
    }

    pub(super) fn release_ips(
        &mut self,
        mut over: u32,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let node = self.node;
        let mut changed = false;
        for eni in self.enis.iter_mut().rev() {
            if over == 0 {
                break;
            }
            let Some(pool) = subnets.pool_mut(eni.subnet) else {
                continue;
            };
            let mut ips = Vec::new();
            eni.secondary.retain(|slot| {
                let release = over > 0 && slot.is_free(now_ms);
                if release {
                    over -= 1;
                    ips.push(slot.ip);
                }
                !release
            });
            for ip in &ips {
                pool.release(*ip);
            }
            // Slots moved: search for free ones from the start again.
            eni.free_from = 0;
            if !ips.is_empty() {
                ips.sort_unstable();
                events.push(at(
                    now_ms,
                    EventKind::SecondaryIpsReleased {
                        node,
                        eni: eni.id,
                        ips,
                    },
                ));
                changed = true;
            }
        }
        changed
    }

    pub(super) fn release_prefixes(
        &mut self,
        mut over: u32,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let node = self.node;
        let mut changed = false;
        for eni in self.enis.iter_mut().rev() {
            if over == 0 {
                break;
            }
            let Some(pool) = subnets.pool_mut(eni.subnet) else {
                continue;
            };
            let mut prefixes = Vec::new();
            eni.prefixes.retain(|p| {
                let release = over > 0 && p.is_idle(now_ms);
                if release {
                    over -= 1;
                    prefixes.push(p.prefix);
                }
                !release
            });
            for p in &prefixes {
                pool.release_prefix(*p);
            }
            if !prefixes.is_empty() {
                events.push(at(
                    now_ms,
                    EventKind::PrefixesReleased {
                        node,
                        eni: eni.id,
                        prefixes,
                    },
                ));
                changed = true;
            }
        }
        changed
    }

    /// Frees one ENI that no pod uses and the targets do not need.
    pub(super) fn try_free_eni(
        &mut self,
        ctx: &Ctx,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let s = self.stats(now_ms);
        let cfg = ctx.cfg;
        let candidate = self.enis.iter().rposition(|e| {
            let idle = e.kind == EniKind::NodeSecondary
                && e.assigned() == 0
                && !e.is_cooling(now_ms)
                && now_ms.saturating_sub(e.attached_at_ms) >= MIN_ENI_LIFETIME_MS;
            let held = e.pod_ips();
            let not_needed = if cfg.ip_targets_set() {
                s.available.saturating_sub(held) >= cfg.warm_ip_target
                    && s.total.saturating_sub(held) >= cfg.minimum_ip_target
            } else if ctx.pd {
                s.idle_prefixes.saturating_sub(e.prefixes.len() as u32) >= cfg.warm_prefix_target
            } else {
                s.available >= cfg.warm_eni_target.saturating_add(1).saturating_mul(ctx.m)
            };
            idle && not_needed
        });
        let Some(idx) = candidate else { return false };
        let eni = self.enis.remove(idx);
        let mut addresses = 1;
        if let Some(pool) = subnets.pool_mut(eni.subnet) {
            pool.release(eni.primary_ip);
            for slot in &eni.secondary {
                pool.release(slot.ip);
                addresses += 1;
            }
            for p in &eni.prefixes {
                pool.release_prefix(p.prefix);
                addresses += IPS_PER_PREFIX;
            }
        }
        events.push(at(
            now_ms,
            EventKind::EniDeleted {
                node: self.node,
                eni: eni.id,
                addresses,
            },
        ));
        true
    }
}
