//! Checks of the arguments C passes in: byte buffers, arrays, keys and
//! output pointers. Each failure is `SRD_INVALID_ARGUMENT` with a message
//! naming the parameter; the failing paths are kept out of line so the
//! callers' fast paths stay small.

use super::error::Failure;

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
    check_array(ptr, count, what)?;
    // SAFETY: non-NULL, aligned, size within isize::MAX, and initialized per
    // the caller's contract stated above.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// The checks of an array of `count` (non-zero) `T`s at `ptr`: non-NULL,
/// its size within `isize::MAX`, aligned for `T`.
fn check_array<T>(ptr: *const T, count: usize, what: &str) -> Result<(), Failure> {
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
    Ok(())
}

/// Borrows the caller's output array of `count` `T`s, to be written (NULL
/// allowed when `count` is 0), with the checks of [`input_array`]. Its
/// elements may be uninitialized: they are only written.
///
/// # Safety
/// If `count` is non-zero, `ptr` must point to `count` writable `T`s that
/// stay valid, and that nothing else accesses, for the duration of the call.
pub(crate) unsafe fn output_array<'a, T>(
    ptr: *mut T,
    count: usize,
    what: &str,
) -> Result<&'a mut [std::mem::MaybeUninit<T>], Failure> {
    if count == 0 {
        return Ok(&mut []);
    }
    check_array(ptr.cast_const(), count, what)?;
    // SAFETY: non-NULL, aligned, size within isize::MAX, writable and
    // unaliased per the caller's contract stated above; `MaybeUninit`
    // accepts whatever the memory holds.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr.cast(), count) })
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

/// Borrows a key: as [`input`], and an empty key fails.
///
/// # Safety
/// As for [`input`]; the key must be readable for `key_len` bytes.
#[inline]
pub(crate) unsafe fn key_arg<'a>(key: *const u8, key_len: usize) -> Result<&'a [u8], Failure> {
    if key_len == 0 {
        return Err(empty_key());
    }
    // SAFETY: forwarded caller contract.
    unsafe { input(key, key_len, "key") }
}

#[cold]
#[inline(never)]
fn empty_key() -> Failure {
    Failure::invalid("key is empty (key_len is 0)")
}

/// Prefixes the failure of one item of a batch with `what` and its index,
/// e.g. "batch item 3: key is NULL but key_len is 5".
#[cold]
#[inline(never)]
pub(crate) fn in_batch(what: &str, i: usize, f: Failure) -> Failure {
    Failure::invalid(format!("{what} {i}: {}", message_of(&f)))
}

/// The message of an invalid-argument failure without its prefix.
fn message_of(f: &Failure) -> String {
    f.text()
        .trim_start_matches("invalid argument: ")
        .to_string()
}

/// Borrows a NUL-terminated path from the caller; fails if it is NULL or
/// empty.
///
/// # Safety
/// `p` NULL or NUL-terminated, valid for the duration of the call.
pub(crate) unsafe fn path_arg<'a>(
    p: *const std::ffi::c_char,
    what: &str,
) -> Result<&'a std::path::Path, Failure> {
    use std::os::unix::ffi::OsStrExt;
    if p.is_null() {
        return Err(Failure::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per contract.
    let b = unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes();
    if b.is_empty() {
        return Err(Failure::invalid(format!("{what} is empty")));
    }
    Ok(std::path::Path::new(std::ffi::OsStr::from_bytes(b)))
}
