//! The settings a node's join depends on: VPC DNS, endpoint access, the
//! node role's mapping, two security group rules. Changing one re-runs every
//! node's way to the API server: instances that could not join register,
//! and registered nodes that lose the API server go NotReady.

use std::collections::BTreeSet;

use super::{Sandbox, SandboxError};
use crate::cluster::{EndpointAccess, NodeAccess, SgRules};
use crate::events::{EventKind, Recorder};
use crate::ids::NodeId;

impl Sandbox {
    pub(super) fn set_endpoint_access(
        &mut self,
        endpoint: EndpointAccess,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let c = self.cluster_mut("change the endpoint access")?;
        c.endpoint = endpoint;
        let summary = format!("API server endpoint access: {endpoint}");
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn set_node_access(
        &mut self,
        access: NodeAccess,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let c = self.cluster_mut("map the node role")?;
        c.node_access = access;
        let summary = format!("node IAM role mapped with {access}");
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn set_security_groups(
        &mut self,
        rules: SgRules,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let c = self.cluster_mut("change security groups")?;
        c.rules = rules;
        let word = |ok: bool| if ok { "allowed" } else { "not allowed" };
        let summary = format!(
            "cluster security group: TCP 443 from nodes {}; node security group: TCP 10250 from the control plane {}",
            word(rules.api_443),
            word(rules.kubelet_10250)
        );
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn cluster_mut(
        &mut self,
        action: &str,
    ) -> Result<&mut crate::cluster::ControlPlane, SandboxError> {
        self.cluster
            .as_mut()
            .ok_or_else(|| SandboxError::NoCluster {
                action: action.into(),
            })
    }

    /// Re-runs every node's way to the API server after a setting changed;
    /// the nodes that come up are scheduled onto together.
    pub(super) fn rejoin(&mut self, events: &mut Recorder) {
        self.ready_together(events, BTreeSet::new(), Self::rejoin_each);
    }

    fn rejoin_each(&mut self, events: &mut Recorder) {
        let ids: Vec<NodeId> = self.nodes.keys().copied().collect();
        let mut touched = BTreeSet::new();
        for id in ids {
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            let failure = self.join_failure(node);
            let (registered, before) = (node.registered, node.join_error.clone());
            match (failure, registered) {
                (None, false) => self.register(id, events),
                (None, true) if before.is_some() => {
                    if let Some(n) = self.nodes.get_mut(&id) {
                        n.join_error = None;
                    }
                    let name = self
                        .nodes
                        .get(&id)
                        .map(|n| n.name.clone())
                        .unwrap_or_default();
                    let summary = format!("{name} reaches the API server again: Ready");
                    self.event(events, EventKind::SettingChanged { summary });
                    touched.insert(id);
                }
                (Some(message), _) if before.as_deref() != Some(message.as_str()) => {
                    if let Some(n) = self.nodes.get_mut(&id) {
                        n.join_error = Some(message.clone());
                    }
                    self.event(events, EventKind::NodeJoinFailed { node: id, message });
                }
                _ => {}
            }
            if self
                .nodes
                .get(&id)
                .is_some_and(|n| n.registered && n.image_error.is_some())
            {
                self.image_pull_retry(id, events);
            }
        }
        if let Some(batch) = self.batch.as_mut() {
            batch.extend(touched);
        }
    }
}
