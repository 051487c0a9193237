//! Rename, copy and move from C.

use super::args::key_arg;
use super::error::{guard, srd_status, Failure};
use super::handle::Handle;
use super::read::not_found;
use super::store::srd_store;
use crate::store::Store;

/// Gives the value of `old_key` to `new_key` and deletes `old_key`, with one
/// append, in which the new key's entry precedes the old key's tombstone (so
/// a crash can leave a prefix of that append, but never loses the value). `SRD_NOT_FOUND` if `old_key` has no value;
/// `SRD_INVALID_ARGUMENT` if the two keys are the same key. Other errors as
/// `srd_write`. Thread-safety: as `srd_write`.
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

/// Copies the value of `key` from `src` into `dst` under the same key.
/// `SRD_INVALID_ARGUMENT` if the two handles show the same file (compared by
/// device and inode, not by path); `SRD_NOT_FOUND` if `src` has no value for
/// `key`; `SRD_READ_ONLY` if `dst` is read-only. `src` may be read-only.
/// Thread-safety: as `srd_read` on `src` and `srd_write` on `dst`.
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

/// Moves the value of `key` from `src` to `dst`: it is written to `dst` and
/// made durable there (`fdatasync`) before its tombstone is written to `src`,
/// so a crash at any moment never loses it (at worst it is in both). Errors
/// as `srd_copy`, plus `SRD_READ_ONLY` if `src` is read-only.
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
