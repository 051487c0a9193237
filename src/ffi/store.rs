//! Opening, closing and maintaining a store from C, and what it holds.

use super::args::require_out;
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use crate::store::{OpenOptions, Store};
use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

/// Open flag: open without the writer lock and never modify the file (a torn
/// tail is recovered in memory only). Implies `SRD_OPEN_NO_CREATE`. Writes,
/// deletes and compaction return `SRD_READ_ONLY`.
pub const SRD_OPEN_READ_ONLY: u32 = 1;
/// Open flag: fail with `SRD_NOT_FOUND` instead of creating a missing file.
pub const SRD_OPEN_NO_CREATE: u32 = 2;
/// Open flag: every write, batch, delete and stream commit is durable
/// (`fdatasync`) before the call returns. Concurrent writers share syncs
/// (group commit): when the last sync covered several writers, the next one
/// waits for them briefly (at most a quarter of the last sync's time, and
/// 500 us) so that it covers them too; a lone writer never waits. If
/// `fdatasync` itself fails, the call returns `SRD_IO`; its data stays in the
/// file (readers may already see it) but is not known to be durable, and
/// every later write through the handle returns `SRD_BROKEN` until it is
/// closed and the store reopened.
pub const SRD_OPEN_SYNC: u32 = 4;
/// Open flag: do not verify a value's checksum on its first read (faster
/// first reads of large values; damaged values are then not detected).
pub const SRD_OPEN_NO_VERIFY: u32 = 8;
/// Open flag: neither use nor write the index file. By default a read-write
/// handle of a store with at least 65,536 entries saves a copy of its index
/// beside the store, as `<path>.idx`, when it is closed, and later opens use
/// it (after checking it against the store's tail and its own checksums,
/// indexing only entries appended since) instead of walking the whole file.
/// A missing, stale or damaged index file is ignored and never changes an
/// answer; it may be deleted at any time.
pub const SRD_OPEN_NO_INDEX_FILE: u32 = 16;
/// Open flag: grow the file ahead of the store in chunks (an eighth of the
/// store, 1 to 8 MiB, reserved with `fallocate`) and copy appends of up to
/// 2 KiB into a shared writable mapping of that space instead of making a
/// `write` system call for each: several times faster small puts. While the
/// store is open its file is longer than the store (`srd_file_size` is the
/// store's length; the bytes after it are zeros), and it stays so after
/// `srd_close` (cutting the zeros off could crash a reader in another
/// process that is looking through them). Opens skip the zeros; a
/// read-write open without this flag, or `srd_compact`, cuts them off; a
/// read-write open with it keeps them and appends there. Durability with
/// `SRD_OPEN_SYNC` and `srd_sync` is unchanged (they cover the mapped
/// writes); but a power cut can leave unsynced pages on disk in another
/// order than written, and an open may then refuse the file with
/// `SRD_CORRUPT` (a break in the middle) where `write` calls would have
/// lost only the tail: `srd_salvage` recovers every intact entry. Used only
/// on ext4, XFS and tmpfs (where `fallocate` reserves the blocks, so a full
/// disk fails the reservation, not a write into the mapping); elsewhere, and
/// with `SRD_OPEN_READ_ONLY`, the flag is ignored. Nothing but the store may
/// shorten the file while it is open (the mapping would fault).
pub const SRD_OPEN_PREALLOCATE: u32 = 32;

const KNOWN_FLAGS: u32 = SRD_OPEN_READ_ONLY
    | SRD_OPEN_NO_CREATE
    | SRD_OPEN_SYNC
    | SRD_OPEN_NO_VERIFY
    | SRD_OPEN_NO_INDEX_FILE
    | SRD_OPEN_PREALLOCATE;

/// An open store (opaque). Created by `srd_open`, destroyed by `srd_close`.
///
/// Thread-safety: one handle may be used from any number of threads at once,
/// except that `srd_close` must not run concurrently with any other call on
/// the same handle. Reads run in parallel and are not blocked by a writer's
/// I/O; writes, deletes and compaction are serialized.
pub struct srd_store {
    inner: Arc<Store>,
}

impl_handle!(srd_store, Arc<Store>, "store");

impl srd_store {
    /// Gives C a new handle of `store`.
    pub(crate) fn into_raw(store: Store) -> *mut srd_store {
        <srd_store as Handle>::into_raw(Arc::new(store))
    }
}

