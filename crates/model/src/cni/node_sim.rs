//! One node and its ipamd, alone in a large subnet: what `podnet ipamd`
//! runs, and the check of ipamd's rules against the worked examples of the
//! VPC CNI docs (domain-facts §2.3) and the steady-state table (§2.9).

use std::collections::{BTreeSet, VecDeque};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::ipamd::{NodeIpam, Subnets, POOL_MONITOR_INTERVAL_MS};
use super::vpc_cni::VpcCni;
use crate::catalog::InstanceLimits;
use crate::events::{Event, EventKind, Recorder};
use crate::ids::{EniId, NodeId, PodId, SubnetId};
use crate::ipam::{AllocError, IpPool};

/// Loop iterations `settle` runs at most before giving up (a guard, never
/// reached by the rules: each iteration either changes the pool or stops).
const MAX_SETTLE_STEPS: u32 = 10_000;

/// The one subnet of a [`SingleNode`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct OneSubnet {
    pool: IpPool,
    next_eni: u32,
}

impl Subnets for OneSubnet {
    fn subnet_for_new_eni(&self, _node: &NodeIpam) -> Option<SubnetId> {
        Some(SubnetId(1))
    }

    fn pool_mut(&mut self, subnet: SubnetId) -> Option<&mut IpPool> {
        (subnet == SubnetId(1)).then_some(&mut self.pool)
    }

    fn next_eni_id(&mut self) -> EniId {
        self.next_eni += 1;
        EniId(self.next_eni)
    }
}

/// What `podnet ipamd --json` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpamdSummary {
    /// ENIs attached.
    pub enis: u32,
    /// Pod-usable IPs held (ENI primary IPs excluded; 16 per prefix).
    pub secondary_ips: u32,
    /// `/28` prefixes held.
    pub prefixes: u32,
    /// Pods with an IP.
    pub pods: u32,
    /// Held IPs no pod uses.
    pub available: u32,
}

/// A node, its ipamd and its subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleNode {
    /// The VPC CNI settings.
    pub cfg: VpcCni,
    /// The node's ENIs and ipamd state.
    pub ipam: NodeIpam,
    subnet: OneSubnet,
    /// Simulated time, ms.
    pub now_ms: u64,
    /// Everything that happened, oldest first, repeats counted.
    events: Recorder,
    /// Pods waiting for an IP (ContainerCreating), oldest first.
    pub waiting: VecDeque<PodId>,
    /// Pods whose sandbox failure was already reported (the kubelet's
    /// retries repeat it; the timeline shows it once).
    failed: BTreeSet<PodId>,
    running: Vec<(PodId, Ipv4Addr)>,
    next_pod: u32,
}

impl SingleNode {
    /// Launches the node in `cidr` and lets ipamd fill its warm pool.
    ///
    /// # Errors
    /// [`AllocError`] when the subnet cannot hold the node IP.
    pub fn launch(
        limits: InstanceLimits,
        prefix_capable: bool,
        max_pods: u32,
        cfg: VpcCni,
        cidr: Ipv4Net,
    ) -> Result<Self, AllocError> {
        let mut subnet = OneSubnet {
            pool: IpPool::new(cidr),
            next_eni: 0,
        };
        let ipam = NodeIpam::launch(
            NodeId(1),
            limits,
            prefix_capable,
            max_pods,
            SubnetId(1),
            &mut subnet,
            0,
        )?;
        let mut sim = Self {
            cfg,
            ipam,
            subnet,
            now_ms: 0,
            events: Recorder::new(),
            waiting: VecDeque::new(),
            failed: BTreeSet::new(),
            running: Vec::new(),
            next_pod: 0,
        };
        sim.settle();
        Ok(sim)
    }

