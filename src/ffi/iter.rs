//! Iteration over live entries from C.

use super::error::{guard, guard_value, srd_status, Failure};
use super::require_out;
use super::store::{srd_store, store_ref};
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
    iter: Iter,
}

/// # Safety
/// `out_iter` NULL or writable.
unsafe fn make(
    store: *const srd_store,
    part: u32,
    parts: u32,
    out_iter: *mut *mut srd_iter,
) -> Result<(), Failure> {
    // SAFETY: forwarded caller contract.
    let s = unsafe { store_ref(store) }?;
    require_out(out_iter, "out_iter")?;
    let iter = s.iter_part(part, parts)?;
    let handle = Box::into_raw(Box::new(srd_iter { iter }));
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
        if iter.is_null() {
            return Err(Failure::invalid("iter is NULL"));
        }
        require_out(out_key_hash, "out_key_hash")?;
        require_out(out_value, "out_value")?;
        require_out(out_len, "out_len")?;
        // SAFETY: a live iterator per contract, used by one thread at a time.
        let it = unsafe { &mut *iter };
        match it.iter.next() {
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
        if !iter.is_null() {
            // SAFETY: created by Box::into_raw in make; the caller gives it up.
            drop(unsafe { Box::from_raw(iter) });
        }
    })
}