/// Opens the store file at `path`, creating it if it does not exist (unless
/// `flags` has `SRD_OPEN_NO_CREATE` or `SRD_OPEN_READ_ONLY`).
///
/// The whole metadata chain is validated and the index built (or, for a
/// large store, the index file loaded and checked: see
/// `SRD_OPEN_NO_INDEX_FILE`). A torn tail (a
/// write cut short by a crash, or zeros or garbage after the last entry) is
/// recovered to the last complete entry; a read-write open truncates the file
/// there, a read-only open does so in memory only. A file that is not a store,
/// or whose chain is broken in the middle, gives `SRD_CORRUPT` and is left
/// untouched. A read-write open takes an exclusive advisory lock on the file:
/// a second read-write open, from this process or another, gives
/// `SRD_LOCKED` at once. Read-only opens take no lock.
///
/// `flags` is 0 or an OR of `SRD_OPEN_*`; unknown bits give
/// `SRD_INVALID_ARGUMENT`. A missing file that may not be created gives
/// `SRD_NOT_FOUND`; a directory gives `SRD_INVALID_ARGUMENT`. The path is
/// passed to the OS as bytes (it need not be UTF-8).
///
/// Ownership: on success `*out_store` receives a new handle that the caller
/// owns and must release with `srd_close`. On failure `*out_store` is not
/// written. `path` is only read during the call.
/// Thread-safety: may be called from any thread.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out_store` must be NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn srd_open(
    path: *const c_char,
    flags: u32,
    out_store: *mut *mut srd_store,
) -> srd_status {
    guard(|| {
        if path.is_null() {
            return Err(Failure::invalid("path is NULL"));
        }
        require_out(out_store, "out_store")?;
        if flags & !KNOWN_FLAGS != 0 {
            return Err(Failure::invalid(format!(
                "unknown open flags 0x{:x}",
                flags & !KNOWN_FLAGS
            )));
        }
        // SAFETY: non-NULL and NUL-terminated per the contract above.
        let bytes = unsafe { CStr::from_ptr(path) }.to_bytes();
        if bytes.is_empty() {
            return Err(Failure::invalid("path is empty"));
        }
        let read_only = flags & SRD_OPEN_READ_ONLY != 0;
        let options = OpenOptions {
            read_only,
            create: !read_only && flags & SRD_OPEN_NO_CREATE == 0,
            sync: flags & SRD_OPEN_SYNC != 0,
            verify_checksums: flags & SRD_OPEN_NO_VERIFY == 0,
            index_file: flags & SRD_OPEN_NO_INDEX_FILE == 0,
            preallocate: flags & SRD_OPEN_PREALLOCATE != 0,
            ..Default::default()
        };
        let store = Store::open(OsStr::from_bytes(bytes), options)?;
        let handle = srd_store::into_raw(store);
        // SAFETY: out_store is non-NULL and writable per the contract above.
        unsafe { *out_store = handle };
        Ok(())
    })
}

/// Closes a store handle: releases the writer lock, the index and the file's
/// memory maps. NULL is a no-op. Data already written is not lost; call
/// `srd_sync` first if it must be durable. A read-write handle of a store
/// with 65,536 entries or more that changed saves its index to `<path>.idx`
/// first (about 19 bytes per key; see `SRD_OPEN_NO_INDEX_FILE`); a failure
/// to save it is ignored.
///
/// Lifetime: every pointer returned by `srd_read` on this handle becomes
/// invalid; entries from `srd_read_entry` and iterators stay valid until
/// freed. An open stream keeps the store (and its writer lock) alive until it
/// is committed or aborted.
/// Thread-safety: no other call may use the handle during or after this one.
///
/// # Safety
/// `store` must be NULL or a handle from `srd_open` not yet closed.
#[no_mangle]
pub unsafe extern "C" fn srd_close(store: *mut srd_store) {
    guard_value((), || {
        // SAFETY: NULL or a live handle from srd_open, and the caller gives
        // up all use of it (the contract above).
        unsafe { srd_store::free(store) }
    })
}

/// Rewrites the file with only the live values (no old versions, no
/// tombstones) into a temporary file beside it (`<path>.compact.tmp`), syncs
/// it and the directory, then atomically replaces the store file. A crash at
/// any moment leaves either the old or the new file, complete. The handle
/// keeps working afterwards. Readers on other threads are not blocked until
/// the final switch; writers wait for the compaction to finish.
///
/// Lifetime: every pointer returned by `srd_read` on this store before the
/// call becomes invalid; pinned entries stay valid.
/// Errors: `SRD_READ_ONLY`; `SRD_IO` if writing the new file failed (the
/// store is unchanged) or, after the switch, if syncing the directory failed
/// (the compaction has then taken effect but may not survive power loss);
/// `SRD_CORRUPT` if a live value fails its checksum (nothing is changed).
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_compact(store: *mut srd_store) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        s.compact()?;
        Ok(())
    })
}