    /// Schedules one (non-hostNetwork) pod; it gets an IP now or waits in
    /// ContainerCreating while ipamd grows the pool.
    pub fn add_pod(&mut self) -> PodId {
        self.next_pod += 1;
        let pod = PodId(self.next_pod);
        self.waiting.push_back(pod);
        self.retry_waiting();
        if self.waiting.back() == Some(&pod) && self.failed.insert(pod) {
            let kind = EventKind::PodSandboxFailed {
                pod,
                node: self.ipam.node,
                plugin: String::new(),
                cause: String::new(),
                why: String::new(),
            };
            self.events.push(Event::new(self.now_ms, kind));
        }
        self.settle();
        pod
    }

    /// Deletes a pod; its IP cools down, then ipamd may shrink the pool.
    pub fn delete_pod(&mut self, pod: PodId) {
        self.waiting.retain(|p| *p != pod);
        if let Some(ip) = self
            .ipam
            .unassign_pod(pod, self.cfg.ip_cooldown_s, self.now_ms)
        {
            self.running.retain(|(p, _)| *p != pod);
            let kind = EventKind::PodIpReleased {
                pod,
                ip,
                cooldown_s: self.cfg.ip_cooldown_s,
            };
            self.events.push(Event::new(self.now_ms, kind));
        }
    }

    /// Runs ipamd's loop for `ms` of simulated time, one iteration per 5 s.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now_ms + ms;
        while self.now_ms + POOL_MONITOR_INTERVAL_MS <= end {
            self.now_ms += POOL_MONITOR_INTERVAL_MS;
            self.tick();
        }
        self.now_ms = end;
    }

    /// Runs ipamd's loop until an iteration changes nothing. Time moves on
    /// only for iterations that did something, so the timeline shows when
    /// each change happened, not idle polling.
    pub fn settle(&mut self) {
        for _ in 0..MAX_SETTLE_STEPS {
            let (before, pushed) = (self.now_ms, self.events.pushes());
            self.now_ms += POOL_MONITOR_INTERVAL_MS;
            if !self.tick() {
                if self.events.pushes() == pushed {
                    self.now_ms = before;
                }
                return;
            }
        }
        let kind = EventKind::SettleCapped {
            passes: MAX_SETTLE_STEPS,
        };
        self.events.push(Event::new(self.now_ms, kind));
    }

    /// The pool as `podnet ipamd` reports it.
    pub fn summary(&self) -> IpamdSummary {
        let s = self.ipam.stats(self.now_ms);
        IpamdSummary {
            enis: s.enis,
            secondary_ips: s.total,
            prefixes: s.prefixes,
            pods: self.running.len() as u32,
            available: s.available,
        }
    }

    /// Everything that happened, oldest first, repeats counted (at most
    /// [`crate::events::MAX_ROUTINE`] routine events and as many warnings).
    pub fn events(&self) -> &[Event] {
        self.events.events()
    }

    /// The subnet's pool.
    pub fn pool(&self) -> &IpPool {
        &self.subnet.pool
    }

    fn tick(&mut self) -> bool {
        let changed = self
            .ipam
            .tick(&self.cfg, &mut self.subnet, self.now_ms, &mut self.events);
        self.retry_waiting();
        changed
    }

    /// The kubelet retries sandbox creation for pods still without an IP,
    /// oldest first. The pods are alike to ipamd, so once one finds no
    /// address the younger ones would not either: the pass stops there
    /// (linear in the pods that got an address, not in all that wait).
    /// A pod's failure is reported once, when it is added.
    fn retry_waiting(&mut self) {
        let mut got = 0;
        for &pod in &self.waiting {
            let Some((eni, ip)) = self.ipam.assign_pod(pod, self.now_ms) else {
                break;
            };
            got += 1;
            self.running.push((pod, ip));
            let kind = EventKind::PodIpAssigned {
                pod,
                node: self.ipam.node,
                eni,
                ip,
            };
            self.events.push(Event::new(self.now_ms, kind));
        }
        self.waiting.drain(..got);
    }
}

#[cfg(test)]
mod tests;
