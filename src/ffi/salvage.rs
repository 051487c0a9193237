//! Salvaging a damaged store from C.

use super::args::{path_arg, require_out};
use super::error::{guard, srd_status};
use std::ffi::c_char;

/// @brief What srd_salvage() recovered and lost.
///
/// Plain data, written by the library into caller memory.
/// @ingroup salvage
#[repr(C)]
pub struct srd_salvage_report {
    /// Size of the damaged file, in bytes.
    pub source_size: u64,
    /// Intact entries found (all versions and tombstones).
    pub entries_recovered: u64,
    /// Live values written to the new store.
    pub live_keys_written: u64,
    /// Damaged stretches of the file that were skipped.
    pub damaged_regions: u64,
    /// Bytes in those stretches: the entries there are lost.
    pub bytes_lost: u64,
    /// Offset of the first damaged stretch; `UINT64_MAX` if none.
    pub first_damage_offset: u64,
}

/// @brief Copies every intact entry of the (possibly damaged) store file
/// `src_path` into a new store at `dst_path`.
///
/// The source is only read, never modified. After a damaged stretch the scan
/// resumes at the next metadata whose link and checksum agree; the newest intact
/// version of each key is kept, and keys whose newest intact entry is a
/// tombstone stay deleted. The new store is synced before the call returns. Use
/// this when srd_open() refuses a file with `SRD_CORRUPT`; do not run it on a
/// store that is open for writing.
///
/// @param src_path The damaged store file, NUL-terminated; not NULL, not empty.
/// Only read during the call (rule B1 in @ref conventions).
/// @param dst_path The new store file, NUL-terminated; not NULL, not empty, and
/// must not exist (it is created exclusively, never through a symbolic link:
/// a file that appears there meanwhile is never written to). If the call
/// fails after creating it, it is removed, so the call can be retried.
/// @param out_report Output, not NULL: what was recovered and what was lost;
/// written only on success.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT a path is NULL or empty, `out_report` is NULL,
/// `dst_path` exists, or `src_path` is not a regular file.
/// @retval SRD_NOT_FOUND `src_path` does not exist.
/// @retval SRD_IO reading the source or writing the new store failed.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread; no store handle needed (rule T4).
/// @ingroup salvage
///
/// # Safety
/// Paths NULL or NUL-terminated; `out_report` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_salvage(
    src_path: *const c_char,
    dst_path: *const c_char,
    out_report: *mut srd_salvage_report,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let src = unsafe { path_arg(src_path, "src_path") }?;
        // SAFETY: the caller's contract (# Safety above): NULL or a
        // NUL-terminated string, read during the call only.
        let dst = unsafe { path_arg(dst_path, "dst_path") }?;
        require_out(out_report, "out_report")?;
        let r = crate::ops::salvage::salvage(src, dst)?;
        // SAFETY: non-NULL and writable per contract.
        unsafe {
            *out_report = srd_salvage_report {
                source_size: r.source_size,
                entries_recovered: r.entries_recovered,
                live_keys_written: r.live_keys_written,
                damaged_regions: r.damaged_regions,
                bytes_lost: r.bytes_lost,
                first_damage_offset: r.first_damage_offset.unwrap_or(u64::MAX),
            }
        };
        Ok(())
    })
}
