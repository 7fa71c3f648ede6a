//! Calico with its own IPAM: pods take addresses from an IP pool (default
//! `192.168.0.0/16`) carved into blocks (`/26` by default). A node claims a
//! block when it needs one (the block becomes *affine* to it) and gives its
//! pods addresses from its own blocks first; when no free block is left it
//! **borrows** addresses from other nodes' blocks, unless `strictAffinity`
//! is on. Every address of a block is usable, `.0` and `.255` included.
//! With IPIP or VXLAN each node also takes one tunnel address (`tunl0` /
//! `vxlan.calico`) from the pool. Pod addresses are not VPC addresses.
//!
//! Sources: calico `libcalico-go/lib/ipam/ipam.go` (`autoAssign`: affine
//! blocks, then a new block, then non-affine blocks; `GetIPAMConfig`
//! defaults), `node/pkg/lifecycle/startup/startup.go` (default pool and
//! block size), `node/pkg/allocateip/allocateip.go` (tunnel addresses),
//! `felix/dataplane/linux/int_dataplane.go` (IPIP 20 bytes, VXLAN 50),
//! `manifests/custom-resources.yaml` (the operator's `VXLANCrossSubnet`),
//! https://docs.tigera.io/calico/latest/reference/public-cloud/AWS.
//!
//! Simplified: real Calico starts its search for a free block, and picks
//! the blocks it borrows from, at random (seeded by the host name); the
//! model takes the lowest free block and the lowest block with a free
//! address, so every replay gives the same addresses.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::{Cni, Crossing, Datapath, Masquerade, Tunnel, Wiring};
use crate::catalog::InstanceType;
use crate::cluster::Node;
use crate::events::Recorder;
use crate::explain::Derivation;
use crate::ids::{NodeId, PodId};
use crate::sandbox::{Sandbox, SandboxError};

/// How Calico carries pod traffic between nodes (the IPPool's `ipipMode`
/// and `vxlanMode`, which are mutually exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CalicoEncapsulation {
    /// `ipipMode: Always` (the manifest install): IP protocol 4, 20 bytes.
    #[serde(rename = "ipip")]
    IpIp,
    /// `vxlanMode: Always`: UDP 4789, 50 bytes.
    Vxlan,
    /// `vxlanMode: CrossSubnet` (the operator install's default): VXLAN
    /// only between subnets; inside a subnet packets go unencapsulated.
    #[default]
    VxlanCrossSubnet,
    /// Neither: BGP-distributed routes only.
    None,
}

impl std::fmt::Display for CalicoEncapsulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::IpIp => "IPIP",
            Self::Vxlan => "VXLAN",
            Self::VxlanCrossSubnet => "VXLANCrossSubnet",
            Self::None => "none",
        })
    }
}

/// Calico's settings: the default IPPool and the IPAMConfig.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calico {
    /// The IPPool's `cidr`.
    #[serde(default = "default_pool")]
    pub pool: String,
    /// The IPPool's `blockSize` (20–32 for IPv4).
    #[serde(default = "default_block")]
    pub block_size: u8,
    /// The IPPool's encapsulation.
    #[serde(default)]
    pub encapsulation: CalicoEncapsulation,
    /// IPAMConfig `strictAffinity`: when on, a node never borrows.
    #[serde(default)]
    pub strict_affinity: bool,
    /// IPAMConfig `maxBlocksPerHost` (0 = unlimited; needs strict affinity).
    #[serde(default)]
    pub max_blocks_per_host: u32,
}

fn default_pool() -> String {
    "192.168.0.0/16".into()
}

fn default_block() -> u8 {
    26
}

impl Default for Calico {
    fn default() -> Self {
        Self {
            pool: default_pool(),
            block_size: default_block(),
            encapsulation: CalicoEncapsulation::default(),
            strict_affinity: false,
            max_blocks_per_host: 0,
        }
    }
}

impl Calico {
    /// The pool, if it parses.
    pub fn pool(&self) -> Option<Ipv4Net> {
        super::parse_range(&self.pool)
    }

