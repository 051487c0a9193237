//! Conditional writes from C: write only if a key is absent, or only if its
//! live version is the one the caller read (compare-and-swap).

use super::args::{input, key_arg, require_out};
use super::error::{guard, srd_status};
use super::handle::Handle;
use super::read::not_found;
use super::store::srd_store;
use crate::engine::Expect;

/// @brief Stores `value` under `key` only if the key has no live value.
///
/// The condition is checked under the store's writer lock, against the index
/// in memory (no extra I/O), so no other write through this handle comes
/// between the check and the write. Otherwise as srd_write().
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
/// @param key_len Length of `key`: at least 1.
/// @param value The value's bytes; not NULL (rules B1, B2).
/// @param value_len Length of `value`: at least 1, and a one-byte value must not
/// be 0x00.
/// @return `SRD_OK` if the value was stored, or:
/// @retval SRD_CONFLICT the key has a live value; nothing was written.
/// @retval SRD_INVALID_ARGUMENT as for srd_write().
/// @retval SRD_READ_ONLY as for srd_write().
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN as for srd_write() (rule P1).
/// @retval SRD_IO as for srd_write().
/// @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread; writers are serialized (rule T1).
/// @ingroup conditional
///
/// # Safety
/// `store` as for `srd_close`; `key` and `value` readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn srd_write_if_absent(
    store: *mut srd_store,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle of this library.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let v = unsafe { input(value, value_len, "value") }?;
        s.write_if(k, v, Expect::Absent)?;
        Ok(())
    })
}

/// @brief Stores `value` under `key` only if the key's live value is the
/// version `expected_version` (compare-and-swap).
///
/// A version is the file offset where a value starts, as srd_version_of() or
/// srd_entry_offset() give it (the first value of a store has version 0). Every
/// write or delete of the key makes a new version. srd_compact() moves every
/// value: a version read before a compaction must not be used after it, because
/// another value of the key may land at the same offset by chance and match;
/// read it again with srd_version_of(). Checked as srd_write_if_absent() checks.
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
/// @param key_len Length of `key`: at least 1.
/// @param expected_version The version the caller read.
/// @param value The value's bytes; not NULL (rules B1, B2).
/// @param value_len Length of `value`: at least 1, and a one-byte value must not
/// be 0x00.
/// @return `SRD_OK` if the value was stored, or:
/// @retval SRD_CONFLICT the key has no live value, or its live version is not
/// `expected_version`; nothing was written.
/// @retval SRD_INVALID_ARGUMENT as for srd_write().
/// @retval SRD_READ_ONLY as for srd_write().
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN as for srd_write() (rule P1).
/// @retval SRD_IO as for srd_write().
/// @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread; writers are serialized (rule T1).
/// @ingroup conditional
///
/// # Safety
/// `store` as for `srd_close`; `key` and `value` readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn srd_write_if_version(
    store: *mut srd_store,
    key: *const u8,
    key_len: usize,
    expected_version: u64,
    value: *const u8,
    value_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle of this library.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let v = unsafe { input(value, value_len, "value") }?;
        s.write_if(k, v, Expect::Version(expected_version))?;
        Ok(())
    })
}

/// @brief Deletes `key` only if its live value is the version
/// `expected_version` (see srd_write_if_version()).
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
/// @param key_len Length of `key`: at least 1.
/// @param expected_version The version the caller read.
/// @return `SRD_OK` if the key was deleted, or:
/// @retval SRD_CONFLICT the key has no live value, or its live version is not
/// `expected_version`; nothing was written.
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, or the key is NULL with a
/// non-zero length, or empty.
/// @retval SRD_READ_ONLY as for srd_write().
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN as for srd_write() (rule P1).
/// @retval SRD_IO as for srd_delete().
/// @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread; writers are serialized (rule T1).
/// @ingroup conditional
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for its length.
#[no_mangle]
pub unsafe extern "C" fn srd_delete_if_version(
    store: *mut srd_store,
    key: *const u8,
    key_len: usize,
    expected_version: u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle of this library.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        s.delete_if(k, expected_version)?;
        Ok(())
    })
}

/// @brief Gives the version of the live value of `key`: the file offset
/// where the value starts (the same as srd_entry_offset() of the entry
/// srd_read_entry() would return), for srd_write_if_version() and
/// srd_delete_if_version().
///
/// Reads only the index and the entry's metadata: the value's checksum is not
/// checked here.
///
/// @param store The store; not NULL. Read-only handles work too.
/// @param key The key's bytes; not NULL (rules B1, B2 in @ref conventions).
/// @param key_len Length of `key`: at least 1.
/// @param out_version Output, not NULL: the version; written only on success.
/// @return `SRD_OK` if the key has a live value, or:
/// @retval SRD_NOT_FOUND the key has no live value.
/// @retval SRD_INVALID_ARGUMENT `store` or `out_version` is NULL, or the key is
/// NULL with a non-zero length, or empty.
/// @retval SRD_CORRUPT the index points at a malformed entry or outside the file.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread, alongside writers (rule T1).
/// @ingroup conditional
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for its length; `out_version`
/// writable.
#[no_mangle]
pub unsafe extern "C" fn srd_version_of(
    store: *const srd_store,
    key: *const u8,
    key_len: usize,
    out_version: *mut u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle of this library.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        require_out(out_version, "out_version")?;
        let v = s.version_of(k)?.ok_or_else(not_found)?;
        // SAFETY: checked non-NULL above; writable per the caller's contract.
        unsafe { out_version.write(v) };
        Ok(())
    })
}
