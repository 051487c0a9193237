//! Writing and deleting from C: single keys, batches and prehashed keys.

use super::args::{in_batch, input, input_array, key_arg};
use super::error::{guard, srd_status};
use super::handle::Handle;
use super::read::not_found;
use super::store::srd_store;

/// @brief One key/value pair of srd_write_batch().
///
/// The library only reads the pointed-to bytes during the call and keeps no
/// reference to them (rule B1 in @ref conventions).
/// @ingroup writes
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

/// @brief One key of srd_delete_batch() and srd_read_batch().
///
/// The library only reads the key during the call (rule B1 in @ref
/// conventions).
/// @ingroup writes
#[repr(C)]
pub struct srd_key {
    /// The key's bytes (`key_len` of them; must not be empty).
    pub key: *const u8,
    /// Length of the key.
    pub key_len: usize,
}

/// @brief Stores `value` under `key`, replacing any older value.
///
/// The value is visible to every thread when the call returns and has reached
/// the OS (durable too if the store was opened with `SRD_OPEN_SYNC`). On failure
/// nothing is written, except that a failing `fdatasync` leaves the value in the
/// file (see `SRD_OPEN_SYNC`).
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL, and only read during the call (rule
/// B1 in @ref conventions).
/// @param key_len Length of `key`: at least 1 (rule B2).
/// @param value The value's bytes; not NULL, and only read during the call.
/// @param value_len Length of `value`: at least 1, and a one-byte value must not
/// be 0x00 (the format's deletion marker; rule B2).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, a NULL pointer has a non-zero
/// length, the key or value is empty, the value is one 0x00 byte, or the value
/// would take the file past the 16 TiB limit (refused before any of its bytes
/// is read).
/// @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
/// memory (srd_open_bytes(), srd_open_entry()).
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
/// roll-back failed, or it was inherited across fork() (rule P1).
/// @retval SRD_IO the write failed (it is cut back: the store stays consistent)
/// or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
/// @retval SRD_CORRUPT the index points outside the file (a damaged index file),
/// found when the index grows.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread; writers are serialized (rule T1).
/// @ingroup writes
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

/// @brief Stores `count` key/value pairs with one append.
///
/// They become visible all at once, and a later item wins over an earlier one
/// with the same key. One invalid item (same rules as srd_write()) rejects the
/// whole batch before anything is written; the message names the item ("batch
/// item 3: ..."). A batch of more than one item is crash-atomic: after a crash or
/// power cut during the call, the store holds all of it or none of it (it begins
/// with a batch marker entry; see docs/FORMAT.md, "Batches").
///
/// @param store The store; not NULL.
/// @param items Array of `count` pairs; NULL only if `count` is 0. It and the
/// bytes it points to are only read during the call (rule B1 in @ref
/// conventions).
/// @param count Number of items; 0 is a no-op (`SRD_OK` even on a read-only
/// store).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, `items` is NULL with a non-zero
/// `count`, an item is invalid as for srd_write(), or the batch would take the
/// file past the 16 TiB limit.
/// @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
/// memory (srd_open_bytes(), srd_open_entry()).
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
/// roll-back failed, or it was inherited across fork() (rule P1).
/// @retval SRD_IO the write failed (it is cut back: the store stays consistent)
/// or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
/// @retval SRD_CORRUPT the index points outside the file (a damaged index file),
/// found when the index grows.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_write().
/// @ingroup writes
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

/// @brief Deletes `key` by appending a tombstone.
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL, and only read during the call (rule
/// B1 in @ref conventions).
/// @param key_len Length of `key`: at least 1 (rule B2).
/// @return `SRD_OK` if the key had a value (now deleted), or:
/// @retval SRD_NOT_FOUND the key had no live value; nothing was written.
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, `key` is NULL with a non-zero
/// length, the key is empty, or the file is at the 16 TiB limit.
/// @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
/// memory (srd_open_bytes(), srd_open_entry()).
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
/// roll-back failed, or it was inherited across fork() (rule P1).
/// @retval SRD_IO the write failed (it is cut back: the store stays consistent)
/// or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
/// @retval SRD_CORRUPT the index points outside the file (a damaged index file),
/// found when the index grows.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: values borrowed earlier stay valid (rule L1).
/// Threads: as srd_write().
/// @ingroup writes
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

/// @brief Deletes, with one append, every key of `keys` that has a value.
///
/// Keys that are absent (or repeated) are skipped, and the call still returns
/// `SRD_OK`. An invalid key rejects the whole call before anything is written;
/// the message names it ("batch key 3: ...").
///
/// @param store The store; not NULL.
/// @param keys Array of `count` keys; NULL only if `count` is 0. Only read
/// during the call (rule B1 in @ref conventions).
/// @param count Number of keys; 0 is a no-op (`SRD_OK` even on a read-only
/// store).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, `keys` is NULL with a non-zero
/// `count`, a key is NULL with a non-zero length or empty, or the file is at the
/// 16 TiB limit.
/// @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
/// memory (srd_open_bytes(), srd_open_entry()).
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN the handle can no longer write: an earlier `fdatasync` or
/// roll-back failed, or it was inherited across fork() (rule P1).
/// @retval SRD_IO the write failed (it is cut back: the store stays consistent)
/// or, with `SRD_OPEN_SYNC`, the `fdatasync` did (see `SRD_OPEN_SYNC`).
/// @retval SRD_CORRUPT the index points outside the file (a damaged index file),
/// found when the index grows.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: values borrowed earlier stay valid (rule L1).
/// Threads: as srd_write().
/// @ingroup writes
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

/// srd_op kind: store `value` under `key`.
/// @ingroup writes
pub const SRD_OP_WRITE: u32 = 1;
/// srd_op kind: delete `key` (skipped if it has no value at that point of the
/// batch).
/// @ingroup writes
pub const SRD_OP_DELETE: u32 = 2;

/// @brief One operation of srd_apply_batch().
///
/// The library only reads the pointed-to bytes during the call and keeps no
/// reference to them (rule B1 in @ref conventions).
/// @ingroup writes
#[repr(C)]
pub struct srd_op {
    /// `SRD_OP_WRITE` or `SRD_OP_DELETE`.
    pub kind: u32,
    /// The key's bytes (`key_len` of them; must not be empty).
    pub key: *const u8,
    /// Length of the key.
    pub key_len: usize,
    /// For `SRD_OP_WRITE`: the value's bytes (not empty, not a single 0x00).
    /// Ignored for `SRD_OP_DELETE`.
    pub value: *const u8,
    /// Length of the value (ignored for `SRD_OP_DELETE`).
    pub value_len: usize,
}

/// @brief Applies `count` writes and deletes, in order, with one append:
/// all-or-nothing, even across a crash or power cut.
///
/// Readers see the whole batch at once. After a crash or power cut during the
/// call the store holds every operation of the batch or none (a batch of more
/// than one entry begins with a batch marker; see docs/FORMAT.md, "Batches").
/// A later item wins over an earlier one with the same key; a delete of a key
/// that has no value at that point (none before the batch, or deleted earlier
/// in it) is skipped. One invalid item rejects the whole batch before anything
/// is written; the message names it ("batch item 3: ...").
///
/// @param store The store; not NULL.
/// @param ops Array of `count` operations; NULL only if `count` is 0. Only read
/// during the call (rule B1 in @ref conventions).
/// @param count Number of operations; 0 is a no-op (`SRD_OK` even on a
/// read-only store).
/// @param out_deleted Output, may be NULL: how many deletes were applied;
/// written only on success.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, `ops` is NULL with a non-zero
/// `count`, an item has an unknown kind, a NULL pointer with a non-zero length,
/// an empty key, or (writes) an empty or single 0x00 value, or the batch would
/// take the file past the 16 TiB limit.
/// @retval SRD_READ_ONLY as for srd_write().
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN as for srd_write() (rule P1).
/// @retval SRD_IO as for srd_write_batch().
/// @retval SRD_CORRUPT the index points outside the file (a damaged index file),
/// found when the index grows.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: values borrowed earlier stay valid (rule L1).
/// Threads: as srd_write().
/// @ingroup writes
///
/// # Safety
/// `ops` must point to `count` valid `srd_op` whose pointers are readable;
/// `out_deleted` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn srd_apply_batch(
    store: *mut srd_store,
    ops: *const srd_op,
    count: usize,
    out_deleted: *mut u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let ops = unsafe { input_array(ops, count, "ops") }?;
        let mut batch = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let at = |f| in_batch("batch item", i, f);
            // SAFETY: each key is readable per the contract.
            let k = unsafe { key_arg(op.key, op.key_len) }.map_err(at)?;
            batch.push(match op.kind {
                SRD_OP_WRITE => {
                    // SAFETY: each value is readable per the contract.
                    let v = unsafe { input(op.value, op.value_len, "value") }.map_err(at)?;
                    crate::engine::BatchOp::Write(k, v)
                }
                SRD_OP_DELETE => crate::engine::BatchOp::Delete(k),
                other => {
                    return Err(at(super::error::Failure::invalid(format!(
                        "kind {other} is neither SRD_OP_WRITE (1) nor SRD_OP_DELETE (2)"
                    ))))
                }
            });
        }
        let deleted = s.apply(&batch)?;
        if !out_deleted.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { out_deleted.write(deleted) };
        }
        Ok(())
    })
}

/// @brief As srd_write(), for the key whose hash (from srd_hash_key()) is
/// `key_hash`.
///
/// The same key written by name or by hash is the same key (rule B3 in @ref
/// conventions).
///
/// @param store The store; not NULL.
/// @param key_hash The key's hash, from srd_hash_key().
/// @param value The value's bytes; not NULL, and only read during the call.
/// @param value_len Length of `value`: at least 1, and a one-byte value must not
/// be 0x00 (rule B2).
/// @return As srd_write().
///
/// Threads: as srd_write().
/// @ingroup writes
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

/// @brief As srd_delete(), for the key with hash `key_hash`.
///
/// @param store The store; not NULL.
/// @param key_hash The key's hash, from srd_hash_key().
/// @return As srd_delete() (`SRD_NOT_FOUND` if the key had no live value).
///
/// Threads: as srd_write() (rule T1 in @ref conventions).
/// @ingroup writes
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