    /// Calico with the first usual pool (its default `192.168.0.0/16`, then
    /// `172.16.0.0/12`, `10.244.0.0/16`) that does not overlap `vpc`.
    pub fn fitting(vpc: &[Ipv4Net]) -> Self {
        ["192.168.0.0/16", "172.16.0.0/12", "10.244.0.0/16"]
            .iter()
            .map(|p| Self {
                pool: (*p).to_owned(),
                ..Self::default()
            })
            .find(|c| c.problem(vpc).is_none())
            .unwrap_or_default()
    }

    /// Addresses in one block.
    pub fn block_addresses(&self) -> u32 {
        1u32.checked_shl(32 - u32::from(self.block_size.min(32)))
            .unwrap_or(u32::MAX)
    }

    /// Blocks the pool holds.
    pub fn blocks(&self) -> u32 {
        self.pool().map_or(0, |p| {
            1u32 << self.block_size.saturating_sub(p.prefix_len()).min(31)
        })
    }

    /// The `index`-th block of the pool, if there is one.
    pub fn block(&self, index: u32) -> Option<Ipv4Net> {
        if index >= self.blocks() {
            return None;
        }
        let start = u32::from(self.pool()?.network())
            .checked_add(index.checked_mul(self.block_addresses())?)?;
        Ipv4Net::new(Ipv4Addr::from(start), self.block_size).ok()
    }

    /// Why the settings cannot be used with these VPC blocks, if they
    /// cannot (a range over the service CIDR is allowed: see
    /// `CniMode::service_overlap`).
    pub fn problem(&self, vpc: &[Ipv4Net]) -> Option<super::SettingsError> {
        let Some(pool) = self.pool() else {
            return Some(super::SettingsError::NotACidr {
                setting: "calico IPPool cidr",
                value: self.pool.clone(),
            });
        };
        // IPPool validation: blockSize 20–32, and the pool at least one block.
        if !(20..=32).contains(&self.block_size) || self.block_size < pool.prefix_len() {
            return Some(super::SettingsError::BlockSize {
                block_size: self.block_size,
                pool,
            });
        }
        // ipam.go SetIPAMConfig: "Cannot set MaxBlocksPerHost without StrictAffinity".
        if self.max_blocks_per_host > 0 && !self.strict_affinity {
            return Some(super::SettingsError::MaxBlocksWithoutStrictAffinity {
                max_blocks_per_host: self.max_blocks_per_host,
            });
        }
        super::overlap_problem(
            "calico IPPool",
            pool,
            vpc,
            ": pod and VPC addresses would collide",
        )
    }
}

