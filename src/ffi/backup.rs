//! Online backup from C.

use super::args::path_arg;
use super::error::{guard, srd_status};
use super::handle::Handle;
use super::store::srd_store;
use super::verify::{progress_of, srd_progress_fn};
use std::ffi::{c_char, c_void};

/// @brief Writes a consistent, synced copy of the store as it is now to
/// `dst_path`, while writers and readers go on; the copy opens on its own (and
/// with the crate).
///
/// The copy is of a snapshot (srd_snapshot()): the store's complete entries at
/// this moment, nothing written later. If `dst_path` already holds an earlier
/// backup of this store, only what is new is appended to it and synced: a crash
/// meanwhile leaves the earlier backup, with a torn tail that every open cuts
/// off. Otherwise (no file there, a backup made before a compaction, or another
/// store) the copy is written to `<dst_path>.backup.tmp`, synced, renamed over
/// `dst_path`, and the directory synced: a crash leaves the earlier file or
/// none. Unlike a plain `cp` of a live store, which can copy the last write
/// half done (a torn tail, cut at the next open) and is not synced, the
/// backup holds exactly the entries of one moment and is on disk when the call
/// returns.
///
/// @param store The store (read-write, read-only, a snapshot or over memory);
/// not NULL.
/// @param dst_path The backup file, NUL-terminated; not NULL, not empty.
/// @param progress Called as bytes are written with (user_data, bytes written,
/// bytes to write); may be NULL. Runs on the calling thread and must not call
/// into this store (rule T4 in @ref conventions).
/// @param user_data Passed to `progress` untouched.
/// @return `SRD_OK` once the backup is complete and durable, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `dst_path` is NULL, `dst_path` is
/// empty, is the store's own file, is not a regular file, or is a file that is
/// not a store (left alone).
/// @retval SRD_LOCKED `dst_path` is a store open for writing.
/// @retval SRD_IO reading, writing, syncing or renaming failed; an earlier
/// backup at `dst_path` stays usable.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread, alongside readers and writers of `store` (rule T1).
/// @ingroup lifecycle
///
/// # Safety
/// `store` NULL or a live handle; `dst_path` NULL or NUL-terminated; `progress`
/// NULL or a valid function for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn srd_backup(
    store: *const srd_store,
    dst_path: *const c_char,
    progress: srd_progress_fn,
    user_data: *mut c_void,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle of this library.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: NULL or NUL-terminated per contract.
        let dst = unsafe { path_arg(dst_path, "dst_path") }?;
        let mut cb = progress_of(progress, user_data);
        s.backup(dst, &mut cb)?;
        Ok(())
    })
}
