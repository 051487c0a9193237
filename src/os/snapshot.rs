//! A view of a store file for validating bytes that other processes may
//! still truncate.
//!
//! A read-only handle must never touch, through a shared mapping, a page
//! that another process's writer may cut off (an aborted stream, the
//! rollback of a failed append, a torn tail or reserved space cut at the
//! next read-write open): the access would kill the process with `SIGBUS`.
//! Such a writer only ever cuts bytes after the end of its metadata chain.
//! So the file's last bytes (the part not yet known to be part of the
//! chain) are read with `pread` into private memory, and only the bytes
//! before them are shown through a shared mapping of the file. Both sit
//! in one contiguous range of addresses, so the validation code sees one
//! slice of the whole file. Only once the chain's end is known does the
//! store read the file through its own mapping, up to that end.
//!
//! The copy is read backwards, from the end of the file down, one page per
//! `pread`: writers append in increasing offset order, so when a byte was
//! already written at the moment the copy read it, every byte on a lower
//! page was written before the copy got there. The snapshot is then a
//! prefix of the file as some writer left it at one moment, plus possibly a
//! torn last entry, never a later entry without an earlier one. (Larger
//! reads would copy each range forwards: an entry written while the copy
//! was between its lower and upper pages would show without its
//! predecessor, and a chain checked only at its newest entry could then
//! skip entries.) Within one page the kernel copies forwards in a fraction
//! of a microsecond, less than any append takes; the one tear left, of the
//! newest entry's own 20 metadata bytes being written while they are
//! copied, is caught by reading them again ([`Snapshot::still_in_file`]).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;

/// Bytes at the end of the file that are read with `pread` when nothing
/// better is known (see [`Snapshot::of_tail`]).
pub(crate) const TAIL_WINDOW: u64 = 64 << 10;

/// Most bytes [`Snapshot::whole`] copies.
pub(crate) const WHOLE_COPY_MAX: u64 = 1 << 30;

/// Size of each backward `pread`: one page (see the module docs).
const CHUNK: u64 = 4096;

/// The first `len` bytes of a file: up to a page boundary through a shared
/// read-only mapping, the rest copied.
pub(crate) struct Snapshot {
    base: *mut u8,
    reserved: usize,
    len: usize,
    /// Start of the copied part (a page boundary).
    copied_from: u64,
    /// Start of the trailing part left zero (read as reserved space, zeros
    /// or `0xFE` bytes, just before; shown as zeros).
    zeros_from: u64,
}

// SAFETY: the memory is owned by the snapshot (unmapped on drop) and only
// read through shared references after construction.
unsafe impl Send for Snapshot {}
// SAFETY: as for `Send`: after construction the memory is only read.
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

/// `x` rounded down to a page boundary (where a snapshot's copy starts).
pub(crate) fn page_floor(x: u64) -> u64 {
    x / page_size() * page_size()
}

impl Snapshot {
    /// The file's first `file_len` bytes, with everything from `trusted`
    /// on (rounded down to a page) copied by `pread`. If the file shrank
    /// meanwhile, the snapshot is shorter ([`Snapshot::bytes`]).
    #[cfg(test)]
    pub(crate) fn new(file: &File, file_len: u64, trusted: u64) -> io::Result<Snapshot> {
        Snapshot::build(file, file_len, trusted, file_len)
    }

