//! Linux fast paths: open-file-description range locks, `fallocate` on
//! file systems known to reserve blocks, `membarrier`, the coarse clock.
//! [`super::generic`] has the same functions for other Unix systems (and,
//! with `--cfg srd_generic_unix`, for testing that path on Linux).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// Takes (`F_WRLCK`) or releases (`F_UNLCK`) an open-file-description lock
/// on `from..` (to the end of any file size).
fn ofd_lock(file: &File, kind: libc::c_int, from: u64) -> io::Result<()> {
    // SAFETY: a zeroed `flock` is a valid value of this plain C struct.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start =
        libc::off_t::try_from(from).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    fl.l_len = 0;
    // SAFETY: `fl` is a valid flock for the call; the descriptor is open.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &fl) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Locks `from..` of `file` for this open file description (see
/// `super::file::mark_pending`).
pub(crate) fn lock_range(file: &File, from: u64) -> io::Result<()> {
    ofd_lock(file, libc::F_WRLCK, from)
}

/// Releases [`lock_range`].
pub(crate) fn unlock_range(file: &File, from: u64) {
    let _ = ofd_lock(file, libc::F_UNLCK, from);
}

/// Where a range lock held by another open file description begins.
pub(crate) fn locked_range_start(file: &File) -> Option<u64> {
    // SAFETY: a zeroed `flock` is a valid value of this plain C struct.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_RDLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 0;
    // SAFETY: `fl` is a valid, writable flock for the call; the descriptor
    // is open.
    let r = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut fl) };
    if r == 0 && fl.l_type != libc::F_UNLCK as libc::c_short {
        return u64::try_from(fl.l_start).ok();
    }
    None
}

/// Whether the file system of `file` reserves blocks with `fallocate`, so
/// that writes into reserved space cannot fail for lack of room: ext4, XFS
/// and tmpfs.
pub(crate) fn fs_reserves_blocks(file: &File) -> bool {
    const EXT4: i64 = 0xEF53;
    const XFS: i64 = 0x5846_5342;
    const TMPFS: i64 = 0x0102_1994;
    // SAFETY: `st` is a plain C struct for which all zeros is valid, and
    // fstatfs writes at most its size; the descriptor is open.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut st) } != 0 {
        return false;
    }
    matches!(st.f_type as i64, EXT4 | XFS | TMPFS)
}

/// Reserves (zeroed) blocks for `from..from + len`, extending the file.
/// An error of kind `Unsupported` means the file system cannot.
pub(crate) fn reserve_blocks(file: &File, from: u64, len: u64) -> io::Result<()> {
    let (Ok(off), Ok(n)) = (libc::off_t::try_from(from), libc::off_t::try_from(len)) else {
        return Err(io::ErrorKind::InvalidInput.into());
    };
    loop {
        // SAFETY: plain system call on an open descriptor; no memory is
        // passed.
        if unsafe { libc::fallocate(file.as_raw_fd(), 0, off, n) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => {
                return Err(io::Error::new(io::ErrorKind::Unsupported, e))
            }
            _ => return Err(e),
        }
    }
}

/// `MEMBARRIER_CMD_PRIVATE_EXPEDITED` and its registration (linux/membarrier.h).
const CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
const CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

fn membarrier(cmd: libc::c_long) -> bool {
    // SAFETY: plain system call with integer arguments; no memory is passed.
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            cmd,
            0 as libc::c_long,
            0 as libc::c_long,
        ) == 0
    }
}

/// Registers the process for [`membarrier_expedited`] and tries it once;
/// `false` if the kernel (or a seccomp filter) refuses.
pub(crate) fn membarrier_register() -> bool {
    membarrier(CMD_REGISTER_PRIVATE_EXPEDITED) && membarrier(CMD_PRIVATE_EXPEDITED)
}

/// Makes every running thread of the process execute a full memory
/// barrier; `false` if it failed.
pub(crate) fn membarrier_expedited() -> bool {
    membarrier(CMD_PRIVATE_EXPEDITED)
}

/// The coarse real-time clock (the one Linux stamps file changes with), in
/// nanoseconds since the epoch.
// `time_t` and `c_long` are `i64` here but narrower on 32-bit targets.
#[allow(clippy::useless_conversion)]
pub(crate) fn change_clock_ns() -> Option<i64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) } != 0 {
        return None;
    }
    Some(
        i64::from(ts.tv_sec)
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(ts.tv_nsec)),
    )
}

/// `mmap` flag for an address-space reservation that commits no memory.
pub(crate) const MAP_NORESERVE: libc::c_int = libc::MAP_NORESERVE;
