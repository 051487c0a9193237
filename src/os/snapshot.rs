//! A view of a store file for validating bytes that other processes may
//! still truncate.
//!
//! A read-only handle must never touch, through a shared mapping, a page
//! that another process's writer may cut off (an aborted stream, the
//! rollback of a failed append, a torn tail or preallocated zeros cut at the
//! next read-write open): the access would kill the process with `SIGBUS`.
//! Such a writer only ever cuts bytes after the end of its metadata chain.
//! So the file's last bytes (the part not yet known to be part of the
//! chain) are read with `pread` into private memory, and only the bytes
//! before them are shown through a shared mapping of the file. Both sit
//! in one contiguous range of addresses, so the validation code sees one
//! slice of the whole file. Only once the chain's end is known does the
//! store read the file through its own mapping, up to that end.
//!
//! The copy is read backwards, from the end of the file down in chunks:
//! writers append in increasing offset order, so when a byte was already
//! written at the moment the copy read it, every byte before it was
//! written before the copy got there. The snapshot is then a prefix of the
//! file as some writer left it at one moment, plus possibly a torn last
//! entry, never a later entry without an earlier one.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;

/// Bytes at the end of the file that are read with `pread` when nothing
/// better is known (see [`Snapshot::of_tail`]).
pub(crate) const TAIL_WINDOW: u64 = 16 << 20;

/// Most bytes [`Snapshot::whole`] copies.
pub(crate) const WHOLE_COPY_MAX: u64 = 1 << 30;

/// Size of each backward `pread`.
const CHUNK: u64 = 64 << 10;

/// The first `len` bytes of a file: up to a page boundary through a shared
/// read-only mapping, the rest copied.
pub(crate) struct Snapshot {
    base: *mut u8,
    reserved: usize,
    len: usize,
}

// SAFETY: the memory is owned by the snapshot (unmapped on drop) and only
// read through shared references after construction.
unsafe impl Send for Snapshot {}
unsafe impl Sync for Snapshot {}

fn page_size() -> u64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as u64
    } else {
        4096
    }
}

impl Snapshot {
    /// The file's first `file_len` bytes, with everything from `trusted`
    /// on (rounded down to a page) copied by `pread`. If the file shrank
    /// meanwhile, the snapshot is shorter ([`Snapshot::bytes`]).
    pub(crate) fn new(file: &File, file_len: u64, trusted: u64) -> io::Result<Snapshot> {
        let page = page_size();
        let trusted = trusted.min(file_len) / page * page;
        let reserved = usize::try_from(file_len.div_ceil(page).max(1) * page)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large"))?;
        // SAFETY: a fresh private anonymous mapping: no existing memory is
        // affected; the result is checked.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reserved,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut snap = Snapshot {
            base: base.cast(),
            reserved,
            len: 0,
        };
        if trusted > 0 {
            // SAFETY: replaces the first `trusted` bytes of the anonymous
            // mapping we own (MAP_FIXED inside our own range) with a
            // read-only shared mapping of the file; `trusted` is a multiple
            // of the page size and at most `reserved`.
            let m = unsafe {
                libc::mmap(
                    base,
                    trusted as usize,
                    libc::PROT_READ,
                    libc::MAP_SHARED | libc::MAP_FIXED,
                    file.as_raw_fd(),
                    0,
                )
            };
            if m == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
        }
        // Copy [trusted, file_len) backwards, chunk by chunk.
        let copy_len = (file_len - trusted) as usize;
        // SAFETY: the range [trusted, file_len) lies inside our private
        // anonymous mapping, writable, and nothing else refers to it yet.
        let dst =
            unsafe { std::slice::from_raw_parts_mut(snap.base.add(trusted as usize), copy_len) };
        let mut got_end = file_len;
        let mut hi = file_len;
        while hi > trusted {
            let lo = hi.saturating_sub(CHUNK).max(trusted);
            let at = (lo - trusted) as usize;
            let want = (hi - lo) as usize;
            let mut done = 0;
            while done < want {
                match file.read_at(&mut dst[at + done..at + want], lo + done as u64) {
                    Ok(0) => break,
                    Ok(n) => done += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if done < want {
                // The file was cut below `hi` while being read: what is
                // past the short read is gone.
                got_end = lo + done as u64;
            }
            hi = lo;
        }
        snap.len = got_end.min(file_len) as usize;
        Ok(snap)
    }

    /// The file's first `file_len` bytes, copying its last part: the last
    /// [`TAIL_WINDOW`] bytes, and further back while all of them are zeros
    /// (space preallocated by a writer, which a later writer may cut).
    /// `trusted`: a length below which the bytes are known to be part of
    /// the chain and are never cut (0 when nothing is known).
    pub(crate) fn of_tail(file: &File, file_len: u64, trusted: u64) -> io::Result<Snapshot> {
        let mut window = TAIL_WINDOW;
        loop {
            let from = file_len.saturating_sub(window).max(trusted);
            let snap = Snapshot::new(file, file_len, from)?;
            let b = snap.bytes();
            let copied = &b[(from as usize).min(b.len())..];
            if from == trusted || copied.iter().any(|&x| x != 0) {
                return Ok(snap);
            }
            window = window.saturating_mul(4);
        }
    }

    /// The file's first `file_len` bytes with everything from `trusted` on
    /// copied, for scanning all of it; if that is more than
    /// [`WHOLE_COPY_MAX`], only [`Snapshot::of_tail`]'s part (a writer cutting
    /// more than [`TAIL_WINDOW`] beyond its chain while such a store is
    /// scanned can then still fault the reader).
    pub(crate) fn whole(file: &File, file_len: u64, trusted: u64) -> io::Result<Snapshot> {
        if file_len.saturating_sub(trusted) <= WHOLE_COPY_MAX {
            Snapshot::new(file, file_len, trusted)
        } else {
            Snapshot::of_tail(file, file_len, trusted)
        }
    }

    /// The file's bytes as read.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `base` points at `reserved >= len` bytes mapped for as
        // long as `self` lives: below the trusted boundary a read-only
        // shared mapping of bytes that are never cut while the caller
        // relies on them, above it private memory we filled.
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the range this snapshot mapped; no slice
        // from `bytes` outlives `self`.
        unsafe {
            libc::munmap(self.base.cast(), self.reserved);
        }
    }
}