impl Cni for Calico {
    fn identity(&self) -> &'static super::Identity {
        &super::Identity {
            name: "Calico",
            tag: "calico",
            label: "Calico IPAM (overlay)",
            plugin: "calico",
            daemonset: "calico-node",
            // The Tigera operator's install (EKS user guide, "Calico").
            agent_pods: ("calico-system", ("k8s-app", "calico-node")),
            network_ready_because: "calico-node: Felix is up and 10-calico.conflist is written",
            on_boot: "calico-node takes its tunnel address; blocks come as pods arrive",
            exits_when_blocked: false,
        }
    }

    /// Calico's manifest pulls `docker.io/calico/node`.
    fn agent_image(&self, _region: &str) -> (String, bool) {
        ("docker.io/calico/node".into(), false)
    }

    fn cannot_start(&self, _node: &str) -> Option<String> {
        None
    }

    fn summary(&self) -> String {
        format!(
            "Calico IPPool {}, /{} blocks, encapsulation {}, strictAffinity {}",
            self.pool, self.block_size, self.encapsulation, self.strict_affinity
        )
    }

    fn addressing(&self) -> super::Addressing<'_> {
        super::Addressing::Blocks(self)
    }

    fn initial_state(&self) -> super::CniState {
        super::CniState::Blocks(CalicoIpam::default())
    }

    fn problem(&self, vpc: &[Ipv4Net]) -> Option<super::SettingsError> {
        Calico::problem(self, vpc)
    }

    /// Calico's default 192.168.0.0/16 would collide with a 192.168.x VPC.
    fn fitting(&self, vpc: &[Ipv4Net]) -> super::CniMode {
        Calico::fitting(vpc).into()
    }

    fn tuned(&self, _knobs: &super::Knobs) -> super::CniMode {
        self.clone().into()
    }

    fn knobs(&self) -> super::KnobSet {
        super::KnobSet::default()
    }

    fn on_eks(&self) -> super::CniMode {
        self.clone().into()
    }

    /// An IPPool's cidr cannot be modified and its blockSize is set at
    /// creation (docs.tigera.io, reference/resources/ippool).
    fn check_change(&self, sb: &Sandbox) -> Result<(), SandboxError> {
        let Some(now) = sb.cni.as_calico() else {
            return Ok(());
        };
        let blocks = sb.cni_state.blocks().map_or(0, |b| b.blocks().len());
        if blocks > 0 && (now.pool != self.pool || now.block_size != self.block_size) {
            return Err(SandboxError::CniSettings {
                reason: super::SettingsError::PoolInUse {
                    pool: now.pool.clone(),
                    block_size: now.block_size,
                    blocks,
                },
            });
        }
        Ok(())
    }

    fn after_change(&self, _sb: &mut Sandbox, _events: &mut Recorder) {}

    fn pool_rules(&self, sb: &Sandbox, node: &Node) -> Vec<(String, &'static str)> {
        let blocks: Vec<String> = sb
            .cni_state
            .blocks()
            .into_iter()
            .flat_map(|b| b.blocks_of(node.id))
            .map(|b| b.cidr.to_string())
            .collect();
        let blocks = if blocks.is_empty() {
            "none yet".to_owned()
        } else {
            blocks.join(", ")
        };
        vec![(
            format!("Calico keeps no warm pool and attaches no ENIs: the node holds only its own IP, and pods take addresses from the blocks affine to it ({blocks}), or borrow from other nodes' blocks"),
            "calico libcalico-go/lib/ipam/ipam.go (autoAssign)",
        )]
    }

    fn explain_pod_ip(&self, sb: &Sandbox, ip: Ipv4Addr, node: &Node) -> Option<Derivation> {
        let block = sb
            .cni_state
            .blocks()
            .and_then(|b| b.block_of(ip))
            .filter(|b| b.holder(ip).is_some());
        let owner = block
            .and_then(|b| b.affinity)
            .and_then(|n| sb.nodes.get(&n))
            .map_or_else(|| "no node".to_owned(), |n| n.name.clone());
        let cidr = block.map(|b| b.cidr.to_string()).unwrap_or_default();
        let rule = if owner == node.name {
            format!("Calico IPAM gives a pod the first free address of a block affine to its node ({cidr} belongs to {owner})")
        } else {
            format!("{}'s blocks were full and the pool had no free block, so Calico IPAM borrowed it from {cidr}, affine to {owner}", node.name)
        };
        Some(crate::query::overlay_pod_ip(
            sb,
            format!("{ip} from Calico block {cidr}"),
            rule,
            "calico libcalico-go/lib/ipam/ipam.go (autoAssign)",
        ))
    }

    fn no_address_advice(&self, sb: &Sandbox, n: &Node) -> Vec<String> {
        let c = self;
        let blocks = sb
            .cni_state
            .blocks()
            .map_or(0, |b| b.blocks_of(n.id).count());
        vec![
            format!("Calico IPPool {} has no free address for {} ({} blocks of /{} claimed by the node; every block of the pool is in use{}).", c.pool, n.name, blocks, c.block_size, if c.strict_affinity { " and strictAffinity forbids borrowing" } else { "" }),
            "Use a larger IPPool (or add a second pool), a smaller blockSize so nodes strand fewer addresses, or turn strictAffinity off to let nodes borrow.".into(),
        ]
    }

    fn plan_rule(&self) -> (String, &'static str) {
        super::overlay_plan_rule(self.name())
    }

    fn eks_addon(&self) -> Option<&dyn super::EksAddon> {
        None
    }

    fn pod_range(&self) -> Option<&str> {
        Some(&self.pool)
    }

    fn intro_note(&self) -> Option<&'static str> {
        None
    }

    fn max_pods(&self, instance: &InstanceType) -> Derivation {
        let (enis, ips) = (instance.max_enis, instance.ipv4_per_eni);
        let value = enis * (ips - 1) + 2;
        Derivation::new("max pods", value, format!("{enis} ENIs × ({ips} − 1) + 2 = {value}"))
            .because(
                "the EKS AMI sets the kubelet's maxPods from the VPC CNI's formula, whichever CNI runs",
                "AMI nodeadm/internal/kubelet/eni_max_pods.go",
            )
            .because(
                format!("with Calico IPAM no pod uses an ENI address: a node claims another /{} block of {} addresses whenever its blocks are full, so max pods can be raised", self.block_size, self.block_addresses()),
                "calico libcalico-go/lib/ipam/ipam.go (autoAssign)",
            )
    }

    fn datapath(&self) -> Datapath {
        const FELIX: &str = "calico felix/dataplane/linux/int_dataplane.go";
        const DIRECT: &str =
            "docs.tigera.io reference/public-cloud/AWS (disable source/destination checks)";
        let vxlan = |protocol, source| Tunnel {
            protocol,
            device: "vxlan.calico",
            overhead: 50,
            source,
        };
        let (encapsulation, overhead, source, crossing) = match self.encapsulation {
            CalicoEncapsulation::IpIp => (
                "IP-in-IP (IP protocol 4)",
                20,
                FELIX,
                Crossing::Tunnel(Tunnel {
                    protocol: "IP protocol 4 (IP-in-IP)",
                    device: "tunl0",
                    overhead: 20,
                    source: "calico felix int_dataplane.go (IPIP 20 bytes)",
                }),
            ),
            CalicoEncapsulation::Vxlan => (
                "VXLAN (UDP 4789)",
                50,
                FELIX,
                Crossing::Tunnel(vxlan(
                    "UDP 4789 (VXLAN)",
                    "calico felix config_params.go (VXLAN port 4789)",
                )),
            ),
            CalicoEncapsulation::VxlanCrossSubnet => (
                "VXLAN (UDP 4789) between subnets only; unencapsulated inside a subnet, so the EC2 source/destination check must be off",
                50,
                FELIX,
                Crossing::TunnelAcrossSubnets {
                    tunnel: vxlan(
                        "UDP 4789 (VXLAN, across subnets)",
                        "docs.tigera.io vxlan-ipip (CrossSubnet)",
                    ),
                    direct: DIRECT,
                },
            ),
            CalicoEncapsulation::None => (
                "none (BGP routes; the EC2 source/destination check must be off, and pods reach only nodes in the same subnet)",
                0,
                "docs.tigera.io, reference/public-cloud/AWS",
                Crossing::Direct { source: DIRECT },
            ),
        };
        Datapath {
            encapsulation,
            overhead,
            source,
            vpc_routable: false,
            crossing,
            masquerade: Masquerade {
                rule: "Calico natOutgoing",
                source: "docs.tigera.io reference/resources/ippool (natOutgoing)",
                out_eth0: false,
                external: false,
                branch_pods_exempt: false,
            },
            // Calico FAQ, "Why does my container have a route to
            // 169.254.1.1?": each host is its workloads' gateway router.
            wiring: Wiring::Veth {
                host_device: Some("cali*"),
                gateway_source: "docs.tigera.io reference/faq (Why does my container have a route to 169.254.1.1?)",
                branch_strict: false,
            },
        }
    }
    /// Felix on every node programs the policies (iptables or eBPF).
    fn policy_enforcement(&self) -> super::Enforcement {
        super::Enforcement::Enforced {
            enforcer: "calico-node",
            agent: "calico-node (Felix), on each node",
            source: "docs.tigera.io network-policy (Kubernetes NetworkPolicy)",
            unselected_denied: false,
            note: None,
            ip_block_selects_pods: true,
            ip_block_selects_nodes: true,
            branch_pods_exempt: false,
            own_node_egress_policed: true,
            gaps: &[],
        }
    }
}

