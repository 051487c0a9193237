//! Read-only memory maps of the store file.
//!
//! A mapping reserves more address space than the file currently holds, so
//! that appends rarely need a new mapping; a new, larger mapping is made when
//! the file outgrows it, and the store keeps the older ones alive for as long
//! as borrowed pointers into them may be used.

use memmap2::{MmapMut, MmapOptions, MmapRaw};
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// What a store reads (a shared, read-only mapping of its file, possibly
/// longer than the file, or bytes in memory), and which of its values'
/// checksums this process found good.
pub(crate) struct Mapping {
    source: Source,
    verified: Verified,
}

/// What a [`Mapping`] shows.
pub(crate) enum Source {
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

/// One bit per 64 bytes of a mapping's capacity: set once the checksum of
/// the value whose metadata starts in that block was found good. Two
/// values never start their metadata in the same block (a value takes at
/// least one byte and starts on a 64-byte boundary after the previous
/// metadata; a tombstone, which has no padding, may share a value's block,
/// but tombstones are never marked or looked up here), and the bytes under a published entry never change while a
/// mapping lives, so a bit, once set, stays true. Kept here, outside the
/// index (whose slots may be a private mapping of the index file, where
/// each first write would copy a page), in anonymous memory that the kernel
/// hands out as zero pages only when first written.
struct Verified {
    bits: Option<MmapRaw>,
}

impl Verified {
    fn new(capacity: u64) -> Verified {
        let words = capacity.div_ceil(64 * 64);
        let bits = usize::try_from(words.saturating_mul(8))
            .ok()
            .filter(|&n| n > 0)
            .and_then(|n| MmapMut::map_anon(n).ok())
            .map(MmapRaw::from);
        Verified { bits }
    }

    #[inline]
    fn word(&self, meta_offset: u64) -> Option<(&AtomicU64, u64)> {
        let block = meta_offset / 64;
        let w = usize::try_from(block / 64).ok()?;
        Some((self.words().get(w)?, 1 << (block % 64)))
    }

    /// The words, as atomics (empty without a bitmap).
    #[inline]
    fn words(&self) -> &[AtomicU64] {
        match &self.bits {
            // SAFETY: the anonymous read-write mapping is `len` bytes, page
            // aligned (so aligned for AtomicU64), lives as long as `self`,
            // and is only ever accessed through these atomics (it is an
            // MmapRaw); every bit pattern is a valid u64.
            Some(b) => unsafe {
                std::slice::from_raw_parts(b.as_mut_ptr().cast::<AtomicU64>(), b.len() / 8)
            },
            None => &[],
        }
    }

    /// Sets every bit that is set in `old` (a bitmap of the same file).
    /// Reads all of `old` (untouched pages read as the zero page, which
    /// costs no memory) and writes only the words that hold a bit.
    fn take_from(&self, old: &Verified) {
        for (n, o) in self.words().iter().zip(old.words()) {
            let v = o.load(Ordering::Relaxed);
            if v != 0 {
                n.fetch_or(v, Ordering::Relaxed);
            }
        }
    }
}

impl Mapping {
    fn of(source: Source) -> Mapping {
        let verified = Verified::new(match &source {
            Source::File(raw) => raw.len() as u64,
            Source::Adopted(a) => a.len as u64,
            Source::Memory(m) => (**m).as_ref().len() as u64,
        });
        Mapping { source, verified }
    }