    /// As [`Snapshot::new`], but the bytes from `zeros_from` on, which were
    /// just read as reserved space (zeros or `0xFE` bytes), are left zero
    /// instead of being read again (they
    /// show the file as it was before the bytes below them were copied,
    /// which keeps the snapshot a prefix: see the module docs).
    fn build(file: &File, file_len: u64, trusted: u64, zeros_from: u64) -> io::Result<Snapshot> {
        let page = page_size();
        let trusted = trusted.min(file_len) / page * page;
        // Address space for the store's own mapping too (see
        // [`Snapshot::into_mapping`]): only the pages touched cost memory.
        let capacity = crate::os::mapping::reserve_for(file_len).max(file_len);
        let reserved = usize::try_from(capacity.div_ceil(page).max(1) * page)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file too large"))?;
        // SAFETY: a fresh private anonymous mapping: no existing memory is
        // affected; the result is checked.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reserved,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | super::platform::MAP_NORESERVE,
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
            copied_from: trusted,
            zeros_from: zeros_from.clamp(trusted, file_len),
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
        let mut hi = zeros_from.clamp(trusted, file_len);
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

    /// The file's first `file_len` bytes, copying its last part: the
    /// [`TAIL_WINDOW`] bytes before its reserved space (trailing zeros or
    /// `0xFE` bytes a writer reserved, which it or a later writer may cut),
    /// and that space, shown as zeros past [`copy_end`].
    /// `trusted`: a length below which the bytes are known to be part of
    /// the chain and are never cut (0 when nothing is known).
    pub(crate) fn of_tail(file: &File, file_len: u64, trusted: u64) -> io::Result<Snapshot> {
        Snapshot::of_tail_to(file, file_len, trusted, fill_end(file, file_len, trusted)?)
    }

    /// [`Snapshot::of_tail`] of a file whose reserved space was found to
    /// begin at `end` (`fill_end(file, file_len, trusted)`).
    fn of_tail_to(file: &File, file_len: u64, trusted: u64, end: u64) -> io::Result<Snapshot> {
        let from = end.saturating_sub(TAIL_WINDOW).max(trusted);
        Snapshot::build(file, file_len, from, copy_end(end))
    }

    /// The file's first `file_len` bytes with everything from `trusted` on
    /// copied, for scanning all of it; if that is more than
    /// [`WHOLE_COPY_MAX`], only [`Snapshot::of_tail`]'s part (a writer cutting
    /// more than [`TAIL_WINDOW`] beyond its chain while such a store is
    /// scanned can then still fault the reader).
    pub(crate) fn whole(file: &File, file_len: u64, trusted: u64) -> io::Result<Snapshot> {
        Snapshot::whole_to(file, file_len, trusted, fill_end(file, file_len, trusted)?)
    }

    /// [`Snapshot::whole`] of a file whose reserved space was found to begin
    /// at `end` (`fill_end(file, file_len, trusted)`, read just before: the
    /// bytes from there on are left zero, as [`Snapshot::build`] says).
    pub(crate) fn whole_to(
        file: &File,
        file_len: u64,
        trusted: u64,
        end: u64,
    ) -> io::Result<Snapshot> {
        if file_len.saturating_sub(trusted) <= WHOLE_COPY_MAX {
            Snapshot::build(file, file_len, trusted, copy_end(end))
        } else {
            Snapshot::of_tail_to(file, file_len, trusted, end)
        }
    }

    /// Where the copied part begins (below it, the file's shared mapping).
    pub(crate) fn copied_from(&self) -> u64 {
        self.copied_from
    }

    /// Whether nothing but reserved space was found above the copied part's
    /// start: then the last byte before it lies in the mapped part, unverified (the
    /// file was cut back meanwhile, unless the mapped part is trusted).
    pub(crate) fn zeros_down_to_map(&self) -> bool {
        self.zeros_from <= self.copied_from && self.copied_from > 0
    }

    /// The file's first `file_len` bytes, copied from `from` on (rounded
    /// down to a page; at most [`WHOLE_COPY_MAX`] bytes), trailing zeros
    /// left zero.
    pub(crate) fn from(file: &File, file_len: u64, from: u64) -> io::Result<Snapshot> {
        let from = from.max(file_len.saturating_sub(WHOLE_COPY_MAX));
        let end = fill_end(file, file_len, from)?;
        Snapshot::build(file, file_len, from, copy_end(end))
    }

    /// Whether the `n` bytes before `end` read the same from the file now
    /// as in the snapshot: true for bytes that were complete when copied
    /// (the library never rewrites a complete entry), false for bytes that
    /// were being written while they were copied.
    pub(crate) fn still_in_file(&self, file: &File, end: u64, n: usize) -> bool {
        let b = self.bytes();
        let Some(start) = (end as usize).checked_sub(n) else {
            return true;
        };
        if end as usize > b.len() {
            return false;
        }
        let mut now = vec![0u8; n];
        matches!(file.read_exact_at(&mut now, start as u64), Ok(()) if now == b[start..end as usize])
    }

    /// The file's bytes as read.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `base` points at `reserved >= len` bytes mapped for as
        // long as `self` lives: below the trusted boundary a read-only
        // shared mapping of bytes that are never cut while the caller
        // relies on them, above it private memory we filled.
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }

