//! Why a pod waits in `ContainerCreating`: the resource its CNI has run out
//! of, named so that the timeline, the inspector and the tests say the same.
//!
//! A pod is `ContainerCreating` with `failed to assign an IP address to
//! container` when the CNI ADD found no free address on the node
//! (CNI `docs/troubleshooting.md`: "If there are no available IPs in the
//! cache, it will return an error"). Which resource is short decides the
//! fix, so [`Sandbox::no_address`] names it.

use crate::cni::Cni as _;
use std::fmt;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::nodes::subnet_for_new_eni;
use super::Sandbox;
use crate::cni::ipamd::{AgentMemory, NodeIpam};
use crate::cni::vpc_cni::IPS_PER_PREFIX as PREFIX;
use crate::cni::{Addressing, EniIpam};
use crate::ids::{NodeId, SubnetId};

/// Why the CNI has no address for another pod on a node right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "kebab-case")]
pub enum NoAddress {
    /// The pool is empty but can grow: ipamd's (or the operator's) next
    /// pass, every 5 s, assigns addresses or attaches an ENI, and the
    /// kubelet's retry then succeeds.
    NextPass,
    /// The subnet has addresses again, but EC2 refused ipamd for want of
    /// them less than 2 minutes ago, and ipamd waits that long before it
    /// asks again (`insufficientCidrErrorCooldown`).
    Backoff {
        /// Seconds until ipamd asks again.
        seconds: u32,
    },
    /// Every address the node may hold is taken, and `cooling` of them
    /// were freed less than `IP_COOLDOWN_PERIOD` ago: the first is free in
    /// `seconds`.
    Cooling {
        /// Addresses cooling down.
        cooling: u32,
        /// Seconds until the first is free.
        seconds: u32,
    },
    /// Every ENI the node may attach is attached and every slot is taken:
    /// the node's max pods is above what its ENIs hold.
    EnisFull {
        /// ENIs attached (and the limit).
        enis: u32,
        /// Pod addresses they hold.
        addresses: u32,
    },
    /// The subnet the next address would come from has none left
    /// (`InsufficientFreeAddressesInSubnet`), or, with prefix delegation,
    /// no free aligned `/28` (`InsufficientCidrBlocks`).
    SubnetFull {
        /// The subnet.
        subnet: SubnetId,
        /// Its name.
        name: String,
        /// Its CIDR.
        cidr: Ipv4Net,
        /// Free addresses left.
        free: u32,
        /// Addresses the next request needs.
        needed: u32,
        /// Whether a `/28` prefix was needed.
        prefix: bool,
    },
    /// ipamd's warm targets are met, so it asks for nothing more although
    /// no address is free (`WARM_IP_TARGET` / `MINIMUM_IP_TARGET` count the
    /// pool, not the waiting pods).
    TargetsMet,
    /// Overlay: the node's pod CIDR has no free address.
    RangeFull {
        /// The node's pod CIDR.
        cidr: Ipv4Net,
    },
    /// Overlay: the node got no pod CIDR, so its CNI cannot start.
    NoPodCidr,
    /// Calico: every block of the IPPool is in use (or strict affinity
    /// forbids borrowing).
    PoolFull,
}

impl fmt::Display for NoAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NextPass => f.write_str("the node's pool is empty for now: the next pass (every 5 s) adds addresses or an ENI, and the kubelet retries"),
            Self::Backoff { seconds } => write!(f, "EC2 refused its last request for want of addresses (InsufficientFreeAddressesInSubnet), and ipamd waits 2 minutes after that before it asks again (insufficientCidrErrorCooldown): its next try is in {seconds} s"),
            Self::Cooling { cooling, seconds } => write!(f, "every address the node may hold is taken; {cooling} were freed by deleted pods and cool down (IP_COOLDOWN_PERIOD): the first is free in {seconds} s"),
            Self::EnisFull { enis, addresses } => write!(f, "all {enis} ENIs the node may attach are attached and their {addresses} pod addresses are taken: max pods is above what the ENIs hold"),
            Self::SubnetFull { name, cidr, free, prefix: true, .. } => write!(f, "subnet {name} ({cidr}) has no free aligned /28 for a prefix ({free} free {}): InsufficientCidrBlocks", addresses(*free)),
            Self::SubnetFull { name, cidr, free, needed, .. } => write!(f, "subnet {name} ({cidr}) has {free} free {} and the next request needs {needed}: InsufficientFreeAddressesInSubnet", addresses(*free)),
            Self::TargetsMet => f.write_str("ipamd's warm targets are met, so it asks EC2 for nothing more: raise WARM_IP_TARGET or MINIMUM_IP_TARGET"),
            Self::RangeFull { cidr } => write!(f, "the node's pod CIDR {cidr} has no free address"),
            Self::NoPodCidr => f.write_str("the node has no pod CIDR: the cluster CIDR has none left"),
            Self::PoolFull => f.write_str("the IPPool has no free address for the node"),
        }
    }
}

