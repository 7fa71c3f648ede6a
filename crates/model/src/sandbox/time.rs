//! Time: simulated seconds pass only through commands, in ipamd's (or the
//! cilium-operator's) 5-second passes.

use super::limits::check_range;
use super::nodes::Access;
use super::{Sandbox, SandboxError};
use crate::cni::ipamd::POOL_MONITOR_INTERVAL_MS;
use crate::events::{EventKind, Recorder};
use crate::ids::NodeId;
use crate::ordered::Ordered as _;
use std::collections::BTreeSet;

/// Time one command may let pass: a day.
pub const MAX_ADVANCE_S: u32 = 86_400;

/// Bound on ipamd iterations while settling (each one changes something).
/// Passes a settle may take: ipamd grows a pool by at most an ENI's worth
/// per pass, so even `WARM_IP_TARGET` 10,000 on a 50-IP ENI needs ~200;
/// more means the model oscillates ([`EventKind::SettleCapped`]).
const MAX_SETTLE_STEPS: u32 = 2_000;

impl Sandbox {
    pub(super) fn advance(
        &mut self,
        seconds: u32,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        check_range("seconds", u64::from(seconds), 1, u64::from(MAX_ADVANCE_S))?;
        let end = self.now_ms + u64::from(seconds) * 1000;
        let all: BTreeSet<NodeId> = self.nodes.keys().copied().into_set();
        while self.now_ms + POOL_MONITOR_INTERVAL_MS <= end {
            self.now_ms += POOL_MONITOR_INTERVAL_MS;
            self.tick_nodes(&all, events);
            self.assign_ips(events);
        }
        self.now_ms = end;
        // A trunk that waited for an ENI slot gets one once ipamd freed it.
        self.ensure_trunks(&all, events);
        self.schedule_and_settle(events, all);
        Ok(())
    }

    /// Places pending pods, gives scheduled pods their IPs, then lets ipamd
    /// grow the pools of the nodes this touched until nothing changes.
    /// Other nodes' ipamd runs when time is let pass (`AdvanceTime`); this
    /// keeps one action's cost independent of the cluster's size.
    pub(crate) fn schedule_and_settle(
        &mut self,
        events: &mut Recorder,
        mut touched: BTreeSet<NodeId>,
    ) {
        touched.extend(self.schedule(events));
        self.assign_ips(events);
        self.settle(events, &touched);
    }

    /// Lets ipamd (or the cilium-operator) run on `touched`, a pass every
    /// 5 s of simulated time, giving waiting pods their addresses, until a
    /// pass changes nothing.
    pub(super) fn settle(&mut self, events: &mut Recorder, touched: &BTreeSet<NodeId>) {
        for _ in 0..MAX_SETTLE_STEPS {
            let (before, pushed) = (self.now_ms, events.pushes());
            self.now_ms += POOL_MONITOR_INTERVAL_MS;
            if !self.tick_nodes(touched, events) {
                // An idle pass takes no time on the timeline, unless it
                // logged something: then the clock stays at that line, and
                // the kubelet's retries see that moment too (a cooldown
                // may have ended).
                if events.pushes() == pushed {
                    self.now_ms = before;
                } else {
                    self.assign_ips(events);
                }
                return;
            }
            self.assign_ips(events);
        }
        self.event(
            events,
            EventKind::SettleCapped {
                passes: MAX_SETTLE_STEPS,
            },
        );
    }

    /// One pass of the ENI agent (ipamd, the cilium-operator) on each of
    /// `nodes`; whether any changed. An overlay has no pool to grow.
    pub(super) fn tick_nodes(&mut self, nodes: &BTreeSet<NodeId>, events: &mut Recorder) -> bool {
        let cni = self.cni.clone();
        let Some(agent) = cni.eni_ipam() else {
            return false;
        };
        let eni_configs = self.eni_config_subnets();
        let mut changed = false;
        for id in nodes {
            // The agent runs in a DaemonSet pod: not on an unregistered instance.
            let Some(node) = self.nodes.get_mut(id).filter(|n| n.registered) else {
                continue;
            };
            let mut access = Access {
                subnets: &mut self.vpc.subnets,
                next_eni: &mut self.next.eni,
                discovery: agent.subnet_discovery(),
                eni_configs: &eni_configs,
            };
            changed |= agent.tick(&mut node.ipam, &mut access, self.now_ms, events);
        }
        changed
    }
}