    /// Turns the snapshot into the store's mapping of `file` (the file it
    /// was taken of): the copied part is replaced by the file's own pages,
    /// so the whole reserved range becomes one read-only shared mapping of
    /// the file, and the pages a validation touched below the copy stay
    /// mapped instead of faulting again on the first reads. The copied
    /// bytes up to the length the caller publishes are the file's own
    /// (complete entries are never rewritten).
    pub(crate) fn into_mapping(mut self, file: &File) -> io::Result<crate::os::mapping::Mapping> {
        let from = self.copied_from as usize;
        if from < self.reserved {
            // SAFETY: replaces pages inside the range this snapshot
            // reserved (`from` is a page boundary, `from..reserved` is
            // ours) with a read-only shared mapping of the file at the same
            // offsets; nothing refers to the replaced private pages (this
            // consumes the snapshot, so no slice from `bytes` is alive).
            let m = unsafe {
                libc::mmap(
                    self.base.add(from).cast(),
                    self.reserved - from,
                    libc::PROT_READ,
                    libc::MAP_SHARED | libc::MAP_FIXED,
                    file.as_raw_fd(),
                    from as libc::off_t,
                )
            };
            if m == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
        }
        let adopted = crate::os::mapping::Adopted {
            ptr: self.base,
            len: self.reserved,
        };
        // The mapping now owns the range.
        self.reserved = 0;
        Ok(crate::os::mapping::Mapping::adopted(adopted))
    }
}

/// Where a snapshot stops copying, for a file whose reserved space starts
/// at `end` (see [`fill_end`]): the last entry's metadata may hold up to 19
/// bytes equal to the fill after `end` (a checksum ending in `0xFE`
/// bytes), which must be copied as they are; then to a page boundary.
fn copy_end(end: u64) -> u64 {
    (end + crate::format::METADATA_SIZE as u64).next_multiple_of(page_size())
}

