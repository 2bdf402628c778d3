//! Maps and sets keyed by a run's own numbers (event ids), hashed by one multiplication.
//!
//! The standard library's maps hash with SipHash and a per-process random key, which resists
//! keys chosen by an adversary; an event id is a number the run made itself, so that costs time
//! and buys nothing here (a flash-sale day's rows spent about 4% of their time hashing ids). A
//! key is multiplied by 2⁶⁴/φ: a run of consecutive ids fills distinct buckets (the low bits of
//! the product are a permutation of the key's), and the top bits, which the table reads to tell
//! apart the keys of one bucket group, mix all of the key's bits. The maps' iteration order
//! is now the same from run to run; nothing a run reports depends on it (it did not before, when
//! it changed with every process).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A map from ids.
pub type IdMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// A set of ids.
pub type IdSet = HashSet<u32, BuildHasherDefault<IdHasher>>;

/// The hash of an id: the id times 2⁶⁴/φ (Fibonacci hashing).
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

const PHI: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write_u32(&mut self, id: u32) {
        self.0 = (self.0 ^ u64::from(id)).wrapping_mul(PHI);
    }

    /// Any other key, a byte at a time (ids come through [`Hasher::write_u32`]).
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(PHI);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn consecutive_ids_fill_distinct_buckets_and_differ_in_the_top_bits() {
        let build = BuildHasherDefault::<IdHasher>::default();
        let hashes: Vec<u64> = (0..4096u32).map(|id| build.hash_one(id)).collect();
        // The low 12 bits of 4,096 consecutive ids' hashes are all different: one per bucket.
        let mut low: Vec<u64> = hashes.iter().map(|h| h & 4095).collect();
        low.sort_unstable();
        low.dedup();
        assert_eq!(low.len(), 4096);
        // The top 7 bits (a table's tag within a group) take every value.
        let mut top: Vec<u64> = hashes.iter().map(|h| h >> 57).collect();
        top.sort_unstable();
        top.dedup();
        assert_eq!(top.len(), 128);
    }

    #[test]
    fn a_map_of_ids_keeps_what_it_is_given() {
        let mut m = IdMap::default();
        for id in (0..10_000u32).step_by(7) {
            m.insert(id, id * 2);
        }
        assert_eq!(m.len(), 1429);
        assert!((0..10_000u32).step_by(7).all(|id| m.get(&id) == Some(&(id * 2))));
        assert_eq!(m.get(&1), None);
        let s: IdSet = m.keys().copied().filter(|id| id % 2 == 0).collect();
        assert!(s.contains(&14) && !s.contains(&7));
    }
}
