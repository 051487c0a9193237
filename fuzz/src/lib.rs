//! Shared code of the fuzz targets: the C API as declared in
//! `include/simd_r_drive.h`, a few safe wrappers, and an independent reading
//! of the file format (`docs/FORMAT.md`) used as the oracle.
//!
//! The targets drive the library through its C ABI (the `srd_*` symbols of
//! the `simd_r_drive` crate), exactly as a C program would, so the FFI layer
//! (argument checks, panic boundary, status codes) is fuzzed too.

// The helpers take the library's raw handles as the C API does; the targets
// only ever pass live handles. This is a test harness, not an API.
#![allow(clippy::missing_safety_doc, clippy::not_unsafe_ptr_arg_deref)]

// Link the library: its `#[no_mangle] extern "C"` functions resolve the
// declarations below.
extern crate simd_r_drive;

pub mod reference;

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};

// --- The C API (include/simd_r_drive.h) ------------------------------------

pub type Status = i32;
pub const OK: Status = 0;
pub const NOT_FOUND: Status = 1;
pub const INVALID_ARGUMENT: Status = 2;
pub const IO: Status = 3;
pub const CORRUPT: Status = 4;
pub const LOCKED: Status = 5;
pub const READ_ONLY: Status = 6;
pub const PANIC: Status = 7;
pub const BUSY: Status = 8;
pub const CONFLICT: Status = 10;

pub const OPEN_READ_ONLY: u32 = 1;
pub const OPEN_NO_CREATE: u32 = 2;
pub const OPEN_SYNC: u32 = 4;
pub const OPEN_NO_VERIFY: u32 = 8;
pub const OPEN_NO_INDEX_FILE: u32 = 16;

