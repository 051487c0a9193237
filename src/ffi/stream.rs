//! Streaming writes from C.

use super::args::{input, key_arg, require_out};
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use super::store::srd_store;
use crate::format;
use crate::ops::stream::Stream;

/// An open streaming write (opaque), from `srd_stream_begin`. Finished by
/// exactly one call of `srd_stream_commit` or `srd_stream_abort`, which free
/// it.
///
/// While it is open the stream owns the store's writer: writes, deletes,
/// compactions and other streams from other threads wait until it ends; from
/// the thread that began it they fail with `SRD_BUSY` instead of waiting for
/// themselves. Readers are never blocked and see nothing of the value before
/// the commit. A stream may be written and finished from any thread, one at a
/// time. It keeps its store alive: finish it before or after `srd_close`,
/// but finish it.
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

/// Begins a streaming write of the value of `key`, for values too large to
/// hold in memory. Write the bytes with `srd_stream_write`, then publish them
/// with `srd_stream_commit` (or discard them with `srd_stream_abort`).
///
/// Errors: as `srd_write` for the store and key; `SRD_BUSY` if this thread
/// already has a stream open on the store. Waits while another thread's
/// stream is open.
/// Ownership: on success `*out_stream` receives a stream the caller must
/// finish with `srd_stream_commit` or `srd_stream_abort`.
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

/// As `srd_stream_begin`, for the key with hash `key_hash`.
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

/// Appends `len` bytes to the stream's value (`len` 0 is a no-op). The bytes
/// go to the file now but stay invisible until the commit. After a failure
/// (`SRD_IO`, e.g. disk full) the stream is poisoned: later writes and the
/// commit fail and the store is rolled back; the stream must still be
/// finished.
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

/// Publishes the streamed value under its key and frees the stream, whatever
/// the outcome. On failure nothing is stored and the store is exactly as it
/// was before `srd_stream_begin`: an empty value or a single 0x00 byte gives
/// `SRD_INVALID_ARGUMENT`, an earlier failed write or a failed metadata write
/// `SRD_IO`. With `SRD_OPEN_SYNC` the value is durable when this returns (see
/// `SRD_OPEN_SYNC` for a failing `fdatasync`).
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

/// Discards the stream and frees it: the store is left exactly as it was
/// before `srd_stream_begin`, and waiting writers proceed. NULL is a no-op.
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
