//! The generic Unix path: only calls that the `libc` crate defines for
//! Linux, macOS and FreeBSD alike. Used on every Unix but Linux, and on
//! Linux when built with `--cfg srd_generic_unix` (so that the test
//! command can run the whole suite through it). What it gives up, against
//! [`super::linux`]:
//! - no range locks (`F_OFD_*` is Linux's): a stream is spooled to a side
//!   file instead of written in place (see `super::file::mark_pending`);
//! - no preallocation: `SRD_OPEN_PREALLOCATE` is ignored and every append
//!   is a `pwrite`;
//! - no `membarrier`: readers pay a fence on entering a view;
//! - the index copy's clock check uses `CLOCK_REALTIME` less 10 ms, so
//!   saving a copy may wait up to 10 ms longer.
//!
//! Durability needs nothing here: `std`'s `File::sync_data`/`sync_all`
//! already use `fcntl(F_FULLFSYNC)` on macOS, where `fsync` alone does not
//! reach the disk's platters.

use std::fs::File;
use std::io;

/// Range locks are Linux's: the range cannot be marked.
pub(crate) fn lock_range(file: &File, from: u64) -> io::Result<()> {
    let _ = (file, from);
    Err(io::ErrorKind::Unsupported.into())
}

/// Nothing to release.
pub(crate) fn unlock_range(file: &File, from: u64) {
    let _ = (file, from);
}

/// No writer can mark a range here.
pub(crate) fn locked_range_start(file: &File) -> Option<u64> {
    let _ = file;
    None
}

/// Preallocation is not known to be safe on this path.
pub(crate) fn fs_reserves_blocks(file: &File) -> bool {
    let _ = file;
    false
}

/// See [`fs_reserves_blocks`].
pub(crate) fn reserve_blocks(file: &File, from: u64, len: u64) -> io::Result<()> {
    let _ = (file, from, len);
    Err(io::ErrorKind::Unsupported.into())
}

/// No `membarrier`: readers fence instead.
pub(crate) fn membarrier_register() -> bool {
    false
}

/// Never called after [`membarrier_register`] failed.
pub(crate) fn membarrier_expedited() -> bool {
    false
}

/// A clock that is never ahead of the one file changes are stamped with:
/// the real-time clock less 10 ms (systems may stamp files with a coarser
/// clock, as Linux does with its tick of at most 10 ms), in nanoseconds
/// since the epoch.
// `time_t` and `c_long` are `i64` here but narrower on 32-bit targets.
#[allow(clippy::useless_conversion)]
pub(crate) fn change_clock_ns() -> Option<i64> {
    const COARSENESS_NS: i64 = 10_000_000;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) } != 0 {
        return None;
    }
    Some(
        i64::from(ts.tv_sec)
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(ts.tv_nsec))
            .saturating_sub(COARSENESS_NS),
    )
}

/// FreeBSD's `libc` has no `MAP_NORESERVE` (it never reserved swap for a
/// private mapping up front): no flag.
pub(crate) const MAP_NORESERVE: libc::c_int = 0;
