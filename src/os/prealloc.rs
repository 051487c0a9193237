//! Space reserved ahead of the writer's tail: the writer grows the file
//! ahead of its tail in chunks and copies small appends into a writable
//! shared mapping of that space, instead of making one `pwrite` system call
//! per append. Two kinds ([`Fill`]):
//!
//! - **`0xFE` bytes, cut at close**
//!   ([`crate::engine::OpenOptions::reserve`]). The chunk is written with
//!   `pwrite` (so the file system reserves its blocks: ext4 and XFS reserve
//!   delayed-allocation space at `write`, and a full disk is reported by
//!   that `pwrite`, never by a fault in the mapping). A crash leaves the
//!   `0xFE` bytes after the last entry: a torn tail to every reader, the
//!   crate's included (its metadata would link beyond itself), where zeros
//!   would read to the crate as an entry reaching back to offset 0. Closing
//!   the store cuts the file back to its tail, so a store at rest is byte
//!   for byte what the crate writes. The chunk is 64 KiB: a reader in
//!   another process scans the reserved bytes at each refresh.
//! - **Zeros, kept** ([`crate::engine::OpenOptions::preallocate`]):
//!   `fallocate`, chunks of an eighth of the store up to 8 MiB; the zeros
//!   stay after the store is closed. A read-write open with preallocation
//!   keeps them, one without cuts them off like any torn tail.
//!
//! Every open finds the end before either fill quickly (see
//! [`crate::recovery::candidate_ends`]); other processes find the end of
//! the store the same way, reading the unknown part with `pread` (see
//! [`crate::os::snapshot`]), so a cut never faults them.
//!
//! Only on file systems where writing or allocating reserves the blocks
//! (ext4, XFS, tmpfs): elsewhere (btrfs after a snapshot, ZFS, NFS, ...) a
//! write into the mapping could still find no space and fault, so appends
//! use `pwrite`.

use memmap2::{MmapOptions, MmapRaw};
use std::fs::File;
use std::io;

/// Smallest and largest chunk the file grows by with zeros. The chunk is an
/// eighth of the store, so that growing costs a system call per few
/// megabytes while the zeros a reader in another process scans past stay
/// few.
const MIN_CHUNK: u64 = 1 << 20;
const MAX_CHUNK: u64 = 8 << 20;

/// The chunk the file grows by with `0xFE` bytes. Small, because a reader
/// in another process reads the reserved bytes at every refresh to find
/// where they begin (the cost of a refresh grows with them), while the
/// writer pays one `pwrite` per chunk (a few hundred small puts).
const MARKED_CHUNK: u64 = 64 << 10;

/// What the reserved space holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fill {
    /// `fallocate`d zeros, kept after close (`SRD_OPEN_PREALLOCATE`).
    Zeros,
    /// `0xFE` bytes written with `pwrite`, cut at close (`SRD_OPEN_RESERVE`).
    Marked,
}

/// Appends larger than this are written with `pwrite`. Copying into the
/// mapping saves the system call (about 1 us here) but takes a page fault
/// for each fresh page (about 2 us on ext4, measured with 100-byte entries
/// in batches of 1,000: 3.5M entries/s copied, 5M/s with `pwrite`), so it
/// pays for appends up to about half a page.
pub(crate) const MAX_COPY: u64 = 2048;

/// The writable window's length and alignment in the file.
const WINDOW: u64 = 64 << 20;
const WINDOW_ALIGN: u64 = 2 << 20;

/// The writer's preallocated space.
pub(crate) struct Prealloc {
    /// Length of the file: the store's tail plus the zeros reserved ahead.
    file_len: u64,
    /// A writable shared mapping of the file from the given offset.
    window: Option<(u64, MmapRaw)>,
    /// What the reserved space holds.
    fill: Fill,
}

/// Why space could not be made.
pub(crate) enum NoRoom {
    /// The file system cannot preallocate: stop trying.
    Unsupported,
    /// This append goes through `pwrite` (which reports a real failure).
    Fallback,
}

/// Whether the file system of `file` reserves blocks with `fallocate`, so
/// that writes into reserved space cannot fail for lack of room (Linux
/// only: see `super::platform`).
pub(crate) fn supported(file: &File) -> bool {
    super::platform::fs_reserves_blocks(file)
}

/// The calling process's `RLIMIT_FSIZE` (`u64::MAX` if none or unknown).
fn file_size_limit() -> u64 {
    // SAFETY: `rlimit` is a plain C struct for which all zeros is valid;
    // getrlimit writes at most its size.
    let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RLIMIT_FSIZE is a valid resource.
    if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut rl) } != 0
        || rl.rlim_cur == libc::RLIM_INFINITY
    {
        return u64::MAX;
    }
    rl.rlim_cur as u64
}

impl Prealloc {
    /// For a file of `file_len` bytes: the store, then possibly reserved
    /// space holding `fill`.
    pub(crate) fn new(file_len: u64, fill: Fill) -> Self {
        Prealloc {
            file_len,
            window: None,
            fill,
        }
    }

    /// The same kind of space for a new file (or a file cut or rewritten)
    /// of `file_len` bytes.
    pub(crate) fn reset(&mut self, file_len: u64) {
        *self = Prealloc::new(file_len, self.fill);
    }

