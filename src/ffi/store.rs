//! Opening, closing and maintaining a store from C, and what it holds.

use super::args::require_out;
use super::error::{guard, guard_value, srd_status, Failure};
use super::handle::{impl_handle, Handle};
use crate::engine::{OpenOptions, Store};
use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

/// Open flag: open without the writer lock and never modify the file (a torn
/// tail is recovered in memory only). Implies `SRD_OPEN_NO_CREATE`. Writes,
/// deletes and compaction return `SRD_READ_ONLY`.
/// @ingroup lifecycle
pub const SRD_OPEN_READ_ONLY: u32 = 1;
/// Open flag: fail with `SRD_NOT_FOUND` instead of creating a missing file.
/// @ingroup lifecycle
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
/// @ingroup lifecycle
pub const SRD_OPEN_SYNC: u32 = 4;
/// Open flag: do not verify a value's checksum on its first read (faster
/// first reads of large values; damaged values are then not detected).
/// @ingroup lifecycle
pub const SRD_OPEN_NO_VERIFY: u32 = 8;
/// Open flag: neither use nor write the index file. By default a read-write
/// handle of a store with at least 65,536 entries saves a copy of its index
/// beside the store, as `<path>.idx`, when it is closed, and later opens use
/// it (after checking it against the store's tail and its own checksums,
/// indexing only entries appended since) instead of walking the whole file.
/// A missing, stale or damaged index file is ignored and never changes an
/// answer; it may be deleted at any time.
/// @ingroup lifecycle
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
/// shorten the file while it is open (the mapping would fault). Takes
/// precedence over `SRD_OPEN_RESERVE`.
/// @ingroup lifecycle
pub const SRD_OPEN_PREALLOCATE: u32 = 32;
/// Open flag: copy small appends into space reserved ahead of the store
/// instead of making a `write` system call for each (faster small puts), and
/// cut that space off at srd_close().
///
/// The handle (read-write, on ext4, XFS or tmpfs; the flag is ignored
/// elsewhere and with `SRD_OPEN_READ_ONLY`) reserves space ahead of the
/// store in 64 KiB chunks filled with `0xFE` bytes (written with `pwrite`, so
/// a full disk fails that write, never a write into the mapping; never past
/// the process's `RLIMIT_FSIZE`) and copies appends of up to 2 KiB into a
/// shared writable mapping of it. While the handle is open the file is
/// usually longer than the store: from its first small append on, until a
/// large append runs past the reserved space, `0xFE` bytes follow the store
/// (`srd_file_size` is the store's length). srd_close() cuts them off, so a closed store is
/// byte for byte what the Rust crate writes. After a crash of the process
/// (or a handle left open in a fork child or a broken writer) they stay,
/// and every reader takes them for a torn tail: opens skip them, a
/// read-write open cuts them off, the crate's recovery passes over them.
/// Durability with `SRD_OPEN_SYNC` and `srd_sync` is unchanged (they cover
/// the mapped writes); a crash of the process loses nothing that was
/// acknowledged. Not the default, because a process killed in the middle
/// of a copy leaves a partly written append (a `write` call is cut only at
/// a page boundary): this library drops it as a torn tail, but the Rust
/// crate's recovery checks no checksum and can take such bytes for entries
/// (a batch in part, or a chain that skips most of the store) if it opens
/// the file before this library has. A power cut can leave unsynced pages
/// on disk in another order than written (a later page written, an earlier
/// one still `0xFE`), and an open may then refuse the file with
/// `SRD_CORRUPT` (a break in the middle) instead of cutting the tail:
/// `srd_salvage` recovers every intact entry; `SRD_OPEN_SYNC` or `srd_sync`
/// prevents it for what they cover. Nothing but the store may shorten the
/// file while it is open (the mapping would fault). A read-only handle in
/// another process reads the reserved bytes at each srd_refresh() to find
/// where the store ends. `SRD_OPEN_PREALLOCATE` takes precedence.
/// @ingroup lifecycle
pub const SRD_OPEN_RESERVE: u32 = 64;

