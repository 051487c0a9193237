//! Reading from C: single keys, pinned entries, batches and prehashed keys.

use super::args::{in_batch, input_array, key_arg, output_array, require_out};
use super::entry::srd_entry;
use super::error::{guard, srd_status, Failure};
use super::handle::Handle;
use super::store::srd_store;
use super::write::srd_key;
use crate::engine::Store;
use crate::format;

/// The failure for a key without a live value.
pub(crate) fn not_found() -> Failure {
    Failure::fixed(srd_status::SRD_NOT_FOUND, c"key not found")
}

/// @brief Looks up `key` and returns its value without copying.
///
/// `*out_value` receives a pointer into the store's memory map, 64-byte aligned
/// and read-only (rule L6 in @ref conventions), and `*out_len` its length (at
/// least 1). This call does not allocate.
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL, and only read during the call (rule
/// B1 in @ref conventions).
/// @param key_len Length of `key`: at least 1 (rule B2).
/// @param out_value Output, not NULL: the value, borrowed from the store (rule
/// L1); written only on success.
/// @param out_len Output, not NULL: the value's length; written only on success.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store`, `out_value` or `out_len` is NULL, `key`
/// is NULL with a non-zero length, or the key is empty.
/// @retval SRD_NOT_FOUND the key is absent or deleted.
/// @retval SRD_CORRUPT the value fails its checksum (checked on the first read of
/// each value unless `SRD_OPEN_NO_VERIFY`), or the index points at a malformed
/// entry or beyond the file.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: rule L1: valid and unchanged until srd_compact() or srd_close() on
/// this handle, or an srd_refresh() that takes in a compaction, even if the key
/// is later overwritten or deleted. A thread that may run concurrently with a
/// compaction must use srd_read_entry() instead.
/// Threads: any number of threads may read at once, while others write (rule
/// T1).
/// @ingroup reads
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for `key_len` bytes; outputs
/// writable.
#[no_mangle]
pub unsafe extern "C" fn srd_read(
    store: *const srd_store,
    key: *const u8,
    key_len: usize,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: forwarded caller contract for the outputs.
        unsafe { read_hash(s, format::key_hash(k), out_value, out_len) }
    })
}

/// # Safety
/// Outputs NULL or writable.
// Always inlined: this is the whole of a read below the checks, and one
// function (one prologue, no result passed through memory) is measurably
// fewer instructions per lookup, which is what random reads are bound by.
#[inline(always)]
unsafe fn read_hash(
    s: &Store,
    h: u64,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> Result<(), Failure> {
    require_out(out_value, "out_value")?;
    require_out(out_len, "out_len")?;
    match s.read_with(h, |b| (b.as_ptr(), b.len()))? {
        Some((ptr, len)) => {
            // SAFETY: both outputs are non-NULL and writable per contract.
            unsafe {
                *out_value = ptr;
                *out_len = len;
            }
            Ok(())
        }
        None => Err(not_found()),
    }
}

/// # Safety
/// `out_entry` NULL or writable.
unsafe fn read_entry_hash(
    s: &Store,
    h: u64,
    out_entry: *mut *mut srd_entry,
) -> Result<(), Failure> {
    require_out(out_entry, "out_entry")?;
    let entry = s.get_hash(h)?.ok_or_else(not_found)?;
    let handle = srd_entry::into_raw(entry);
    // SAFETY: non-NULL and writable per contract.
    unsafe { *out_entry = handle };
    Ok(())
}

/// @brief Looks up `key` and returns a pinned entry of its value.
///
/// Use srd_entry_data() to get the bytes.
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL, and only read during the call (rule
/// B1 in @ref conventions).
/// @param key_len Length of `key`: at least 1 (rule B2).
/// @param out_entry Output, not NULL: on success a new entry, owned by the
/// caller, to release with srd_entry_free() (rule B4); not written on failure.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_entry` is NULL, `key` is NULL
/// with a non-zero length, or the key is empty.
/// @retval SRD_NOT_FOUND the key is absent or deleted.
/// @retval SRD_CORRUPT the value fails its checksum (checked on the first read of
/// each value unless `SRD_OPEN_NO_VERIFY`), or the index points at a malformed
/// entry or beyond the file.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: rule L2: the entry and its bytes stay valid until srd_entry_free(),
/// even across srd_compact(), srd_refresh() and srd_close().
/// Threads: as srd_read(); the entry itself as rule T3.
/// @ingroup reads
///
/// # Safety
/// As `srd_read`.
#[no_mangle]
pub unsafe extern "C" fn srd_read_entry(
    store: *const srd_store,
    key: *const u8,
    key_len: usize,
    out_entry: *mut *mut srd_entry,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: forwarded caller contract for the output.
        unsafe { read_entry_hash(s, format::key_hash(k), out_entry) }
    })
}