    /// Cuts the reserved `0xFE` bytes off at close: the file ends at `tail`
    /// again, byte for byte what the crate writes. Zeros stay (see the
    /// module docs). The caller holds the writer and no append is under
    /// way; readers in other processes never map bytes past the chain's end
    /// (they read them with `pread`), so the cut cannot fault them.
    pub(crate) fn release(&mut self, file: &File, tail: u64) -> io::Result<()> {
        self.window = None;
        if self.fill != Fill::Marked {
            return Ok(());
        }
        // The file's own length, not `file_len`: a stream may have written
        // past what this records.
        if file.metadata()?.len() > tail {
            file.set_len(tail)?;
        }
        self.file_len = tail;
        Ok(())
    }

    /// Length of the file as the writer last left it.
    pub(crate) fn file_len(&self) -> u64 {
        self.file_len
    }

    /// The file was cut or extended to `len` by other means (a `pwrite`
    /// beyond the reserved space, a rollback, a stream).
    pub(crate) fn set_file_len(&mut self, len: u64) {
        self.file_len = len;
    }

    /// The bytes `start..end` of the file, writable, reserving space first
    /// if the file is shorter. The caller writes them before publishing any
    /// length beyond `start`; no one reads them before that.
    pub(crate) fn room(&mut self, file: &File, start: u64, end: u64) -> Result<&mut [u8], NoRoom> {
        if end > self.file_len {
            self.grow(file, end)?;
        }
        let covered = |ws: u64, m: &MmapRaw| ws <= start && end <= ws + m.len() as u64;
        if !matches!(&self.window, Some((ws, m)) if covered(*ws, m)) {
            // Unmap the old window first: address space, not correctness.
            self.window = None;
            let ws = start - start % WINDOW_ALIGN;
            let len = WINDOW.max((end - ws).next_multiple_of(WINDOW_ALIGN));
            let m = MmapOptions::new()
                .offset(ws)
                .len(usize::try_from(len).map_err(|_| NoRoom::Fallback)?)
                .map_raw(file)
                .map_err(|_| NoRoom::Fallback)?;
            self.window = Some((ws, m));
        }
        let Some((ws, m)) = &self.window else {
            return Err(NoRoom::Fallback);
        };
        let at = (start - ws) as usize;
        // SAFETY: the window is a live shared read-write mapping of the file
        // from offset `ws`, and `start..end` lies inside it (checked above)
        // and inside the file (`end <= file_len`, so no page of it is beyond
        // the end of the file and touching it cannot fault with SIGBUS while
        // the writer owns the file; the store's documented contract is that
        // nothing else truncates it). The slice borrows `self` mutably, so no
        // second slice of the window exists meanwhile; the bytes lie beyond
        // every length published to this process's readers, who therefore do
        // not read them until the writer publishes after writing.
        Ok(unsafe {
            std::slice::from_raw_parts_mut(m.as_mut_ptr().add(at), (end - start) as usize)
        })
    }

    /// Extends the file (with reserved blocks holding the fill) to at least
    /// `end`.
    fn grow(&mut self, file: &File, end: u64) -> Result<(), NoRoom> {
        if self.fill == Fill::Marked {
            return self.grow_marked(file, end);
        }
        let chunk = (end / 8).clamp(MIN_CHUNK, MAX_CHUNK);
        let target = end.max(self.file_len + chunk).next_multiple_of(4096);
        let from = self.file_len;
        match super::platform::reserve_blocks(file, from, target - from) {
            Ok(()) => {
                self.file_len = target;
                Ok(())
            }
            Err(e) => {
                // A failed fallocate may still have extended the file by
                // part of the range (ext4 does, when the disk fills up
                // midway).
                if let Ok(m) = file.metadata() {
                    self.file_len = self.file_len.max(m.len());
                }
                Err(match e.kind() {
                    io::ErrorKind::Unsupported => NoRoom::Unsupported,
                    // ENOSPC, EFBIG and the like: a chunk may not fit where
                    // the append itself does; `pwrite` decides.
                    _ => NoRoom::Fallback,
                })
            }
        }
    }

    /// [`Prealloc::grow`] with `0xFE` bytes, written after the file's own
    /// end (never over anything: a stream may have written past
    /// `file_len`). A write that fails part way leaves the file longer; the
    /// length is taken from the file again.
    fn grow_marked(&mut self, file: &File, end: u64) -> Result<(), NoRoom> {
        use std::os::unix::fs::FileExt;
        static FILL: [u8; MARKED_CHUNK as usize] =
            [crate::format::RESERVED_FILL; MARKED_CHUNK as usize];
        let from = file.metadata().map_err(|_| NoRoom::Fallback)?.len();
        self.file_len = from;
        // Never past the process's file size limit: writing there would
        // raise SIGXFSZ (by default the end of the process) for bytes the
        // caller never asked for. Up to the limit, the append itself is
        // written with `pwrite` and meets the limit as it would anyway.
        let target = end
            .max(from + MARKED_CHUNK)
            .next_multiple_of(4096)
            .min(file_size_limit());
        if target < end {
            return Err(NoRoom::Fallback);
        }
        let mut at = from;
        while at < target {
            let n = (target - at).min(FILL.len() as u64) as usize;
            match file.write_at(&FILL[..n], at) {
                Ok(0) => return Err(NoRoom::Fallback),
                Ok(k) => {
                    at += k as u64;
                    self.file_len = at;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // ENOSPC, EFBIG and the like: the append itself may still
                // fit; `pwrite` decides.
                Err(_) => return Err(NoRoom::Fallback),
            }
        }
        // Here `file_len == at >= target >= end`.
        Ok(())
    }
}
