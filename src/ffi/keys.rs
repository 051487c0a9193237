//! Key hashing from C: prehashed keys and namespaces.

use super::args::{input, require_out};
use super::error::{guard, srd_status, Failure};
use crate::format;

/// Length in bytes of a key made by `srd_namespace_key`.
pub const SRD_NAMESPACE_KEY_LEN: usize = 16;
const _: () = assert!(SRD_NAMESPACE_KEY_LEN == format::NAMESPACE_KEY_LEN);

/// Writes the 64-bit hash under which `key` is stored (XXH3-64, seed 0,
/// identical to the Rust crate `simd-r-drive`) to `*out_hash`, for the
/// `_with_hash` functions. An empty key is hashed too (although the store
/// rejects empty keys). Returns a status rather than the hash so that a NULL
/// key with a non-zero length is reported, not hashed.
/// Thread-safety: any thread; no store needed.
///
/// # Safety
/// `key` readable for `key_len` bytes; `out_hash` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_hash_key(
    key: *const u8,
    key_len: usize,
    out_hash: *mut u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let k = unsafe { input(key, key_len, "key") }?;
        require_out(out_hash, "out_hash")?;
        // SAFETY: not NULL (refused above), writable by the caller's contract.
        unsafe { *out_hash = format::key_hash(k) };
        Ok(())
    })
}

/// Writes to `out_key` the `SRD_NAMESPACE_KEY_LEN` (16) bytes that name `key`
/// inside the namespace `prefix`: the little-endian XXH3-64 of the prefix,
/// then that of the key — the same bytes as the Rust crate's
/// `NamespaceHasher::namespace`. Use them as an ordinary key. The prefix must
/// not be empty; the key may be.
///
/// Ownership: `out_key` is caller memory with room for 16 bytes.
/// Thread-safety: any thread.
///
/// # Safety
/// `prefix` and `key` readable for their lengths; `out_key` writable for 16
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_namespace_key(
    prefix: *const u8,
    prefix_len: usize,
    key: *const u8,
    key_len: usize,
    out_key: *mut u8,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let p = unsafe { input(prefix, prefix_len, "prefix") }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { input(key, key_len, "key") }?;
        if p.is_empty() {
            return Err(Failure::invalid("prefix is empty"));
        }
        require_out(out_key, "out_key")?;
        let bytes = format::namespace_key(p, k);
        // SAFETY: out_key is writable for 16 bytes per contract.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out_key, bytes.len()) };
        Ok(())
    })
}
