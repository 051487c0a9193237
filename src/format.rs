//! The on-disk entry format: pure encoding and decoding, no I/O.
//!
//! A store file is a sequence of entries and nothing else. A regular entry is
//! zero padding up to the next multiple of [`ALIGNMENT`], a non-empty payload,
//! then [`METADATA_SIZE`] bytes of metadata (key hash, previous tail, CRC-32 of
//! the payload; all little-endian). A tombstone is a single `0x00` payload byte
//! with no padding. See `docs/FORMAT.md` for the full description.

use std::ops::Range;

/// Payload alignment in the file, in bytes (a power of two).
pub const ALIGNMENT: u64 = 64;

/// Size of the metadata that follows every payload, in bytes.
pub const METADATA_SIZE: usize = 20;

/// The byte that fills space a writer reserves ahead of its tail (this
/// library's convention, not the crate's format; see `crate::os::prealloc`).
/// Metadata read from such bytes links far beyond itself, so every reader,
/// the crate's recovery included, skips it as a torn tail. Not `0xFF`: the
/// crate adds the padding to a link without checking for overflow, which
/// panics in its debug builds for a link above `u64::MAX - 63`. Not zeros:
/// a zero link reads to the crate as one entry reaching back to offset 0.
pub const RESERVED_FILL: u8 = 0xFE;

/// The payload of a tombstone: one zero byte.
pub const TOMBSTONE_PAYLOAD: [u8; 1] = [0];

/// Zero bytes used for padding; long enough for any pad.
pub(crate) static ZEROS: [u8; ALIGNMENT as usize] = [0; ALIGNMENT as usize];

/// Number of zero bytes needed after `prev_tail` so that the payload starts on
/// a multiple of [`ALIGNMENT`].
#[inline]
pub fn pad_len(prev_tail: u64) -> u64 {
    (ALIGNMENT - prev_tail % ALIGNMENT) & (ALIGNMENT - 1)
}

/// The 64-bit key hash stored in the file: XXH3-64 with seed 0.
#[inline]
pub fn key_hash(key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key)
}

/// Length of a namespaced key, in bytes.
pub const NAMESPACE_KEY_LEN: usize = 16;

/// A key inside the namespace `prefix`: the XXH3-64 of the prefix then that
/// of the key, both little-endian. Identical to the `simd-r-drive` crate's
/// `NamespaceHasher::namespace`.
pub fn namespace_key(prefix: &[u8], key: &[u8]) -> [u8; NAMESPACE_KEY_LEN] {
    let mut out = [0u8; NAMESPACE_KEY_LEN];
    out[..8].copy_from_slice(&key_hash(prefix).to_le_bytes());
    out[8..].copy_from_slice(&key_hash(key).to_le_bytes());
    out
}

/// The payload checksum stored in the file: CRC-32/ISO-HDLC.
#[inline]
pub fn checksum(payload: &[u8]) -> u32 {
    crc32fast::hash(payload)
}

/// Whether a payload can be stored as a value: it must be non-empty and must
/// not be the tombstone marker (a single `0x00` byte).
#[inline]
pub fn is_storable_value(payload: &[u8]) -> bool {
    !payload.is_empty() && payload != TOMBSTONE_PAYLOAD
}

/// The 20 metadata bytes that close every entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// XXH3-64 of the key.
    pub key_hash: u64,
    /// Offset where the previous entry ended (0 for the first entry).
    pub prev_tail: u64,
    /// CRC-32 of the payload.
    pub checksum: u32,
}

impl Metadata {
    /// Encodes the metadata as stored in the file.
    pub fn encode(&self) -> [u8; METADATA_SIZE] {
        let mut out = [0u8; METADATA_SIZE];
        out[0..8].copy_from_slice(&self.key_hash.to_le_bytes());
        out[8..16].copy_from_slice(&self.prev_tail.to_le_bytes());
        out[16..20].copy_from_slice(&self.checksum.to_le_bytes());
        out
    }

    /// Decodes metadata from exactly [`METADATA_SIZE`] bytes.
    pub fn decode(bytes: &[u8; METADATA_SIZE]) -> Self {
        let mut h = [0u8; 8];
        let mut p = [0u8; 8];
        let mut c = [0u8; 4];
        h.copy_from_slice(&bytes[0..8]);
        p.copy_from_slice(&bytes[8..16]);
        c.copy_from_slice(&bytes[16..20]);
        Metadata {
            key_hash: u64::from_le_bytes(h),
            prev_tail: u64::from_le_bytes(p),
            checksum: u32::from_le_bytes(c),
        }
    }

