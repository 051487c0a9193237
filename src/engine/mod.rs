//! The storage engine: one append-only file, its memory maps and its index.
//!
//! [`Store`] is a small front over three parts:
//! - [`readers::Readers`]: the view readers enter without a lock, and how
//!   publishers (appends, refresh, compaction) change it;
//! - [`writer::Writer`]: the file, its tail and the writer's lock, held by
//!   one writer at a time; operations that swap the file call
//!   [`writer::Writer::replace_file`];
//! - [`durability::Durability`]: `fdatasync` and group commit.
//!
//! The rest is organised by what a caller does: [`open`](mod@open)ing,
//! [`read`]ing and [`append`]ing. Operations built on top (compaction,
//! streams, refresh, ...) live in `crate::ops`; the engine never uses them.

mod append;
mod durability;
mod entry;
mod open;
mod options;
mod read;
mod readers;
mod snapshot;
mod writer;

pub use crate::os::paths::compaction_temp_path;
pub use entry::Entry;
pub use options::{BatchOp, CompactStats, Expect, OpenOptions, INDEX_FILE_MIN_ENTRIES};

pub(crate) use crate::os::file::open_file;
pub(crate) use options::{check_key, check_size_limit};
pub(crate) use readers::{Placed, Shared, View};
pub(crate) use writer::Writer;

use crate::sync::lock;
use durability::Durability;
use readers::Readers;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

/// How many entries ahead a batch prefetches index slots and its inputs.
const PREFETCH_AHEAD: usize = 8;

/// An open store. `Store` is `Send + Sync`: reads run in parallel from any
/// number of threads and are never blocked by a writer's I/O; writes are
/// serialized.
///
/// Mapping retention: bytes returned by [`Store::read_with`] stay mapped at
/// the same address and never change until the next [`Store::compact`] or
/// until the store is dropped.
pub struct Store {
    pub(crate) path: PathBuf,
    pub(crate) options: OpenOptions,
    /// What readers use, and publishing to them.
    pub(crate) readers: Readers,
    /// The writer (None for a read-only handle).
    pub(crate) writer: Option<Mutex<Writer>>,
    /// Group commit of `SRD_OPEN_SYNC` writes.
    pub(crate) durability: Durability,
    /// Signalled when a stream ends, for writers waiting on it.
    pub(crate) stream_done: Condvar,
    /// Serializes refreshes of a read-only handle, and holds the newest
    /// metadata as the handle took it in (see [`TailSeen`]).
    pub(crate) refresh_lock: Mutex<TailSeen>,
    /// Store length the index copy on disk was made at (`u64::MAX`: none is
    /// known to match). The copy is saved on drop if the store moved on.
    index_saved_at: AtomicU64,
    /// Whether opening used the index copy (see [`Store::opened_with_index_file`]).
    used_index_file: bool,
}

/// The end of the store as a read-only handle last took it in, and the 20
/// metadata bytes that end there (`None`: shorter than one entry). A
/// refresh that finds other bytes there knows the file was rewritten in
/// place below what the handle shows (a copy over it, a tail cut and
/// written again by another process): nothing this handle checked can be
/// trusted, so it opens the file afresh.
pub(crate) type TailSeen = Option<(u64, [u8; crate::format::METADATA_SIZE])>;

/// The [`TailSeen`] of `bytes` (the store's file, as far as it goes) at
/// `len`.
pub(crate) fn tail_seen(bytes: &[u8], len: u64) -> TailSeen {
    let end = usize::try_from(len).ok()?;
    let start = end.checked_sub(crate::format::METADATA_SIZE)?;
    Some((len, bytes.get(start..end)?.try_into().ok()?))
}

impl Drop for Store {
    fn drop(&mut self) {
        // Before the writer (and its lock) goes: no other writer can race.
        // The reserved bytes go first: the index copy records the file's
        // size and change time, which the cut changes.
        if let Some(w) = &self.writer {
            crate::sync::lock(w).release_reserved();
        }
        self.save_index();
    }
}

/// One operation of an append.
#[derive(Clone, Copy)]
pub(crate) enum Op<'a> {
    Put(u64, &'a [u8]),
    Delete(u64),
}

impl Store {
    /// Whether the calling process may write through this handle (it opened
    /// it, or the handle is read-only).
    pub(crate) fn is_owner(&self) -> bool {
        self.writer
            .as_ref()
            .is_none_or(|w| lock(w).owner_is_current())
    }

    /// Whether this handle was opened from the index copy beside the store
    /// (`<path>.idx`) rather than by walking the whole file.
    pub fn opened_with_index_file(&self) -> bool {
        self.used_index_file
    }

    /// Device and inode of the store's file, if it has one.
    pub fn file_id(&self) -> Option<(u64, u64)> {
        self.readers.lock_shared().file_id
    }

    /// The path the store was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    /// Number of live keys.
    pub fn len(&self) -> u64 {
        self.readers.load().live_count()
    }

    /// Whether the store has no live keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the file's valid content, in bytes.
    pub fn file_size(&self) -> u64 {
        self.readers.load().len()
    }

    /// Entries in the file, counting old versions and tombstones (not batch
    /// markers: see `format::BATCH_KEY_HASH`).
    pub fn entry_count(&self) -> u64 {
        self.readers.lock_shared().entries
    }

    /// Slots in the in-memory index: a power of two, rebuilt larger once
    /// live keys and tombstones would fill more than 3/4 of it (see
    /// [`Store::reserve`]).
    pub fn index_capacity(&self) -> u64 {
        self.readers.load().table.capacity() as u64
    }

    /// Forgets that the index copy on disk matches the store (the file was
    /// replaced or cut): the next close saves a new one.
    pub(crate) fn forget_index_copy(&self) {
        self.index_saved_at.store(u64::MAX, Ordering::Relaxed);
    }

    /// Takes the writer's mutex whatever its state (broken, or inherited
    /// across fork), for cleanup that must run anyway.
    pub(crate) fn writer_for_cleanup(&self) -> Option<std::sync::MutexGuard<'_, Writer>> {
        self.writer.as_ref().map(lock)
    }
}
