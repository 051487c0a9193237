//! The in-memory index: key hash -> offset of the newest entry's metadata.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// Key hashes are XXH3 values, but with a public seed (0): keys can be chosen
/// so that their hashes share low bits. The table therefore mixes each hash
/// with a random odd multiplier chosen when the index is made (a folded
/// 128-bit multiply, which spreads every input bit over the result) so nobody
/// can predict buckets.
#[derive(Clone, Copy)]
pub(crate) struct MixedHash {
    seed: u64,
}

impl Default for MixedHash {
    fn default() -> Self {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64) | 1;
        MixedHash { seed }
    }
}

impl BuildHasher for MixedHash {
    type Hasher = HashIsKey;
    fn build_hasher(&self) -> HashIsKey {
        HashIsKey {
            value: 0,
            seed: self.seed,
        }
    }
}

/// The hasher of [`MixedHash`]: takes the key hash as it is, mixes at the end.
pub(crate) struct HashIsKey {
    value: u64,
    seed: u64,
}

impl Hasher for HashIsKey {
    fn finish(&self) -> u64 {
        let m = u128::from(self.value) * u128::from(self.seed);
        (m as u64) ^ ((m >> 64) as u64)
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else so the hasher stays total.
        for &b in bytes {
            self.value = self.value.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.value = n;
    }
}

/// Bit set in a slot once the entry's payload checksum has been verified.
const VERIFIED: u64 = 1 << 63;
/// Offset value that marks a tombstone while an index is being rebuilt.
const TOMBSTONE_MARK: u64 = !VERIFIED;

/// One index slot: the metadata offset of the newest entry for a key, plus a
/// "checksum verified" flag that readers set the first time they check it.
pub(crate) struct Slot(AtomicU64);

impl Slot {
    fn new(meta_offset: u64, verified: bool) -> Self {
        Slot(AtomicU64::new(
            meta_offset | if verified { VERIFIED } else { 0 },
        ))
    }

    /// Offset of the entry's metadata in the file.
    pub(crate) fn meta_offset(&self) -> u64 {
        self.0.load(Ordering::Relaxed) & !VERIFIED
    }

    /// Whether the payload checksum is known to be good.
    pub(crate) fn is_verified(&self) -> bool {
        self.0.load(Ordering::Relaxed) & VERIFIED != 0
    }

    /// Records that the payload checksum was checked and matched.
    pub(crate) fn mark_verified(&self) {
        self.0.fetch_or(VERIFIED, Ordering::Relaxed);
    }
}

/// Maps key hashes to their live entries.
#[derive(Default)]
pub(crate) struct Index {
    map: HashMap<u64, Slot, MixedHash>,
}

impl Index {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Index {
            map: HashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    pub(crate) fn get(&self, key_hash: u64) -> Option<&Slot> {
        self.map.get(&key_hash)
    }

    pub(crate) fn contains(&self, key_hash: u64) -> bool {
        self.map.contains_key(&key_hash)
    }

    /// Points `key_hash` at a newer entry.
    pub(crate) fn insert(&mut self, key_hash: u64, meta_offset: u64, verified: bool) {
        self.map.insert(key_hash, Slot::new(meta_offset, verified));
    }

    /// Forgets `key_hash`; returns whether it was present.
    pub(crate) fn remove(&mut self, key_hash: u64) -> bool {
        self.map.remove(&key_hash).is_some()
    }

    /// Number of live keys.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Live entries as (key hash, metadata offset), in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.map.iter().map(|(&h, s)| (h, s.meta_offset()))
    }

    /// Live entries with their slots.
    pub(crate) fn iter_slots(&self) -> impl Iterator<Item = (u64, &Slot)> + '_ {
        self.map.iter().map(|(&h, s)| (h, s))
    }

    // --- Rebuilding from the file, newest entry first -------------------

    /// While walking the file backwards: records `key_hash` unless a newer
    /// entry (or tombstone) for it was already seen.
    pub(crate) fn note_older(&mut self, key_hash: u64, meta_offset: u64, tombstone: bool) {
        let off = if tombstone {
            TOMBSTONE_MARK
        } else {
            meta_offset
        };
        self.map
            .entry(key_hash)
            .or_insert_with(|| Slot::new(off, false));
    }

    /// Ends a rebuild: drops the keys whose newest entry is a tombstone.
    pub(crate) fn finish_rebuild(&mut self) {
        self.map.retain(|_, s| s.meta_offset() != TOMBSTONE_MARK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_entry_wins_and_tombstones_hide_older_versions() {
        let mut idx = Index::default();
        // Walking backwards: newest first.
        idx.note_older(1, 300, false);
        idx.note_older(2, 250, true);
        idx.note_older(1, 100, false);
        idx.note_older(2, 50, false);
        idx.finish_rebuild();
        assert_eq!(idx.len(), 1);
        assert_eq!(idx.get(1).unwrap().meta_offset(), 300);
        assert!(idx.get(2).is_none());
    }

    #[test]
    fn verified_flag_does_not_change_offset() {
        let mut idx = Index::default();
        idx.insert(7, 1234, false);
        let s = idx.get(7).unwrap();
        assert!(!s.is_verified());
        s.mark_verified();
        assert!(s.is_verified());
        assert_eq!(s.meta_offset(), 1234);
    }
}