    /// Reads the metadata at byte offset `at` of `file`, if it fits.
    pub fn read_at(file: &[u8], at: u64) -> Option<Self> {
        let start = usize::try_from(at).ok()?;
        let end = start.checked_add(METADATA_SIZE)?;
        let bytes: &[u8; METADATA_SIZE] = file.get(start..end)?.try_into().ok()?;
        Some(Self::decode(bytes))
    }
}

/// Where an entry's parts lie in the file, derived from its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryLayout {
    /// The decoded metadata.
    pub meta: Metadata,
    /// Offset of the metadata (the end of the payload).
    pub meta_offset: u64,
    /// The payload's byte range in the file.
    pub payload: Range<u64>,
    /// Whether this entry is a tombstone.
    pub tombstone: bool,
}

impl EntryLayout {
    /// Offset where this entry ends (where the next one begins).
    pub fn end(&self) -> u64 {
        self.meta_offset + METADATA_SIZE as u64
    }

    /// Length of the payload in bytes.
    pub fn payload_len(&self) -> u64 {
        self.payload.end - self.payload.start
    }
}

/// Why bytes at some offset are not a well-formed entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// The metadata does not fit inside the file.
    OutOfBounds,
    /// `prev_tail` does not lie before the metadata, or leaves no payload.
    BadLink,
}

/// Decodes the entry whose metadata starts at `meta_offset` in `file`,
/// checking only its structure (not its checksum).
pub fn entry_at(file: &[u8], meta_offset: u64) -> Result<EntryLayout, LayoutError> {
    let meta = Metadata::read_at(file, meta_offset).ok_or(LayoutError::OutOfBounds)?;
    let prev = meta.prev_tail;
    if prev >= meta_offset {
        return Err(LayoutError::BadLink);
    }
    if meta_offset - prev == 1 && file[prev as usize] == TOMBSTONE_PAYLOAD[0] {
        return Ok(EntryLayout {
            meta,
            meta_offset,
            payload: prev..meta_offset,
            tombstone: true,
        });
    }
    let start = prev + pad_len(prev);
    if start >= meta_offset {
        return Err(LayoutError::BadLink);
    }
    Ok(EntryLayout {
        meta,
        meta_offset,
        payload: start..meta_offset,
        tombstone: false,
    })
}

/// The bytes of `range` in `file`. The range must lie inside `file`.
#[inline]
pub fn slice(file: &[u8], range: Range<u64>) -> &[u8] {
    &file[range.start as usize..range.end as usize]
}

/// Whether the payload of `entry` in `file` matches its stored checksum.
pub fn checksum_ok(file: &[u8], entry: &EntryLayout) -> bool {
    checksum(slice(file, entry.payload.clone())) == entry.meta.checksum
}

/// Key hash of batch markers (docs/FORMAT.md, "Batches"): the entry this
/// library writes first in every append of more than one entry. Its value
/// is [`BATCH_MAGIC`] then the little-endian offset where the batch ends. A
/// view of the store whose end falls after a marker and before the end it
/// declares ends before the marker instead: a batch is there entirely or
/// not at all. Markers are never indexed (reads of this hash find nothing,
/// writes under it are refused, compaction drops them); the crate sees
/// them as one key whose value is the newest marker.
pub const BATCH_KEY_HASH: u64 = 0x7372_645f_6261_7463;

/// The first 8 bytes of a batch marker's value.
pub const BATCH_MAGIC: [u8; 8] = *b"srdBATCH";

/// Length of a batch marker's value.
pub const BATCH_MARKER_LEN: usize = 16;

/// The value of a batch marker for a batch that ends at `end`.
pub fn batch_marker(end: u64) -> [u8; BATCH_MARKER_LEN] {
    let mut v = [0u8; BATCH_MARKER_LEN];
    v[..8].copy_from_slice(&BATCH_MAGIC);
    v[8..].copy_from_slice(&end.to_le_bytes());
    v
}

/// If `entry` (in `file`) is a batch marker, the offset where its batch
/// ends.
pub fn batch_end(file: &[u8], entry: &EntryLayout) -> Option<u64> {
    if entry.meta.key_hash != BATCH_KEY_HASH
        || entry.tombstone
        || entry.payload_len() != BATCH_MARKER_LEN as u64
    {
        return None;
    }
    let v = file.get(entry.payload.start as usize..entry.payload.end as usize)?;
    (v[..8] == BATCH_MAGIC).then(|| u64::from_le_bytes(v[8..].try_into().expect("8 bytes")))
}

