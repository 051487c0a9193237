//! A copy of the index kept beside the store, `<store>.idx`, so that opening
//! a large store does not walk its whole metadata chain.
//!
//! The copy is used only for the very file it was saved from, unchanged
//! since: the same device and inode, the same size and the same status-change
//! time (`st_ctime`, which every write, truncation, `chmod` or rename onto
//! the path changes, and which no program can set back). Before saving, the
//! writer waits until the coarse clock that stamps files has passed the
//! store's `st_ctime` (at most one tick, a few milliseconds), so that any
//! later change gives the store a newer one. The copy also records the
//! store length, the 20 metadata bytes that end there and a digest of the
//! 4 KiB before them, and its own digests; all must still match. Anything
//! else (a missing, stale, damaged or foreign copy; a store replaced by
//! rename, copied over, rebuilt, truncated, edited in place, appended to by
//! a writer that crashed before saving, or restored from a backup) means the
//! full walk, so the copy can make opening faster but never change an
//! answer.
//!
//! Layout (little-endian), 128-byte header, the segment digests, then the
//! table:
//!
//! ```text
//!   0  magic "SRDIDX\0\x03"
//!   8  store length the copy was made at
//!  16  the 20 metadata bytes ending at that length
//!  40  XXH3-64 of the (up to) 4096 bytes before them
//!  48  entries in the store up to that length (all versions, tombstones)
//!  56  the table's mixer multiplier
//!  64  slot count n (a power of two)
//!  72  XXH3-64 of the segment digests (the bytes from 128 to t)
//!  80  live keys in the table
//!  88  the store file's device (st_dev)
//!  96  the store file's inode (st_ino)
//! 104  the store file's st_ctime, in nanoseconds since the epoch
//! 112  the store file's size (longer than the store with preallocation)
//! 120  XXH3-64 of bytes 0..120
//! 128  s segment digests of 8 bytes: s = n / min(n, 4096); segment k is
//!      slots k*n/s .. (k+1)*n/s, and its digest is the XXH3-64 of those
//!      slots (8 bytes each) followed by their control bytes
//!   t  (t = 128 + 8s) n slots of 8 bytes, then n control bytes
//! ```
//!
//! Opening reads the header and the segment digests (32 KiB for a table
//! of 16M slots), never the table itself: each segment is checked against
//! its digest the first time a lookup enters it, and every segment before
//! the table is changed or read whole. A segment that fails makes lookups
//! fail until the index is rebuilt from the store (see
//! `Store::repair_index`); it never answers.

use crate::format::METADATA_SIZE;
use crate::index::Table;
use memmap2::{MmapOptions, MmapRaw};
use std::fs::{self, File, Metadata};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

const MAGIC: &[u8; 8] = b"SRDIDX\x00\x03";
const HEADER: usize = 128;
const TAIL_SPAN: u64 = 4096;

pub use crate::os::paths::index_path;
use crate::os::paths::index_temp_path as temp_path;

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

/// What identifies the store file itself: device, inode, status-change
/// time (nanoseconds), size.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
    ctime_ns: i64,
    size: u64,
}

impl Identity {
    pub(crate) fn of(m: &Metadata) -> Identity {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            ctime_ns: m
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.ctime_nsec()),
            size: m.size(),
        }
    }

    fn encode(&self, h: &mut [u8]) {
        h[88..96].copy_from_slice(&self.dev.to_le_bytes());
        h[96..104].copy_from_slice(&self.ino.to_le_bytes());
        h[104..112].copy_from_slice(&self.ctime_ns.to_le_bytes());
        h[112..120].copy_from_slice(&self.size.to_le_bytes());
    }

    fn decode(h: &[u8]) -> Identity {
        Identity {
            dev: u64_at(h, 88),
            ino: u64_at(h, 96),
            ctime_ns: u64_at(h, 104) as i64,
            size: u64_at(h, 112),
        }
    }
}

