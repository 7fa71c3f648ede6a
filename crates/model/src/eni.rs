//! Elastic network interfaces and the addresses on them.
//!
//! An [`Eni`] knows its subnet, device index, primary IP and either
//! secondary IPs or `/28` prefixes, and which pod (if any) uses each pod
//! address. Which addresses of the subnet are taken is the subnet's
//! [`IpPool`](crate::ipam::IpPool); the two are kept in step by the CNI.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::ids::{EniId, NodeId, PodId, SubnetId};

/// What an ENI is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EniKind {
    /// A node's primary ENI (device index 0); its primary IP is the node IP.
    NodePrimary,
    /// An ENI the CNI attached to a node for pod addresses.
    NodeSecondary,
    /// A cross-account ENI the EKS control plane places in a cluster subnet.
    ControlPlane,
    /// The trunk ENI the VPC Resource Controller attaches for security
    /// groups for pods: it takes an ENI slot and carries the branch ENIs
    /// (EKS User Guide, security-groups-for-pods). Holds no pod addresses.
    Trunk,
}

/// A branch ENI: one pod's own network interface, VLAN-tagged on the
/// node's trunk ENI, with the pod's security groups. Its primary IP is the
/// pod IP (EKS User Guide, security-groups-for-pods; VPC Resource
/// Controller `pkg/provider/branch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchEni {
    /// Its id.
    pub id: EniId,
    /// The pod it belongs to.
    pub pod: PodId,
    /// The subnet its address comes from (the trunk's).
    pub subnet: SubnetId,
    /// Its primary IP: the pod IP.
    pub ip: Ipv4Addr,
    /// The VLAN ID that tags its traffic on the trunk.
    pub vlan: u32,
}

/// One pod address on an ENI: free (warm), used by a pod, or cooling down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpSlot {
    /// The address.
    pub ip: Ipv4Addr,
    /// The pod using it.
    pub pod: Option<PodId>,
    /// Until when (ms) it stays unusable after its pod was deleted: the VPC
    /// CNI's `IP_COOLDOWN_PERIOD`, 30 s by default (CNI `README.md`).
    pub cooldown_until_ms: Option<u64>,
}

impl IpSlot {
    /// A warm address nobody uses.
    pub fn new(ip: Ipv4Addr) -> Self {
        Self {
            ip,
            pod: None,
            cooldown_until_ms: None,
        }
    }

    /// Whether a pod could be given this address at `now_ms`.
    pub fn is_free(&self, now_ms: u64) -> bool {
        self.pod.is_none() && !self.is_cooling(now_ms)
    }

    /// Whether the address is still in its post-delete cooldown.
    pub fn is_cooling(&self, now_ms: u64) -> bool {
        self.cooldown_until_ms.is_some_and(|until| now_ms < until)
    }
}

/// A `/28` prefix delegated to an ENI, with its 16 pod addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixSlot {
    /// The prefix.
    pub prefix: Ipv4Net,
    /// Its 16 addresses, lowest first.
    pub ips: Vec<IpSlot>,
}

impl PrefixSlot {
    /// A fresh prefix with all 16 addresses warm.
    pub fn new(prefix: Ipv4Net) -> Self {
        let start = u32::from(prefix.network());
        let end = u32::from(prefix.broadcast());
        Self {
            prefix,
            ips: (start..=end)
                .map(|a| IpSlot::new(Ipv4Addr::from(a)))
                .collect(),
        }
    }

    /// Addresses used by pods.
    pub fn assigned(&self) -> u32 {
        count(self.ips.iter().filter(|s| s.pod.is_some()))
    }

    /// Whether no pod uses it and none of its addresses is cooling down.
    pub fn is_idle(&self, now_ms: u64) -> bool {
        self.ips.iter().all(|s| s.is_free(now_ms))
    }
}

/// An elastic network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eni {
    /// Its id.
    pub id: EniId,
    /// What it is for.
    pub kind: EniKind,
    /// The node it is attached to (none for an X-ENI).
    pub node: Option<NodeId>,
    /// The subnet its addresses come from.
    pub subnet: SubnetId,
    /// Device index on the instance (0 = primary ENI).
    pub device_index: u32,
    /// Its primary private IP. Never given to pods by the VPC CNI
    /// ("First IP on each ENI is not used for pods", CNI `misc/eni-max-pods.txt`).
    pub primary_ip: Ipv4Addr,
    /// Secondary IPs (secondary-IP mode).
    pub secondary: Vec<IpSlot>,
    /// Delegated `/28` prefixes (prefix-delegation mode).
    pub prefixes: Vec<PrefixSlot>,
    /// When it was attached (ms of simulated time).
    pub attached_at_ms: u64,
    /// No secondary IP below this index is without a pod: where the search
    /// for a free one starts (pods take addresses in order, so this keeps
    /// `assign` from rescanning the used ones).
    #[serde(default)]
    pub free_from: u32,
}

impl Eni {
    /// IPv4 slots in use: secondary IPs plus prefixes (each prefix takes one
    /// slot, BPG `prefix-mode_linux.adoc`). The primary IP is not counted.
    pub fn slots_used(&self) -> u32 {
        count(self.secondary.iter()) + count(self.prefixes.iter())
    }

