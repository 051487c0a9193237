//! Key hashing from C: prehashed keys and namespaces.

use super::args::{input, require_out};
use super::error::{guard, srd_status, Failure};
use crate::format;

/// @brief Length in bytes of a key made by srd_namespace_key().
/// @ingroup keys
pub const SRD_NAMESPACE_KEY_LEN: usize = 16;
const _: () = assert!(SRD_NAMESPACE_KEY_LEN == format::NAMESPACE_KEY_LEN);

/// @brief Gives the 64-bit hash under which `key` is stored, for the
/// `_with_hash` functions.
///
/// The hash is XXH3-64 with seed 0, identical to the Rust crate `simd-r-drive`
/// (rule B3 in @ref conventions). An empty key is hashed too (although the store
/// rejects empty keys). Returns a status rather than the hash so that a NULL key
/// with a non-zero length is reported, not hashed.
///
/// @param key The key's bytes; NULL only if `key_len` is 0. Only read during
/// the call (rule B1).
/// @param key_len Length of `key`; may be 0.
/// @param out_hash Output, not NULL: the hash.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `key` is NULL with a non-zero length, or
/// `out_hash` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread; no store needed (rule T4).
/// @ingroup keys
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

/// @brief Makes the `SRD_NAMESPACE_KEY_LEN` (16) bytes that name `key` inside
/// the namespace `prefix`.
///
/// They are the little-endian XXH3-64 of the prefix, then that of the key: the
/// same bytes as the Rust crate's `NamespaceHasher::namespace`. Use them as an
/// ordinary key.
///
/// @param prefix The namespace's bytes; not NULL, not empty. Only read during
/// the call (rule B1 in @ref conventions).
/// @param prefix_len Length of `prefix`: at least 1.
/// @param key The key's bytes; NULL only if `key_len` is 0. Only read during
/// the call.
/// @param key_len Length of `key`; may be 0.
/// @param out_key Output, not NULL: caller memory with room for 16 bytes.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT a NULL pointer with a non-zero length, an empty
/// prefix, or a NULL `out_key`.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T4).
/// @ingroup keys
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
