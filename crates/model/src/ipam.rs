//! `IpPool`: which addresses of one subnet are taken, and by whom.
//!
//! A bitset (one bit per address) with two summary levels, so finding the
//! lowest free address or the lowest free aligned `/28` costs a few word
//! scans even in a `/16`, never a walk over 65,536 addresses. Who holds an
//! address lives beside it; which pod uses an ENI's address is the ENI's
//! business, not the pool's.
//!
//! EC2 does not document the order in which it picks free addresses; podnet
//! takes the lowest free one so every replay gives the same addresses.

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::addr::{reserved_addresses, total_count, usable_count, ReservedRole};
use crate::ids::EniId;

/// Prefix delegation hands out aligned `/28` blocks (CNI `README.md`).
pub const PREFIX_LEN: u8 = 28;
/// Addresses in a `/28` prefix.
pub const PREFIX_SIZE: u32 = 16;

/// Who holds an address, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "of", rename_all = "kebab-case")]
pub enum Holder {
    /// One of the five addresses AWS keeps in every subnet.
    Reserved(ReservedRole),
    /// The primary IP of an ENI (for a node's primary ENI, the node IP).
    EniPrimary(EniId),
    /// A secondary IP on an ENI, warm or given to a pod.
    Secondary(EniId),
    /// Part of a `/28` prefix delegated to an ENI.
    Prefix(EniId),
    /// The primary IP of a branch ENI: a pod's own interface (security
    /// groups for pods).
    Branch(EniId),
}

impl Holder {
    /// The ENI holding the address, if any.
    pub fn eni(self) -> Option<EniId> {
        match self {
            Self::Reserved(_) => None,
            Self::EniPrimary(e) | Self::Secondary(e) | Self::Prefix(e) | Self::Branch(e) => Some(e),
        }
    }
}

/// An address request EC2 refuses, in EC2's own error codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AllocError {
    /// Not enough free addresses for the request.
    InsufficientFreeAddressesInSubnet {
        /// The subnet.
        subnet: Ipv4Net,
        /// Addresses asked for.
        requested: u32,
        /// Addresses free.
        free: u32,
    },
    /// No free, aligned `/28` left (the free space may be fragmented).
    InsufficientCidrBlocks {
        /// The subnet.
        subnet: Ipv4Net,
        /// Addresses free, scattered.
        free: u32,
    },
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InsufficientFreeAddressesInSubnet { subnet, requested, free } => write!(
                f,
                "subnet {subnet} has {free} free addresses, {requested} requested \
                 (InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request.)"
            ),
            Self::InsufficientCidrBlocks { subnet, free } => write!(
                f,
                "subnet {subnet} has no free aligned /28 block ({free} addresses free, but not 16 contiguous on a /28 boundary) \
                 (InsufficientCidrBlocks: The specified subnet does not have enough free cidr blocks to satisfy the request.)"
            ),
        }
    }
}

impl std::error::Error for AllocError {}

impl AllocError {
    /// EC2's error code and message, as ipamd logs them.
    pub fn ec2_message(&self) -> &'static str {
        match self {
            Self::InsufficientFreeAddressesInSubnet { .. } => {
                "InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request."
            }
            Self::InsufficientCidrBlocks { .. } => {
                "InsufficientCidrBlocks: The specified subnet does not have enough free cidr blocks to satisfy the request."
            }
        }
    }

    /// The numbers behind the refusal, e.g. `10.20.1.0/27 has 7 free, 10 requested`.
    pub fn numbers(&self) -> String {
        match self {
            Self::InsufficientFreeAddressesInSubnet {
                subnet,
                requested,
                free,
            } => {
                format!("{subnet} has {free} free, {requested} requested")
            }
            Self::InsufficientCidrBlocks { subnet, free } => {
                format!("{subnet} has {free} free addresses but no free aligned /28")
            }
        }
    }
}

/// The addresses of one subnet: taken or free, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpPool {
    cidr: Ipv4Net,
    /// One bit per address; 1 = taken (reserved, held, or past the end).
    words: Vec<u64>,
    /// Bit `w` set when `words[w]` is all ones.
    full: Vec<u64>,
    /// Bit `w` set when `words[w]` has an aligned group of 16 free bits.
    has_block: Vec<u64>,
    /// Who holds each address, by offset (dense: a /16 is 65,536 slots).
    holders: Vec<Option<Holder>>,
    in_use: u32,
}

