//! The cilium-operator keeping one node's ENI pool between its watermarks
//! (Cilium's ENI IPAM; the rules are in [`crate::cni::cilium_eni`]). It
//! reuses the ENI mechanics of ipamd's module, not its policy.

use super::{sdk_error, AgentMemory, NodeIpam, Said, Subnets, ASSIGN, CREATE};
use crate::cni::cilium_eni::CiliumEni;
use crate::cni::vpc_cni::IPS_PER_PREFIX;
use crate::events::{EventKind, Recorder};

impl NodeIpam {
    fn set_excess_since(&mut self, since: Option<u64>) {
        self.agent = AgentMemory::Operator {
            excess_since_ms: since,
        };
    }

    /// The same node under Cilium's ENI IPAM: ENIs below `first` hold no
    /// pod addresses (`first-interface-index`).
    #[must_use]
    pub fn with_first_pod_eni(self, first: u32) -> Self {
        Self {
            first_pod_eni: first,
            ..self
        }
    }

    /// One operator resync of this node: allocate what the watermarks ask
    /// for (IPs on an ENI with free slots, else a new ENI), or release the
    /// excess once it has lasted the release delay. Whether anything changed.
    pub fn operator_tick(
        &mut self,
        cfg: &CiliumEni,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let s = self.stats(now_ms);
        let pd = cfg.prefix_delegation && self.prefix_capable;
        // The operator, not ipamd, keeps this node's pool.
        if !matches!(self.agent, AgentMemory::Operator { .. }) {
            self.agent = AgentMemory::Operator {
                excess_since_ms: None,
            };
        }
        let m = self.limits.ipv4_per_eni.saturating_sub(1);
        let need = cfg.needed(s.total, s.assigned);
        if need > 0 {
            self.set_excess_since(None);
            let want = cfg.allocation(need);
            return self.operator_allocate(pd, m, want, subnets, now_ms, events);
        }
        let excess = cfg.excess(s.total, s.assigned);
        if !cfg.release_excess_ips || excess == 0 {
            self.set_excess_since(None);
            return false;
        }
        let since = match self.agent {
            AgentMemory::Operator {
                excess_since_ms: Some(since),
            } => since,
            _ => {
                self.set_excess_since(Some(now_ms));
                now_ms
            }
        };
        if now_ms.saturating_sub(since) < u64::from(cfg.excess_ip_release_delay_s) * 1000 {
            return false;
        }
        self.set_excess_since(None);
        if pd {
            self.release_prefixes(excess / IPS_PER_PREFIX, subnets, now_ms, events)
        } else {
            self.release_ips(excess, subnets, now_ms, events)
        }
    }

    fn operator_allocate(
        &mut self,
        pd: bool,
        m: u32,
        need: u32,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        let want = if pd {
            need.div_ceil(IPS_PER_PREFIX)
        } else {
            need
        };
        // `PrepareIPAllocation` (pkg/aws/eni/node.go): the first ENI with
        // free slots whose subnet has free addresses, asked for no more
        // than the subnet has (`min(subnet.AvailableAddresses,
        // availableOnENI)`). The operator reads the subnets EC2 describes;
        // podnet's are always current, so IPs never fail for want of
        // addresses, only prefixes can (no aligned /28 free).
        let existing = self.enis.iter().enumerate().find_map(|(i, e)| {
            let room = m.saturating_sub(e.slots_used());
            let free = subnets.pool_mut(e.subnet).map_or(0, |p| p.free());
            (self.for_pods(e) && room > 0 && free > 0).then_some((i, e.id, room, free))
        });
        // What this resync logs, in the operator's words (pkg/ipam/node.go
        // `allocate` and `createInterface`, pkg/aws/eni/node.go
        // `CreateInterface`), with the AWS SDK v2's error.
        let mut said = Said::default();
        if let Some((idx, eni, room, free)) = existing {
            let n = if pd {
                want.min(room)
            } else {
                want.min(room).min(free)
            };
            match self.add_to_eni(pd, idx, n, subnets, now_ms, events) {
                Ok(()) => {
                    self.last_log = None;
                    return true;
                }
                // It then tries a new interface in the same resync.
                Err(err) => {
                    said.refusal(
                        format!(
                            "Unable to assign additional IPs to interface, will create new interface \
                             (selectedInterface={eni}, ipsToAllocate={n}, error: {})",
                            sdk_error(ASSIGN, &err)
                        ),
                        &err,
                    );
                }
            }
        }
        if self.enis.len() as u32 >= self.limits.max_enis {
            said.line(format!(
                "Instance is out of interfaces (all {} ENIs are attached and full; {need} more IPs wanted by pre-allocate)",
                self.limits.max_enis
            ));
            self.operator_log(now_ms, events, said);
            return false;
        }
        match self.create_eni(pd, want.min(m), subnets, now_ms, events, &mut said) {
            Ok(created) => {
                self.operator_log(now_ms, events, said);
                created
            }
            Err(err) => {
                said.refusal(
                    format!(
                        "Unable to create interface on instance: unable to create ENI: {}",
                        sdk_error(CREATE, &err)
                    ),
                    &err,
                );
                self.operator_log(now_ms, events, said);
                false
            }
        }
    }

    fn operator_log(&mut self, now_ms: u64, events: &mut Recorder, said: Said) {
        self.log_pass_as(now_ms, events, said, |node, message| {
            EventKind::OperatorLog { node, message }
        });
    }
}
