//! Opening, writing, reading, deleting and compacting a store from C.

use super::entry::srd_entry;
use super::error::{guard, guard_value, srd_status, Failure};
use super::{input, input_array, require_out};
use crate::format;
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
    pub(crate) store: Arc<Store>,
}

impl srd_store {
    pub(crate) fn into_raw(store: Store) -> *mut srd_store {
        Box::into_raw(Box::new(srd_store {
            store: Arc::new(store),
        }))
    }
}

/// One key/value pair of `srd_write_batch`. The library only reads the
/// pointed-to bytes during the call and keeps no reference to them.
#[repr(C)]
pub struct srd_kv {
    /// The key's bytes (`key_len` of them; must not be empty).
    pub key: *const u8,
    /// Length of the key.
    pub key_len: usize,
    /// The value's bytes (`value_len` of them; not empty, not a single 0x00).
    pub value: *const u8,
    /// Length of the value.
    pub value_len: usize,
}

/// One key of `srd_delete_batch`. The library only reads the key during the
/// call.
#[repr(C)]
pub struct srd_key {
    /// The key's bytes (`key_len` of them; must not be empty).
    pub key: *const u8,
    /// Length of the key.
    pub key_len: usize,
}

/// # Safety
/// `store` must be NULL or a handle returned by `srd_open` and not yet closed.
#[inline]
pub(crate) unsafe fn store_ref<'a>(store: *const srd_store) -> Result<&'a Arc<Store>, Failure> {
    if store.is_null() {
        return Err(null_store());
    }
    // SAFETY: non-NULL and, per the caller's contract, a live handle created
    // by Box::into_raw in srd_open.
    Ok(unsafe { &(*store).store })
}

#[cold]
#[inline(never)]
fn null_store() -> Failure {
    Failure::invalid("store is NULL")
}

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

pub(crate) fn not_found() -> Failure {
    Failure::fixed(srd_status::SRD_NOT_FOUND, c"key not found")
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
        if !store.is_null() {
            // SAFETY: a live handle created by Box::into_raw in srd_open, and
            // the caller gives up all use of it.
            drop(unsafe { Box::from_raw(store) });
        }
    })
}

/// Stores `value` under `key`, replacing any older value. The value is
/// visible to every thread when the call returns and has reached the OS
/// (durable too if the store was opened with `SRD_OPEN_SYNC`).
///
/// Errors: `SRD_INVALID_ARGUMENT` for a NULL store, an empty key, an empty
/// value, a value that is exactly one 0x00 byte (the format's deletion
/// marker), or a NULL pointer with a non-zero length; `SRD_READ_ONLY` on a
/// read-only store; `SRD_IO` if the write failed (the file is cut back; the
/// store stays consistent); `SRD_BROKEN` if the handle can no longer write
/// (an earlier failed `fdatasync`, or a handle inherited across `fork()`).
/// Nothing is written on failure. A value that would take the file past the
/// 16 TiB limit gives `SRD_INVALID_ARGUMENT` before any of its bytes is
/// read.
///
/// Ownership: `key` and `value` are only read during the call.
/// Thread-safety: may be called from any thread; writers are serialized.
///
/// # Safety
/// `store` as for `srd_close`; `key` and `value` readable for their lengths.
#[no_mangle]
pub unsafe extern "C" fn srd_write(
    store: *mut srd_store,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY (all three): the caller's contract above.
        // SAFETY: the caller's contract: NULL or a live handle of this library.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let v = unsafe { input(value, value_len, "value") }?;
        s.write(k, v)?;
        Ok(())
    })
}

/// Stores `count` key/value pairs with one append: they become visible all at
/// once, and a later item wins over an earlier one with the same key. One
/// invalid item (same rules as `srd_write`) rejects the whole batch before
/// anything is written. `count` 0 is a no-op (`items` may then be NULL).
/// A crash during the call may leave a prefix of the batch in the file.
///
/// Ownership: `items` and the bytes they point to are only read during the
/// call. Thread-safety: as `srd_write`.
///
/// # Safety
/// `items` must point to `count` valid `srd_kv` whose pointers are readable
/// for their lengths.
#[no_mangle]
pub unsafe extern "C" fn srd_write_batch(
    store: *mut srd_store,
    items: *const srd_kv,
    count: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let items = unsafe { input_array(items, count, "items") }?;
        let mut pairs = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let at = |f: Failure| Failure::invalid(format!("batch item {i}: {}", message_of(&f)));
            // SAFETY: each item's pointers are readable per the contract.
            let k = unsafe { input(it.key, it.key_len, "key") }.map_err(at)?;
            // SAFETY: the caller's contract: readable for the call (or NULL).
            let v = unsafe { input(it.value, it.value_len, "value") }.map_err(at)?;
            pairs.push((k, v));
        }
        s.write_batch(&pairs)?;
        Ok(())
    })
}