/// Where the file's reserved space (trailing zero bytes, or trailing `0xFE`
/// bytes: space a writer reserved ahead of its tail) begins, looking no
/// lower than `floor`: read backwards in large chunks (only the fill is
/// looked for, so the order of copying does not matter). The fill is the
/// file's last byte, if it is `0x00` or `0xFE`; else the file has none.
pub(crate) fn fill_end(file: &File, file_len: u64, floor: u64) -> io::Result<u64> {
    // A page first (most files end in no fill, or in a writer's small
    // chunk of it), then larger reads.
    const FIRST: u64 = 4096;
    const SCAN: u64 = 256 << 10;
    let mut buf = vec![0u8; FIRST as usize];
    let mut hi = file_len;
    let mut fill = None;
    while hi > floor {
        if fill.is_some() && buf.len() < SCAN as usize {
            // No larger than what is left to read (zeroing it costs too).
            let n = (hi - floor).clamp(FIRST, SCAN) as usize;
            buf.resize(n.max(buf.len()), 0);
        }
        let lo = hi.saturating_sub(buf.len() as u64).max(floor);
        let want = (hi - lo) as usize;
        let got = loop {
            match file.read_at(&mut buf[..want], lo) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        let f = *fill.get_or_insert(match buf[..got].last() {
            Some(&b) if crate::recovery::is_fill(b) => b,
            _ => return Ok(lo + got as u64),
        });
        let kept = crate::recovery::trimmed_end(&buf[..got], f);
        if kept > 0 {
            return Ok(lo + kept as u64);
        }
        if got < want {
            // Cut while read: the bytes past the short read are gone.
            return Ok(lo + got as u64);
        }
        hi = lo;
    }
    Ok(floor)
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        if self.reserved == 0 {
            return;
        }
        // SAFETY: unmaps exactly the range this snapshot mapped; no slice
        // from `bytes` outlives `self`.
        unsafe {
            libc::munmap(self.base.cast(), self.reserved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(name: &str, bytes: &[u8]) -> (std::path::PathBuf, File) {
        let dir = std::env::temp_dir().join(format!("srd-snapshot-{}-{name}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("f");
        let mut f = File::create(&path).unwrap();
        f.write_all(bytes).unwrap();
        (path.clone(), File::open(&path).unwrap())
    }

    #[test]
    fn every_split_shows_the_files_bytes() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 300) as u8).collect();
        let (path, f) = temp_file("splits", &bytes);
        let len = bytes.len() as u64;
        for trusted in [0, 1, 4095, 4096, 100_000, len - 1, len, len + 5] {
            let s = Snapshot::new(&f, len, trusted).unwrap();
            assert_eq!(s.bytes(), &bytes[..], "trusted {trusted}");
            let w = Snapshot::whole(&f, len, trusted).unwrap();
            assert_eq!(w.bytes(), &bytes[..], "whole, trusted {trusted}");
            let t = Snapshot::of_tail(&f, len, trusted).unwrap();
            assert_eq!(t.bytes(), &bytes[..], "of_tail, trusted {trusted}");
            assert!(t.still_in_file(&f, len, 20));
        }
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_dir(path.parent().unwrap());
    }

    #[test]
    fn a_snapshot_becomes_a_mapping_of_the_whole_file() {
        let mut bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8 | 1).collect();
        bytes.extend(std::iter::repeat_n(0u8, 100_000));
        let (path, f) = temp_file("mapping", &bytes);
        let len = bytes.len() as u64;
        for snap in [
            Snapshot::of_tail(&f, len, 0).unwrap(),
            Snapshot::whole(&f, len, 0).unwrap(),
            Snapshot::from(&f, len, 70_000).unwrap(),
        ] {
            assert_eq!(snap.bytes(), &bytes[..]);
            let m = snap.into_mapping(&f).unwrap();
            assert!(m.capacity() >= crate::os::mapping::reserve_for(len));
            assert_eq!(m.bytes(len), &bytes[..]);
        }
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_dir(path.parent().unwrap());
    }

    #[test]
    fn trailing_zeros_read_as_zeros_and_a_cut_file_gives_a_shorter_snapshot() {
        let mut bytes: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8 | 1).collect();
        bytes.extend(std::iter::repeat_n(0u8, 3 << 20));
        let (path, f) = temp_file("zeros", &bytes);
        let len = bytes.len() as u64;
        let t = Snapshot::of_tail(&f, len, 0).unwrap();
        assert_eq!(t.bytes(), &bytes[..]);
        assert_eq!(fill_end(&f, len, 0).unwrap(), 50_000);
        assert_eq!(fill_end(&f, len, 60_000).unwrap(), 60_000);
        // Cut below the length the caller believes: the copy stops there.
        let w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        w.set_len(30_000).unwrap();
        let s = Snapshot::new(&f, len, 0).unwrap();
        assert_eq!(s.bytes(), &bytes[..30_000]);
        assert!(!s.still_in_file(&f, 40_000, 20));
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_dir(path.parent().unwrap());
    }

    #[test]
    fn reserved_fill_is_shown_as_zeros_past_the_20_bytes_after_its_start() {
        let fill = crate::format::RESERVED_FILL;
        // Data ending in two fill bytes at a page's last bytes (a checksum
        // ending like the fill), then 3 MiB of fill.
        let page = page_size() as usize;
        let data = 3 * page;
        let mut bytes: Vec<u8> = (0..data as u32).map(|i| (i % 251) as u8 | 1).collect();
        bytes[data - 2..].fill(fill);
        bytes.extend(std::iter::repeat_n(fill, 3 << 20));
        let (path, f) = temp_file("fill", &bytes);
        let len = bytes.len() as u64;
        assert_eq!(fill_end(&f, len, 0).unwrap(), data as u64 - 2);
        for t in [
            Snapshot::of_tail(&f, len, 0).unwrap(),
            Snapshot::whole(&f, len, 0).unwrap(),
        ] {
            let b = t.bytes();
            assert_eq!(b.len(), bytes.len());
            // Copied as they are up to 20 bytes past the fill's start (and
            // the page's end), zeros after.
            let keep = copy_end(data as u64 - 2) as usize;
            assert!(keep >= data + 18);
            assert_eq!(&b[..keep], &bytes[..keep]);
            assert!(b[keep..].iter().all(|&x| x == 0));
        }
        std::fs::remove_file(&path).unwrap();
        let _ = std::fs::remove_dir(path.parent().unwrap());
    }
}