impl IpPool {
    /// An empty pool for `cidr` with AWS's five addresses already taken.
    pub fn new(cidr: Ipv4Net) -> Self {
        let size = u32::try_from(total_count(cidr)).unwrap_or(u32::MAX);
        let n_words = (size as usize).div_ceil(64).max(1);
        let mut pool = Self {
            cidr,
            words: vec![0; n_words],
            full: vec![0; n_words.div_ceil(64)],
            has_block: vec![0; n_words.div_ceil(64)],
            holders: vec![None; size as usize],
            in_use: 0,
        };
        // Bits past the end of a small subnet (a /28 uses 16 of 64) count as taken.
        for off in size..(n_words as u32 * 64) {
            pool.set(off, true);
        }
        // Summary bits for words that do not exist count as full and block-less.
        for w in n_words..pool.full.len() * 64 {
            set_bit(&mut pool.full, w, true);
        }
        for w in 0..n_words {
            pool.refresh(w);
        }
        for r in reserved_addresses(cidr) {
            if let Some(off) = pool.offset(r.addr) {
                pool.set(off, true);
                if let Some(slot) = pool.holders.get_mut(off as usize) {
                    *slot = Some(Holder::Reserved(r.role));
                }
            }
        }
        pool
    }

    /// The subnet's block.
    pub fn cidr(&self) -> Ipv4Net {
        self.cidr
    }

    /// Addresses AWS lets ENIs use (all but the five reserved).
    pub fn usable(&self) -> u32 {
        usable_count(self.cidr)
    }

    /// Usable addresses held by ENIs.
    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    /// Usable addresses nobody holds (what EC2 calls `AvailableIpAddressCount`).
    pub fn free(&self) -> u32 {
        self.usable().saturating_sub(self.in_use)
    }

    /// Who holds `addr`, or `None` when it is free or outside the subnet.
    pub fn holder(&self, addr: Ipv4Addr) -> Option<Holder> {
        self.offset(addr)
            .and_then(|off| self.holders.get(off as usize).copied().flatten())
    }

