//! A thread's small state, kept in one thread-local variable.
//!
//! In a shared library every thread-local variable is reached through a call
//! to `__tls_get_addr` (the general-dynamic model; stable Rust cannot ask for
//! another). Within one function the compiler computes a variable's address
//! once, however many times it is used, but two variables cost two calls. A
//! missed lookup uses two pieces of per-thread state (the reader's record,
//! then the failure it reports), so they share this one variable: one call
//! instead of two (208 to 195 instructions a miss, callgrind).
//!
//! Both fields are constant-initialized and have no destructor, so they are
//! usable at any time in the thread's life (even from other thread-locals'
//! destructors) and reading them needs no lazy-initialization check.

use std::cell::Cell;
use std::ffi::CStr;

/// The detail of the last failure on a thread (see `ffi::error`): one `Cell`,
/// so recording a fixed-text failure (the common `SRD_NOT_FOUND` of a lookup)
/// is two stores.
#[derive(Clone, Copy)]
pub(crate) struct Last {
    /// The message when it is a fixed text (`None`: a formatted message,
    /// kept by `ffi::error`).
    pub(crate) fixed: Option<&'static CStr>,
    /// The OS error number of the last failure (0: it had none).
    pub(crate) errno: i32,
}

/// See the module's docs.
pub(crate) struct PerThread {
    /// The reader record of [`super::view_cell`] this thread holds: NULL
    /// until its first read and again once that record is given back. Only
    /// `view_cell` sets it, and only to a record it leaked (valid forever).
    pub(crate) record: Cell<*const ()>,
    /// See [`Last`].
    pub(crate) last: Cell<Last>,
}

thread_local! {
    /// This thread's [`PerThread`].
    pub(crate) static THREAD: PerThread = const {
        PerThread {
            record: Cell::new(std::ptr::null()),
            last: Cell::new(Last { fixed: Some(c""), errno: 0 }),
        }
    };
}
