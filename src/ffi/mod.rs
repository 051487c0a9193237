#![allow(non_camel_case_types)]

//! The C API: the only module with `extern "C"` functions and raw pointers.
//!
//! Every export validates its arguments, runs inside [`error::guard`] (so a
//! panic becomes `SRD_PANIC` instead of unwinding into C), and writes its
//! outputs only on success.

pub mod entry;
pub mod error;
pub mod iter;
pub mod keys;
pub mod nested;
pub mod salvage;
pub mod store;
pub mod stream;
pub mod transfer;
pub mod verify;
pub mod version;

use error::Failure;

/// Borrows `len` bytes at `ptr` from the caller. A zero length gives an empty
/// slice whatever the pointer; a NULL pointer with a non-zero length fails.
///
/// # Safety
/// If `ptr` is non-NULL and `len` is non-zero, `ptr` must be valid for reads
/// of `len` bytes for the duration of the call (the C caller's contract).
#[inline]
pub(crate) unsafe fn input<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() || len > isize::MAX as usize {
        return Err(bad_input(ptr, len, what));
    }
    // SAFETY: non-NULL, len <= isize::MAX, and readable per the caller's
    // contract stated above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The failure of [`input`] (kept out of the callers' fast path).
#[cold]
#[inline(never)]
fn bad_input(ptr: *const u8, len: usize, what: &str) -> Failure {
    if ptr.is_null() {
        Failure::invalid(format!("{what} is NULL but {what}_len is {len}"))
    } else {
        Failure::invalid(format!("{what}_len {len} is larger than any object"))
    }
}

/// Borrows an array of `count` `T`s from the caller (NULL allowed when
/// `count` is 0).
///
/// # Safety
/// If `count` is non-zero, `ptr` must point to `count` initialized `T`s that
/// stay valid for the duration of the call.
pub(crate) unsafe fn input_array<'a, T>(
    ptr: *const T,
    count: usize,
    what: &str,
) -> Result<&'a [T], Failure> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::invalid(format!(
            "{what} is NULL but count is {count}"
        )));
    }
    if count
        .checked_mul(std::mem::size_of::<T>())
        .is_none_or(|n| n > isize::MAX as usize)
    {
        return Err(Failure::invalid(format!(
            "count {count} is larger than any array"
        )));
    }
    if !(ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
        return Err(Failure::invalid(format!(
            "{what} is not aligned for its type"
        )));
    }
    // SAFETY: non-NULL, aligned, size within isize::MAX, and initialized per
    // the caller's contract stated above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// Fails unless the output pointer is non-NULL.
#[inline]
pub(crate) fn require_out<T>(ptr: *mut T, what: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        return Err(null_out(what));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn null_out(what: &str) -> Failure {
    Failure::invalid(format!("{what} is NULL"))
}