/// Who holds a Calico address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalicoHolder {
    /// The node whose calico-node (tunnel) or pod holds it.
    pub node: NodeId,
    /// The pod, or `None` for the node's tunnel address.
    pub pod: Option<PodId>,
}

/// One block of the pool: its affinity and the addresses in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalicoBlock {
    /// Its position in the pool.
    pub index: u32,
    /// The block's CIDR.
    pub cidr: Ipv4Net,
    /// The node the block is affine to (`None` once that node is gone and
    /// other nodes' pods still hold addresses in it).
    pub affinity: Option<NodeId>,
    /// Who holds each address, by offset in the block.
    pub holders: Vec<Option<CalicoHolder>>,
}

impl CalicoBlock {
    /// Addresses in use.
    pub fn used(&self) -> usize {
        self.holders.iter().flatten().count()
    }

    /// Who holds `ip`, if it is in the block and held.
    pub fn holder(&self, ip: Ipv4Addr) -> Option<&CalicoHolder> {
        let offset = u32::from(ip).checked_sub(u32::from(self.cidr.network()))?;
        self.holders.get(offset as usize)?.as_ref()
    }

    /// The lowest free address.
    fn free(&self) -> Option<(usize, Ipv4Addr)> {
        let offset = self.holders.iter().position(Option::is_none)?;
        Some((
            offset,
            Ipv4Addr::from(u32::from(self.cidr.network()).wrapping_add(offset as u32)),
        ))
    }
}

