//! `IdMap`: a map from dense, sequential ids (nodes, pods) to values, kept
//! in a vector indexed by id. Lookups are O(1) and walk memory in id order,
//! which keeps a 150,000-pod sandbox as fast per pod as a 1,500-pod one;
//! iteration order is id order, as a `BTreeMap`'s would be.

use serde::{Deserialize, Serialize};

use crate::ids::{NodeId, PodId};

/// An id that indexes a vector.
pub trait DenseId: Copy {
    /// The id's position.
    fn index(self) -> usize;
}

impl DenseId for NodeId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl DenseId for PodId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A map from ids to values, stored by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdMap<K, V> {
    slots: Vec<Option<(K, V)>>,
    len: usize,
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<K: DenseId + PartialEq, V: PartialEq> PartialEq for IdMap<K, V> {
    /// Equal when they hold the same entries (free slots do not count).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: DenseId + Eq, V: Eq> Eq for IdMap<K, V> {}

impl<K: DenseId, V> IdMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes room for ids up to `additional` past the highest slot.
    pub fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.slots.get(key.index())?.as_ref().map(|(_, v)| v)
    }

    /// The value of `key`, to change it.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.slots.get_mut(key.index())?.as_mut().map(|(_, v)| v)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`'s value; returns the old one.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let i = key.index();
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, || None);
        }
        let old = self
            .slots
            .get_mut(i)
            .and_then(|slot| slot.replace((key, value)));
        if old.is_none() {
            self.len += 1;
        }
        old.map(|(_, v)| v)
    }

    /// Takes `key`'s value out.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.slots.get_mut(key.index())?.take();
        if old.is_some() {
            self.len -= 1;
        }
        old.map(|(_, v)| v)
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots
            .iter()
            .filter_map(|s| s.as_ref().map(|(k, v)| (k, v)))
    }

    /// Ids in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// Values in id order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// Values in id order, to change them.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slots
            .iter_mut()
            .filter_map(|s| s.as_mut().map(|(_, v)| v))
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for slot in &mut self.slots {
            if let Some((k, v)) = slot {
                if !keep(k, v) {
                    *slot = None;
                    self.len -= 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_map_behaves_like_an_ordered_map() {
        let mut m: IdMap<PodId, &str> = IdMap::new();
        assert_eq!(m.insert(PodId(3), "c"), None);
        m.insert(PodId(1), "a");
        assert_eq!(m.insert(PodId(3), "C"), Some("c"));
        assert_eq!(m.len(), 2);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), ["a", "C"]);
        assert_eq!(m.remove(&PodId(1)), Some("a"));
        assert_eq!(m.remove(&PodId(1)), None);
        assert_eq!(m.get(&PodId(9)), None);
        m.retain(|_, v| *v != "C");
        assert!(m.is_empty());
        let mut other = IdMap::new();
        other.insert(PodId(5), "x");
        other.remove(&PodId(5));
        assert_eq!(m, other, "free slots do not make maps differ");
    }
}
