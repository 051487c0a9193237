//! Reading from C: single keys, pinned entries, batches and prehashed keys.

use super::args::{in_batch, input_array, key_arg, require_out};
use super::entry::srd_entry;
use super::error::{guard, srd_status, Failure};
use super::handle::Handle;
use super::store::srd_store;
use super::write::srd_key;
use crate::format;
use crate::store::Store;

/// The failure for a key without a live value.
pub(crate) fn not_found() -> Failure {
    Failure::fixed(srd_status::SRD_NOT_FOUND, c"key not found")
}

/// Looks up `key` and returns its value without copying: `*out_value`
/// receives a pointer into the store's memory map (64-byte aligned) and
/// `*out_len` its length (at least 1). `SRD_NOT_FOUND` if the key is absent
/// or deleted; `SRD_CORRUPT` if the value fails its checksum (checked on the
/// first read of each value unless `SRD_OPEN_NO_VERIFY`).
///
/// Lifetime: the pointer is borrowed from the store. Its bytes stay valid and
/// unchanged until `srd_compact` or `srd_close` is called on this store, even
/// if the key is later overwritten or deleted and the file grows. A thread
/// that may run concurrently with `srd_compact` must use `srd_read_entry`.
/// Never write through or free the pointer.
/// Thread-safety: any number of threads may read at once, while others write.
/// Outputs are written only on success. This call does not allocate.
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

/// Looks up `key` and returns a pinned entry: a handle to the value that stays
/// valid, with unchanged bytes, until `srd_entry_free`, even across
/// `srd_compact` and `srd_close`. Use `srd_entry_data` to get the bytes.
/// Errors as for `srd_read`.
///
/// Ownership: on success `*out_entry` receives a new entry the caller owns and
/// must release with `srd_entry_free`; not written on failure.
/// Thread-safety: as `srd_read`; the entry itself may be read from any thread.
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

/// Tells whether `key` has a live value: `SRD_OK` if it does,
/// `SRD_NOT_FOUND` if not, or an error code for bad arguments. Does not check
/// the value's checksum. Thread-safety: as `srd_read`.
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

/// As `srd_read`, for the key with hash `key_hash` (same lifetime rules for
/// the returned pointer).
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

/// As `srd_read_entry`, for the key with hash `key_hash`.
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

/// As `srd_exists`, for the key with hash `key_hash`.
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

/// One result of `srd_read_batch`: the value (borrowed, as from `srd_read`)
/// and the key's own status (`SRD_OK`, `SRD_NOT_FOUND` or `SRD_CORRUPT`).
/// `value` is NULL and `value_len` 0 unless `status` is `SRD_OK`.
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
    require_out(out, "out")?;
    // SAFETY: the caller provides `hashes.len()` writable slots at `out`.
    let slots = unsafe { std::slice::from_raw_parts_mut(out, hashes.len()) };
    s.read_batch_with(hashes, |i, r| {
        slots[i] = match r {
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
        };
    });
    Ok(())
}

/// Looks up `count` keys under one consistent view (no write lands between
/// two of them) and fills `out[i]` for `keys[i]`. Returns `SRD_OK` when every
/// key was looked up, whatever each one's own status; an invalid key (NULL
/// with a length, or empty) fails the whole call before anything is written
/// to `out`. The pointers are borrowed exactly like those of `srd_read`.
///
/// Ownership: `keys` is only read during the call; `out` must have room for
/// `count` results. Thread-safety: as `srd_read`.
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

/// As `srd_read_batch`, for `count` key hashes.
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

/// Returns the newest live value: the one written last (largest offset in
/// the file) whose key was not overwritten or deleted since. `SRD_NOT_FOUND`
/// if the store has no live value. The pointer is borrowed as for `srd_read`.
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
