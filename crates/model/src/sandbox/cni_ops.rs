//! `SetCni`: the sandbox validates the new settings, then the strategy
//! checks them against what the nodes hold and applies them.

use super::{Sandbox, SandboxError};
use crate::cni::Cni as _;
use crate::cni::{CniMode, SettingsError};
use crate::events::{EventKind, Recorder};

impl Sandbox {
    pub(super) fn set_cni(
        &mut self,
        cni: CniMode,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        if !cni.same_strategy(&self.cni) && !self.nodes.is_empty() {
            return Err(SandboxError::CniSwitch {
                from: self.cni.strategy().name().into(),
                to: cni.strategy().name().into(),
                nodes: self.nodes.len() as u32,
            });
        }
        let service = self.cluster.as_ref().map(|c| c.service_cidr());
        if let Some(reason) = cni.problem(&self.vpc.cidrs, service) {
            return Err(SandboxError::CniSettings { reason });
        }
        // Node pod CIDRs are given once, when a node registers
        // (kube-controller-manager cidr_set.go, the cilium-operator): a
        // new cluster CIDR or mask would leave running nodes outside it.
        let (before, after) = (self.cni.plan(), cni.plan());
        if let Some(held) = before.filter(|b| Some(*b) != after && !self.nodes.is_empty()) {
            return Err(SandboxError::CniSettings {
                reason: SettingsError::RangesHeld {
                    nodes: self.nodes.len() as u32,
                    cluster: held.cluster,
                    node_len: held.node_len,
                },
            });
        }
        cni.strategy().check_change(self)?;
        let summary = cni.strategy().summary();
        if !cni.same_strategy(&self.cni) {
            // No node runs yet (checked above): the new strategy starts afresh.
            self.cni_state = cni.strategy().initial_state();
        }
        self.cni = cni.clone();
        self.event(events, EventKind::CniChanged { summary });
        cni.strategy().after_change(self, events);
        Ok(())
    }
}