pub(crate) fn message_of(f: &Failure) -> String {
    f.text()
        .trim_start_matches("invalid argument: ")
        .to_string()
}

/// Looks up `key` and returns its value without copying: `*out_value`
/// receives a pointer into the store's memory map (64-byte aligned) and
/// `*out_len` its length (at least 1). `SRD_NOT_FOUND` if the key is absent
/// or deleted; `SRD_CORRUPT` if the value fails its checksum (checked on the
/// first read of each value unless `SRD_OPEN_NO_VERIFY`).
///
/// Lifetime: the pointer is borrowed from the store. Its bytes stay valid and
/// unchanged until `srd_compact` or `srd_close` is called on this store, even
/// if the key is later overwritten or deleted and the file grows. A thread
/// that may run concurrently with `srd_compact` must use `srd_read_entry`.
/// Never write through or free the pointer.
/// Thread-safety: any number of threads may read at once, while others write.
/// Outputs are written only on success. This call does not allocate.
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for `key_len` bytes; outputs
/// writable.
#[no_mangle]
pub unsafe extern "C" fn srd_read(
    store: *const srd_store,
    key: *const u8,
    key_len: usize,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: forwarded caller contract for the outputs.
        unsafe { read_hash(s, format::key_hash(k), out_value, out_len) }
    })
}

/// # Safety
/// Outputs NULL or writable.
// Always inlined: this is the whole of a read below the checks, and one
// function (one prologue, no result passed through memory) is measurably
// fewer instructions per lookup, which is what random reads are bound by.
#[inline(always)]
unsafe fn read_hash(
    s: &Store,
    h: u64,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> Result<(), Failure> {
    require_out(out_value, "out_value")?;
    require_out(out_len, "out_len")?;
    match s.read_with(h, |b| (b.as_ptr(), b.len()))? {
        Some((ptr, len)) => {
            // SAFETY: both outputs are non-NULL and writable per contract.
            unsafe {
                *out_value = ptr;
                *out_len = len;
            }
            Ok(())
        }
        None => Err(not_found()),
    }
}

/// # Safety
/// `out_entry` NULL or writable.
unsafe fn read_entry_hash(
    s: &Store,
    h: u64,
    out_entry: *mut *mut srd_entry,
) -> Result<(), Failure> {
    require_out(out_entry, "out_entry")?;
    let entry = s.get_hash(h)?.ok_or_else(not_found)?;
    let handle = srd_entry::into_raw(entry);
    // SAFETY: non-NULL and writable per contract.
    unsafe { *out_entry = handle };
    Ok(())
}

/// Looks up `key` and returns a pinned entry: a handle to the value that stays
/// valid, with unchanged bytes, until `srd_entry_free`, even across
/// `srd_compact` and `srd_close`. Use `srd_entry_data` to get the bytes.
/// Errors as for `srd_read`.
///
/// Ownership: on success `*out_entry` receives a new entry the caller owns and
/// must release with `srd_entry_free`; not written on failure.
/// Thread-safety: as `srd_read`; the entry itself may be read from any thread.
///
/// # Safety
/// As `srd_read`.
#[no_mangle]
pub unsafe extern "C" fn srd_read_entry(
    store: *const srd_store,
    key: *const u8,
    key_len: usize,
    out_entry: *mut *mut srd_entry,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        // SAFETY: forwarded caller contract for the output.
        unsafe { read_entry_hash(s, format::key_hash(k), out_entry) }
    })
}

