//! Writing and deleting from C: single keys, batches and prehashed keys.

use super::args::{in_batch, input, input_array, key_arg};
use super::error::{guard, srd_status};
use super::handle::Handle;
use super::read::not_found;
use super::store::srd_store;

/// One key/value pair of `srd_write_batch`. The library only reads the
/// pointed-to bytes during the call and keeps no reference to them.
#[repr(C)]
pub struct srd_kv {
    /// The key's bytes (`key_len` of them; must not be empty).
    pub key: *const u8,
    /// Length of the key.
    pub key_len: usize,
    /// The value's bytes (`value_len` of them; not empty, not a single 0x00).
    pub value: *const u8,
    /// Length of the value.
    pub value_len: usize,
}

/// One key of `srd_delete_batch`. The library only reads the key during the
/// call.
#[repr(C)]
pub struct srd_key {
    /// The key's bytes (`key_len` of them; must not be empty).
    pub key: *const u8,
    /// Length of the key.
    pub key_len: usize,
}

/// Stores `value` under `key`, replacing any older value. The value is
/// visible to every thread when the call returns and has reached the OS
/// (durable too if the store was opened with `SRD_OPEN_SYNC`).
///
/// Errors: `SRD_INVALID_ARGUMENT` for a NULL store, an empty key, an empty
/// value, a value that is exactly one 0x00 byte (the format's deletion
/// marker), or a NULL pointer with a non-zero length; `SRD_READ_ONLY` on a
/// read-only store; `SRD_IO` if the write failed (the file is cut back; the
/// store stays consistent); `SRD_BROKEN` if the handle can no longer write
/// (an earlier failed `fdatasync`, or a handle inherited across `fork()`).
/// Nothing is written on failure. A value that would take the file past the
/// 16 TiB limit gives `SRD_INVALID_ARGUMENT` before any of its bytes is
/// read.
///
/// Ownership: `key` and `value` are only read during the call.
/// Thread-safety: may be called from any thread; writers are serialized.
///
/// # Safety
/// `store` as for `srd_close`; `key` and `value` readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn srd_write(
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
        s.write(k, v)?;
        Ok(())
    })
}

/// Stores `count` key/value pairs with one append: they become visible all at
/// once, and a later item wins over an earlier one with the same key. One
/// invalid item (same rules as `srd_write`) rejects the whole batch before
/// anything is written. `count` 0 is a no-op (`items` may then be NULL).
/// A crash during the call may leave a prefix of the batch in the file.
///
/// Ownership: `items` and the bytes they point to are only read during the
/// call. Thread-safety: as `srd_write`.
///
/// # Safety
/// `items` must point to `count` valid `srd_kv` whose pointers are readable
/// for their lengths.
#[no_mangle]
pub unsafe extern "C" fn srd_write_batch(
    store: *mut srd_store,
    items: *const srd_kv,
    count: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let items = unsafe { input_array(items, count, "items") }?;
        let mut pairs = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let at = |f| in_batch("batch item", i, f);
            // SAFETY: each item's pointers are readable per the contract.
            let k = unsafe { input(it.key, it.key_len, "key") }.map_err(at)?;
            // SAFETY: the caller's contract: readable for the call (or NULL).
            let v = unsafe { input(it.value, it.value_len, "value") }.map_err(at)?;
            pairs.push((k, v));
        }
        s.write_batch(&pairs)?;
        Ok(())
    })
}

/// Deletes `key` by appending a tombstone: `SRD_OK` if it had a value,
/// `SRD_NOT_FOUND` (and nothing written) if not. Other errors as for
/// `srd_write`. Pointers returned earlier by `srd_read` stay valid.
/// Thread-safety: as `srd_write`.
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_delete(
    store: *mut srd_store,
    key: *const u8,
    key_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        if s.delete(k)? {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

/// Deletes every key of `keys` that has a value, with one append; keys that
/// are absent (or repeated) are skipped, and the call still returns `SRD_OK`.
/// An invalid key (NULL with a length, or empty) rejects the whole call before
/// anything is written. `count` 0 is a no-op (`keys` may then be NULL).
///
/// Ownership: `keys` is only read during the call. Thread-safety: as
/// `srd_write`.
///
/// # Safety
/// `keys` must point to `count` valid `srd_key` whose pointers are readable.
#[no_mangle]
pub unsafe extern "C" fn srd_delete_batch(
    store: *mut srd_store,
    keys: *const srd_key,
    count: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let keys = unsafe { input_array(keys, count, "keys") }?;
        let mut ks = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let at = |f| in_batch("batch key", i, f);
            // SAFETY: each key is readable per the contract.
            ks.push(unsafe { key_arg(k.key, k.key_len) }.map_err(at)?);
        }
        s.delete_batch(&ks)?;
        Ok(())
    })
}

/// As `srd_write`, for the key whose hash (from `srd_hash_key`) is
/// `key_hash`. The same key written by name or by hash is the same key.
///
/// # Safety
/// As `srd_write`.
#[no_mangle]
pub unsafe extern "C" fn srd_write_with_hash(
    store: *mut srd_store,
    key_hash: u64,
    value: *const u8,
    value_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let v = unsafe { input(value, value_len, "value") }?;
        s.write_hash(key_hash, v)?;
        Ok(())
    })
}

/// As `srd_delete`, for the key with hash `key_hash`.
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_delete_with_hash(store: *mut srd_store, key_hash: u64) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        if s.delete_hash(key_hash)? {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}
