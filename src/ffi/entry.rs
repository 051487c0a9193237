//! Pinned entries: values that outlive compaction and the store handle.

use super::error::guard_value;
use crate::store::Entry;

/// A pinned value (opaque), from `srd_read_entry`. Its bytes stay mapped and
/// unchanged until `srd_entry_free`, even after `srd_compact` or `srd_close`
/// on the store it came from.
///
/// Thread-safety: an entry may be read from several threads at once; free it
/// once, when no thread uses it any more.
pub struct srd_entry {
    entry: Entry,
}

impl srd_entry {
    pub(crate) fn into_raw(entry: Entry) -> *mut srd_entry {
        Box::into_raw(Box::new(srd_entry { entry }))
    }
}

/// Returns a pointer to the entry's value (64-byte aligned) and writes its
/// length to `*out_len` (if `out_len` is not NULL). For a NULL entry returns
/// NULL and writes 0.
///
/// Lifetime: the pointer is valid until `srd_entry_free(entry)`. Never write
/// through or free it. Thread-safety: may be called from any thread.
///
/// # Safety
/// `entry` must be NULL or a live entry from `srd_read_entry`; `out_len` NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_data(entry: *const srd_entry, out_len: *mut usize) -> *const u8 {
    guard_value(std::ptr::null(), || {
        let (ptr, len) = if entry.is_null() {
            (std::ptr::null(), 0)
        } else {
            // SAFETY: a live entry created by into_raw, per the contract.
            let data = unsafe { &*entry }.entry.data();
            (data.as_ptr(), data.len())
        };
        if !out_len.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { *out_len = len };
        }
        ptr
    })
}

/// Releases a pinned entry. NULL is a no-op. After this call the pointer from
/// `srd_entry_data` is invalid.
///
/// # Safety
/// `entry` must be NULL or a live entry from `srd_read_entry`, not freed
/// before and not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_free(entry: *mut srd_entry) {
    guard_value((), || {
        if !entry.is_null() {
            // SAFETY: created by Box::into_raw in into_raw; the caller gives
            // up all use of it.
            drop(unsafe { Box::from_raw(entry) });
        }
    })
}
