//! Security groups for pods on one node: the trunk ENI and its branch ENIs.
//!
//! The rules (domain-facts §2.7; EKS User Guide, security-groups-for-pods;
//! VPC Resource Controller `pkg/provider/branch`, `pkg/aws/vpc/limits.go`;
//! CNI `hasRoomForEni`):
//! - With `ENABLE_POD_ENI`, ipamd keeps one ENI slot for the trunk ENI
//!   (`maxENI − trunkENI`), so its own pool has one ENI fewer.
//! - The VPC Resource Controller attaches the trunk to trunking-compatible
//!   nodes (Nitro, not the `t` family) and advertises
//!   `vpc.amazonaws.com/pod-eni`: as many branch ENIs as the type allows.
//! - Each pod matched by a `SecurityGroupPolicy` gets a branch ENI in the
//!   trunk's subnet; the branch ENI's primary IP is the pod IP. Branch
//!   capacity is additive to ipamd's addresses, and warm targets do not
//!   apply: a branch ENI exists only while its pod does.
//!
//! Simplified, and said in the UI: the controller acts at once (no EC2
//! latency), and a branch ENI goes with its pod (the controller's cooldown
//! before deleting it is not modelled).

use super::{at, NodeIpam, Subnets};
use crate::eni::{BranchEni, Eni, EniKind};
use crate::events::{EventKind, Recorder};
use crate::ids::{PodId, SubnetId};
use crate::ipam::{AllocError, Holder};

impl NodeIpam {
    /// The same node with `ENABLE_POD_ENI` as its aws-node read it, and
    /// the branch ENIs its instance type allows.
    #[must_use]
    pub fn with_pod_eni(self, on: bool, branch_limit: u32) -> Self {
        Self {
            pod_eni: on,
            branch_limit,
            ..self
        }
    }

    /// The trunk ENI, once attached.
    pub fn trunk(&self) -> Option<&Eni> {
        self.enis.iter().find(|e| e.kind == EniKind::Trunk)
    }

    /// Whether ipamd keeps an ENI slot for a trunk that is not attached
    /// yet (`hasRoomForEni`: `trunkENI` is 1 while pod ENI is on and the
    /// node has no trunk; the trunk itself then counts as attached).
    pub fn keeps_trunk_slot(&self) -> bool {
        self.pod_eni && self.branch_limit > 0 && self.trunk().is_none()
    }

    /// `vpc.amazonaws.com/pod-eni` the node advertises: the type's branch
    /// ENIs once a trunk is attached, else none.
    pub fn branch_capacity(&self) -> u32 {
        if self.trunk().is_some() {
            self.branch_limit
        } else {
            0
        }
    }

    /// The VPC Resource Controller attaches the trunk ENI in `subnet` at
    /// the lowest free device index. `Ok(false)` when the node wants none
    /// or has no free ENI slot (all `max_enis` attached).
    ///
    /// # Errors
    /// [`AllocError`] when `subnet` has no free address for it.
    pub fn attach_trunk(
        &mut self,
        subnet: SubnetId,
        subnets: &mut dyn Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> Result<bool, AllocError> {
        if !self.keeps_trunk_slot() || self.enis.len() as u32 >= self.limits.max_enis {
            return Ok(false);
        }
        let (id, primary_ip) = super::new_eni_address(subnets, subnet, 1, Holder::EniPrimary)?;
        let device_index = self.lowest_free_device_index();
        self.enis.push(Eni {
            id,
            kind: EniKind::Trunk,
            node: Some(self.node),
            subnet,
            device_index,
            primary_ip,
            secondary: Vec::new(),
            prefixes: Vec::new(),
            attached_at_ms: now_ms,
            free_from: 0,
        });
        self.enis.sort_unstable_by_key(|e| e.device_index);
        events.push(at(
            now_ms,
            EventKind::TrunkEniAttached {
                node: self.node,
                eni: id,
                subnet,
                device_index,
                ip: primary_ip,
                branches: self.branch_limit,
            },
        ));
        Ok(true)
    }

    /// Creates `pod`'s branch ENI on the trunk, in the trunk's subnet, on
    /// the lowest free VLAN. `Ok(None)` when the node has no trunk or all
    /// its branch ENIs are taken (the scheduler prevents both).
    ///
    /// # Errors
    /// [`AllocError`] when the trunk's subnet has no free address.
    pub fn assign_branch(
        &mut self,
        pod: PodId,
        subnets: &mut dyn Subnets,
    ) -> Result<Option<BranchEni>, AllocError> {
        let Some(subnet) = self.trunk().map(|t| t.subnet) else {
            return Ok(None);
        };
        if self.branches.len() as u32 >= self.branch_limit {
            return Ok(None);
        }
        let (id, ip) = super::new_eni_address(subnets, subnet, 1, Holder::Branch)?;
        let vlan = (1..)
            .find(|v| self.branches.iter().all(|b| b.vlan != *v))
            .unwrap_or(1);
        let branch = BranchEni {
            id,
            pod,
            subnet,
            ip,
            vlan,
        };
        self.branches.push(branch.clone());
        Ok(Some(branch))
    }

    /// Deletes `pod`'s branch ENI; its address goes back to the subnet.
    pub fn release_branch(&mut self, pod: PodId, subnets: &mut dyn Subnets) -> Option<BranchEni> {
        let i = self.branches.iter().position(|b| b.pod == pod)?;
        let branch = self.branches.remove(i);
        if let Some(pool) = subnets.pool_mut(branch.subnet) {
            pool.release(branch.ip);
        }
        Some(branch)
    }
}