const KNOWN_FLAGS: u32 = SRD_OPEN_READ_ONLY
    | SRD_OPEN_NO_CREATE
    | SRD_OPEN_SYNC
    | SRD_OPEN_NO_VERIFY
    | SRD_OPEN_NO_INDEX_FILE
    | SRD_OPEN_PREALLOCATE
    | SRD_OPEN_RESERVE;

/// @brief An open store (opaque handle).
///
/// Made by srd_open(), srd_open_bytes() or srd_open_entry(); owned by the caller
/// and released with srd_close() (rule B4 in @ref conventions).
///
/// Threads: one handle may be used from any number of threads at once, except
/// srd_close() (rule T1). Reads run in parallel and are not blocked by a writer's
/// I/O; writes, deletes and compaction are serialized. After fork(), rule P1.
/// @ingroup lifecycle
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

/// @brief Opens the store file at `path`, creating it if it does not exist
/// (unless `flags` has `SRD_OPEN_NO_CREATE` or `SRD_OPEN_READ_ONLY`).
///
/// The whole metadata chain is validated and the index built (or, for a large
/// store, the index file loaded and checked: see `SRD_OPEN_NO_INDEX_FILE`). A
/// torn tail (a write cut short by a crash, or zeros or garbage after the last
/// entry) is recovered to the last complete entry; a read-write open truncates
/// the file there, a read-only open does so in memory only. A file that is not a
/// store, or whose chain is broken in the middle, is left untouched. A read-write
/// open takes an exclusive advisory lock on the file; read-only opens take no
/// lock (rule P2).
///
/// @param path The store file's path, NUL-terminated; not NULL, not empty. It is
/// passed to the OS as bytes (it need not be UTF-8) and only read during the call
/// (rule B1).
/// @param flags 0 or an OR of `SRD_OPEN_*` flags.
/// @param out_store Output, not NULL: on success a new handle, owned by the
/// caller, to release with srd_close() (rule B4); not written on failure.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `path` or `out_store` is NULL, `path` is empty
/// or names a directory or another non-regular file, `flags` has unknown bits,
/// or the file is larger than the format's 16 TiB limit.
/// @retval SRD_NOT_FOUND the file does not exist and may not be created.
/// @retval SRD_LOCKED a read-write open, and another read-write handle (in this
/// process or another) holds the file's writer lock.
/// @retval SRD_CORRUPT the file is not a store, or its chain is broken in the
/// middle.
/// @retval SRD_IO an operating-system call (open, lock, stat, map, truncate)
/// failed.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T4).
/// @ingroup lifecycle
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out_store` NULL or
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
            reserve: flags & SRD_OPEN_RESERVE != 0,
            ..Default::default()
        };
        let store = Store::open(OsStr::from_bytes(bytes), options)?;
        let handle = srd_store::into_raw(store);
        // SAFETY: out_store is non-NULL and writable per the contract above.
        unsafe { *out_store = handle };
        Ok(())
    })
}

/// @brief Closes a store handle: releases the writer lock, the index and the
/// file's memory maps.
///
/// Data already written is not lost; call srd_sync() first if it must be
/// durable. A read-write handle opened with `SRD_OPEN_RESERVE` first cuts
/// the file back to the store (the `0xFE` space reserved ahead of it), so a
/// closed store is byte for byte what the Rust crate writes; a handle whose
/// writes failed (`SRD_BROKEN`), or one closed in a fork() child, leaves that
/// space, which every reader then takes for a torn tail. A read-write handle of a store with 65,536 entries or more that
/// changed saves its index to `<path>.idx` first (about 19 bytes per key; see
/// `SRD_OPEN_NO_INDEX_FILE`); a failure to save it is ignored. An open stream
/// keeps the store (and its writer lock) alive until it is committed or aborted.
/// In a child made by fork() it releases the child's memory only (rule P1).
///
/// @param store The handle to release, or NULL (a no-op). It must not be used
/// after the call (rule B4).
///
/// Lifetime: ends the values borrowed from this handle (rule L1 in @ref
/// conventions); pinned entries and iterators stay valid until freed (rules L2,
/// L3).
/// Threads: no other call may use the handle during or after this one (rule
/// T1).
/// @ingroup lifecycle
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

/// @brief Takes a snapshot: a read-only store handle frozen at this moment
/// (what LMDB calls a read transaction).
///
/// Every read function works on the snapshot (srd_read(), srd_read_entry(),
/// srd_read_batch(), srd_exists(), srd_count(), srd_entry_count(),
/// srd_file_size(), srd_read_last(), iterators, srd_verify(), the
/// `*_with_hash` variants, srd_version_of()) and sees exactly what `store`
/// held when the snapshot was taken: nothing written, deleted or compacted
/// later, by this handle or any other. Writes, deletes, streams and
/// compaction through it return `SRD_READ_ONLY`; srd_refresh() on it does
/// nothing. Nothing is copied: while a snapshot lives, each later change of a
/// key it holds keeps a few bytes for it, and its file's pages stay mapped.
/// A snapshot of a snapshot shows the same moment.
///
/// @param store The store (any handle, read-write or read-only, or a
/// snapshot); not NULL.
/// @param out_snapshot Output, not NULL: the new handle, written only on
/// success. Owned by the caller: release it with srd_close(). It does not
/// depend on `store` staying open.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_snapshot` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3 in @ref
/// conventions).
///
/// Lifetime: values read through the snapshot stay valid until srd_close() of
/// the snapshot, across srd_compact() and srd_close() of `store` (rule L1
/// applies with the snapshot's own close; the snapshot is never compacted).
/// Threads: as any store handle (rule T1); taking a snapshot waits only for a
/// publication under way, never for a writer's I/O.
/// @ingroup lifecycle
///
/// # Safety
/// `store` NULL or a live handle; `out_snapshot` writable.
#[no_mangle]
pub unsafe extern "C" fn srd_snapshot(
    store: *const srd_store,
    out_snapshot: *mut *mut srd_store,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract: NULL or a live handle of this library.
        let s = unsafe { srd_store::borrow(store) }?;
        require_out(out_snapshot, "out_snapshot")?;
        let snap = s.snapshot()?;
        // SAFETY: out_snapshot is non-NULL and writable per contract.
        unsafe { *out_snapshot = srd_store::into_raw(snap) };
        Ok(())
    })
}

