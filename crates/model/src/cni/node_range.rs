//! Per-node pod ranges of the overlay CNIs: a cluster CIDR carved into one
//! CIDR per node, and the addresses of a node's CIDR handed to its pods.
//!
//! - host-local (Flannel): `.1` is the `cni0` gateway; pods get `.2` up to
//!   broadcast − 1, round-robin after the last address given
//!   (containernetworking/plugins `host-local` `range.go`, `allocator.go`).
//! - Cilium cluster-pool: network and broadcast excluded; the agent takes
//!   the router (`cilium_host`) and health addresses first
//!   (`Documentation/network/kubernetes/ipam-cluster-pool.rst`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::ids::PodId;

/// Which IPAM runs on the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RangeKind {
    /// The host-local plugin (Flannel).
    HostLocal,
    /// Cilium's cluster-pool IPAM in the agent.
    CiliumPool,
}

/// How a cluster CIDR is carved into node ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangePlan {
    /// The cluster CIDR.
    pub cluster: Ipv4Net,
    /// The prefix length of each node's range.
    pub node_len: u8,
    /// Which IPAM hands out the addresses.
    pub kind: RangeKind,
    /// Leading ranges never handed out (flannel's `SubnetMin` skips one).
    pub skip: u32,
}

impl RangePlan {
    /// Node ranges the cluster CIDR holds and the allocator hands out.
    pub fn count(&self) -> u32 {
        let bits = self
            .node_len
            .saturating_sub(self.cluster.prefix_len())
            .min(31);
        (1u32 << bits).saturating_sub(self.skip)
    }

    /// The `index`-th node range handed out, if there is one.
    pub fn range(&self, index: u32) -> Option<Ipv4Net> {
        if index >= self.count() || self.node_len > 32 {
            return None;
        }
        let index = index.checked_add(self.skip)?;
        let size = 1u32.checked_shl(32 - u32::from(self.node_len))?;
        let start = u32::from(self.cluster.network()).checked_add(index.checked_mul(size)?)?;
        Ipv4Net::new(Ipv4Addr::from(start), self.node_len).ok()
    }
}

/// One node's pod range and who holds what in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRange {
    /// The node's pod CIDR.
    pub cidr: Ipv4Net,
    /// Which IPAM runs there.
    pub kind: RangeKind,
    /// Addresses the CNI keeps for itself, and why (gateway, router, health).
    pub reserved: BTreeMap<Ipv4Addr, String>,
    /// Addresses in use, with their pods.
    pub used: BTreeMap<Ipv4Addr, PodId>,
    /// The last address handed out (host-local's `lastReservedIP`).
    pub last: Option<Ipv4Addr>,
}

impl NodeRange {
    /// A fresh range; Cilium's agent takes its router and health addresses.
    pub fn new(cidr: Ipv4Net, kind: RangeKind) -> Self {
        let net = u32::from(cidr.network());
        let mut reserved = BTreeMap::new();
        match kind {
            RangeKind::HostLocal => {
                reserved.insert(
                    Ipv4Addr::from(net + 1),
                    "cni0 bridge (the pods' gateway)".to_owned(),
                );
            }
            RangeKind::CiliumPool => {
                reserved.insert(
                    Ipv4Addr::from(net + 1),
                    "cilium_host (the node's router address)".to_owned(),
                );
                reserved.insert(Ipv4Addr::from(net + 2), "cilium-health endpoint".to_owned());
            }
        }
        Self {
            cidr,
            kind,
            reserved,
            used: BTreeMap::new(),
            last: None,
        }
    }

    fn first(&self) -> u32 {
        u32::from(self.cidr.network()) + 1
    }

    fn last_usable(&self) -> u32 {
        u32::from(self.cidr.broadcast()).saturating_sub(1)
    }

    /// Addresses pods can have.
    pub fn capacity(&self) -> u32 {
        (self.last_usable() + 1)
            .saturating_sub(self.first())
            .saturating_sub(self.reserved.len() as u32)
    }

    /// The range as the plugin prints it in errors.
    pub fn range_text(&self) -> String {
        format!(
            "{}-{}",
            Ipv4Addr::from(self.first()),
            Ipv4Addr::from(self.last_usable())
        )
    }

