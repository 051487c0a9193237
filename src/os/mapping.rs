//! Read-only memory maps of the store file.
//!
//! A mapping reserves more address space than the file currently holds, so
//! that appends rarely need a new mapping; a new, larger mapping is made when
//! the file outgrows it, and the store keeps the older ones alive for as long
//! as borrowed pointers into them may be used.

use memmap2::{MmapOptions, MmapRaw};
use std::fs::File;
use std::io;
use std::sync::Arc;

/// Smallest address-space reservation for a mapping.
const MIN_RESERVE: u64 = 8 << 20;

/// How much address space to reserve for a file of `len` bytes.
pub(crate) fn reserve_for(len: u64) -> u64 {
    let want = len.saturating_mul(2).max(MIN_RESERVE);
    // Beyond 2^63 no mapping can be made anyway; Mapping::new reports it.
    want.checked_next_power_of_two().unwrap_or(want)
}

/// Bytes a store can be opened over instead of a file (a nested store).
pub type MemorySource = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// What a store reads: a shared, read-only mapping of its file (possibly
/// longer than the file), or bytes in memory.
pub(crate) enum Mapping {
    File(MmapRaw),
    /// A read-only shared mapping of the file made from a reader's
    /// snapshot ([`crate::os::snapshot::Snapshot::into_mapping`]).
    Adopted(Adopted),
    Memory(MemorySource),
}

/// A read-only shared mapping of a store file, `len` bytes at `ptr`,
/// unmapped on drop.
pub(crate) struct Adopted {
    pub(crate) ptr: *mut u8,
    pub(crate) len: usize,
}

// SAFETY: a read-only mapping, only ever read, owned by this value.
unsafe impl Send for Adopted {}
// SAFETY: as for `Send`: shared references only read it.
unsafe impl Sync for Adopted {}

impl Drop for Adopted {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the range this value owns; no slice from
        // `Mapping::bytes` outlives the mapping that lent it.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

impl Mapping {
    /// Maps `capacity` bytes of `file` read-only (the file may be shorter).
    pub(crate) fn new(file: &File, capacity: u64) -> io::Result<Self> {
        let len = usize::try_from(capacity)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "mapping too large"))?;
        let raw = MmapOptions::new().len(len).map_raw_read_only(file)?;
        Ok(Mapping::File(raw))
    }

    /// Bytes the mapping can show.
    pub(crate) fn capacity(&self) -> u64 {
        match self {
            Mapping::File(raw) => raw.len() as u64,
            Mapping::Adopted(a) => a.len as u64,
            Mapping::Memory(m) => (**m).as_ref().len() as u64,
        }
    }

    /// The first `len` bytes of the file.
    ///
    /// Callers pass a `len` that the store has published: bytes that were
    /// written to the file (by this handle, or found there at open) and that
    /// the engine never truncates or rewrites while this mapping lives.
    pub(crate) fn bytes(&self, len: u64) -> &[u8] {
        let len = len.min(self.capacity()) as usize;
        let ptr = match self {
            Mapping::File(raw) => raw.as_ptr(),
            Mapping::Adopted(a) => a.ptr.cast_const(),
            Mapping::Memory(m) => return &(**m).as_ref()[..len],
        };
        // SAFETY: `ptr` is a live PROT_READ mapping of at least `len` bytes
        // (clamped above) that lives as long as `self`, so the pointer is
        // valid for `len` reads for the returned lifetime. The bytes never
        // change: the file is append-only, the engine only truncates beyond
        // every published length (recovery at open, before any read, and the
        // rollback of a failed append), and compaction writes a new file
        // instead of rewriting this one. Pages beyond the end of the file are
        // never included because published lengths never exceed the file.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}