/// @brief Tells whether `key` has a live value.
///
/// Does not check the value's checksum.
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL, and only read during the call (rule
/// B1 in @ref conventions).
/// @param key_len Length of `key`: at least 1 (rule B2).
/// @return `SRD_OK` if the key has a live value, or:
/// @retval SRD_NOT_FOUND it has none.
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, `key` is NULL with a non-zero
/// length, or the key is empty.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_read().
/// @ingroup reads
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_exists(
    store: *const srd_store,
    key: *const u8,
    key_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        if s.contains_hash(format::key_hash(k)) {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

/// @brief As srd_read(), for the key with hash `key_hash`.
///
/// @param store The store; not NULL.
/// @param key_hash The key's hash, from srd_hash_key().
/// @param out_value Output, not NULL: the value, borrowed (rule L1 in @ref
/// conventions); written only on success.
/// @param out_len Output, not NULL: the value's length; written only on success.
/// @return As srd_read().
///
/// Lifetime: rule L1, as srd_read(). Threads: as srd_read().
/// @ingroup reads
///
/// # Safety
/// As `srd_read`.
#[no_mangle]
pub unsafe extern "C" fn srd_read_with_hash(
    store: *const srd_store,
    key_hash: u64,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { read_hash(s, key_hash, out_value, out_len) }
    })
}

/// @brief As srd_read_entry(), for the key with hash `key_hash`.
///
/// @param store The store; not NULL.
/// @param key_hash The key's hash, from srd_hash_key().
/// @param out_entry Output, not NULL: on success a new entry for
/// srd_entry_free() (rule B4 in @ref conventions).
/// @return As srd_read_entry().
///
/// Lifetime: rule L2. Threads: as srd_read().
/// @ingroup reads
///
/// # Safety
/// As `srd_read_entry`.
#[no_mangle]
pub unsafe extern "C" fn srd_read_entry_with_hash(
    store: *const srd_store,
    key_hash: u64,
    out_entry: *mut *mut srd_entry,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { read_entry_hash(s, key_hash, out_entry) }
    })
}

/// @brief As srd_exists(), for the key with hash `key_hash`.
///
/// @param store The store; not NULL.
/// @param key_hash The key's hash, from srd_hash_key().
/// @return `SRD_OK` if the key has a live value, or:
/// @retval SRD_NOT_FOUND it has none.
/// @retval SRD_INVALID_ARGUMENT `store` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_read() (rule T1 in @ref conventions).
/// @ingroup reads
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_exists_with_hash(
    store: *const srd_store,
    key_hash: u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        if s.contains_hash(key_hash) {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

/// @brief One result of srd_read_batch() and srd_read_batch_with_hash().
///
/// `value` is NULL and `value_len` 0 unless `status` is `SRD_OK`. The value is
/// borrowed as from srd_read() (rule L1 in @ref conventions).
/// @ingroup reads
#[repr(C)]
pub struct srd_read_result {
    /// The value's bytes, 64-byte aligned; valid as for `srd_read`.
    pub value: *const u8,
    /// Length of the value.
    pub value_len: usize,
    /// This key's outcome.
    pub status: srd_status,
}

/// # Safety
/// `out` must have room for `n` results.
unsafe fn fill_batch(s: &Store, hashes: &[u64], out: *mut srd_read_result) -> Result<(), Failure> {
    if hashes.is_empty() {
        return Ok(());
    }
    // SAFETY: the caller provides `hashes.len()` writable slots at `out`.
    let slots = unsafe { output_array(out, hashes.len(), "out") }?;
    s.read_batch_with(hashes, |i, r| {
        slots[i].write(match r {
            Ok(Some(v)) => srd_read_result {
                value: v.as_ptr(),
                value_len: v.len(),
                status: srd_status::SRD_OK,
            },
            Ok(None) => srd_read_result {
                value: std::ptr::null(),
                value_len: 0,
                status: srd_status::SRD_NOT_FOUND,
            },
            Err(e) => srd_read_result {
                value: std::ptr::null(),
                value_len: 0,
                status: Failure::from(e).status,
            },
        });
    });
    Ok(())
}

/// @brief Looks up `count` keys under one consistent view and fills `out[i]`
/// for `keys[i]`.
///
/// No write lands between two of the lookups. Each result has its own status;
/// an invalid key fails the whole call, naming it ("batch key 3: ..."), before
/// anything is written to `out`.
///
/// @param store The store; not NULL.
/// @param keys Array of `count` keys; NULL only if `count` is 0. Only read during
/// the call (rule B1 in @ref conventions).
/// @param count Number of keys.
/// @param out Output array with room for `count` results; NULL only if `count`
/// is 0. Written only when the call returns `SRD_OK`; each result's `status` is
/// `SRD_OK`, `SRD_NOT_FOUND` or `SRD_CORRUPT` (as for srd_read()).
/// @return `SRD_OK` when every key was looked up, whatever each one's own
/// status, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, `keys` or `out` is NULL with a
/// non-zero `count` or not aligned for its type, `count` is larger than
/// any array, or a key is NULL with a non-zero length or empty.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: the values are borrowed exactly like those of srd_read() (rule L1).
/// Threads: as srd_read().
/// @ingroup reads
///
/// # Safety
/// `keys` points to `count` valid `srd_key`; `out` to `count` writable slots.
#[no_mangle]
pub unsafe extern "C" fn srd_read_batch(
    store: *const srd_store,
    keys: *const srd_key,
    count: usize,
    out: *mut srd_read_result,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let keys = unsafe { input_array(keys, count, "keys") }?;
        let mut hashes = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let at = |f| in_batch("batch key", i, f);
            // SAFETY: each key readable per contract.
            hashes.push(format::key_hash(
                unsafe { key_arg(k.key, k.key_len) }.map_err(at)?,
            ));
        }
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { fill_batch(s, &hashes, out) }
    })
}

