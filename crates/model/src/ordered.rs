//! Ordered collections built by inserting, not by `collect()`.
//!
//! `BTreeMap`'s and `BTreeSet`'s `FromIterator` sort their input first with
//! the standard library's stable sort, instantiated once per element type:
//! about 4 KB of `.wasm` each (measured with twiggy, issue 16). Building
//! through `Extend` inserts one by one and reuses the `insert` each map
//! already has. With equal keys the last value wins, as with `collect()`.

use std::collections::{BTreeMap, BTreeSet};

/// `into_set` and `into_map` on every iterator.
pub trait Ordered: Iterator + Sized {
    /// The items as a set, like `collect::<BTreeSet<_>>()`.
    fn into_set(self) -> BTreeSet<Self::Item>
    where
        Self::Item: Ord,
    {
        let mut set = BTreeSet::new();
        set.extend(self);
        set
    }

    /// The pairs as a map, like `collect::<BTreeMap<_, _>>()`.
    fn into_map<K: Ord, V>(self) -> BTreeMap<K, V>
    where
        Self: Iterator<Item = (K, V)>,
    {
        let mut map = BTreeMap::new();
        map.extend(self);
        map
    }
}

impl<I: Iterator> Ordered for I {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_as_collect_with_the_last_value_of_equal_keys() {
        let pairs = [(2, "b"), (1, "a"), (2, "c")];
        let collected: BTreeMap<_, _> = pairs.into_iter().collect();
        assert_eq!(pairs.into_iter().into_map(), collected);
        assert_eq!(collected[&2], "c");
        let set: BTreeSet<_> = [3, 1, 3, 2].into_iter().collect();
        assert_eq!([3, 1, 3, 2].into_iter().into_set(), set);
    }
}