/// What one `autoAssign` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    /// The address.
    pub ip: Ipv4Addr,
    /// The block claimed for the node to get it, if one was.
    pub claimed: Option<Ipv4Net>,
    /// Whether it came from a block affine to another node (or to none).
    pub borrowed: bool,
}

/// The pool's state: the blocks that exist, in pool order, with indexes
/// so that one assignment costs O(log blocks), not a scan of the pool
/// (a /32 block size makes one block per pod).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Blocks", into = "Blocks")]
pub struct CalicoIpam {
    /// Claimed blocks, sorted by index.
    blocks: Vec<CalicoBlock>,
    /// Indexes of the blocks with a free address.
    open: BTreeSet<u32>,
    /// Per node: indexes of its affine blocks with a free address.
    open_affine: BTreeMap<NodeId, BTreeSet<u32>>,
    /// Per node: how many blocks are affine to it.
    owned: BTreeMap<NodeId, u32>,
}

/// What a [`CalicoIpam`] is made of, as stored: its blocks.
#[derive(Serialize, Deserialize)]
struct Blocks {
    blocks: Vec<CalicoBlock>,
}

impl From<Blocks> for CalicoIpam {
    fn from(b: Blocks) -> Self {
        let mut ipam = Self {
            blocks: b.blocks,
            ..Self::default()
        };
        ipam.blocks.sort_by_key(|b| b.index);
        ipam.reindex();
        ipam
    }
}

impl From<CalicoIpam> for Blocks {
    fn from(ipam: CalicoIpam) -> Self {
        Self {
            blocks: ipam.blocks,
        }
    }
}

/// Two pools are equal when their blocks are: the indexes follow.
impl PartialEq for CalicoIpam {
    fn eq(&self, other: &Self) -> bool {
        self.blocks == other.blocks
    }
}

impl Eq for CalicoIpam {}

impl CalicoIpam {
    /// Claimed blocks, in pool order.
    pub fn blocks(&self) -> &[CalicoBlock] {
        &self.blocks
    }

    /// Blocks affine to `node`, in pool order.
    pub fn blocks_of(&self, node: NodeId) -> impl Iterator<Item = &CalicoBlock> {
        self.blocks.iter().filter(move |b| b.affinity == Some(node))
    }

    /// Addresses in use across the pool.
    pub fn in_use(&self) -> usize {
        self.blocks.iter().map(CalicoBlock::used).sum()
    }

    /// The block holding `ip`, if one does.
    pub fn block_of(&self, ip: Ipv4Addr) -> Option<&CalicoBlock> {
        let at = self
            .blocks
            .partition_point(|b| b.cidr.network() <= ip)
            .checked_sub(1)?;
        self.blocks.get(at).filter(|b| b.cidr.contains(&ip))
    }

    fn position(&self, index: u32) -> Option<usize> {
        self.blocks.binary_search_by_key(&index, |b| b.index).ok()
    }

    /// Whether the indexes agree with the blocks (for property tests).
    #[doc(hidden)]
    pub fn indexes_agree(&self) -> bool {
        let mut rebuilt = self.clone();
        rebuilt.reindex();
        let nonempty = |m: &BTreeMap<NodeId, BTreeSet<u32>>| {
            m.iter()
                .filter(|(_, s)| !s.is_empty())
                .map(|(n, s)| (*n, s.clone()))
                .collect::<Vec<_>>()
        };
        rebuilt.open == self.open
            && rebuilt.owned == self.owned
            && nonempty(&rebuilt.open_affine) == nonempty(&self.open_affine)
            && self.blocks.windows(2).all(|w| w[0].index < w[1].index)
    }

