//! How a store is opened, and the checks every input passes.

use crate::error::{Error, Result};
use crate::format;
use crate::index::MAX_META_OFFSET;
use std::path::Path;

/// How a store is opened.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Open without the writer lock; never modify the file.
    pub read_only: bool,
    /// Create the file if it does not exist (ignored when `read_only`).
    pub create: bool,
    /// Make every write durable (`fdatasync`) before it returns.
    pub sync: bool,
    /// Check each entry's payload checksum the first time it is read.
    pub verify_checksums: bool,
    /// Use the index copy beside the store (`<path>.idx`, see
    /// [`crate::persist`]) to open faster, and (read-write handles) save it
    /// when the store is dropped.
    pub index_file: bool,
    /// Save the index copy only for stores of at least this many entries;
    /// smaller ones open fast enough without.
    pub index_file_min_entries: u64,
    /// Grow the file ahead of the tail in chunks and copy small appends into
    /// a writable mapping of that space: no system
    /// call per append. While the store is open the file is longer than the
    /// store (zeros after the tail), and it stays so after closing; a
    /// read-write open without this option, or a compaction, cuts it back.
    /// Only on ext4, XFS and tmpfs (ignored elsewhere). Takes precedence
    /// over [`OpenOptions::reserve`].
    pub preallocate: bool,
    /// Reserve space ahead of the tail, filled with `0xFE` bytes, and copy
    /// small appends into a writable mapping of it (no system call per
    /// append); closing the store cuts the file back to its tail, so a
    /// store at rest is byte for byte what the crate writes. While the store
    /// is open, and after a crash, the file ends in those bytes: a torn tail
    /// to every reader. Only on ext4, XFS and tmpfs (elsewhere appends use
    /// `pwrite`). Off by default: a process killed in the middle of a copy
    /// leaves a partly written append, which this library drops but the
    /// crate's recovery (which checks no checksum) can misread.
    pub reserve: bool,
}

/// Default of [`OpenOptions::index_file_min_entries`].
pub const INDEX_FILE_MIN_ENTRIES: u64 = 1 << 16;

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            create: true,
            sync: false,
            verify_checksums: true,
            index_file: true,
            index_file_min_entries: INDEX_FILE_MIN_ENTRIES,
            preallocate: false,
            reserve: false,
        }
    }
}

/// What a compaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactStats {
    /// File size before, in bytes.
    pub bytes_before: u64,
    /// File size after, in bytes.
    pub bytes_after: u64,
    /// Live entries copied.
    pub live_entries: u64,
}

/// Refuses a file length whose metadata offsets the index cannot hold.
pub(crate) fn check_size_limit(path: &Path, len: u64) -> Result<()> {
    if len > MAX_META_OFFSET {
        return Err(Error::InvalidArgument(format!(
            "{}: a store is limited to {} bytes (16 TiB); this needs {len}",
            path.display(),
            MAX_META_OFFSET
        )));
    }
    Ok(())
}

pub(crate) fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidArgument("key is empty".into()));
    }
    Ok(())
}

pub(crate) fn check_value(value: &[u8]) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidArgument("value is empty".into()));
    }
    if value == format::TOMBSTONE_PAYLOAD {
        return Err(Error::InvalidArgument(
            "value is a single 0x00 byte, which the format reserves for deletions".into(),
        ));
    }
    Ok(())
}

pub(super) fn in_item(e: Error, i: usize) -> Error {
    match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("batch item {i}: {m}")),
        other => other,
    }
}

/// The condition of a conditional write ([`crate::Store::write_if`]),
/// checked under the writer's lock against the key's newest entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The key has no live value (never written, or deleted).
    Absent,
    /// The key's live value is the version at this file offset (the start
    /// of its value, as [`crate::Entry::offset`] gives it; the first value
    /// of a store is version 0). Any write or delete of the key since makes
    /// the condition fail. A compaction moves every value: a version read
    /// before one must be read again after it (another value of the key may
    /// land at the same offset by chance).
    Version(u64),
}

/// One operation of a mixed batch ([`crate::Store::apply`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchOp<'a> {
    /// Store the value under the key.
    Write(&'a [u8], &'a [u8]),
    /// Delete the key, if it has a value at that point of the batch.
    Delete(&'a [u8]),
}