#[repr(C)]
pub struct SrdStore {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct SrdEntry {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct SrdIter {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct SrdStream {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Kv {
    pub key: *const u8,
    pub key_len: usize,
    pub value: *const u8,
    pub value_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Key {
    pub key: *const u8,
    pub key_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Op {
    pub kind: u32,
    pub key: *const u8,
    pub key_len: usize,
    pub value: *const u8,
    pub value_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ReadResult {
    pub value: *const u8,
    pub value_len: usize,
    pub status: Status,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries_checked: u64,
    pub bytes_checked: u64,
    pub file_size: u64,
    pub first_bad_offset: u64,
    pub bad_entries: u64,
}

extern "C" {
    pub fn srd_status_str(status: i32) -> *const c_char;
    pub fn srd_last_error_message() -> *const c_char;
    pub fn srd_open(path: *const c_char, flags: u32, out: *mut *mut SrdStore) -> Status;
    pub fn srd_close(store: *mut SrdStore);
    pub fn srd_write(
        store: *mut SrdStore,
        key: *const u8,
        key_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> Status;
    pub fn srd_write_batch(store: *mut SrdStore, items: *const Kv, count: usize) -> Status;
    pub fn srd_apply_batch(
        store: *mut SrdStore,
        ops: *const Op,
        count: usize,
        out_deleted: *mut u64,
    ) -> Status;
    pub fn srd_write_if_absent(
        store: *mut SrdStore,
        key: *const u8,
        key_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> Status;
    pub fn srd_write_if_version(
        store: *mut SrdStore,
        key: *const u8,
        key_len: usize,
        expected: u64,
        value: *const u8,
        value_len: usize,
    ) -> Status;
    pub fn srd_snapshot(store: *const SrdStore, out: *mut *mut SrdStore) -> Status;
    pub fn srd_backup(
        store: *const SrdStore,
        dst: *const c_char,
        progress: Option<unsafe extern "C" fn(*mut std::ffi::c_void, u64, u64)>,
        user_data: *mut std::ffi::c_void,
    ) -> Status;
    pub fn srd_version_of(
        store: *const SrdStore,
        key: *const u8,
        key_len: usize,
        out: *mut u64,
    ) -> Status;
    pub fn srd_read(
        store: *const SrdStore,
        key: *const u8,
        key_len: usize,
        out_value: *mut *const u8,
        out_len: *mut usize,
    ) -> Status;
    pub fn srd_read_entry(
        store: *const SrdStore,
        key: *const u8,
        key_len: usize,
        out: *mut *mut SrdEntry,
    ) -> Status;
    pub fn srd_exists(store: *const SrdStore, key: *const u8, key_len: usize) -> Status;
    pub fn srd_delete(store: *mut SrdStore, key: *const u8, key_len: usize) -> Status;
    pub fn srd_delete_batch(store: *mut SrdStore, keys: *const Key, count: usize) -> Status;
    pub fn srd_compact(store: *mut SrdStore) -> Status;
    pub fn srd_sync(store: *mut SrdStore) -> Status;
    pub fn srd_reserve(store: *mut SrdStore, additional_keys: u64) -> Status;
    pub fn srd_count(store: *const SrdStore, out: *mut u64) -> Status;
    pub fn srd_file_size(store: *const SrdStore, out: *mut u64) -> Status;
    pub fn srd_write_with_hash(
        store: *mut SrdStore,
        key_hash: u64,
        value: *const u8,
        value_len: usize,
    ) -> Status;
    pub fn srd_read_with_hash(
        store: *const SrdStore,
        key_hash: u64,
        out_value: *mut *const u8,
        out_len: *mut usize,
    ) -> Status;
    pub fn srd_read_entry_with_hash(
        store: *const SrdStore,
        key_hash: u64,
        out: *mut *mut SrdEntry,
    ) -> Status;
    pub fn srd_exists_with_hash(store: *const SrdStore, key_hash: u64) -> Status;
    pub fn srd_delete_with_hash(store: *mut SrdStore, key_hash: u64) -> Status;
    pub fn srd_read_batch(
        store: *const SrdStore,
        keys: *const Key,
        count: usize,
        out: *mut ReadResult,
    ) -> Status;
    pub fn srd_read_batch_with_hash(
        store: *const SrdStore,
        key_hashes: *const u64,
        count: usize,
        out: *mut ReadResult,
    ) -> Status;
    pub fn srd_read_last(
        store: *const SrdStore,
        out_key_hash: *mut u64,
        out_value: *mut *const u8,
        out_len: *mut usize,
    ) -> Status;
    pub fn srd_entry_count(store: *const SrdStore, out: *mut u64) -> Status;
    pub fn srd_refresh(store: *mut SrdStore) -> Status;
    pub fn srd_entry_data(entry: *const SrdEntry, out_len: *mut usize) -> *const u8;
    pub fn srd_entry_free(entry: *mut SrdEntry);
    pub fn srd_entry_read_at(
        entry: *const SrdEntry,
        offset: u64,
        buf: *mut u8,
        cap: usize,
        out_n: *mut usize,
    ) -> Status;
    pub fn srd_entry_key_hash(entry: *const SrdEntry, out: *mut u64) -> Status;
    pub fn srd_entry_checksum(entry: *const SrdEntry, out: *mut u32) -> Status;
    pub fn srd_entry_offset(entry: *const SrdEntry, out: *mut u64) -> Status;
    pub fn srd_entry_verify(entry: *const SrdEntry) -> Status;
    pub fn srd_stream_begin(
        store: *mut SrdStore,
        key: *const u8,
        key_len: usize,
        out: *mut *mut SrdStream,
    ) -> Status;
    pub fn srd_stream_begin_with_hash(
        store: *mut SrdStore,
        key_hash: u64,
        out: *mut *mut SrdStream,
    ) -> Status;
    pub fn srd_stream_write(stream: *mut SrdStream, data: *const u8, len: usize) -> Status;
    pub fn srd_stream_commit(stream: *mut SrdStream) -> Status;
    pub fn srd_stream_abort(stream: *mut SrdStream);
    pub fn srd_iter_new(store: *const SrdStore, out: *mut *mut SrdIter) -> Status;
    pub fn srd_iter_new_part(
        store: *const SrdStore,
        part: u32,
        parts: u32,
        out: *mut *mut SrdIter,
    ) -> Status;
    pub fn srd_iter_next(
        iter: *mut SrdIter,
        out_key_hash: *mut u64,
        out_value: *mut *const u8,
        out_len: *mut usize,
    ) -> Status;
    pub fn srd_iter_free(iter: *mut SrdIter);
    pub fn srd_hash_key(key: *const u8, key_len: usize, out: *mut u64) -> Status;
    pub fn srd_rename(
        store: *mut SrdStore,
        old_key: *const u8,
        old_key_len: usize,
        new_key: *const u8,
        new_key_len: usize,
    ) -> Status;
    pub fn srd_verify(store: *const SrdStore, out: *mut VerifyReport) -> Status;
    pub fn srd_reclaimable_bytes(store: *const SrdStore, out: *mut u64) -> Status;
    pub fn srd_open_bytes(data: *const u8, len: usize, out: *mut *mut SrdStore) -> Status;
    pub fn srd_open_entry(entry: *const SrdEntry, out: *mut *mut SrdStore) -> Status;
}

// --- Helpers -----------------------------------------------------------------

/// Name of a status code, for failure messages.
pub fn status_name(s: Status) -> &'static str {
    match s {
        OK => "SRD_OK",
        NOT_FOUND => "SRD_NOT_FOUND",
        INVALID_ARGUMENT => "SRD_INVALID_ARGUMENT",
        IO => "SRD_IO",
        CORRUPT => "SRD_CORRUPT",
        LOCKED => "SRD_LOCKED",
        READ_ONLY => "SRD_READ_ONLY",
        PANIC => "SRD_PANIC",
        BUSY => "SRD_BUSY",
        _ => "unknown status",
    }
}

/// The thread's last error message.
pub fn last_error() -> String {
    // SAFETY: never NULL, NUL-terminated, valid until the next failing call.
    unsafe { CStr::from_ptr(srd_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

/// Panics (= a fuzzer crash) unless `got` is `want`, naming the call.
#[track_caller]
pub fn expect_status(got: Status, want: Status, what: &str) {
    if got != want {
        panic!(
            "{what}: got {} ({got}), expected {} ({want}); last error: {}",
            status_name(got),
            status_name(want),
            last_error()
        );
    }
}

/// A status that is never acceptable: a caught panic.
#[track_caller]
pub fn no_panic(got: Status, what: &str) -> Status {
    if got == PANIC {
        panic!("{what}: SRD_PANIC: {}", last_error());
    }
    got
}

/// Bytes at `ptr`, `len` long, copied out.
///
/// # Safety
/// `ptr` readable for `len` bytes (NULL allowed when `len` is 0).
pub unsafe fn copy_out(ptr: *const u8, len: usize) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    assert!(!ptr.is_null(), "NULL value pointer with length {len}");
    // SAFETY: per the caller's contract.
    unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
}

/// Bytes of a pinned entry.
///
/// # Safety
/// `entry` a live entry.
pub unsafe fn entry_bytes(entry: *const SrdEntry) -> Vec<u8> {
    let mut len = 0usize;
    // SAFETY: live entry per the contract.
    let p = unsafe { srd_entry_data(entry, &mut len) };
    assert_eq!(
        p as usize % 64,
        0,
        "pinned value pointer {p:p} is not 64-byte aligned"
    );
    // SAFETY: valid until srd_entry_free.
    unsafe { copy_out(p, len) }
}

/// XXH3-64 of `key` through the library, checked against the reference
/// implementation the format names.
pub fn hash_key(key: &[u8]) -> u64 {
    let mut h = 0u64;
    // SAFETY: key readable for its length.
    let rc = unsafe { srd_hash_key(key.as_ptr(), key.len(), &mut h) };
    expect_status(rc, OK, "srd_hash_key");
    assert_eq!(
        h,
        xxhash_rust::xxh3::xxh3_64(key),
        "srd_hash_key disagrees with xxh3_64 for {key:?}"
    );
    h
}

/// A buffer whose start is 64-byte aligned (as a memory-mapped file is), so
/// that the library's alignment promise can be checked.
pub struct Aligned {
    buf: Vec<u8>,
    off: usize,
    len: usize,
}

impl Aligned {
    pub fn new(data: &[u8]) -> Self {
        let mut buf = vec![0u8; data.len() + 64];
        let off = (64 - buf.as_ptr() as usize % 64) % 64;
        buf[off..off + data.len()].copy_from_slice(data);
        Aligned {
            buf,
            off,
            len: data.len(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.off..self.off + self.len]
    }
}

/// A private scratch directory for this process (on tmpfs when there is
/// one, so that fsync costs nothing), removed at exit.
pub fn scratch_dir(target: &str) -> &'static Path {
    use std::sync::OnceLock;
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::var_os("SRD_FUZZ_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let shm = Path::new("/dev/shm");
                if shm.is_dir() {
                    shm.to_path_buf()
                } else {
                    std::env::temp_dir()
                }
            });
        // Directories of earlier processes that crashed (no exit handler ran).
        let prefix = format!("srd-fuzz-{target}-");
        for e in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix(&prefix) {
                if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(format!("{prefix}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        extern "C" fn cleanup() {
            if let Some(d) = DIR.get() {
                let _ = std::fs::remove_dir_all(d);
            }
        }
        extern "C" {
            fn atexit(f: extern "C" fn()) -> i32;
        }
        // SAFETY: registers a plain function; runs at normal process exit.
        unsafe { atexit(cleanup) };
        dir
    })
}

/// A path as a C string.
pub fn c_path(p: &Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).expect("path without NUL")
}

/// Opens `path` with `flags`; the status and the handle (NULL on failure).
pub fn open(path: &CString, flags: u32) -> (Status, *mut SrdStore) {
    let mut s: *mut SrdStore = std::ptr::null_mut();
    // SAFETY: NUL-terminated path, writable output.
    let rc = unsafe { srd_open(path.as_ptr(), flags, &mut s) };
    no_panic(rc, "srd_open");
    if rc == OK {
        assert!(!s.is_null(), "srd_open returned SRD_OK and a NULL handle");
    } else {
        assert!(s.is_null(), "srd_open wrote a handle on failure");
    }
    (rc, s)
}

pub fn count(s: *const SrdStore) -> u64 {
    let mut n = u64::MAX;
    // SAFETY: live handle.
    expect_status(unsafe { srd_count(s, &mut n) }, OK, "srd_count");
    n
}

pub fn entry_count(s: *const SrdStore) -> u64 {
    let mut n = u64::MAX;
    // SAFETY: live handle.
    expect_status(unsafe { srd_entry_count(s, &mut n) }, OK, "srd_entry_count");
    n
}

pub fn file_size(s: *const SrdStore) -> u64 {
    let mut n = u64::MAX;
    // SAFETY: live handle.
    expect_status(unsafe { srd_file_size(s, &mut n) }, OK, "srd_file_size");
    n
}

pub fn reclaimable(s: *const SrdStore) -> u64 {
    let mut n = u64::MAX;
    // SAFETY: live handle.
    expect_status(
        unsafe { srd_reclaimable_bytes(s, &mut n) },
        OK,
        "srd_reclaimable_bytes",
    );
    n
}

pub fn verify(s: *const SrdStore) -> (Status, VerifyReport) {
    let mut r = VerifyReport::default();
    // SAFETY: live handle, writable report.
    let rc = no_panic(unsafe { srd_verify(s, &mut r) }, "srd_verify");
    (rc, r)
}

/// One step of an iterator.
pub enum Step {
    Item(u64, *const u8, usize),
    Corrupt,
    End,
}

/// Drains an iterator into steps (at most `limit`, to catch runaways).
///
/// # Safety
/// `it` a live iterator.
pub unsafe fn drain(it: *mut SrdIter, limit: usize) -> Vec<Step> {
    let mut out = Vec::new();
    loop {
        let (mut h, mut p, mut n) = (0u64, std::ptr::null::<u8>(), 0usize);
        // SAFETY: live iterator, writable outputs.
        let rc = unsafe { srd_iter_next(it, &mut h, &mut p, &mut n) };
        match no_panic(rc, "srd_iter_next") {
            OK => {
                assert!(n >= 1, "iterator yielded an empty value");
                assert_eq!(
                    p as usize % 64,
                    0,
                    "iterated value {p:p} is not 64-byte aligned"
                );
                out.push(Step::Item(h, p, n));
            }
            CORRUPT => out.push(Step::Corrupt),
            NOT_FOUND => {
                // Exhausted iterators stay exhausted.
                // SAFETY: as above.
                let again = unsafe { srd_iter_next(it, &mut h, &mut p, &mut n) };
                expect_status(again, NOT_FOUND, "srd_iter_next after the end");
                out.push(Step::End);
                return out;
            }
            other => panic!(
                "srd_iter_next: unexpected {} ({other}): {}",
                status_name(other),
                last_error()
            ),
        }
        assert!(
            out.len() <= limit,
            "iterator yields more than {limit} steps"
        );
    }
}