    /// Rebuilds the indexes from the blocks.
    fn reindex(&mut self) {
        self.open.clear();
        self.open_affine.clear();
        self.owned.clear();
        let blocks = std::mem::take(&mut self.blocks);
        for b in &blocks {
            self.track(b);
        }
        self.blocks = blocks;
    }

    /// Adds a block to the indexes.
    fn track(&mut self, b: &CalicoBlock) {
        if let Some(node) = b.affinity {
            *self.owned.entry(node).or_default() += 1;
        }
        self.mark(b.index, b.affinity, b.holders.iter().any(Option::is_none));
    }

    /// Records whether the block at `position` has a free address.
    fn remark(&mut self, position: usize) {
        if let Some(b) = self.blocks.get(position) {
            let (index, affinity, free) =
                (b.index, b.affinity, b.holders.iter().any(Option::is_none));
            self.mark(index, affinity, free);
        }
    }

    fn mark(&mut self, index: u32, affinity: Option<NodeId>, free: bool) {
        if free {
            self.open.insert(index);
        } else {
            self.open.remove(&index);
        }
        if let Some(node) = affinity {
            let set = self.open_affine.entry(node).or_default();
            if free {
                set.insert(index);
            } else {
                set.remove(&index);
            }
        }
    }

    /// `autoAssign` for one address: a free address in the node's affine
    /// blocks, else a newly claimed block, else (without strict affinity) a
    /// borrowed address from another block.
    ///
    /// # Errors
    /// The IPAM plugin's message, as the kubelet reports it.
    pub fn assign(
        &mut self,
        cfg: &Calico,
        holder: CalicoHolder,
    ) -> Result<Assigned, super::AllocateError> {
        let node = holder.node;
        let affine = self
            .open_affine
            .get(&node)
            .and_then(|set| set.first())
            .and_then(|i| self.position(*i));
        let owned = self.owned.get(&node).copied().unwrap_or(0);
        let mut claimed = None;
        let chosen = match affine {
            Some(found) => Some(found),
            None if cfg.max_blocks_per_host > 0 && owned >= cfg.max_blocks_per_host => {
                return Err(super::AllocateError::BlockLimit {
                    max_blocks_per_host: cfg.max_blocks_per_host,
                });
            }
            None => match self.claim(cfg, node) {
                Some(position) => {
                    claimed = self.blocks.get(position).map(|b| b.cidr);
                    Some(position)
                }
                None if cfg.strict_affinity => {
                    return Err(super::AllocateError::StrictAffinity);
                }
                None => self.open.first().and_then(|i| self.position(*i)),
            },
        };
        let found = chosen.and_then(|position| {
            let b = self.blocks.get(position)?;
            b.free().map(|f| (position, f))
        });
        let Some((position, (offset, ip))) = found else {
            let pool = cfg.pool().map(|p| p.to_string()).unwrap_or_default();
            return Err(super::AllocateError::PoolFull { pool });
        };
        let mut borrowed = true;
        if let Some(b) = self.blocks.get_mut(position) {
            borrowed = b.affinity != Some(node);
            if let Some(slot) = b.holders.get_mut(offset) {
                *slot = Some(holder);
            }
        }
        self.remark(position);
        Ok(Assigned {
            ip,
            claimed,
            borrowed,
        })
    }