/// Makes everything written so far durable (`fdatasync`). A no-op returning
/// `SRD_OK` on a read-only store. Thread-safety: may be called from any thread.
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_sync(store: *mut srd_store) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        s.sync()?;
        Ok(())
    })
}

/// Makes room in the in-memory index for `additional_keys` more keys than
/// the store holds now. A capacity hint for bulk loads (as `reserve` is for a
/// vector): loading that many new keys then rebuilds the index once, here,
/// instead of each time it doubles. Nothing is written to the file, writes
/// beyond the reservation still work (the index grows as usual). The
/// reservation lasts until `srd_compact` (which sizes the index for the live
/// keys) or `srd_close`; the index file saved at close is sized for the keys,
/// so a reopen is too. An index already large enough is kept; 0 is a no-op.
///
/// Costs memory at once: 9 bytes per index slot, slots for at least 4/3 of
/// the live keys plus `additional_keys`, rounded up to a power of two, all
/// written (zeroed) during the call.
/// Errors: `SRD_READ_ONLY`; `SRD_INVALID_ARGUMENT` if the allocator refuses
/// the memory for that many keys (the store is unchanged; where the system
/// overcommits memory, an allocation it grants but cannot back fails as any
/// other memory exhaustion of the process does); `SRD_BUSY` if the calling
/// thread has an open stream on the store; `SRD_BROKEN` if an earlier
/// failure (or a fork) made the handle refuse writes; `SRD_CORRUPT` if the index points outside
/// the file (a damaged index file).
/// Thread-safety: may be called from any thread; it waits for the writer,
/// and readers go on meanwhile.
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_reserve(store: *mut srd_store, additional_keys: u64) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        s.reserve(additional_keys)?;
        Ok(())
    })
}

/// Writes the number of live keys to `*out_live_keys`.
/// Thread-safety: may be called from any thread.
///
/// # Safety
/// `store` as for `srd_close`; `out_live_keys` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_count(store: *const srd_store, out_live_keys: *mut u64) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        require_out(out_live_keys, "out_live_keys")?;
        // SAFETY: non-NULL and writable per contract.
        unsafe { *out_live_keys = s.len() };
        Ok(())
    })
}

/// Writes the size of the store's valid content in bytes to `*out_bytes`
/// (the file's length, or for a read-only store with a torn tail, the length
/// of the part that was recovered; the file of a store opened with
/// `SRD_OPEN_PREALLOCATE` has zeros after it). Thread-safety: may be called
/// from any thread.
///
/// # Safety
/// `store` as for `srd_close`; `out_bytes` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_file_size(store: *const srd_store, out_bytes: *mut u64) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { srd_store::borrow(store) }?;
        require_out(out_bytes, "out_bytes")?;
        // SAFETY: non-NULL and writable per contract.
        unsafe { *out_bytes = s.file_size() };
        Ok(())
    })
}

/// Writes the number of entries in the file, counting old versions and
/// tombstones, to `*out_entries`. Thread-safety: any thread.
///
/// # Safety
/// `store` as for `srd_close`; `out_entries` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_entry_count(
    store: *const srd_store,
    out_entries: *mut u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        require_out(out_entries, "out_entries")?;
        // SAFETY: not NULL (refused above), writable by the caller's contract.
        unsafe { *out_entries = s.entry_count() };
        Ok(())
    })
}

/// For a store opened with `SRD_OPEN_READ_ONLY`: takes in what a writer
/// (usually another process) appended since this handle was opened or last
/// refreshed. Only the new entries are validated; one still being written is
/// left for a later refresh. If the file was replaced by a compaction, the
/// new file is opened and validated instead, and pointers from `srd_read` on
/// this handle become invalid, as after `srd_compact` (pinned entries and
/// iterators stay valid). A no-op (`SRD_OK`) on read-write and in-memory
/// stores. Errors: `SRD_IO`, `SRD_NOT_FOUND` if the file is gone,
/// `SRD_CORRUPT` if a replacing file is not a valid store.
/// Thread-safety: may run while other threads read through the handle.
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_refresh(store: *mut srd_store) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { srd_store::borrow(store) }?;
        s.refresh()?;
        Ok(())
    })
}