/// Tells whether `key` has a live value: `SRD_OK` if it does,
/// `SRD_NOT_FOUND` if not, or an error code for bad arguments. Does not check
/// the value's checksum. Thread-safety: as `srd_read`.
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_exists(
    store: *const srd_store,
    key: *const u8,
    key_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        if s.contains_hash(format::key_hash(k)) {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

/// Deletes `key` by appending a tombstone: `SRD_OK` if it had a value,
/// `SRD_NOT_FOUND` (and nothing written) if not. Other errors as for
/// `srd_write`. Pointers returned earlier by `srd_read` stay valid.
/// Thread-safety: as `srd_write`.
///
/// # Safety
/// `store` as for `srd_close`; `key` readable for `key_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn srd_delete(
    store: *mut srd_store,
    key: *const u8,
    key_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let k = unsafe { key_arg(key, key_len) }?;
        if s.delete(k)? {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

/// Deletes every key of `keys` that has a value, with one append; keys that
/// are absent (or repeated) are skipped, and the call still returns `SRD_OK`.
/// An invalid key (NULL with a length, or empty) rejects the whole call before
/// anything is written. `count` 0 is a no-op (`keys` may then be NULL).
///
/// Ownership: `keys` is only read during the call. Thread-safety: as
/// `srd_write`.
///
/// # Safety
/// `keys` must point to `count` valid `srd_key` whose pointers are readable.
#[no_mangle]
pub unsafe extern "C" fn srd_delete_batch(
    store: *mut srd_store,
    keys: *const srd_key,
    count: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract above.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let keys = unsafe { input_array(keys, count, "keys") }?;
        let mut ks = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let at = |f: Failure| Failure::invalid(format!("batch key {i}: {}", message_of(&f)));
            // SAFETY: each key is readable per the contract.
            ks.push(unsafe { key_arg(k.key, k.key_len) }.map_err(at)?);
        }
        s.delete_batch(&ks)?;
        Ok(())
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
        let s = unsafe { store_ref(store) }?;
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
        let s = unsafe { store_ref(store) }?;
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
        let s = unsafe { store_ref(store) }?;
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
        let s = unsafe { store_ref(store) }?;
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
        let s = unsafe { store_ref(store) }?;
        require_out(out_bytes, "out_bytes")?;
        // SAFETY: non-NULL and writable per contract.
        unsafe { *out_bytes = s.file_size() };
        Ok(())
    })
}

// --- Prehashed keys --------------------------------------------------------

/// As `srd_write`, for the key whose hash (from `srd_hash_key`) is
/// `key_hash`. The same key written by name or by hash is the same key.
///
/// # Safety
/// As `srd_write`.
#[no_mangle]
pub unsafe extern "C" fn srd_write_with_hash(
    store: *mut srd_store,
    key_hash: u64,
    value: *const u8,
    value_len: usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let v = unsafe { input(value, value_len, "value") }?;
        s.write_hash(key_hash, v)?;
        Ok(())
    })
}

/// As `srd_read`, for the key with hash `key_hash` (same lifetime rules for
/// the returned pointer).
///
/// # Safety
/// As `srd_read`.
#[no_mangle]
pub unsafe extern "C" fn srd_read_with_hash(
    store: *const srd_store,
    key_hash: u64,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { read_hash(s, key_hash, out_value, out_len) }
    })
}

/// As `srd_read_entry`, for the key with hash `key_hash`.
///
/// # Safety
/// As `srd_read_entry`.
#[no_mangle]
pub unsafe extern "C" fn srd_read_entry_with_hash(
    store: *const srd_store,
    key_hash: u64,
    out_entry: *mut *mut srd_entry,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { read_entry_hash(s, key_hash, out_entry) }
    })
}

/// As `srd_exists`, for the key with hash `key_hash`.
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_exists_with_hash(
    store: *const srd_store,
    key_hash: u64,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        if s.contains_hash(key_hash) {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

/// As `srd_delete`, for the key with hash `key_hash`.
///
/// # Safety
/// `store` as for `srd_close`.
#[no_mangle]
pub unsafe extern "C" fn srd_delete_with_hash(store: *mut srd_store, key_hash: u64) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        if s.delete_hash(key_hash)? {
            Ok(())
        } else {
            Err(not_found())
        }
    })
}

// --- Batch reads and the last entry ----------------------------------------

/// One result of `srd_read_batch`: the value (borrowed, as from `srd_read`)
/// and the key's own status (`SRD_OK`, `SRD_NOT_FOUND` or `SRD_CORRUPT`).
/// `value` is NULL and `value_len` 0 unless `status` is `SRD_OK`.
#[repr(C)]
pub struct srd_read_result {
    /// The value's bytes, 64-byte aligned; valid as for `srd_read`.
    pub value: *const u8,
    /// Length of the value.
    pub value_len: usize,
    /// This key's outcome.
    pub status: srd_status,
}