/// Plans the bytes of one entry appended at `tail`: returns the padding length,
/// the metadata bytes, and the new tail after the entry.
pub fn plan_value(tail: u64, key_hash: u64, payload: &[u8]) -> (u64, [u8; METADATA_SIZE], u64) {
    let pad = pad_len(tail);
    let meta = Metadata {
        key_hash,
        prev_tail: tail,
        checksum: checksum(payload),
    };
    let end = tail + pad + payload.len() as u64 + METADATA_SIZE as u64;
    (pad, meta.encode(), end)
}

/// Encodes a tombstone for `key_hash` appended at `tail`: the 21 bytes to write.
pub fn encode_tombstone(tail: u64, key_hash: u64) -> [u8; 1 + METADATA_SIZE] {
    let meta = Metadata {
        key_hash,
        prev_tail: tail,
        checksum: checksum(&TOMBSTONE_PAYLOAD),
    };
    let mut out = [0u8; 1 + METADATA_SIZE];
    out[1..].copy_from_slice(&meta.encode());
    out
}

/// Appends a complete value entry for `payload` at `tail` to `out`; returns
/// the new tail.
pub fn encode_value_into(out: &mut Vec<u8>, tail: u64, key_hash: u64, payload: &[u8]) -> u64 {
    let (pad, meta, end) = plan_value(tail, key_hash, payload);
    out.extend_from_slice(&ZEROS[..pad as usize]);
    out.extend_from_slice(payload);
    out.extend_from_slice(&meta);
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_aligns_payload_to_64() {
        for tail in 0..300u64 {
            let p = pad_len(tail);
            assert!(p < 64);
            assert_eq!((tail + p) % 64, 0);
        }
    }

    #[test]
    fn metadata_roundtrips_little_endian() {
        let m = Metadata {
            key_hash: 0x0102_0304_0506_0708,
            prev_tail: 0x1122,
            checksum: 0xdead_beef,
        };
        let b = m.encode();
        assert_eq!(b[0], 0x08);
        assert_eq!(b[8], 0x22);
        assert_eq!(b[16..20], [0xef, 0xbe, 0xad, 0xde]);
        assert_eq!(Metadata::decode(&b), m);
    }

    #[test]
    fn value_entry_decodes_back() {
        let mut file = vec![7u8; 5]; // a fake previous entry ending at 5
        let end = encode_value_into(&mut file, 5, 42, b"hello");
        assert_eq!(end as usize, file.len());
        let e = entry_at(&file, end - METADATA_SIZE as u64).unwrap();
        assert!(!e.tombstone);
        assert_eq!(e.payload, 64..69);
        assert_eq!(slice(&file, e.payload.clone()), b"hello");
        assert!(checksum_ok(&file, &e));
        assert_eq!(e.meta.key_hash, 42);
        assert_eq!(e.meta.prev_tail, 5);
    }

    #[test]
    fn tombstone_has_no_padding() {
        let mut file = vec![7u8; 5];
        file.extend_from_slice(&encode_tombstone(5, 9));
        let e = entry_at(&file, 6).unwrap();
        assert!(e.tombstone);
        assert_eq!(e.payload, 5..6);
        assert!(checksum_ok(&file, &e));
    }

    #[test]
    fn bad_links_are_rejected() {
        let mut file = vec![0u8; 64];
        let m = Metadata {
            key_hash: 1,
            prev_tail: 100,
            checksum: 0,
        };
        file.extend_from_slice(&m.encode());
        assert_eq!(entry_at(&file, 64), Err(LayoutError::BadLink));
        assert_eq!(entry_at(&file, 70), Err(LayoutError::OutOfBounds));
        // prev_tail 1 -> payload would start at 64 == meta offset: empty payload.
        let mut file = vec![1u8; 64];
        let m = Metadata {
            key_hash: 1,
            prev_tail: 1,
            checksum: 0,
        };
        file.extend_from_slice(&m.encode());
        assert_eq!(entry_at(&file, 64), Err(LayoutError::BadLink));
    }

    #[test]
    fn storable_values() {
        assert!(!is_storable_value(b""));
        assert!(!is_storable_value(&[0]));
        assert!(is_storable_value(&[0, 0]));
        assert!(is_storable_value(&[1]));
    }
}