    /// The IPAM's name, as events say it.
    pub fn ipam(&self) -> &'static str {
        match self.kind {
            RangeKind::HostLocal => "host-local (the node's pod CIDR)",
            RangeKind::CiliumPool => "the cilium agent (cluster-pool, the node's pod CIDR)",
        }
    }

    /// Gives `pod` an address: host-local goes round-robin after the last
    /// address it gave; Cilium takes the lowest free one.
    ///
    /// # Errors
    /// The plugin's message when the range is full.
    pub fn allocate(&mut self, pod: PodId) -> Result<Ipv4Addr, super::AllocateError> {
        let (first, last) = (self.first(), self.last_usable());
        let start = match self.kind {
            RangeKind::HostLocal => self.last.map_or(first, |l| u32::from(l) + 1),
            RangeKind::CiliumPool => first,
        };
        let candidates = (start..=last).chain(first..start.min(last + 1));
        for a in candidates {
            let ip = Ipv4Addr::from(a);
            if self.reserved.contains_key(&ip) {
                continue;
            }
            if let std::collections::btree_map::Entry::Vacant(slot) = self.used.entry(ip) {
                slot.insert(pod);
                self.last = Some(ip);
                return Ok(ip);
            }
        }
        Err(match self.kind {
            RangeKind::HostLocal => super::AllocateError::HostLocalFull {
                range: self.range_text(),
            },
            RangeKind::CiliumPool => super::AllocateError::CiliumRangeFull,
        })
    }

    /// Frees `pod`'s address.
    pub fn release(&mut self, pod: PodId) -> Option<Ipv4Addr> {
        let ip = self
            .used
            .iter()
            .find(|(_, p)| **p == pod)
            .map(|(ip, _)| *ip)?;
        self.used.remove(&ip);
        Some(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RangeKind) -> NodeRange {
        NodeRange::new("10.244.1.0/24".parse().unwrap(), kind)
    }

    #[test]
    fn host_local_hands_out_2_to_254_then_says_the_range_is_full() {
        let mut h = range(RangeKind::HostLocal);
        assert_eq!(h.capacity(), 253);
        assert_eq!(h.allocate(PodId(1)).unwrap().to_string(), "10.244.1.2");
        for i in 2..=253 {
            h.allocate(PodId(i)).unwrap();
        }
        assert_eq!(
            h.allocate(PodId(999)).unwrap_err().to_string(),
            "failed to allocate for range 0: no IP addresses available in range set: 10.244.1.1-10.244.1.254"
        );
    }

    #[test]
    fn host_local_goes_round_robin_before_reusing_a_freed_address() {
        let mut h = range(RangeKind::HostLocal);
        let a = h.allocate(PodId(1)).unwrap();
        h.allocate(PodId(2)).unwrap();
        h.release(PodId(1));
        assert_ne!(h.allocate(PodId(3)).unwrap(), a);
    }

    #[test]
    fn cilium_keeps_router_and_health_and_has_252_pod_addresses() {
        let mut c = range(RangeKind::CiliumPool);
        assert_eq!(c.capacity(), 252);
        assert_eq!(c.allocate(PodId(1)).unwrap().to_string(), "10.244.1.3");
        c.release(PodId(1));
        assert_eq!(
            c.allocate(PodId(2)).unwrap().to_string(),
            "10.244.1.3",
            "lowest free first"
        );
        for i in 3..=253 {
            c.allocate(PodId(i)).unwrap();
        }
        assert!(c
            .allocate(PodId(999))
            .unwrap_err()
            .to_string()
            .ends_with("range is full"));
    }

    #[test]
    fn a_plan_carves_node_ranges_in_order() {
        let p = RangePlan {
            cluster: "10.0.0.0/8".parse().unwrap(),
            node_len: 24,
            kind: RangeKind::CiliumPool,
            skip: 0,
        };
        assert_eq!(p.count(), 65_536);
        assert_eq!(p.range(2).unwrap().to_string(), "10.0.2.0/24");
        assert!(p.range(65_536).is_none());
    }
}
