//! Pinned values.

use crate::format::{self, EntryLayout};
use crate::os::mapping::Mapping;
use std::ops::Range;
use std::sync::Arc;

/// A value pinned in memory: it stays readable for as long as this handle
/// lives, even after the store is compacted or dropped.
pub struct Entry {
    pub(crate) map: Arc<Mapping>,
    pub(crate) layout: EntryLayout,
}

impl Entry {
    /// The value's bytes (64-byte aligned in memory).
    pub fn data(&self) -> &[u8] {
        let r = &self.layout.payload;
        &self.map.bytes(r.end)[r.start as usize..]
    }

    /// The stored XXH3-64 hash of the key.
    pub fn key_hash(&self) -> u64 {
        self.layout.meta.key_hash
    }

    /// The stored CRC-32 of the value.
    pub fn checksum(&self) -> u32 {
        self.layout.meta.checksum
    }

    /// Offset of the value in the file.
    pub fn offset(&self) -> u64 {
        self.layout.payload.start
    }

    /// Whether the value still matches its stored checksum (recomputed now).
    pub fn verify(&self) -> bool {
        format::checksum(self.data()) == self.layout.meta.checksum
    }
}

/// The bytes of a pinned value, as the source of a nested store.
pub(super) struct EntryBytes {
    pub(super) map: Arc<Mapping>,
    pub(super) range: Range<u64>,
}

impl AsRef<[u8]> for EntryBytes {
    fn as_ref(&self) -> &[u8] {
        format::slice(self.map.bytes(self.range.end), self.range.clone())
    }
}