    /// Pod addresses held: secondary IPs, or 16 per prefix.
    pub fn pod_ips(&self) -> u32 {
        count(self.secondary.iter()) + count(self.prefixes.iter()) * 16
    }

    /// Pod addresses in use by pods.
    pub fn assigned(&self) -> u32 {
        count(self.secondary.iter().filter(|s| s.pod.is_some()))
            + self.prefixes.iter().map(PrefixSlot::assigned).sum::<u32>()
    }

    /// Whether any address is still cooling down after a pod left.
    pub fn is_cooling(&self, now_ms: u64) -> bool {
        self.all_slots().any(|s| s.is_cooling(now_ms))
    }

    /// Every pod address slot, secondary IPs first, then prefixes in order.
    pub fn all_slots(&self) -> impl Iterator<Item = &IpSlot> {
        self.secondary
            .iter()
            .chain(self.prefixes.iter().flat_map(|p| p.ips.iter()))
    }

    /// Gives the first free address to `pod`, like ipamd's
    /// `AssignPodIPv4Address`. Returns the address.
    pub fn assign(&mut self, pod: PodId, now_ms: u64) -> Option<Ipv4Addr> {
        let from = (self.free_from as usize).min(self.secondary.len());
        let found = self
            .secondary
            .iter()
            .skip(from)
            .position(|s| s.is_free(now_ms))
            .map(|i| i + from);
        if let Some(i) = found {
            let slot = self.secondary.get_mut(i)?;
            slot.pod = Some(pod);
            slot.cooldown_until_ms = None;
            let ip = slot.ip;
            // Move the start past the slots that now all have pods.
            let next = self
                .secondary
                .iter()
                .skip(from)
                .position(|s| s.pod.is_none())
                .map_or(self.secondary.len(), |j| j + from);
            self.free_from = u32::try_from(next).unwrap_or(u32::MAX);
            return Some(ip);
        }
        let slot = self
            .prefixes
            .iter_mut()
            .flat_map(|p| p.ips.iter_mut())
            .find(|s| s.is_free(now_ms))?;
        slot.pod = Some(pod);
        slot.cooldown_until_ms = None;
        Some(slot.ip)
    }

    /// Frees `pod`'s address, which then cools down until `cooldown_until_ms`.
    pub fn unassign(&mut self, pod: PodId, cooldown_until_ms: u64) -> Option<Ipv4Addr> {
        if let Some(i) = self.secondary.iter().position(|s| s.pod == Some(pod)) {
            let slot = self.secondary.get_mut(i)?;
            slot.pod = None;
            slot.cooldown_until_ms = Some(cooldown_until_ms);
            self.free_from = self.free_from.min(u32::try_from(i).unwrap_or(u32::MAX));
            return Some(slot.ip);
        }
        let slot = self
            .prefixes
            .iter_mut()
            .flat_map(|p| p.ips.iter_mut())
            .find(|s| s.pod == Some(pod))?;
        slot.pod = None;
        slot.cooldown_until_ms = Some(cooldown_until_ms);
        Some(slot.ip)
    }
}

/// Counts an iterator as `u32` (what the model shows and serialises).
fn count<I: Iterator>(it: I) -> u32 {
    u32::try_from(it.count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eni() -> Eni {
        Eni {
            id: EniId(1),
            kind: EniKind::NodePrimary,
            node: Some(NodeId(1)),
            subnet: SubnetId(1),
            device_index: 0,
            primary_ip: "10.0.0.4".parse().unwrap(),
            secondary: ["10.0.0.5", "10.0.0.6"]
                .iter()
                .map(|a| IpSlot::new(a.parse().unwrap()))
                .collect(),
            prefixes: vec![],
            attached_at_ms: 0,
            free_from: 0,
        }
    }

    #[test]
    fn assign_takes_the_first_free_address_and_unassign_cools_it_down() {
        let mut e = eni();
        assert_eq!(e.assign(PodId(1), 0), Some("10.0.0.5".parse().unwrap()));
        assert_eq!(e.assigned(), 1);
        assert_eq!(
            e.unassign(PodId(1), 30_000),
            Some("10.0.0.5".parse().unwrap())
        );
        assert!(e.is_cooling(29_999));
        // While .5 cools down, the next pod gets .6.
        assert_eq!(
            e.assign(PodId(2), 10_000),
            Some("10.0.0.6".parse().unwrap())
        );
        assert_eq!(e.assign(PodId(3), 10_000), None);
        assert_eq!(
            e.assign(PodId(3), 30_000),
            Some("10.0.0.5".parse().unwrap())
        );
    }

    #[test]
    fn a_prefix_counts_one_slot_and_sixteen_pod_addresses() {
        let mut e = eni();
        e.secondary.clear();
        e.prefixes
            .push(PrefixSlot::new("10.0.0.16/28".parse().unwrap()));
        assert_eq!((e.slots_used(), e.pod_ips()), (1, 16));
        assert_eq!(e.assign(PodId(1), 0), Some("10.0.0.16".parse().unwrap()));
        assert!(!e.prefixes[0].is_idle(0));
    }
}
