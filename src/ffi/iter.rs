//! Iteration over live entries from C.

use super::args::require_out;
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use super::store::srd_store;
use crate::ops::iter::Iter;

/// @brief An iterator over the live entries of a store (opaque handle), from
/// srd_iter_new() or srd_iter_new_part().
///
/// A snapshot as of that call, in file order (oldest first): later writes,
/// deletes and compactions neither appear in it nor disturb it. Owned by the
/// caller and released with srd_iter_free() (rule B4 in @ref conventions); the
/// value pointers it returns stay valid until then, even after srd_compact() or
/// srd_close() on the store (rule L3).
///
/// Threads: use an iterator from one thread at a time; several iterators (e.g.
/// one per part) may run in parallel (rule T3).
/// @ingroup iteration
pub struct srd_iter {
    inner: Iter,
}

impl_handle!(srd_iter, Iter, "iter");

/// # Safety
/// `out_iter` NULL or writable.
unsafe fn make(
    store: *const srd_store,
    part: u32,
    parts: u32,
    out_iter: *mut *mut srd_iter,
) -> Result<(), Failure> {
    // SAFETY: forwarded caller contract.
    let s = unsafe { srd_store::borrow(store) }?;
    require_out(out_iter, "out_iter")?;
    let iter = s.iter_part(part, parts)?;
    let handle = srd_iter::into_raw(iter);
    // SAFETY: non-NULL and writable per contract.
    unsafe { *out_iter = handle };
    Ok(())
}

/// @brief Starts iterating over every live entry.
///
/// Costs time and memory in proportion to the live entries (not to everything
/// ever written).
///
/// @param store The store; not NULL.
/// @param out_iter Output, not NULL: on success a new iterator, owned by the
/// caller, to release with srd_iter_free() (rule B4 in @ref conventions).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_iter` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_read() (rule T1).
/// @ingroup iteration
///
/// # Safety
/// `store` as for `srd_close`; `out_iter` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_iter_new(
    store: *const srd_store,
    out_iter: *mut *mut srd_iter,
) -> srd_status {
    // SAFETY: the caller's contract.
    guard(|| unsafe { make(store, 0, 1, out_iter) })
}

/// @brief Starts iterating over part `part` of `parts` of the live entries, for
/// parallel scans.
///
/// The parts split the entries by key hash, so each live entry is in exactly one
/// part.
///
/// @param store The store; not NULL.
/// @param part Which part: less than `parts`.
/// @param parts How many parts: at least 1.
/// @param out_iter Output, not NULL: on success a new iterator for
/// srd_iter_free() (rule B4 in @ref conventions).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_iter` is NULL, `parts` is 0 or
/// `part` is not below `parts`.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: as srd_read(); iterators of different parts may run in parallel
/// (rule T3).
/// @ingroup iteration
///
/// # Safety
/// As `srd_iter_new`.
#[no_mangle]
pub unsafe extern "C" fn srd_iter_new_part(
    store: *const srd_store,
    part: u32,
    parts: u32,
    out_iter: *mut *mut srd_iter,
) -> srd_status {
    // SAFETY: the caller's contract.
    guard(|| unsafe { make(store, part, parts, out_iter) })
}

/// @brief Moves to the next entry and returns its key hash and value.
///
/// @param iter The iterator; not NULL.
/// @param out_key_hash Output, not NULL: the entry's key hash.
/// @param out_value Output, not NULL: the value, 64-byte aligned and read-only
/// (rule L6 in @ref conventions).
/// @param out_len Output, not NULL: the value's length.
/// @return `SRD_OK` with the next entry (outputs are written only then), or:
/// @retval SRD_NOT_FOUND there are no more entries.
/// @retval SRD_CORRUPT a value fails its checksum or an entry is malformed; the
/// iterator has moved past it, so keep calling.
/// @retval SRD_INVALID_ARGUMENT `iter` or an output is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: the value stays valid until srd_iter_free() (rule L3), not only
/// until the next call.
/// Threads: one thread at a time per iterator (rule T3).
/// @ingroup iteration
///
/// # Safety
/// `iter` NULL or a live iterator; outputs writable.
#[no_mangle]
pub unsafe extern "C" fn srd_iter_next(
    iter: *mut srd_iter,
    out_key_hash: *mut u64,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: NULL or a live iterator per contract, used by one thread
        // at a time.
        let it = unsafe { srd_iter::borrow_mut(iter) }?;
        require_out(out_key_hash, "out_key_hash")?;
        require_out(out_value, "out_value")?;
        require_out(out_len, "out_len")?;
        match it.next() {
            None => Err(Failure::fixed(
                srd_status::SRD_NOT_FOUND,
                c"no more entries",
            )),
            Some(Err(e)) => Err(e.into()),
            Some(Ok((h, v))) => {
                // SAFETY: outputs non-NULL and writable per contract.
                unsafe {
                    *out_key_hash = h;
                    *out_value = v.as_ptr();
                    *out_len = v.len();
                }
                Ok(())
            }
        }
    })
}

/// @brief Releases an iterator.
///
/// @param iter The iterator, or NULL (a no-op). It must not be used after the
/// call (rule B4 in @ref conventions).
///
/// Lifetime: the value pointers it returned become invalid (rule L3).
/// Threads: no other thread may be using it (rule T3).
/// @ingroup iteration
///
/// # Safety
/// `iter` NULL or a live iterator, not used after this call.
#[no_mangle]
pub unsafe extern "C" fn srd_iter_free(iter: *mut srd_iter) {
    guard_value((), || {
        // SAFETY: NULL or a live iterator, and the caller gives it up.
        unsafe { srd_iter::free(iter) }
    })
}