/// @brief As srd_read_batch(), for `count` key hashes.
///
/// @param store The store; not NULL.
/// @param key_hashes Array of `count` hashes (from srd_hash_key()); NULL only if
/// `count` is 0. Only read during the call (rule B1 in @ref conventions).
/// @param count Number of hashes.
/// @param out Output array with room for `count` results; NULL only if `count`
/// is 0. Written only when the call returns `SRD_OK`.
/// @return `SRD_OK` when every key was looked up, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, or `key_hashes` or `out` is
/// NULL with a non-zero `count` or not aligned for its type, or `count` is
/// larger than any array.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: rule L1, as srd_read(). Threads: as srd_read().
/// @ingroup reads
///
/// # Safety
/// `key_hashes` points to `count` hashes; `out` to `count` writable slots.
#[no_mangle]
pub unsafe extern "C" fn srd_read_batch_with_hash(
    store: *const srd_store,
    key_hashes: *const u64,
    count: usize,
    out: *mut srd_read_result,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let hashes = unsafe { input_array(key_hashes, count, "key_hashes") }?;
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { fill_batch(s, hashes, out) }
    })
}

/// @brief Returns the newest live value: the one written last (largest offset
/// in the file) whose key was not overwritten or deleted since.
///
/// @param store The store; not NULL.
/// @param out_key_hash Output, not NULL: the value's key hash.
/// @param out_value Output, not NULL: the value, borrowed (rule L1 in @ref
/// conventions).
/// @param out_len Output, not NULL: the value's length.
/// @return `SRD_OK` on success (outputs written only then), or:
/// @retval SRD_NOT_FOUND the store has no live value.
/// @retval SRD_INVALID_ARGUMENT `store` or an output is NULL.
/// @retval SRD_CORRUPT the value fails its checksum, or an entry on the way is
/// malformed.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: rule L1, as srd_read(). Threads: as srd_read() (rule T1).
/// @ingroup reads
///
/// # Safety
/// `store` as for `srd_close`; outputs writable.
#[no_mangle]
pub unsafe extern "C" fn srd_read_last(
    store: *const srd_store,
    out_key_hash: *mut u64,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        require_out(out_key_hash, "out_key_hash")?;
        require_out(out_value, "out_value")?;
        require_out(out_len, "out_len")?;
        let (h, p, n) = s
            .read_last_with(|h, v| (h, v.as_ptr(), v.len()))?
            .ok_or_else(|| Failure::fixed(srd_status::SRD_NOT_FOUND, c"store has no live value"))?;
        // SAFETY: outputs non-NULL and writable per contract.
        unsafe {
            *out_key_hash = h;
            *out_value = p;
            *out_len = n;
        }
        Ok(())
    })
}
