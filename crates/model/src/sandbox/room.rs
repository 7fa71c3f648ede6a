//! The scheduler's queue of nodes with room: least-loaded first, and among
//! equally loaded nodes the one that reached that load first (nodes start
//! in id order). Constant time per placement, whatever the cluster's size.

use std::collections::VecDeque;

use crate::ids::NodeId;

/// Nodes by pod count; an entry is current while its node still has that
/// count (older entries are skipped when they reach the front).
#[derive(Debug, Default)]
pub(super) struct Room {
    buckets: Vec<VecDeque<NodeId>>,
    min: usize,
}

impl Room {
    /// Queues `node` as having `load` pods.
    pub(super) fn push(&mut self, load: u32, node: NodeId) {
        let i = load as usize;
        if self.buckets.len() <= i {
            self.buckets.resize_with(i + 1, VecDeque::new);
        }
        if let Some(b) = self.buckets.get_mut(i) {
            b.push_back(node);
        }
        self.min = self.min.min(i);
    }

    /// The least-loaded node with room, skipping entries `load_of` no longer
    /// confirms (`load_of` gives a node's pod count while it has room).
    pub(super) fn peek(&mut self, load_of: impl Fn(NodeId) -> Option<u32>) -> Option<NodeId> {
        while let Some(bucket) = self.buckets.get_mut(self.min) {
            match bucket.front().copied() {
                None => self.min += 1,
                Some(n) if load_of(n) == Some(self.min as u32) => return Some(n),
                Some(_) => {
                    bucket.pop_front();
                }
            }
        }
        None
    }

    /// `node` went from `load` to `load + 1` pods; it queues again if it
    /// still has room.
    pub(super) fn placed(&mut self, node: NodeId, load: u32, room_left: bool) {
        if let Some(bucket) = self.buckets.get_mut(load as usize) {
            if bucket.front() == Some(&node) {
                bucket.pop_front();
            }
        }
        if room_left {
            self.push(load + 1, node);
        }
    }
}