/// @brief Rewrites the store file with only the live values (no old versions,
/// no tombstones).
///
/// The new file is written beside the store (`<path>.compact.tmp`), synced with
/// its directory, then atomically renamed over the store file: a crash at any
/// moment leaves either the old or the new file, complete. The handle keeps
/// working afterwards.
///
/// @param store The store; not NULL.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL.
/// @retval SRD_READ_ONLY the store was opened with `SRD_OPEN_READ_ONLY`, or over
/// memory.
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN the handle can no longer write (see `SRD_BROKEN`; rule P1).
/// @retval SRD_CORRUPT a live value fails its checksum, or an entry is
/// malformed; nothing is changed.
/// @retval SRD_IO writing the new file failed (the store is unchanged) or, after
/// the switch, syncing the directory failed (the compaction has then taken
/// effect but may not survive power loss).
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: ends every value borrowed from this handle before the call (rule
/// L1 in @ref conventions); pinned entries and iterators stay valid.
/// Threads: rule T1; readers on other threads are not blocked until the final
/// switch, writers wait for the compaction to finish.
/// @ingroup lifecycle
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

/// @brief Makes everything written so far durable (`fdatasync`).
///
/// A no-op on a read-only store and a store over memory.
///
/// @param store The store; not NULL.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL.
/// @retval SRD_IO `fdatasync` failed: data written before may not be on disk,
/// and every later write through the handle returns `SRD_BROKEN`.
/// @retval SRD_BROKEN the handle can no longer write (an earlier failed
/// `fdatasync` or roll-back), or was inherited across fork() (rule P1).
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T1 in @ref conventions); it does not wait for an
/// open stream.
/// @ingroup lifecycle
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

