//! Status codes, the panic boundary and the thread-local error detail (the
//! message and the OS error number of the last failure).

use crate::error::Error;
use crate::sync::thread::{Last, THREAD};
use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// @brief Result of every fallible `srd_` function (rule E1 in @ref conventions).
///
/// `SRD_OK` (0) is success; any other value is a failure, described in more
/// detail by srd_last_error_message() and srd_last_error_os_errno() on the same
/// thread (rules E2 and E5). In C before C23 the type is `int32_t`, and
/// the enumeration's tag is `srd_status_code` (a tag named like the
/// typedef would be invalid C++, which `-Wc++-compat` reports); the set of codes may grow in later versions, so treat unknown
/// values as failures (srd_status_str() names them "unknown status code"). Each
/// function lists the codes it can return.
/// @ingroup errors
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum srd_status {
    /// Success.
    SRD_OK = 0,
    /// The key has no live value (absent or deleted), or the file to open
    /// does not exist and may not be created.
    SRD_NOT_FOUND = 1,
    /// A pointer, length, flag or value the call cannot accept; nothing was
    /// changed.
    SRD_INVALID_ARGUMENT = 2,
    /// An operating-system call failed (disk full, permission denied, ...);
    /// the store is left consistent.
    SRD_IO = 3,
    /// The file is not a valid store, its metadata chain is broken in the
    /// middle, or a value failed its checksum. The file is not modified.
    SRD_CORRUPT = 4,
    /// Another read-write handle (in this process or another) holds the
    /// file's writer lock.
    SRD_LOCKED = 5,
    /// A write, delete or compaction on a store opened with
    /// `SRD_OPEN_READ_ONLY`.
    SRD_READ_ONLY = 6,
    /// A bug inside the library was caught at the C boundary; the call had no
    /// effect that can be relied on. Please report it.
    SRD_PANIC = 7,
    /// The calling thread holds an open stream (`srd_stream_begin`) on this
    /// store: a write, delete, compaction or second stream from the same
    /// thread would wait for itself, so it fails instead. Nothing changed.
    SRD_BUSY = 8,
    /// This handle can no longer write, and nothing was changed: an earlier
    /// `fdatasync` failed (with `SRD_OPEN_SYNC` or `srd_sync`: data written
    /// before may not be on disk, and Linux reports such an error only once),
    /// a failed append could not be rolled back, or the handle was inherited
    /// across `fork()` (only the process that opened a store may write
    /// through it). Reads through the handle still work. Close it and open
    /// the store again (like LMDB's `MDB_PANIC`); in a forked child, open the
    /// store anew once the parent has closed it.
    SRD_BROKEN = 9,
    /// A conditional write (srd_write_if_absent(), srd_write_if_version(),
    /// srd_delete_if_version()) found its condition false: the key had a
    /// value where none was expected, or its live version is not the one
    /// expected. Nothing was written.
    SRD_CONFLICT = 10,
}

use srd_status::*;

/// Text of the last failure, per thread.
enum LastError {
    Static(&'static CStr),
    Owned(CString),
}

/// The message of a failure made while its thread is exiting, once the
/// formatted messages' storage is gone (see `set_last_owned`).
const EXITING: &CStr = c"(message unavailable: the thread is exiting)";

thread_local! {
    /// The message when [`Last::fixed`] is `None`: a formatted text. Kept (not
    /// freed) while a fixed text is shown, until the next formatted one.
    static LAST_OWNED: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// A failed call: its status, the message for `srd_last_error_message` and
/// the OS error number for `srd_last_error_os_errno` (0: none).
pub(crate) struct Failure {
    pub(crate) status: srd_status,
    message: LastError,
    errno: i32,
}

impl Failure {
    /// A failure with a fixed message (no allocation).
    pub(crate) fn fixed(status: srd_status, message: &'static CStr) -> Self {
        Failure {
            status,
            message: LastError::Static(message),
            errno: 0,
        }
    }

    /// A failure with a formatted message.
    pub(crate) fn new(status: srd_status, message: impl Into<String>) -> Self {
        let mut bytes = message.into().into_bytes();
        bytes.retain(|&b| b != 0);
        let text = CString::new(bytes).unwrap_or_default();
        Failure {
            status,
            message: LastError::Owned(text),
            errno: 0,
        }
    }

    /// `SRD_INVALID_ARGUMENT` with a message.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Failure::new(
            SRD_INVALID_ARGUMENT,
            format!("invalid argument: {}", message.into()),
        )
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::InvalidArgument(_) => SRD_INVALID_ARGUMENT,
            Error::FileNotFound(_) => SRD_NOT_FOUND,
            Error::Locked(_) => SRD_LOCKED,
            Error::ReadOnly(_) => SRD_READ_ONLY,
            Error::Busy(_) => SRD_BUSY,
            Error::Broken { .. } => SRD_BROKEN,
            Error::Corrupt { .. } => SRD_CORRUPT,
            Error::Conflict { .. } => SRD_CONFLICT,
            Error::Io { .. } => SRD_IO,
        };
        // The OS error number, where the failure came from an OS call that
        // gave one. `FileNotFound` is made only from an open that failed
        // with `io::ErrorKind::NotFound`, which is ENOENT on Unix.
        let errno = match &e {
            Error::Io { source, .. } => source.raw_os_error().unwrap_or(0),
            Error::FileNotFound(_) => libc::ENOENT,
            _ => 0,
        };
        let mut f = Failure::new(status, e.to_string());
        f.errno = errno;
        f
    }
}