    /// Maps `capacity` bytes of `file` read-only (the file may be shorter).
    pub(crate) fn new(file: &File, capacity: u64) -> io::Result<Self> {
        let len = usize::try_from(capacity)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "mapping too large"))?;
        let raw = MmapOptions::new().len(len).map_raw_read_only(file)?;
        Ok(Mapping::of(Source::File(raw)))
    }

    /// A larger mapping of the same file as `self`, which keeps what
    /// `self` found good, for the writer: it holds the store's lock, so no
    /// other handle of this library changes the file, and it cuts the file
    /// back only beyond its published tail; the bytes under a published
    /// entry stay the same while the file is the same (compaction and a
    /// first write make a new file). So the values this process checked,
    /// or wrote, are not checked again after the file outgrows a mapping.
    /// A read-only handle's refresh makes a fresh mapping instead: it holds
    /// no lock, and another process may have rewritten bytes it took in.
    pub(crate) fn grown(&self, file: &File, capacity: u64) -> io::Result<Self> {
        let m = Mapping::new(file, capacity)?;
        m.verified.take_from(&self.verified);
        Ok(m)
    }

    /// A store's bytes in memory.
    pub(crate) fn memory(bytes: MemorySource) -> Mapping {
        Mapping::of(Source::Memory(bytes))
    }

    /// A mapping made from a reader's snapshot.
    pub(crate) fn adopted(adopted: Adopted) -> Mapping {
        Mapping::of(Source::Adopted(adopted))
    }

    /// Whether the checksum of the value whose metadata is at `meta_offset`
    /// was found good through this mapping.
    #[inline]
    pub(crate) fn is_verified(&self, meta_offset: u64) -> bool {
        self.verified
            .word(meta_offset)
            .is_some_and(|(w, bit)| w.load(Ordering::Relaxed) & bit != 0)
    }

    /// Records that the checksum of the value whose metadata is at
    /// `meta_offset` is good (checked, or written by this process).
    ///
    /// A load and a store, not a `fetch_or`: a locked instruction would
    /// wait for every earlier memory access, so the cache misses of a run
    /// of first reads could not overlap. Two threads marking bits of the
    /// same word at once may lose one of them; that only means a value is
    /// checked again. No bit is ever set that was not set by someone who
    /// checked (bits are never cleared, and a store writes back only bits
    /// it loaded plus its own).
    #[inline]
    pub(crate) fn mark_verified(&self, meta_offset: u64) {
        if let Some((w, bit)) = self.verified.word(meta_offset) {
            let v = w.load(Ordering::Relaxed);
            if v & bit == 0 {
                w.store(v | bit, Ordering::Relaxed);
            }
        }
    }

    /// Bytes the mapping can show.
    pub(crate) fn capacity(&self) -> u64 {
        match &self.source {
            Source::File(raw) => raw.len() as u64,
            Source::Adopted(a) => a.len as u64,
            Source::Memory(m) => (**m).as_ref().len() as u64,
        }
    }

    /// The first `len` bytes of the file.
    ///
    /// Callers pass a `len` that the store has published: bytes that were
    /// written to the file (by this handle, or found there at open) and that
    /// the engine never truncates or rewrites while this mapping lives.
    pub(crate) fn bytes(&self, len: u64) -> &[u8] {
        let len = len.min(self.capacity()) as usize;
        let ptr = match &self.source {
            Source::File(raw) => raw.as_ptr(),
            Source::Adopted(a) => a.ptr.cast_const(),
            Source::Memory(m) => return &(**m).as_ref()[..len],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grown_mapping_keeps_what_was_found_good_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("srd-mapping-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        file.set_len(1 << 16).unwrap();
        let small = Mapping::new(&file, 1 << 16).unwrap();
        for off in [0u64, 64 * 7, 64 * 64 * 3 + 64, (1 << 16) - 64] {
            small.mark_verified(off);
        }
        let big = small.grown(&file, 1 << 24).unwrap();
        for off in [0u64, 64 * 7, 64 * 64 * 3 + 64, (1 << 16) - 64] {
            assert!(big.is_verified(off), "offset {off} was found good before");
        }
        for off in [64u64, 64 * 8, 64 * 64 * 3, 1 << 16, (1 << 24) - 64] {
            assert!(!big.is_verified(off), "offset {off} was never checked");
        }
        // The new mapping records on its own; the old one is unchanged.
        big.mark_verified(1 << 20);
        assert!(big.is_verified(1 << 20) && !small.is_verified(1 << 20));
        drop((small, big, file));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// `mark_verified` is a load and a store: threads marking values of the
    /// same 4 KiB at once may lose a mark (the value is checked again), but
    /// never set one that no thread marked.
    #[test]
    fn concurrent_marks_never_set_a_bit_nobody_marked() {
        let m = Mapping::memory(Arc::new(vec![0u8; 1 << 16]));
        // 4 threads mark blocks of the same words, interleaved (block b is
        // thread b % 4's); nobody marks the blocks of 3 words in 4, nor 1
        // block in 5 of the others.
        let blocks: u64 = (1 << 16) / 64;
        let owned = |b: u64| (b / 64).is_multiple_of(4) && !(b % 64).is_multiple_of(5);
        std::thread::scope(|sc| {
            for t in 0..4u64 {
                let m = &m;
                sc.spawn(move || {
                    for _ in 0..200 {
                        for b in (t..blocks).step_by(4).filter(|&b| owned(b)) {
                            m.mark_verified(b * 64);
                        }
                    }
                });
            }
        });
        for b in 0..blocks {
            if !owned(b) {
                assert!(!m.is_verified(b * 64), "block {b} was never marked");
            }
        }
        // A lost mark comes back the next time its value is checked.
        for b in (0..blocks).filter(|&b| owned(b)) {
            m.mark_verified(b * 64);
            assert!(m.is_verified(b * 64));
        }
    }
}