impl Sandbox {
    /// Why a pod on `node` gets no address now, or `None` when one is free.
    pub fn no_address(&self, node: NodeId) -> Option<NoAddress> {
        let n = self.nodes.get(&node)?;
        let agent = match self.cni.strategy().addressing() {
            Addressing::Enis(agent) => agent,
            Addressing::Blocks(_) => return Some(NoAddress::PoolFull),
            Addressing::NodeRanges(_) => {
                return Some(match &n.overlay {
                    None => NoAddress::NoPodCidr,
                    Some(r) if r.used.len() as u32 >= r.capacity() => {
                        NoAddress::RangeFull { cidr: r.cidr }
                    }
                    Some(_) => return None,
                })
            }
        };
        self.eni_shortage(&n.ipam, agent)
    }

    /// The ENI-based CNIs: free, cooling, ENIs full, subnet full, or not yet.
    fn eni_shortage(&self, ipam: &NodeIpam, agent: &dyn EniIpam) -> Option<NoAddress> {
        let eni_limit = agent.eni_limit(ipam);
        let now = self.now_ms;
        let pod_enis = || ipam.enis.iter().filter(|e| ipam.for_pods(e));
        if pod_enis().any(|e| e.all_slots().any(|x| x.is_free(now))) {
            return None;
        }
        let cooling: Vec<u64> = pod_enis()
            .flat_map(|e| e.all_slots())
            .filter(|x| x.is_cooling(now))
            .filter_map(|x| x.cooldown_until_ms)
            .collect();
        let cooling_cause = cooling.iter().min().map(|until| NoAddress::Cooling {
            cooling: cooling.len() as u32,
            seconds: until.saturating_sub(now).div_ceil(1000) as u32,
        });
        let slots = ipam.limits.ipv4_per_eni.saturating_sub(1);
        let pd = pod_enis().any(|e| !e.prefixes.is_empty()) || agent.uses_prefixes(ipam);
        // What ipamd would ask for (the operator asks as its watermarks say).
        let Some(request) = agent.next_request(ipam, now, pd) else {
            return Some(cooling_cause.unwrap_or(NoAddress::TargetsMet));
        };
        let roomy = pod_enis()
            .find(|e| e.slots_used() < slots)
            .map(|e| e.subnet);
        let attachable = (ipam.enis.len() as u32) < eni_limit;
        // A new ENI is created with its primary address and its first
        // batch of IPs in one call (or a prefix).
        // With no subnet to put it in (the cilium-operator finds none with a
        // free address in the AZ), the node's own subnet is the one short.
        let operator = matches!(ipam.agent, AgentMemory::Operator { .. });
        let home = ipam.enis.first().filter(|_| operator).map(|e| e.subnet);
        let new_eni = || {
            attachable
                .then(|| self.next_eni_subnet(ipam).or(home))
                .flatten()
                .map(|s| (s, 1 + if pd { PREFIX } else { request }))
        };
        let sources: Vec<(SubnetId, u32)> = match roomy {
            // Secondary IPs on an attached ENI: a refused batch is retried
            // with 1; refused again, ipamd goes on to a new ENI only with
            // subnet discovery (`tryAssignIPs`, `increaseDatastorePool`),
            // the operator always, in the same resync (`allocate`).
            Some(subnet) => std::iter::once((subnet, if pd { PREFIX } else { 1 }))
                .chain(
                    (operator || agent.subnet_discovery())
                        .then(new_eni)
                        .flatten(),
                )
                .collect(),
            None => new_eni().into_iter().collect(),
        };
        let Some(&(subnet, needed)) = sources.first() else {
            return cooling_cause.or_else(|| {
                let addresses = pod_enis().map(|e| e.pod_ips()).sum();
                Some(NoAddress::EnisFull {
                    enis: ipam.enis.len() as u32,
                    addresses,
                })
            });
        };
        let short = |subnet: &SubnetId, needed: u32| {
            self.vpc
                .subnets
                .get(subnet)
                .is_none_or(|s| s.pool.free() < needed || (pd && s.pool.free_prefixes() == 0))
        };
        if sources.iter().any(|(s, n)| !short(s, *n)) {
            // The addresses are there, but ipamd may still be waiting after
            // its last refusal.
            return Some(match ipam.insufficient_backoff_ms(now) {
                Some(ms) => NoAddress::Backoff {
                    seconds: ms.div_ceil(1000) as u32,
                },
                None => NoAddress::NextPass,
            });
        }
        let s = self.vpc.subnets.get(&subnet)?;
        cooling_cause.or_else(|| {
            Some(NoAddress::SubnetFull {
                subnet,
                name: s.name.clone(),
                cidr: s.cidr,
                free: s.pool.free(),
                needed,
                prefix: pd,
            })
        })
    }

    /// Where the node's next ENI would go (the operator uses the node's own
    /// subnet in Cilium's ENI mode).
    fn next_eni_subnet(&self, ipam: &NodeIpam) -> Option<SubnetId> {
        let discovery = self.cni.eni_ipam().is_some_and(|e| e.subnet_discovery());
        subnet_for_new_eni(
            &self.vpc.subnets,
            ipam,
            discovery,
            &self.eni_config_subnets(),
        )
    }
}

/// "address" or "addresses", for `n`.
fn addresses(n: impl Into<u64>) -> &'static str {
    if n.into() == 1 {
        "address"
    } else {
        "addresses"
    }
}
