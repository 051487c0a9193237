//! Streaming writes from C.

use super::args::{input, key_arg, require_out};
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use super::store::srd_store;
use crate::format;
use crate::ops::stream::Stream;

/// @brief An open streaming write (opaque handle), from srd_stream_begin().
///
/// Owned by the caller and finished by exactly one call of srd_stream_commit()
/// or srd_stream_abort(), which free it (rule B4 in @ref conventions). It keeps
/// its store alive: finish it before or after srd_close(), but finish it.
///
/// While it is open the stream owns the store's writer (rule T2): writes,
/// deletes, compactions and other streams from other threads wait until it
/// ends; from the thread that began it they fail with `SRD_BUSY`. Readers are
/// never blocked and see nothing of the value before the commit.
///
/// Threads: written and finished from any thread, one at a time (rule T3).
/// @ingroup streams
pub struct srd_stream {
    inner: Stream,
}

impl_handle!(srd_stream, Stream, "stream");

/// # Safety
/// `out_stream` NULL or writable.
unsafe fn begin(
    store: *mut srd_store,
    h: u64,
    out_stream: *mut *mut srd_stream,
) -> Result<(), Failure> {
    // SAFETY: forwarded caller contract.
    let s = unsafe { srd_store::borrow(store) }?;
    require_out(out_stream, "out_stream")?;
    let stream = s.begin_stream(h)?;
    let handle = srd_stream::into_raw(stream);
    // SAFETY: non-NULL and writable per contract.
    unsafe { *out_stream = handle };
    Ok(())
}

/// @brief Begins a streaming write of the value of `key`, for values too large
/// to hold in memory.
///
/// Write the bytes with srd_stream_write(), then publish them with
/// srd_stream_commit() (or discard them with srd_stream_abort()). Waits while
/// another thread's stream is open on the store.
///
/// @param store The store; not NULL.
/// @param key The key's bytes; not NULL, and only read during the call (rule
/// B1 in @ref conventions).
/// @param key_len Length of `key`: at least 1 (rule B2).
/// @param out_stream Output, not NULL: on success a new stream, owned by the
/// caller, to finish with srd_stream_commit() or srd_stream_abort() (rule B4).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_stream` is NULL, `key` is NULL
/// with a non-zero length, or the key is empty.
/// @retval SRD_READ_ONLY the store is read-only.
/// @retval SRD_BUSY this thread already has a stream open on the store (rule
/// T2).
/// @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
/// P1).
/// @retval SRD_IO creating the spool file or writing the padding failed.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: rule T2.
/// @ingroup streams
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for `key_len` bytes;
/// `out_stream` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_stream_begin(
    store: *mut srd_store,
    key: *const u8,
    key_len: usize,
    out_stream: *mut *mut srd_stream,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: the caller's contract (# Safety above): `store` is NULL or a
        // live handle, `out_stream` NULL or writable; `begin` checks both.
        unsafe { begin(store, format::key_hash(k), out_stream) }
    })
}

/// @brief As srd_stream_begin(), for the key with hash `key_hash`.
///
/// @param store The store; not NULL.
/// @param key_hash The key's hash, from srd_hash_key().
/// @param out_stream Output, not NULL: on success a new stream (rule B4 in @ref
/// conventions).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_stream` is NULL.
/// @retval SRD_READ_ONLY the store is read-only.
/// @retval SRD_BUSY this thread already has a stream open on the store (rule
/// T2).
/// @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
/// P1).
/// @retval SRD_IO creating the spool file or writing the padding failed.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: rule T2.
/// @ingroup streams
///
/// # Safety
/// As `srd_stream_begin`.
#[no_mangle]
pub unsafe extern "C" fn srd_stream_begin_with_hash(
    store: *mut srd_store,
    key_hash: u64,
    out_stream: *mut *mut srd_stream,
) -> srd_status {
    // SAFETY: the caller's contract.
    guard(|| unsafe { begin(store, key_hash, out_stream) })
}

/// @brief Appends `len` bytes to the stream's value.
///
/// The bytes go to the file (or the spool file) now but stay invisible until the
/// commit. After a failed write (`SRD_IO`, e.g. disk full, or the size limit)
/// the stream is poisoned: later writes and the commit fail with `SRD_IO` and
/// the store is rolled back; the stream must still be finished.
///
/// @param stream The stream; not NULL.
/// @param data The bytes; NULL only if `len` is 0. Only read during the call
/// (rule B1 in @ref conventions).
/// @param len Number of bytes; 0 writes nothing (but a poisoned stream still
/// reports its failure).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `stream` is NULL, `data` is NULL with a
/// non-zero `len`, or the value would pass the 16 TiB limit.
/// @retval SRD_IO the write failed now or earlier.
/// @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
/// P1).
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: one thread at a time per stream (rule T3).
/// @ingroup streams
///
/// # Safety
/// `stream` NULL or a live stream; `data` readable for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_stream_write(
    stream: *mut srd_stream,
    data: *const u8,
    len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: NULL or, by the caller's contract, a live stream from
        // `srd_stream_begin` that no other thread uses now.
        let st = unsafe { srd_stream::borrow_mut(stream) }?;
        // SAFETY: the caller's contract.
        let d = unsafe { input(data, len, "data") }?;
        st.write(d)?;
        Ok(())
    })
}

/// @brief Publishes the streamed value under its key and frees the stream,
/// whatever the outcome.
///
/// On failure nothing is stored and the store is as it was before
/// srd_stream_begin(). With `SRD_OPEN_SYNC` the value is durable when this
/// returns (see `SRD_OPEN_SYNC` for a failing `fdatasync`).
///
/// @param stream The stream; not NULL. It must not be used after the call
/// (rule B4 in @ref conventions).
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `stream` is NULL, the value is empty or a single
/// 0x00 byte (rule B2), or it would pass the 16 TiB limit.
/// @retval SRD_IO an earlier write failed, or writing the metadata (or, with
/// `SRD_OPEN_SYNC`, the `fdatasync`) failed.
/// @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule
/// P1).
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread, with no other use of the stream (rule T3).
/// @ingroup streams
///
/// # Safety
/// `stream` NULL or a live stream, not used after this call.
#[no_mangle]
pub unsafe extern "C" fn srd_stream_commit(stream: *mut srd_stream) -> srd_status {
    guard(|| {
        // SAFETY: NULL or a live stream from srd_stream_begin; the caller
        // gives it up.
        let st = unsafe { srd_stream::take_required(stream) }?;
        st.commit()?;
        Ok(())
    })
}

/// @brief Discards the stream and frees it.
///
/// The store is left as it was before srd_stream_begin(), and waiting writers
/// proceed.
///
/// @param stream The stream, or NULL (a no-op). It must not be used after the
/// call (rule B4 in @ref conventions).
///
/// Threads: any thread, with no other use of the stream (rule T3).
/// @ingroup streams
///
/// # Safety
/// `stream` NULL or a live stream, not used after this call.
#[no_mangle]
pub unsafe extern "C" fn srd_stream_abort(stream: *mut srd_stream) {
    guard_value((), || {
        // SAFETY: NULL or a live stream; the caller gives it up.
        if let Some(st) = unsafe { srd_stream::take(stream) } {
            st.abort();
        }
    })
}
