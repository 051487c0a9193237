//! Rename, copy and move from C.

use super::args::key_arg;
use super::error::{guard, srd_status, Failure};
use super::handle::Handle;
use super::read::not_found;
use super::store::srd_store;
use crate::engine::Store;

/// @brief Gives the value of `old_key` to `new_key` and deletes `old_key`, with
/// one append.
///
/// The append is a batch: after a crash or power cut the rename happened
/// entirely or not at all (docs/FORMAT.md, "Batches").
///
/// @param store The store; not NULL.
/// @param old_key The key to rename; not NULL. Only read during the call (rule
/// B1 in @ref conventions).
/// @param old_key_len Length of `old_key`: at least 1.
/// @param new_key The new key; not NULL, not the same key as `old_key`. Only
/// read during the call.
/// @param new_key_len Length of `new_key`: at least 1.
/// @return `SRD_OK` on success, or:
/// @retval SRD_NOT_FOUND `old_key` has no live value; nothing was written.
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, a key is NULL with a non-zero
/// length or empty, the two keys are the same key, or the file is at the 16 TiB
/// limit.
/// @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
/// memory (srd_open_bytes(), srd_open_entry()).
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
/// roll-back failed, or it was inherited across fork() (rule P1).
/// @retval SRD_IO the write failed (it is cut back: the store stays consistent)
/// or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
/// @retval SRD_CORRUPT the value of `old_key` fails its checksum, or the index
/// points outside the file.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_write() (rule T1).
/// @ingroup transfers
///
/// # Safety
/// `store` as for `srd_close`; keys readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn srd_rename(
    store: *mut srd_store,
    old_key: *const u8,
    old_key_len: usize,
    new_key: *const u8,
    new_key_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let old = unsafe { key_arg(old_key, old_key_len) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let new = unsafe { key_arg(new_key, new_key_len) }?;
        if s.rename(old, new)? {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

/// @brief Copies the value of `key` from `src` into `dst`, under the same key.
///
/// @param src The store to copy from; not NULL. It may be read-only.
/// @param key The key; not NULL. Only read during the call (rule B1 in @ref
/// conventions).
/// @param key_len Length of `key`: at least 1.
/// @param dst The store to copy into; not NULL, and not the same file as `src`
/// (compared by device and inode, not by path).
/// @return `SRD_OK` on success, or:
/// @retval SRD_NOT_FOUND `src` has no live value for `key`.
/// @retval SRD_INVALID_ARGUMENT `src` or `dst` is NULL, `key` is NULL with a
/// non-zero length or empty, the two handles show the same file, or `dst` is at
/// the 16 TiB limit.
/// @retval SRD_CORRUPT the value fails its checksum in `src`, or the index of
/// `dst` points outside its file.
/// @retval SRD_READ_ONLY `dst` is read-only.
/// @retval SRD_BUSY the calling thread has an open stream on `dst` (rule T2).
/// @retval SRD_BROKEN `dst` can no longer write (see `SRD_BROKEN`; rule P1).
/// @retval SRD_IO writing to `dst` failed.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_read() on `src` and srd_write() on `dst` (rule T1).
/// @ingroup transfers
///
/// # Safety
/// `src`, `dst` live handles; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_copy(
    src: *const srd_store,
    key: *const u8,
    key_len: usize,
    dst: *mut srd_store,
) -> srd_status {
    // SAFETY: the caller's contract.
    guard(|| unsafe { transfer(src, key, key_len, dst, Store::copy_to) })
}

/// Runs `op` (copy or move) with checked arguments.
///
/// # Safety
/// As `srd_copy`.
unsafe fn transfer(
    src: *const srd_store,
    key: *const u8,
    key_len: usize,
    dst: *mut srd_store,
    op: fn(&Store, &[u8], &Store) -> crate::Result<bool>,
) -> Result<(), Failure> {
    // SAFETY: forwarded caller contract.
    let s = unsafe { srd_store::borrow(src) }?;
    // SAFETY: the caller's contract: NULL or a live handle of this library.
    let d = unsafe { srd_store::borrow(dst) }?;
    // SAFETY: the caller's contract: readable for the call (or NULL).
    let k = unsafe { key_arg(key, key_len) }?;
    if op(s, k, d)? {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// @brief Moves the value of `key` from `src` to `dst`.
///
/// It is written to `dst` and made durable there (`fdatasync`) before its
/// tombstone is written to `src`, so a crash at any moment never loses it (at
/// worst it is in both).
///
/// @param src The store to move from; not NULL, read-write.
/// @param key The key; not NULL. Only read during the call (rule B1 in @ref
/// conventions).
/// @param key_len Length of `key`: at least 1.
/// @param dst The store to move into; not NULL, read-write, and not the same
/// file as `src`.
/// @return `SRD_OK` on success, or:
/// @retval SRD_NOT_FOUND `src` has no live value for `key`; nothing was written.
/// @retval SRD_INVALID_ARGUMENT as srd_copy().
/// @retval SRD_READ_ONLY `src` or `dst` is read-only.
/// @retval SRD_BUSY the calling thread has an open stream on `src` or `dst`
/// (rule T2); refused before anything changes.
/// @retval SRD_BROKEN `src` or `dst` can no longer write (see `SRD_BROKEN`; rule
/// P1).
/// @retval SRD_CORRUPT as srd_copy().
/// @retval SRD_IO writing or syncing `dst`, or writing the tombstone to `src`,
/// failed (the value is then in `dst`, and may still be in `src`).
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_write() on both stores (rule T1).
/// @ingroup transfers
///
/// # Safety
/// `src`, `dst` live handles; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_move(
    src: *mut srd_store,
    key: *const u8,
    key_len: usize,
    dst: *mut srd_store,
) -> srd_status {
    // SAFETY: the caller's contract.
    guard(|| unsafe { transfer(src, key, key_len, dst, Store::move_to) })
}