/// Waits (at most about 50 ms) until the coarse real-time clock, which
/// stamps file changes, is past `ctime_ns`: from then on any change to the
/// file gives it a newer `st_ctime`. `false` if the clock did not get there
/// (a file stamped in the future): then no copy may be saved.
fn clock_past(ctime_ns: i64) -> bool {
    for _ in 0..50 {
        let Some(now) = crate::os::platform::change_clock_ns() else {
            return false;
        };
        if now > ctime_ns {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Writes the copy of `table`, which indexes `store` (the file's bytes up to
/// its published length) holding `entries` entries, for the store file
/// `store_file` (open, and not written to meanwhile: the caller holds the
/// writer): to a temporary file created afresh with the store's permission
/// bits, renamed over the old copy. Not synced: a copy torn by a power cut
/// fails its digest and is ignored; after a power cut the store's
/// `st_ctime` would not match anyway if it lost anything.
pub(crate) fn save(
    path: &Path,
    table: &Table,
    store: &[u8],
    entries: u64,
    store_file: &File,
) -> io::Result<()> {
    let len = store.len() as u64;
    let Some((meta, tail_digest)) = tail_mark(store, len) else {
        return Ok(());
    };
    let before = Identity::of(&store_file.metadata()?);
    if !clock_past(before.ctime_ns) {
        remove(path);
        return Ok(());
    }
    if !table.check_all() {
        return Ok(());
    }
    let digests = table.segment_digests();
    let digest_bytes: Vec<u8> = digests.iter().flat_map(|d| d.to_le_bytes()).collect();
    let tmp = temp_path(path);
    let file = crate::os::file::create_fresh(&tmp, crate::os::file::store_mode(store_file))?;
    let result = (|| {
        {
            let mut out = BufWriter::with_capacity(1 << 20, &file);
            out.write_all(&[0u8; HEADER])?;
            out.write_all(&digest_bytes)?;
            table.write_raw(&mut out)?;
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
        h[72..80].copy_from_slice(&xxh3_64(&digest_bytes).to_le_bytes());
        h[80..88].copy_from_slice(&table.len().to_le_bytes());
        before.encode(&mut h);
        let hd = xxh3_64(&h[..120]);
        h[120..128].copy_from_slice(&hd.to_le_bytes());
        file.write_all_at(&h, 0)?;
        // Nobody may have changed the store meanwhile (the writer lock
        // keeps this library out; another program may not care).
        if Identity::of(&store_file.metadata()?) != before {
            return Err(io::Error::other(
                "the store changed while its index was saved",
            ));
        }
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

/// The store length the copy beside the store at `path` was made at, if its
/// header is intact and it was saved from this very file, unchanged since
/// (`store_meta`: the store's `fstat`). Reads the header only, never the
/// store; [`load`] checks everything.
pub(crate) fn saved_len(path: &Path, store_meta: &Metadata) -> Option<u64> {
    let file = crate::os::file::open_regular(&index_path(path))?;
    let mut h = [0u8; HEADER];
    file.read_exact_at(&mut h, 0).ok()?;
    if &h[0..8] != MAGIC || u64_at(&h, 120) != xxh3_64(&h[..120]) {
        return None;
    }
    (Identity::decode(&h) == Identity::of(store_meta)).then(|| u64_at(&h, 8))
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
/// whole file's bytes; `store_meta` its `fstat`): see the module docs.
/// `None` for any mismatch.
pub(crate) fn load(path: &Path, store: &[u8], store_meta: &Metadata) -> Option<Loaded> {
    // The copy is mapped and read in place as native 64-bit words, and it
    // is little-endian: a big-endian host walks the chain instead.
    if cfg!(target_endian = "big") {
        return None;
    }
    let file = crate::os::file::open_regular(&index_path(path))?;
    let size = usize::try_from(file.metadata().ok()?.len()).ok()?;
    if size < HEADER {
        return None;
    }
    let mut h = [0u8; HEADER];
    file.read_exact_at(&mut h, 0).ok()?;
    if &h[0..8] != MAGIC || u64_at(&h, 120) != xxh3_64(&h[..120]) {
        return None;
    }
    if Identity::decode(&h) != Identity::of(store_meta) {
        return None;
    }
    let len = u64_at(&h, 8);
    let (meta, tail_digest) = tail_mark(store, len)?;
    if h[16..36] != meta || u64_at(&h, 40) != tail_digest {
        return None;
    }
    let slots = u64_at(&h, 64);
    let segments = Table::segment_count(slots);
    let at = HEADER as u64 + segments.checked_mul(8)?;
    if (size as u64).checked_sub(at)? != Table::raw_len(slots)? {
        return None;
    }
    let mut digest_bytes = vec![0u8; usize::try_from(at).ok()? - HEADER];
    file.read_exact_at(&mut digest_bytes, HEADER as u64).ok()?;
    if xxh3_64(&digest_bytes) != u64_at(&h, 72) {
        return None;
    }
    let digests: Box<[u64]> = digest_bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    // SAFETY: a private (copy-on-write) mapping: this process's writes stay
    // in memory. The library replaces an index file, never rewrites it; if
    // another program writes to it meanwhile, the segment digests catch
    // what they can, and whatever the table holds, lookups only accept
    // entries whose key hash the store itself confirms, and end (see
    // `Table::from_mapped`). (Not MAP_POPULATE: on a private writable
    // mapping it would copy every page up front.)
    let map = unsafe { MmapOptions::new().map_copy(&file) }.ok()?;
    let table = Table::from_mapped(
        MmapRaw::from(map),
        usize::try_from(at).ok()?,
        slots,
        u64_at(&h, 56),
        u64_at(&h, 80),
        digests,
    )?;
    Some(Loaded {
        table,
        len,
        entries: u64_at(&h, 48),
    })
}
