//! A copy of the index kept beside the store, `<store>.idx`, so that opening
//! a large store does not walk its whole metadata chain.
//!
//! The copy records the store length it was made at, the 20 metadata bytes
//! that end there and a digest of the 4 KiB before them. At open it is used
//! only if all three still match the file and its own digests check out;
//! entries appended after that length (by a session that crashed before
//! saving, or by another program) are then validated and indexed like a
//! tail. Anything else (a missing, stale, damaged or foreign copy, a
//! compacted or truncated store) falls back to the full walk, so the copy
//! can make opening faster but can never change an answer.
//!
//! Layout (little-endian), 128-byte header then the table:
//!
//! ```text
//!   0  magic "SRDIDX\0\x01"
//!   8  store length the copy was made at
//!  16  the 20 metadata bytes ending at that length
//!  40  XXH3-64 of the (up to) 4096 bytes before them
//!  48  entries in the store up to that length (all versions, tombstones)
//!  56  the table's mixer multiplier
//!  64  slot count n (a power of two)
//!  72  XXH3-64 of the table bytes
//!  80  live keys in the table
//!  88  reserved (zeros)
//! 120  XXH3-64 of bytes 0..120
//! 128  n slots of 8 bytes, then n control bytes
//! ```

use crate::format::METADATA_SIZE;
use crate::index::Table;
use crate::store::beside;
use memmap2::{MmapOptions, MmapRaw};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

const MAGIC: &[u8; 8] = b"SRDIDX\x00\x01";
const HEADER: usize = 128;
const TAIL_SPAN: u64 = 4096;

/// Path of the index copy of the store at `store`.
pub fn index_path(store: &Path) -> PathBuf {
    beside(store, ".idx")
}

fn temp_path(store: &Path) -> PathBuf {
    beside(store, ".idx.tmp")
}

/// What identifies the store's content up to `len`: its last metadata and a
/// digest of the bytes before it. `None` if `len` is too short or outside.
fn tail_mark(store: &[u8], len: u64) -> Option<([u8; METADATA_SIZE], u64)> {
    let end = usize::try_from(len).ok()?;
    if end < METADATA_SIZE + 1 || end > store.len() {
        return None;
    }
    let meta: [u8; METADATA_SIZE] = store[end - METADATA_SIZE..end].try_into().ok()?;
    let from = (len - METADATA_SIZE as u64).saturating_sub(TAIL_SPAN) as usize;
    Some((meta, xxh3_64(&store[from..end - METADATA_SIZE])))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Writes the copy of `table`, which indexes `store` (the file's bytes up to
/// its published length) holding `entries` entries: to a temporary file,
/// renamed over the old copy. Not synced: a copy torn by a power cut fails
/// its digest and is ignored.
pub(crate) fn save(path: &Path, table: &Table, store: &[u8], entries: u64) -> io::Result<()> {
    let len = store.len() as u64;
    let Some((meta, tail_digest)) = tail_mark(store, len) else {
        return Ok(());
    };
    let tmp = temp_path(path);
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    let result = (|| {
        let mut digest = Xxh3::new();
        {
            let mut out = BufWriter::with_capacity(1 << 20, &file);
            out.write_all(&[0u8; HEADER])?;
            table.write_raw(&mut out, &mut digest)?;
            out.flush()?;
        }
        let mut h = [0u8; HEADER];
        h[0..8].copy_from_slice(MAGIC);
        h[8..16].copy_from_slice(&len.to_le_bytes());
        h[16..36].copy_from_slice(&meta);
        h[40..48].copy_from_slice(&tail_digest.to_le_bytes());
        h[48..56].copy_from_slice(&entries.to_le_bytes());
        h[56..64].copy_from_slice(&table.seed().to_le_bytes());
        h[64..72].copy_from_slice(&(table.capacity() as u64).to_le_bytes());
        h[72..80].copy_from_slice(&digest.digest().to_le_bytes());
        h[80..88].copy_from_slice(&table.len().to_le_bytes());
        let hd = xxh3_64(&h[..120]);
        h[120..128].copy_from_slice(&hd.to_le_bytes());
        file.write_all_at(&h, 0)?;
        fs::rename(&tmp, index_path(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes the copy (after compaction, which makes it useless).
pub(crate) fn remove(path: &Path) {
    let _ = fs::remove_file(index_path(path));
    let _ = fs::remove_file(temp_path(path));
}

/// A copy that matched the store.
pub(crate) struct Loaded {
    pub table: Table,
    /// Store length the copy was made at.
    pub len: u64,
    /// Entries up to `len`.
    pub entries: u64,
}

/// Loads the copy beside the store at `path` if it matches `store` (the
/// whole file's bytes): see the module docs. `None` for any mismatch.
pub(crate) fn load(path: &Path, store: &[u8]) -> Option<Loaded> {
    let file = File::open(index_path(path)).ok()?;
    let size = usize::try_from(file.metadata().ok()?.len()).ok()?;
    if size < HEADER {
        return None;
    }
    let mut h = [0u8; HEADER];
    file.read_exact_at(&mut h, 0).ok()?;
    if &h[0..8] != MAGIC || u64_at(&h, 120) != xxh3_64(&h[..120]) {
        return None;
    }
    let len = u64_at(&h, 8);
    let (meta, tail_digest) = tail_mark(store, len)?;
    if h[16..36] != meta || u64_at(&h, 40) != tail_digest {
        return None;
    }
    let slots = u64_at(&h, 64);
    let body = Table::raw_len(slots)?;
    if (size - HEADER) as u64 != body {
        return None;
    }
    // SAFETY: a private (copy-on-write) mapping: this process's writes stay
    // in memory. The library replaces an index file, never rewrites it; if
    // another program wrote to it meanwhile, the digest below catches it,
    // and whatever the table holds, lookups only accept entries whose key
    // hash the store itself confirms, and end (see `Table::from_mapped`).
    // (Not MAP_POPULATE: on a private writable mapping it would copy every
    // page up front.)
    let map = unsafe { MmapOptions::new().map_copy(&file) }.ok()?;
    if xxh3_64(&map[HEADER..]) != u64_at(&h, 72) {
        return None;
    }
    let table = Table::from_mapped(
        MmapRaw::from(map),
        HEADER,
        slots,
        u64_at(&h, 56),
        u64_at(&h, 80),
    )?;
    Some(Loaded {
        table,
        len,
        entries: u64_at(&h, 48),
    })
}