    /// Claims the lowest unclaimed block of the pool for `node`; its
    /// position in `blocks`.
    fn claim(&mut self, cfg: &Calico, node: NodeId) -> Option<usize> {
        // Blocks are sorted by index, so `index - position` never falls:
        // the first gap is where the block at a position has a higher index.
        let (mut lo, mut hi) = (0usize, self.blocks.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self
                .blocks
                .get(mid)
                .is_some_and(|b| b.index as usize == mid)
            {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let index = u32::try_from(lo).ok()?;
        let cidr = cfg.block(index)?;
        let block = CalicoBlock {
            index,
            cidr,
            affinity: Some(node),
            holders: vec![None; cfg.block_addresses() as usize],
        };
        self.track(&block);
        self.blocks.insert(lo.min(self.blocks.len()), block);
        Some(lo)
    }

    /// Frees the address `pod` holds (at `ip` when known), if any.
    pub fn release_pod(&mut self, pod: PodId, ip: Option<Ipv4Addr>) -> Option<Ipv4Addr> {
        let held_by_pod = |h: &Option<CalicoHolder>| h.is_some_and(|h| h.pod == Some(pod));
        let known = ip.and_then(|ip| {
            let b = self.block_of(ip)?;
            let offset = u32::from(ip).checked_sub(u32::from(b.cidr.network()))? as usize;
            held_by_pod(b.holders.get(offset)?).then_some((b.index, offset))
        });
        let (index, offset) = known.or_else(|| {
            self.blocks
                .iter()
                .find_map(|b| Some((b.index, b.holders.iter().position(held_by_pod)?)))
        })?;
        let position = self.position(index)?;
        let b = self.blocks.get_mut(position)?;
        *b.holders.get_mut(offset)? = None;
        let freed = Ipv4Addr::from(u32::from(b.cidr.network()).wrapping_add(offset as u32));
        self.remark(position);
        Some(freed)
    }

    /// A node is deleted: its pods' and tunnel addresses are freed, and its
    /// blocks lose their affinity; empty blocks go back to the pool
    /// (ipam.go `ReleaseHostAffinities`). Returns the addresses freed.
    pub fn release_node(&mut self, node: NodeId) -> usize {
        let mut freed = 0;
        for b in &mut self.blocks {
            for slot in &mut b.holders {
                if slot.is_some_and(|h| h.node == node) {
                    *slot = None;
                    freed += 1;
                }
            }
            if b.affinity == Some(node) {
                b.affinity = None;
            }
        }
        self.blocks.retain(|b| b.affinity.is_some() || b.used() > 0);
        self.reindex();
        freed
    }
}

/// The CNI IPAM plugin's failure for one requested address
/// (calico `cni-plugin/pkg/ipamplugin/ipam_plugin.go`, ipam.go
/// `PartialFulfillmentError`).
#[cfg(test)]
mod tests {
    use super::*;

    fn pod(node: u32, pod: u32) -> CalicoHolder {
        CalicoHolder {
            node: NodeId(node),
            pod: Some(PodId(pod)),
        }
    }

    fn small(strict: bool) -> Calico {
        // Two /26 blocks.
        Calico {
            pool: "192.168.0.0/25".into(),
            strict_affinity: strict,
            ..Calico::default()
        }
    }

    #[test]
    fn the_default_pool_has_1024_blocks_of_64_addresses() {
        let c = Calico::default();
        assert_eq!((c.blocks(), c.block_addresses()), (1024, 64));
        assert_eq!(c.block(1).unwrap().to_string(), "192.168.0.64/26");
        assert!(c.block(1024).is_none());
    }

    #[test]
    fn a_node_claims_a_block_and_uses_every_address_in_it() {
        let cfg = small(false);
        let mut ipam = CalicoIpam::default();
        let got = ipam.assign(&cfg, pod(1, 1)).unwrap();
        assert_eq!(got.ip.to_string(), "192.168.0.0", ".0 is usable");
        assert_eq!(got.claimed.unwrap().to_string(), "192.168.0.0/26");
        assert!(!got.borrowed);
        for p in 2..=64 {
            ipam.assign(&cfg, pod(1, p)).unwrap();
        }
        assert_eq!(ipam.blocks_of(NodeId(1)).count(), 1);
        // The 65th address needs a second block.
        assert_eq!(
            ipam.assign(&cfg, pod(1, 65)).unwrap().ip.to_string(),
            "192.168.0.64"
        );
        assert_eq!(ipam.blocks_of(NodeId(1)).count(), 2);
    }

    #[test]
    fn without_strict_affinity_a_node_borrows_then_the_pool_runs_out() {
        let cfg = small(false);
        let mut ipam = CalicoIpam::default();
        ipam.assign(&cfg, pod(1, 1)).unwrap();
        ipam.assign(&cfg, pod(2, 2)).unwrap();
        // Both blocks are claimed; node 3 borrows from node 1's block.
        let got = ipam.assign(&cfg, pod(3, 3)).unwrap();
        assert_eq!(got.ip.to_string(), "192.168.0.1");
        assert!(got.borrowed && got.claimed.is_none());
        for p in 4..=128 {
            ipam.assign(&cfg, pod(3, p)).unwrap();
        }
        assert_eq!(
            ipam.assign(&cfg, pod(3, 999)).unwrap_err().to_string(),
            "failed to request IPv4 addresses: Assigned 0 out of 1 requested IPv4 addresses; No IPs available in pools: [192.168.0.0/25]"
        );
    }

    #[test]
    fn strict_affinity_refuses_to_borrow() {
        let cfg = small(true);
        let mut ipam = CalicoIpam::default();
        ipam.assign(&cfg, pod(1, 1)).unwrap();
        ipam.assign(&cfg, pod(2, 2)).unwrap();
        let err = ipam.assign(&cfg, pod(3, 3)).unwrap_err().to_string();
        assert!(
            err.ends_with("No more free affine blocks and strict affinity enabled"),
            "{err}"
        );
    }

    #[test]
    fn max_blocks_per_host_stops_a_node_at_its_limit() {
        let cfg = Calico {
            strict_affinity: true,
            max_blocks_per_host: 1,
            ..Calico::default()
        };
        let mut ipam = CalicoIpam::default();
        for p in 1..=64 {
            ipam.assign(&cfg, pod(1, p)).unwrap();
        }
        let err = ipam.assign(&cfg, pod(1, 65)).unwrap_err().to_string();
        assert!(
            err.ends_with("limit of 1 blocks reached for this node"),
            "{err}"
        );
    }

    #[test]
    fn releasing_reuses_and_a_deleted_node_gives_its_empty_blocks_back() {
        let cfg = small(false);
        let mut ipam = CalicoIpam::default();
        let a = ipam.assign(&cfg, pod(1, 1)).unwrap().ip;
        ipam.assign(&cfg, pod(1, 2)).unwrap();
        assert_eq!(ipam.release_pod(PodId(1), Some(a)), Some(a));
        assert_eq!(ipam.release_pod(PodId(1), None), None, "once");
        let b = ipam.assign(&cfg, pod(1, 9)).unwrap().ip;
        assert_eq!(
            ipam.release_pod(PodId(9), None),
            Some(b),
            "found without its address"
        );
        assert_eq!(
            ipam.assign(&cfg, pod(1, 3)).unwrap().ip,
            a,
            "lowest free again"
        );
        ipam.assign(&cfg, pod(2, 4)).unwrap();
        // Node 3 borrows from node 1's block; node 1 goes; the block stays
        // (it still holds node 3's pod) without affinity.
        ipam.assign(&cfg, pod(3, 5)).unwrap();
        assert_eq!(ipam.release_node(NodeId(1)), 2);
        assert_eq!(ipam.blocks.len(), 2);
        assert!(ipam.blocks.iter().any(|b| b.affinity.is_none()));
        assert_eq!(ipam.release_node(NodeId(3)), 1);
        assert_eq!(ipam.blocks.len(), 1, "the orphaned empty block is freed");
        assert_eq!(ipam.in_use(), 1);
        let stored: CalicoIpam =
            serde_json::from_str(&serde_json::to_string(&ipam).unwrap()).unwrap();
        assert_eq!(
            (&stored.open, &stored.owned),
            (&ipam.open, &ipam.owned),
            "indexes rebuilt on load"
        );
    }

    #[test]
    fn settings_are_validated() {
        let vpc = ["192.168.0.0/16".parse().unwrap()];
        assert!(Calico::default()
            .problem(&vpc)
            .unwrap()
            .to_string()
            .contains("overlaps the VPC block 192.168.0.0/16"));
        assert_eq!(Calico::fitting(&vpc).pool, "172.16.0.0/12");
        let limit = Calico {
            max_blocks_per_host: 4,
            ..Calico::default()
        };
        assert!(limit
            .problem(&[])
            .unwrap()
            .to_string()
            .contains("strictAffinity"));
        let tiny = Calico {
            block_size: 19,
            ..Calico::default()
        };
        assert!(tiny.problem(&[]).is_some());
        // A draft being typed in the page may hold any number: no overflow.
        let zero = Calico {
            block_size: 0,
            ..Calico::default()
        };
        assert!(zero.problem(&[]).is_some());
        assert_eq!(zero.block_addresses(), u32::MAX);
    }

    #[test]
    fn ipip_costs_20_bytes_and_vxlan_50() {
        let ipip = Calico {
            encapsulation: CalicoEncapsulation::IpIp,
            ..Calico::default()
        };
        assert_eq!(ipip.datapath().mtu(9001), 8981);
        assert_eq!(Calico::default().datapath().mtu(1500), 1450);
    }
}
