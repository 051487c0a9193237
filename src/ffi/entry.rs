//! Pinned entries: values that outlive compaction and the store handle.

use super::args::require_out;
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use crate::store::Entry;

/// A pinned value (opaque), from `srd_read_entry`. Its bytes stay mapped and
/// unchanged until `srd_entry_free`, even after `srd_compact` or `srd_close`
/// on the store it came from.
///
/// Thread-safety: an entry may be read from several threads at once; free it
/// once, when no thread uses it any more.
pub struct srd_entry {
    inner: Entry,
}

impl_handle!(srd_entry, Entry, "entry");

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

/// Releases a pinned entry. NULL is a no-op. After this call the pointer from
/// `srd_entry_data` is invalid.
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

/// Copies up to `cap` bytes of the entry's value, starting `offset` bytes
/// into it, into `buf`, and writes the number copied to `*out_n`: for callers
/// that cannot hold pointers. `offset` equal to the value's length copies
/// nothing (`*out_n` = 0); beyond it gives `SRD_INVALID_ARGUMENT`.
///
/// Ownership: `buf` is caller memory. Thread-safety: any thread.
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

/// Writes the entry's stored key hash (XXH3-64 of the key) to `*out_key_hash`.
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

/// Writes the entry's stored CRC-32 (of its value) to `*out_crc32`.
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

/// Writes the file offset where the entry's value starts (a multiple of 64)
/// to `*out_offset`.
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

/// Recomputes the CRC-32 of the entry's value now: `SRD_OK` if it matches the
/// stored checksum, `SRD_CORRUPT` if not.
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