/// Records a failure's detail for this thread.
#[inline]
fn set_last(message: LastError, errno: i32) {
    match message {
        LastError::Static(s) => set_last_fields(Last {
            fixed: Some(s),
            errno,
        }),
        LastError::Owned(s) => set_last_owned(s, errno),
    }
}

#[cold]
#[inline(never)]
fn set_last_owned(s: CString, errno: i32) {
    // In a pthread key destructor or an atexit handler (glibc runs both after
    // the thread's Rust TLS destructors) LAST_OWNED is gone and `with` would
    // panic outside catch_unwind, aborting the process: keep a fixed text.
    let fixed = match LAST_OWNED.try_with(|m| *m.borrow_mut() = Some(s)) {
        Ok(()) => None,
        Err(_) => Some(EXITING),
    };
    set_last_fields(Last { fixed, errno });
}

/// Sets this thread's [`Last`] (in [`crate::sync::thread`], beside the
/// reader's record: a missed lookup reaches both with one thread-local
/// address lookup).
#[inline(always)]
fn set_last_fields(last: Last) {
    THREAD.with(|t| t.last.set(last));
}

/// This thread's [`Last`].
fn last_fields() -> Last {
    THREAD.with(|t| t.last.get())
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Runs the body of an export: converts its result to a status, records the
/// message of a failure, and stops a panic from unwinding into C.
#[inline]
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> srd_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => SRD_OK,
        Ok(Err(f)) => {
            let status = f.status;
            set_last(f.message, f.errno);
            status
        }
        Err(payload) => panicked(payload),
    }
}

/// Records a caught panic's message; its status.
#[cold]
#[inline(never)]
fn panicked(payload: Box<dyn Any + Send>) -> srd_status {
    let msg = format!("internal error (panic): {}", panic_text(&*payload));
    set_last(Failure::new(SRD_PANIC, msg).message, 0);
    SRD_PANIC
}

/// Runs an export that cannot report a status; a panic gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// @brief Returns a short, static English description of a status code.
///
/// @param status Any value: codes this version does not know give "unknown
/// status code".
/// @return A static NUL-terminated string, never NULL; never free it (rule L4 in
/// @ref conventions).
///
/// Threads: any thread, at any time (rule T4).
/// @ingroup errors
#[no_mangle]
pub extern "C" fn srd_status_str(status: i32) -> *const c_char {
    let text: &'static CStr = match status {
        0 => c"ok",
        1 => c"not found",
        2 => c"invalid argument",
        3 => c"I/O error",
        4 => c"corrupt store file or value",
        5 => c"store is locked by another writer",
        6 => c"store is open read-only",
        7 => c"internal error (panic caught at the C boundary)",
        8 => c"busy: this thread has an open stream on the store",
        9 => c"broken: this handle can no longer write; close it and open the store again",
        10 => c"conflict: the condition of a conditional write did not hold",
        _ => c"unknown status code",
    };
    text.as_ptr()
}

/// @brief Returns the message of the last failed `srd_` call on the calling
/// thread.
///
/// The message says what went wrong, with the path, offset and operating-system
/// error where they apply. Successful calls do not change it (rule E2 in @ref
/// conventions). Before any failure on this thread it is the empty string. A
/// failure made while its thread or the process is exiting, after the
/// library's per-thread storage is gone (from a pthread key destructor, an
/// `atexit` handler or a C++ static destructor), still returns its status and
/// sets its OS error number, but its message reads "(message unavailable: the
/// thread is exiting)".
///
/// @return A NUL-terminated string owned by the library, never NULL; never free
/// it. Lifetime: until the next failing `srd_` call on the same thread (rule L4).
///
/// Threads: each OS thread has its own message; read it on the thread that made
/// the failing call, before any other `srd_` call there (rule E5: Go, Node and
/// other runtimes that move calls between threads must read it inside the same
/// native function as the call).
/// @ingroup errors
#[no_mangle]
pub extern "C" fn srd_last_error_message() -> *const c_char {
    guard_value(c"".as_ptr(), || {
        if let Some(s) = last_fields().fixed {
            return s.as_ptr();
        }
        // The CString's heap buffer stays put until the next formatted
        // message replaces it.
        LAST_OWNED
            .try_with(|m| m.borrow().as_ref().map_or(c"".as_ptr(), |s| s.as_ptr()))
            .unwrap_or(EXITING.as_ptr())
    })
}

