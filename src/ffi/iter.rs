//! Iteration over live entries from C.

use super::args::require_out;
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use super::store::srd_store;
use crate::ops::iter::Iter;

/// An iterator over the live entries of a store (opaque), from
/// `srd_iter_new`: a snapshot as of that call, in file order (oldest first).
/// Later writes, deletes and compactions neither appear in it nor disturb
/// it. The value pointers it returns stay valid until `srd_iter_free`, even
/// after `srd_compact` or `srd_close` on the store.
///
/// Thread-safety: use an iterator from one thread at a time; several
/// iterators (e.g. one per partition) may run in parallel.
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

/// Starts iterating over every live entry. Costs time and memory in
/// proportion to the live entries (not to everything ever written).
///
/// Ownership: on success `*out_iter` receives an iterator the caller must
/// release with `srd_iter_free`.
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

/// Starts iterating over part `part` of `parts` (`parts` >= 1, `part` <
/// `parts`) of the live entries, for parallel scans: the parts split the
/// entries by key hash, so each live entry is in exactly one part.
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

/// Moves to the next entry: `SRD_OK` with its key hash, value pointer (64-byte
/// aligned, valid until `srd_iter_free`) and length; `SRD_NOT_FOUND` when
/// there are no more; `SRD_CORRUPT` for a value that fails its checksum (the
/// iterator has moved past it, so keep calling). Outputs are written only on
/// `SRD_OK`.
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

/// Releases an iterator; NULL is a no-op. Pointers it returned become
/// invalid.
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
