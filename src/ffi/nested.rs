//! Stores opened over memory: nested stores, read-only and zero-copy.

use super::args::require_out;
use super::entry::srd_entry;
use super::error::{guard, srd_status, Failure};
use super::handle::Handle;
use super::store::srd_store;
use crate::engine::Store;
use crate::os::mapping::MemorySource;
use std::sync::Arc;

/// A caller's buffer, borrowed for as long as the store opened over it lives.
struct CallerBytes {
    ptr: *const u8,
    len: usize,
}

// SAFETY: the caller of srd_open_bytes promises that the buffer stays valid
// and unchanged while the store (and anything obtained from it) lives; the
// library only reads it, from any thread.
unsafe impl Send for CallerBytes {}
// SAFETY: as above; shared reads of immutable bytes.
unsafe impl Sync for CallerBytes {}

impl AsRef<[u8]> for CallerBytes {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: non-NULL (checked in srd_open_bytes), len <= isize::MAX, and
        // valid and unchanged for the store's life per the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// @brief Opens a store file held in memory (for example one stored as a value
/// in another store), read-only and without copying.
///
/// Reads return pointers into `data`. The bytes are validated like a file at
/// srd_open() (a torn tail is ignored). Writes give `SRD_READ_ONLY`. If `data`
/// is 64-byte aligned, so is every value. Prefer srd_open_entry() to open a
/// value of another store: it keeps the bytes alive by itself.
///
/// @param data The store file's bytes; NULL only if `len` is 0.
/// @param len Length of `data` in bytes.
/// @param out_store Output, not NULL: on success a new handle, owned by the
/// caller, to release with srd_close() (rule B4 in @ref conventions).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `out_store` is NULL, `data` is NULL with a
/// non-zero `len`, or `len` is larger than any object.
/// @retval SRD_CORRUPT the bytes are not a store, or their chain is broken in
/// the middle.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: rule L5: `data` must stay valid and unchanged until srd_close() on
/// the new store AND until every entry and iterator obtained from it is freed.
/// Threads: the new handle as any store (rule T1).
/// @ingroup nested
///
/// # Safety
/// `data` readable for `len` bytes for the lifetime stated above;
/// `out_store` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_open_bytes(
    data: *const u8,
    len: usize,
    out_store: *mut *mut srd_store,
) -> srd_status {
    guard(|| {
        require_out(out_store, "out_store")?;
        if data.is_null() && len != 0 {
            return Err(Failure::invalid(format!("data is NULL but len is {len}")));
        }
        if len > isize::MAX as usize {
            return Err(Failure::invalid(format!(
                "len {len} is larger than any object"
            )));
        }
        let source: MemorySource = Arc::new(CallerBytes { ptr: data, len });
        let store = Store::open_memory(source, &format!("<{len} bytes at {data:p}>"))?;
        // SAFETY: out_store is non-NULL and writable per contract.
        unsafe { *out_store = srd_store::into_raw(store) };
        Ok(())
    })
}

/// @brief Opens, read-only and in place, the store file kept as the value of a
/// pinned entry (a nested store).
///
/// No bytes are copied, and the new store keeps the value alive by itself, so
/// `entry` may be freed at once (rule L5). Nested stores can be nested again.
///
/// @param entry The entry; not NULL.
/// @param out_store Output, not NULL: on success a new handle, owned by the
/// caller, to release with srd_close() (rule B4 in @ref conventions).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `entry` or `out_store` is NULL.
/// @retval SRD_CORRUPT the value is not a store, or its chain is broken in the
/// middle.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: the new handle as any store (rule T1).
/// @ingroup nested
///
/// # Safety
/// `entry` NULL or a live entry; `out_store` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_open_entry(
    entry: *const srd_entry,
    out_store: *mut *mut srd_store,
) -> srd_status {
    guard(|| {
        // SAFETY: NULL or a live entry per contract.
        let e = unsafe { srd_entry::borrow(entry) }?;
        require_out(out_store, "out_store")?;
        let store = Store::open_entry(e)?;
        // SAFETY: out_store is non-NULL and writable per contract.
        unsafe { *out_store = srd_store::into_raw(store) };
        Ok(())
    })
}
