//! Why a CNI's settings, or a CNI's allocator, refuse: typed here, worded
//! at the edge ([`std::fmt::Display`]), in the style of
//! [`crate::SandboxError`].

use std::fmt;

use ipnet::Ipv4Net;
use serde::Serialize;

/// Why a CNI's settings cannot be used, alone, with the VPC, or with what
/// the running cluster's nodes already hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum SettingsError {
    /// A range setting that is not an IPv4 CIDR.
    NotACidr {
        /// The setting, as its CNI names it (`flannel Network`).
        setting: &'static str,
        /// What was given.
        value: String,
    },
    /// A per-node size that does not fit in the cluster range.
    NodeRangeTooBig {
        /// The per-node prefix length.
        len: u8,
        /// The range, as its CNI names it (`the cilium cluster pool`).
        what: &'static str,
        /// The cluster range.
        net: Ipv4Net,
    },
    /// Calico's `blockSize` out of 20–32 or larger than the pool.
    BlockSize {
        /// The block size.
        block_size: u8,
        /// The pool.
        pool: Ipv4Net,
    },
    /// Calico's `maxBlocksPerHost` without `strictAffinity`
    /// (`ipam.go SetIPAMConfig`).
    MaxBlocksWithoutStrictAffinity {
        /// The limit set.
        max_blocks_per_host: u32,
    },
    /// Cilium's `first-interface-index` beyond what podnet models.
    FirstInterfaceIndex {
        /// The index set.
        index: u32,
    },
    /// Cilium's `max-allocate` below `min-allocate`.
    MaxBelowMin {
        /// max-allocate.
        max: u32,
        /// min-allocate.
        min: u32,
    },
    /// The CNI's range overlaps a VPC block.
    OverlapsVpc {
        /// The range, as its CNI names it.
        what: &'static str,
        /// The range.
        net: Ipv4Net,
        /// The VPC block.
        block: Ipv4Net,
        /// Why that matters, for this CNI.
        note: &'static str,
    },
    /// Running nodes hold pod CIDRs of the current cluster range.
    RangesHeld {
        /// Nodes running.
        nodes: u32,
        /// The cluster range they hold pod CIDRs of.
        cluster: Ipv4Net,
        /// Its per-node prefix length.
        node_len: u8,
    },
    /// Calico's IPPool has blocks allocated.
    PoolInUse {
        /// The pool.
        pool: String,
        /// Its block size.
        block_size: u8,
        /// Blocks allocated.
        blocks: usize,
    },
    /// Nodes hold leases from flanneld's etcd.
    LeasesHeld,
    /// The VPC CNI's network policy agent and Calico both asked to enforce.
    PolicyEnginesConflict,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotACidr { setting, value } => {
                write!(f, "{setting} \"{value}\" is not an IPv4 CIDR")
            }
            Self::NodeRangeTooBig { len, what, net } => {
                write!(f, "a /{len} pod CIDR per node does not fit in {what} {net}")
            }
            Self::BlockSize { block_size, pool } => write!(
                f,
                "calico IPPool blockSize /{block_size} must be between /20 and /32 and no larger than the pool {pool}"
            ),
            Self::MaxBlocksWithoutStrictAffinity { max_blocks_per_host } => write!(
                f,
                "calico maxBlocksPerHost {max_blocks_per_host} needs strictAffinity: true"
            ),
            Self::FirstInterfaceIndex { index } => write!(
                f,
                "first-interface-index {index} is not supported here: use 0 (eth0 holds pods) or 1 (it does not)"
            ),
            Self::MaxBelowMin { max, min } => {
                write!(f, "max-allocate {max} is below min-allocate {min}")
            }
            Self::OverlapsVpc {
                what,
                net,
                block,
                note,
            } => write!(f, "{what} {net} overlaps the VPC block {block}{note}"),
            Self::RangesHeld {
                nodes,
                cluster,
                node_len,
            } => write!(
                f,
                "{nodes} nodes hold pod CIDRs from {cluster} (/{node_len} per node): the cluster CIDR and per-node size cannot change while they run (replay the scenario under the new settings instead)"
            ),
            Self::PoolInUse {
                pool,
                block_size,
                blocks,
            } => write!(
                f,
                "calico IPPool {pool} (/{block_size} blocks) has {blocks} blocks allocated: its cidr and blockSize cannot change (replay the scenario under the new pool instead)"
            ),
            Self::PolicyEnginesConflict => f.write_str(
                "enable_network_policy and calico_policy are both on: do not enable network policy for the AWS VPC CNI when Calico enforces it, the two conflict (docs.tigera.io, Calico on EKS); turn one off",
            ),
            Self::LeasesHeld => f.write_str(
                "nodes hold subnets leased from flanneld's etcd: switching them to --kube-subnet-mgr would leave them without a pod CIDR, which EKS never assigns (replay the scenario under the new settings instead)",
            ),
        }
    }
}

impl std::error::Error for SettingsError {}

/// Why an allocator of a CNI gave no address, as its plugin says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocateError {
    /// host-local: the node's range is full.
    HostLocalFull {
        /// The range as host-local prints it (`10.244.1.1-10.244.1.254`).
        range: String,
    },
    /// The cilium agent's pool is full.
    CiliumRangeFull,
    /// Calico: the node may claim no more blocks.
    BlockLimit {
        /// `maxBlocksPerHost`.
        max_blocks_per_host: u32,
    },
    /// Calico: no free block may be claimed, and strict affinity forbids
    /// borrowing.
    StrictAffinity,
    /// Calico: the pool has no free address.
    PoolFull {
        /// The pool.
        pool: String,
    },
    /// Calico: no pool is set up (not Calico's state).
    NoPool,
    /// The VPC Resource Controller: no branch ENI for the pod.
    NoBranch {
        /// Why, in EC2's or the controller's words.
        reason: String,
    },
    /// ipamd's datastore has no free address (CNI `docs/troubleshooting.md`).
    DatastoreEmpty,
    /// The node has no pod CIDR; the plugin's message.
    NoPodCidr {
        /// What the plugin says.
        message: String,
    },
}

impl fmt::Display for AllocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CALICO: &str =
            "failed to request IPv4 addresses: Assigned 0 out of 1 requested IPv4 addresses; ";
        match self {
            Self::HostLocalFull { range } => write!(
                f,
                "failed to allocate for range 0: no IP addresses available in range set: {range}"
            ),
            Self::CiliumRangeFull => f.write_str(
                "unable to allocate IP via local cilium agent: [POST /ipam][502] postIpamFailure  range is full",
            ),
            Self::BlockLimit { max_blocks_per_host } => write!(
                f,
                "{CALICO}Need to allocate an IPAM block but could not - limit of {max_blocks_per_host} blocks reached for this node"
            ),
            Self::StrictAffinity => write!(
                f,
                "{CALICO}No more free affine blocks and strict affinity enabled"
            ),
            Self::PoolFull { pool } => write!(f, "{CALICO}No IPs available in pools: [{pool}]"),
            Self::NoPool => f.write_str("calico-ipam: no IPPool is set up"),
            Self::NoBranch { reason } => f.write_str(reason),
            Self::DatastoreEmpty => {
                f.write_str("add cmd: failed to assign an IP address to container")
            }
            Self::NoPodCidr { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for AllocateError {}
