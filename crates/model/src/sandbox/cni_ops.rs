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
        if let Some(reason) = cni.problem(&self.vpc.cidrs) {
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
        // Warned once per overlap: not again when other settings change.
        let before = self.service_overlap();
        self.cni = cni.clone();
        self.event(events, EventKind::CniChanged { summary });
        if self.service_overlap() != before {
            self.warn_of_service_overlap(events);
        }
        cni.strategy().after_change(self, events);
        Ok(())
    }
}

impl Sandbox {
    /// A warning when the CNI's pod range overlaps the cluster's service
    /// CIDR (allowed, as on EKS: see `CniMode::service_overlap`).
    pub(super) fn warn_of_service_overlap(&mut self, events: &mut Recorder) {
        if let Some(o) = self.service_overlap() {
            let (first, nth) = o.first.map_or((None, 0), |(r, n)| (Some(r), n));
            self.event(
                events,
                EventKind::PodRangeOverServices {
                    pool: o.pool,
                    service: o.service,
                    first,
                    nth,
                },
            );
        }
    }

    /// How the CNI's pod range meets the cluster's service CIDR, if there
    /// is a cluster and they overlap.
    fn service_overlap(&self) -> Option<crate::cni::ServiceOverlap> {
        self.cni.service_overlap(self.service_cidr()?)
    }

    /// The cluster's service CIDR, once there is a cluster.
    fn service_cidr(&self) -> Option<ipnet::Ipv4Net> {
        self.cluster.as_ref().map(|c| c.service_cidr())
    }

    /// A warning when a node's new pod range lies in the service CIDR.
    pub(super) fn warn_of_range_in_services(
        &mut self,
        node: crate::ids::NodeId,
        range: ipnet::Ipv4Net,
        events: &mut Recorder,
    ) {
        let Some(service) = self.service_cidr() else {
            return;
        };
        if crate::addr::overlaps(range, service) {
            self.event(
                events,
                EventKind::NodeRangeInServices {
                    node,
                    range,
                    service,
                },
            );
        }
    }
}
