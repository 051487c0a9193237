//! Integrity checks, compaction progress and space accounting from C.

use super::args::require_out;
use super::error::{guard, srd_status, Failure};
use super::handle::Handle;
use super::store::srd_store;
use std::ffi::c_void;

/// @brief Progress callback: `done` out of `total` units of work (bytes for
/// verification, live entries for compaction).
///
/// Called on the calling thread, a few hundred times at most, always with `done
/// == total` at the end. It must not call back into the library on the same
/// store (rule T4 in @ref conventions). `user_data` is the pointer given with
/// the callback, passed through untouched.
/// @ingroup verify
pub type srd_progress_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, done: u64, total: u64)>;

/// @brief What srd_verify() found.
///
/// Plain data, written by the library into caller memory.
/// @ingroup verify
#[repr(C)]
pub struct srd_verify_report {
    /// Entries in the chain (all versions and tombstones) examined. Batch
    /// markers are checked too but not counted, as in srd_entry_count().
    pub entries_checked: u64,
    /// Payload bytes whose CRC-32 was recomputed (batch markers' not counted).
    pub bytes_checked: u64,
    /// Bytes of the store examined.
    pub file_size: u64,
    /// File offset of the first (lowest) problem; `UINT64_MAX` if none.
    pub first_bad_offset: u64,
    /// Entries whose checksum did not match.
    pub bad_entries: u64,
}

/// Wraps a C callback as a Rust closure.
pub(crate) fn progress_of(cb: srd_progress_fn, user: *mut c_void) -> impl FnMut(u64, u64) {
    move |done, total| {
        if let Some(f) = cb {
            // SAFETY: the caller promised a valid function and user pointer
            // for the duration of the call that receives them.
            unsafe { f(user, done, total) }
        }
    }
}

/// @brief Checks the whole store: walks the metadata chain from the end to
/// offset 0 and recomputes the checksum of every entry, old versions and
/// tombstones included.
///
/// Readers and writers on other threads are not blocked.
///
/// @param store The store; not NULL.
/// @param out_report Output, not NULL: unlike other outputs (rule E1 in @ref
/// conventions), written on `SRD_OK` and on `SRD_CORRUPT`.
/// @return `SRD_OK` if the store is sound, or:
/// @retval SRD_CORRUPT it is not; srd_last_error_message() says what and where
/// the first problem is.
/// @retval SRD_INVALID_ARGUMENT `store` or `out_report` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T1).
/// @ingroup verify
///
/// # Safety
/// `store` as for `srd_close`; `out_report` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_verify(
    store: *const srd_store,
    out_report: *mut srd_verify_report,
) -> srd_status {
    // SAFETY: the caller's contract.
    unsafe { srd_verify_progress(store, out_report, None, std::ptr::null_mut()) }
}

/// @brief As srd_verify(), calling `progress(user_data, done_bytes,
/// total_bytes)` as it goes.
///
/// @param store The store; not NULL.
/// @param out_report Output, not NULL: written on `SRD_OK` and on
/// `SRD_CORRUPT`.
/// @param progress The callback, or NULL for none.
/// @param user_data Passed to `progress` as is; may be anything.
/// @return As srd_verify().
///
/// Threads: `progress` runs on the calling thread (rule T4 in @ref
/// conventions).
/// @ingroup verify
///
/// # Safety
/// As `srd_verify`; `progress`, if not NULL, callable with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn srd_verify_progress(
    store: *const srd_store,
    out_report: *mut srd_verify_report,
    progress: srd_progress_fn,
    user_data: *mut c_void,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        require_out(out_report, "out_report")?;
        let mut cb = progress_of(progress, user_data);
        let r = s.verify_with_progress(&mut cb);
        // SAFETY: non-NULL and writable per contract.
        unsafe {
            *out_report = srd_verify_report {
                entries_checked: r.entries_checked,
                bytes_checked: r.bytes_checked,
                file_size: r.file_size,
                first_bad_offset: r.first_bad_offset.unwrap_or(u64::MAX),
                bad_entries: r.bad_entries,
            }
        };
        match r.problem {
            None => Ok(()),
            Some(p) => Err(Failure::new(
                srd_status::SRD_CORRUPT,
                format!("{}: {p}", s.path().display()),
            )),
        }
    })
}

/// @brief As srd_compact(), calling `progress(user_data, done, total)` with the
/// number of live entries copied so far.
///
/// @param store The store; not NULL.
/// @param progress The callback, or NULL for none.
/// @param user_data Passed to `progress` as is; may be anything.
/// @return As srd_compact().
///
/// Lifetime: as srd_compact() (rule L1 in @ref conventions).
/// Threads: as srd_compact(); `progress` runs on the calling thread (rule T4).
/// @ingroup verify
///
/// # Safety
/// As `srd_compact`; `progress`, if not NULL, callable with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn srd_compact_progress(
    store: *mut srd_store,
    progress: srd_progress_fn,
    user_data: *mut c_void,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        let mut cb = progress_of(progress, user_data);
        s.compact_with_progress(&mut cb)?;
        Ok(())
    })
}

/// @brief Gives how many bytes srd_compact() would free now: old versions,
/// tombstones and the padding that compaction would save.
///
/// @param store The store; not NULL.
/// @param out_bytes Output, not NULL: the number of bytes.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_bytes` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T1 in @ref conventions).
/// @ingroup verify
///
/// # Safety
/// `store` as for `srd_close`; `out_bytes` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_reclaimable_bytes(
    store: *const srd_store,
    out_bytes: *mut u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        require_out(out_bytes, "out_bytes")?;
        // SAFETY: not NULL (refused above), writable by the caller's contract.
        unsafe { *out_bytes = s.reclaimable_bytes() };
        Ok(())
    })
}
