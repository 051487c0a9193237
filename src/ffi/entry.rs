//! Pinned entries: values that outlive compaction and the store handle.

use super::args::require_out;
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use crate::engine::Entry;

/// @brief A pinned value (opaque handle), from srd_read_entry() or
/// srd_read_entry_with_hash().
///
/// Owned by the caller and released with srd_entry_free() (rule B4 in @ref
/// conventions). Its bytes stay mapped and unchanged until then, even after
/// srd_compact() or srd_close() on the store it came from (rule L2).
///
/// Threads: an entry may be read from several threads at once; free it once,
/// when no thread uses it (rule T3).
/// @ingroup entries
pub struct srd_entry {
    inner: Entry,
}

impl_handle!(srd_entry, Entry, "entry");

/// @brief Returns the entry's value and its length.
///
/// @param entry The entry, or NULL (then NULL is returned and 0 written).
/// @param out_len Output, or NULL if not wanted: the value's length.
/// @return The value's first byte, 64-byte aligned and read-only (rule L6 in
/// @ref conventions); NULL for a NULL entry. Never free it.
///
/// Lifetime: until srd_entry_free(entry) (rule L2).
/// Threads: any thread (rule T3).
/// @ingroup entries
///
/// # Safety
/// `entry` must be NULL or a live entry from `srd_read_entry`; `out_len` NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_data(entry: *const srd_entry, out_len: *mut usize) -> *const u8 {
    guard_value(std::ptr::null(), || {
        // SAFETY: NULL or a live entry, per the contract.
        let (ptr, len) = match unsafe { srd_entry::try_borrow(entry) } {
            None => (std::ptr::null(), 0),
            Some(e) => (e.data().as_ptr(), e.data().len()),
        };
        if !out_len.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { *out_len = len };
        }
        ptr
    })
}

/// @brief Releases a pinned entry.
///
/// @param entry The entry, or NULL (a no-op). It must not be used after the
/// call (rule B4 in @ref conventions).
///
/// Lifetime: the pointer from srd_entry_data() becomes invalid (rule L2).
/// Threads: no other thread may be using the entry (rule T3).
/// @ingroup entries
///
/// # Safety
/// `entry` must be NULL or a live entry from `srd_read_entry`, not freed
/// before and not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_free(entry: *mut srd_entry) {
    guard_value((), || {
        // SAFETY: NULL or a live entry, and the caller gives up all use of
        // it (the contract above).
        unsafe { srd_entry::free(entry) }
    })
}

/// @brief Copies up to `cap` bytes of the entry's value, starting `offset`
/// bytes into it, into `buf`: for callers that cannot hold pointers.
///
/// @param entry The entry; not NULL.
/// @param offset Where to start, in bytes from the value's start; equal to the
/// value's length copies nothing.
/// @param buf Caller memory with room for `cap` bytes; NULL only if `cap` is 0.
/// @param cap Room in `buf`, in bytes.
/// @param out_n Output, not NULL: the number of bytes copied.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `entry` or `out_n` is NULL, `buf` is NULL with
/// a non-zero `cap`, or `offset` is beyond the value's length.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T3 in @ref conventions).
/// @ingroup entries
///
/// # Safety
/// `entry` NULL or live; `buf` writable for `cap` bytes; `out_n` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_read_at(
    entry: *const srd_entry,
    offset: u64,
    buf: *mut u8,
    cap: usize,
    out_n: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { srd_entry::borrow(entry) }?;
        require_out(out_n, "out_n")?;
        if buf.is_null() && cap != 0 {
            return Err(Failure::invalid(format!("buf is NULL but cap is {cap}")));
        }
        let data = e.data();
        let len = data.len() as u64;
        if offset > len {
            return Err(Failure::invalid(format!(
                "offset {offset} is beyond the value's {len} bytes"
            )));
        }
        let from = &data[offset as usize..];
        let n = from.len().min(cap);
        if n > 0 {
            // SAFETY: buf is writable for cap >= n bytes; the value is in the
            // mapping, which cannot overlap caller memory handed in as buf.
            unsafe { std::ptr::copy_nonoverlapping(from.as_ptr(), buf, n) };
        }
        // SAFETY: non-NULL and writable per contract.
        unsafe { *out_n = n };
        Ok(())
    })
}

/// @brief Gives the entry's stored key hash (XXH3-64 of the key).
///
/// @param entry The entry; not NULL.
/// @param out_key_hash Output, not NULL: the key hash.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `entry` or `out_key_hash` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T3 in @ref conventions).
/// @ingroup entries
///
/// # Safety
/// `entry` NULL or live; output writable.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_key_hash(
    entry: *const srd_entry,
    out_key_hash: *mut u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { srd_entry::borrow(entry) }?;
        require_out(out_key_hash, "out_key_hash")?;
        // SAFETY: not NULL (refused above), writable by the caller's contract.
        unsafe { *out_key_hash = e.key_hash() };
        Ok(())
    })
}

/// @brief Gives the entry's stored CRC-32 (of its value).
///
/// @param entry The entry; not NULL.
/// @param out_crc32 Output, not NULL: the stored checksum.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `entry` or `out_crc32` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T3 in @ref conventions).
/// @ingroup entries
///
/// # Safety
/// `entry` NULL or live; output writable.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_checksum(
    entry: *const srd_entry,
    out_crc32: *mut u32,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { srd_entry::borrow(entry) }?;
        require_out(out_crc32, "out_crc32")?;
        // SAFETY: not NULL (refused above), writable by the caller's contract.
        unsafe { *out_crc32 = e.checksum() };
        Ok(())
    })
}

/// @brief Gives the file offset where the entry's value starts (a multiple of
/// 64).
///
/// @param entry The entry; not NULL.
/// @param out_offset Output, not NULL: the offset in bytes.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `entry` or `out_offset` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T3 in @ref conventions).
/// @ingroup entries
///
/// # Safety
/// `entry` NULL or live; output writable.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_offset(
    entry: *const srd_entry,
    out_offset: *mut u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { srd_entry::borrow(entry) }?;
        require_out(out_offset, "out_offset")?;
        // SAFETY: not NULL (refused above), writable by the caller's contract.
        unsafe { *out_offset = e.offset() };
        Ok(())
    })
}

/// @brief Recomputes the CRC-32 of the entry's value now and compares it with
/// the stored checksum.
///
/// @param entry The entry; not NULL.
/// @return `SRD_OK` if it matches, or:
/// @retval SRD_CORRUPT it does not.
/// @retval SRD_INVALID_ARGUMENT `entry` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T3 in @ref conventions).
/// @ingroup entries
///
/// # Safety
/// `entry` NULL or live.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_verify(entry: *const srd_entry) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let e = unsafe { srd_entry::borrow(entry) }?;
        if e.verify() {
            Ok(())
        } else {
            Err(Failure::new(
                srd_status::SRD_CORRUPT,
                format!("checksum mismatch in the value at offset {}", e.offset()),
            ))
        }
    })
}