    /// Every held or reserved address with its holder, lowest first.
    pub fn holders(&self) -> impl Iterator<Item = (Ipv4Addr, Holder)> + '_ {
        let base = u32::from(self.cidr.network());
        self.holders.iter().enumerate().filter_map(move |(off, h)| {
            h.map(|h| (Ipv4Addr::from(base.wrapping_add(off as u32)), h))
        })
    }

    /// Takes the lowest free address for `holder`, like
    /// `aws ec2 assign-private-ip-addresses --secondary-private-ip-address-count 1`.
    ///
    /// # Errors
    /// [`AllocError::InsufficientFreeAddressesInSubnet`] when the subnet is full.
    pub fn allocate(&mut self, holder: Holder) -> Result<Ipv4Addr, AllocError> {
        let off = self
            .first_free()
            .ok_or(AllocError::InsufficientFreeAddressesInSubnet {
                subnet: self.cidr,
                requested: 1,
                free: 0,
            })?;
        self.take(off, holder);
        Ok(self.addr_at(off))
    }

    /// Takes `count` addresses at once, or none: EC2 refuses a request it
    /// cannot satisfy whole.
    ///
    /// # Errors
    /// [`AllocError::InsufficientFreeAddressesInSubnet`] with the numbers.
    pub fn allocate_many(
        &mut self,
        count: u32,
        holder: Holder,
    ) -> Result<Vec<Ipv4Addr>, AllocError> {
        if self.free() < count {
            return Err(AllocError::InsufficientFreeAddressesInSubnet {
                subnet: self.cidr,
                requested: count,
                free: self.free(),
            });
        }
        (0..count).map(|_| self.allocate(holder)).collect()
    }

    /// Takes the lowest free, aligned `/28` for `holder`, like
    /// `aws ec2 assign-private-ip-addresses --ipv4-prefix-count 1`.
    ///
    /// # Errors
    /// [`AllocError::InsufficientCidrBlocks`] when no aligned `/28` is free,
    /// even if enough scattered addresses are.
    pub fn allocate_prefix(&mut self, holder: Holder) -> Result<Ipv4Net, AllocError> {
        let start = self
            .first_free_block()
            .ok_or(AllocError::InsufficientCidrBlocks {
                subnet: self.cidr,
                free: self.free(),
            })?;
        for off in start..start + PREFIX_SIZE {
            self.take(off, holder);
        }
        Ok(Ipv4Net::new(self.addr_at(start), PREFIX_LEN).unwrap_or(self.cidr))
    }

    /// Gives `addr` back. Reserved and free addresses are left as they are.
    /// Returns who held it.
    pub fn release(&mut self, addr: Ipv4Addr) -> Option<Holder> {
        let off = self.offset(addr)?;
        match self.holders.get(off as usize).copied().flatten() {
            None | Some(Holder::Reserved(_)) => None,
            Some(_) => {
                let held = self.holders.get_mut(off as usize).and_then(Option::take);
                self.set(off, false);
                self.in_use = self.in_use.saturating_sub(1);
                held
            }
        }
    }

    /// Gives a whole `/28` prefix back.
    pub fn release_prefix(&mut self, prefix: Ipv4Net) {
        for addr in prefix.hosts_and_ends() {
            self.release(addr);
        }
    }

    /// Number of free, aligned `/28` blocks (what prefix delegation can still get).
    pub fn free_prefixes(&self) -> u32 {
        self.words
            .iter()
            .map(|w| (0..4).filter(|g| (w >> (g * 16)) & 0xFFFF == 0).count() as u32)
            .sum()
    }

    fn offset(&self, addr: Ipv4Addr) -> Option<u32> {
        self.cidr
            .contains(&addr)
            .then(|| u32::from(addr).wrapping_sub(u32::from(self.cidr.network())))
    }

    fn addr_at(&self, off: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.cidr.network()).wrapping_add(off))
    }

    fn take(&mut self, off: u32, holder: Holder) {
        self.set(off, true);
        if let Some(slot) = self.holders.get_mut(off as usize) {
            *slot = Some(holder);
        }
        self.in_use += 1;
    }

    fn set(&mut self, off: u32, taken: bool) {
        let w = (off / 64) as usize;
        set_bit(&mut self.words, off as usize, taken);
        self.refresh(w);
    }

    /// Recomputes the summary bits of word `w`.
    fn refresh(&mut self, w: usize) {
        let word = self.words.get(w).copied().unwrap_or(u64::MAX);
        set_bit(&mut self.full, w, word == u64::MAX);
        let block = (0..4).any(|g| (word >> (g * 16)) & 0xFFFF == 0);
        set_bit(&mut self.has_block, w, block);
    }

    fn first_free(&self) -> Option<u32> {
        let (i, s) = self
            .full
            .iter()
            .enumerate()
            .find(|(_, s)| **s != u64::MAX)?;
        let w = i * 64 + s.trailing_ones() as usize;
        let word = self.words.get(w)?;
        Some((w * 64) as u32 + word.trailing_ones())
    }

    fn first_free_block(&self) -> Option<u32> {
        let (i, s) = self.has_block.iter().enumerate().find(|(_, s)| **s != 0)?;
        let w = i * 64 + s.trailing_zeros() as usize;
        let word = self.words.get(w)?;
        let g = (0..4u32).find(|g| (word >> (g * 16)) & 0xFFFF == 0)?;
        Some((w * 64) as u32 + g * PREFIX_SIZE)
    }
}

/// Sets or clears bit `i` of a bitset; bits past the end are ignored.
fn set_bit(bits: &mut [u64], i: usize, on: bool) {
    if let Some(word) = bits.get_mut(i / 64) {
        let mask = 1u64 << (i % 64);
        if on {
            *word |= mask;
        } else {
            *word &= !mask;
        }
    }
}

/// Every address of a block, network and broadcast included (ipnet's
/// `hosts()` skips them for blocks larger than /31).
trait AllAddresses {
    fn hosts_and_ends(&self) -> Vec<Ipv4Addr>;
}

impl AllAddresses for Ipv4Net {
    fn hosts_and_ends(&self) -> Vec<Ipv4Addr> {
        let start = u32::from(self.network());
        let end = u32::from(self.broadcast());
        (start..=end).map(Ipv4Addr::from).collect()
    }
}

#[cfg(test)]
mod tests;
