//! Stores opened over memory: nested stores, read-only and zero-copy.

use super::args::require_out;
use super::entry::srd_entry;
use super::error::{guard, srd_status, Failure};
use super::handle::Handle;
use super::store::srd_store;
use crate::os::mapping::MemorySource;
use crate::store::Store;
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

/// Opens a store file that is held in memory (for example one stored as a
/// value in another store), read-only and without copying: reads return
/// pointers into `data`. The bytes are validated like a file at `srd_open`
/// (a torn tail is ignored, a broken chain gives `SRD_CORRUPT`). Writes give
/// `SRD_READ_ONLY`. If `data` is 64-byte aligned, so is every value.
///
/// Lifetime: `data` must stay valid and unchanged until `srd_close` on the
/// new store AND until every entry and iterator obtained from it is freed.
/// Prefer `srd_open_entry` to open a value of another store: it keeps the
/// bytes alive by itself.
/// Ownership: on success `*out_store` receives a handle for `srd_close`.
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

/// Opens, read-only and in place, the store file kept as the value of a
/// pinned entry (a nested store): no bytes are copied, and the new store
/// keeps the value alive by itself, so `entry` may be freed at once. Nested
/// stores can be nested again. Errors as `srd_open_bytes`.
///
/// Ownership: on success `*out_store` receives a handle for `srd_close`.
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