/// @brief Makes room in the in-memory index for `additional_keys` more keys than
/// the store holds now.
///
/// A capacity hint for bulk loads (as `reserve` is for a vector): loading that
/// many new keys then rebuilds the index once, here, instead of each time it
/// doubles. Nothing is written to the file, and writes beyond the reservation
/// still work (the index grows as usual). The reservation lasts until
/// srd_compact() (which sizes the index for the live keys) or srd_close(); the
/// index file saved at close is sized for the keys, so a reopen is too. An index
/// already large enough is kept, and 0 changes nothing (the checks below still
/// apply).
///
/// It costs memory at once: 9 bytes per index slot, slots for at least 4/3 of
/// the live keys plus `additional_keys`, rounded up to a power of two, all
/// written (zeroed) during the call.
///
/// @param store The store; not NULL.
/// @param additional_keys How many keys beyond the live ones to make room for.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, or the allocator refuses the
/// memory for that many keys (the store is unchanged; where the system
/// overcommits memory, an allocation it grants but cannot back fails as any
/// other memory exhaustion of the process does).
/// @retval SRD_READ_ONLY the store is read-only.
/// @retval SRD_BUSY the calling thread has an open stream on the store (rule T2).
/// @retval SRD_BROKEN the handle refuses writes (see `SRD_BROKEN`; rule P1).
/// @retval SRD_CORRUPT the index points outside the file (a damaged index file).
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread; it waits for the writer, and readers go on meanwhile
/// (rule T1 in @ref conventions).
/// @ingroup lifecycle
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

/// @brief Gives the number of live keys.
///
/// @param store The store; not NULL.
/// @param out_live_keys Output, not NULL: the number of live keys.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_live_keys` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T1 in @ref conventions).
/// @ingroup lifecycle
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

/// @brief Gives the size of the store's valid content in bytes.
///
/// That is the file's length or, for a read-only store with a torn tail, the
/// length of the part that was recovered; the file of a store opened with
/// `SRD_OPEN_PREALLOCATE` has zeros after it, and while a handle opened with
/// `SRD_OPEN_RESERVE` is open (or after it crashed) the file may have `0xFE`
/// bytes after it.
///
/// @param store The store; not NULL.
/// @param out_bytes Output, not NULL: the size in bytes.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_bytes` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T1 in @ref conventions).
/// @ingroup lifecycle
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

/// @brief Gives the number of entries in the file, counting old versions and
/// tombstones.
///
/// The marker entry a batch begins with (docs/FORMAT.md, "Batches") is not
/// counted: the count is of values and tombstones written.
///
/// @param store The store; not NULL.
/// @param out_entries Output, not NULL: the number of entries.
/// @return `SRD_OK` on success, or:
/// @retval SRD_INVALID_ARGUMENT `store` or `out_entries` is NULL.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Threads: any thread (rule T1 in @ref conventions).
/// @ingroup lifecycle
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

/// @brief For a store opened with `SRD_OPEN_READ_ONLY`: takes in what a writer
/// (usually another process) appended since this handle was opened or last
/// refreshed.
///
/// Only the new entries are validated; one still being written is left for a
/// later refresh (rule P2). If the file was replaced by a compaction, or
/// rewritten in place below what this handle shows (the 20 metadata bytes at
/// the end it had taken in are not the same any more: a copy over the file,
/// another process cutting and rewriting a damaged last entry), the file is
/// opened and validated afresh instead, and values this handle had checked
/// are checked again. A no-op on read-write stores and stores over memory.
///
/// @param store The store; not NULL.
/// @return `SRD_OK` on success (also when nothing changed), or:
/// @retval SRD_INVALID_ARGUMENT `store` is NULL, the path now names something
/// other than a regular file, or the file grew past the 16 TiB limit.
/// @retval SRD_NOT_FOUND the file is gone.
/// @retval SRD_CORRUPT a file that replaced the store is not a valid store, or
/// the index points outside the file.
/// @retval SRD_IO an operating-system call failed.
/// @retval SRD_PANIC a bug in the library was caught (rule E3).
///
/// Lifetime: taking in a compaction or a file rewritten in place ends the
/// values borrowed from this handle, as srd_compact() does (rule L1 in @ref conventions); pinned entries and
/// iterators stay valid.
/// Threads: may run while other threads read through the handle (rule T1).
/// @ingroup lifecycle
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