/// # Safety
/// `out` must have room for `n` results.
unsafe fn fill_batch(s: &Store, hashes: &[u64], out: *mut srd_read_result) -> Result<(), Failure> {
    if hashes.is_empty() {
        return Ok(());
    }
    require_out(out, "out")?;
    // SAFETY: the caller provides `hashes.len()` writable slots at `out`.
    let slots = unsafe { std::slice::from_raw_parts_mut(out, hashes.len()) };
    s.read_batch_with(hashes, |i, r| {
        slots[i] = match r {
            Ok(Some(v)) => srd_read_result {
                value: v.as_ptr(),
                value_len: v.len(),
                status: srd_status::SRD_OK,
            },
            Ok(None) => srd_read_result {
                value: std::ptr::null(),
                value_len: 0,
                status: srd_status::SRD_NOT_FOUND,
            },
            Err(e) => srd_read_result {
                value: std::ptr::null(),
                value_len: 0,
                status: Failure::from(e).status,
            },
        };
    });
    Ok(())
}

/// Looks up `count` keys under one consistent view (no write lands between
/// two of them) and fills `out[i]` for `keys[i]`. Returns `SRD_OK` when every
/// key was looked up, whatever each one's own status; an invalid key (NULL
/// with a length, or empty) fails the whole call before anything is written
/// to `out`. The pointers are borrowed exactly like those of `srd_read`.
///
/// Ownership: `keys` is only read during the call; `out` must have room for
/// `count` results. Thread-safety: as `srd_read`.
///
/// # Safety
/// `keys` points to `count` valid `srd_key`; `out` to `count` writable slots.
#[no_mangle]
pub unsafe extern "C" fn srd_read_batch(
    store: *const srd_store,
    keys: *const srd_key,
    count: usize,
    out: *mut srd_read_result,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let keys = unsafe { input_array(keys, count, "keys") }?;
        let mut hashes = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let at = |f: Failure| Failure::invalid(format!("batch key {i}: {}", message_of(&f)));
            // SAFETY: each key readable per contract.
            hashes.push(format::key_hash(
                unsafe { key_arg(k.key, k.key_len) }.map_err(at)?,
            ));
        }
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { fill_batch(s, &hashes, out) }
    })
}

/// As `srd_read_batch`, for `count` key hashes.
///
/// # Safety
/// `key_hashes` points to `count` hashes; `out` to `count` writable slots.
#[no_mangle]
pub unsafe extern "C" fn srd_read_batch_with_hash(
    store: *const srd_store,
    key_hashes: *const u64,
    count: usize,
    out: *mut srd_read_result,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        // SAFETY: the caller's contract: readable for the call (or NULL).
        let hashes = unsafe { input_array(key_hashes, count, "key_hashes") }?;
        // SAFETY: the caller's contract: outputs NULL (refused inside) or writable.
        unsafe { fill_batch(s, hashes, out) }
    })
}

/// Returns the newest live value: the one written last (largest offset in
/// the file) whose key was not overwritten or deleted since. `SRD_NOT_FOUND`
/// if the store has no live value. The pointer is borrowed as for `srd_read`.
///
/// # Safety
/// `store` as for `srd_close`; outputs writable.
#[no_mangle]
pub unsafe extern "C" fn srd_read_last(
    store: *const srd_store,
    out_key_hash: *mut u64,
    out_value: *mut *const u8,
    out_len: *mut usize,
) -> srd_status {
    guard(|| {
        // SAFETY: the caller's contract.
        let s = unsafe { store_ref(store) }?;
        require_out(out_key_hash, "out_key_hash")?;
        require_out(out_value, "out_value")?;
        require_out(out_len, "out_len")?;
        let (h, p, n) = s
            .read_last_with(|h, v| (h, v.as_ptr(), v.len()))?
            .ok_or_else(|| Failure::fixed(srd_status::SRD_NOT_FOUND, c"store has no live value"))?;
        // SAFETY: outputs non-NULL and writable per contract.
        unsafe {
            *out_key_hash = h;
            *out_value = p;
            *out_len = n;
        }
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
        let s = unsafe { store_ref(store) }?;
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
        let s = unsafe { store_ref(store) }?;
        s.refresh()?;
        Ok(())
    })
}