/// @brief Returns the operating-system error number (`errno`) of the last failed
/// `srd_` call on the calling thread, or 0 if that failure had none.
///
/// Like SQLite's `sqlite3_system_errno()`: it tells apart the causes of an
/// `SRD_IO` failure (`ENOSPC`, `EACCES`, `EIO`, ...) without parsing the
/// message. It is set by every failure: to the number the failing OS call
/// reported for `SRD_IO` (0 in the rare case the OS gave none, such as a file
/// that ended early) and for `SRD_NOT_FOUND` from opening a path (`ENOENT`),
/// and to 0 for every other failure (a missing key, an invalid argument, a
/// corrupt file, a lock held by another writer, ...). Successful calls do not
/// change it (rule E2 in @ref conventions). Before any failure on this thread
/// it is 0.
///
/// @return The `errno` value of the last failure on this thread (positive, as
/// in `<errno.h>`), or 0 if it had none.
///
/// Threads: each OS thread has its own value; read it on the thread that made
/// the failing call, before any other `srd_` call there (rule E5).
/// @ingroup errors
#[no_mangle]
pub extern "C" fn srd_last_error_os_errno() -> i32 {
    guard_value(0, || last_fields().errno)
}

impl Failure {
    /// The failure's message as text.
    pub(crate) fn text(&self) -> String {
        match &self.message {
            LastError::Static(s) => s.to_string_lossy().into_owned(),
            LastError::Owned(s) => s.to_string_lossy().into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last() -> String {
        // SAFETY: srd_last_error_message always returns a valid C string.
        unsafe { CStr::from_ptr(srd_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_srd_panic_with_a_message() {
        let st = guard(|| panic!("boom at the boundary"));
        assert_eq!(st, SRD_PANIC);
        assert!(last().contains("boom at the boundary"), "{}", last());
    }

    #[test]
    fn failures_set_the_message_and_successes_keep_it() {
        assert_eq!(
            guard(|| Err(Failure::invalid("x is NULL"))),
            SRD_INVALID_ARGUMENT
        );
        assert_eq!(last(), "invalid argument: x is NULL");
        assert_eq!(guard(|| Ok(())), SRD_OK);
        assert_eq!(last(), "invalid argument: x is NULL");
    }

    #[test]
    fn fixed_and_formatted_messages_replace_each_other() {
        assert_eq!(
            guard(|| Err(Failure::invalid("first"))),
            SRD_INVALID_ARGUMENT
        );
        assert_eq!(last(), "invalid argument: first");
        let st = guard(|| Err(Failure::fixed(SRD_NOT_FOUND, c"key not found")));
        assert_eq!(st, SRD_NOT_FOUND);
        assert_eq!(last(), "key not found");
        assert_eq!(guard(|| Ok(())), SRD_OK);
        assert_eq!(last(), "key not found");
        assert_eq!(
            guard(|| Err(Failure::invalid("second"))),
            SRD_INVALID_ARGUMENT
        );
        assert_eq!(last(), "invalid argument: second");
        // Each thread has its own message, empty before its first failure.
        assert_eq!(std::thread::spawn(last).join().unwrap(), "");
    }

    #[test]
    fn the_os_errno_follows_the_last_failure() {
        let fresh = std::thread::spawn(|| srd_last_error_os_errno());
        assert_eq!(fresh.join().unwrap(), 0);
        let io = Error::io("x: write", std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(guard(|| Err(io.into())), SRD_IO);
        assert_eq!(srd_last_error_os_errno(), libc::ENOSPC);
        assert!(last().contains("x: write"), "{}", last());
        // Successes keep it; a failure without an OS error clears it.
        assert_eq!(guard(|| Ok(())), SRD_OK);
        assert_eq!(srd_last_error_os_errno(), libc::ENOSPC);
        let missing = Error::FileNotFound("/no/such".into());
        assert_eq!(guard(|| Err(missing.into())), SRD_NOT_FOUND);
        assert_eq!(srd_last_error_os_errno(), libc::ENOENT);
        let st = guard(|| Err(Failure::fixed(SRD_NOT_FOUND, c"key not found")));
        assert_eq!(st, SRD_NOT_FOUND);
        assert_eq!(srd_last_error_os_errno(), 0);
        let other = Error::io("y", std::io::Error::other("no number"));
        assert_eq!(guard(|| Err(other.into())), SRD_IO);
        assert_eq!(srd_last_error_os_errno(), 0);
        assert_eq!(guard(|| panic!("boom")), SRD_PANIC);
        assert_eq!(srd_last_error_os_errno(), 0);
    }

    #[test]
    fn every_status_has_static_text() {
        for code in -1..10 {
            // SAFETY: srd_status_str always returns a static C string.
            let s = unsafe { CStr::from_ptr(srd_status_str(code)) };
            assert!(!s.to_bytes().is_empty());
        }
    }
}
