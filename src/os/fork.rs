//! Telling whether this process is the one that opened a store.
//!
//! A writer lock (`flock`) belongs to the open file description, which a
//! child made by `fork()` shares with its parent: if the child unlocked it
//! (closing or destroying an inherited handle, often from an `exit()`
//! handler), a third process could open the store for writing beside the
//! parent, and acknowledged writes would be lost. So a handle remembers the
//! process that opened it: in any other process it never unlocks, never
//! saves the index copy and refuses writes ([`crate::error::Error::Broken`]).
//!
//! The check on every write must be cheap: a `pthread_atfork` handler counts
//! forks in the child ([`generation`]); the slower `getpid()` is used where
//! a handle is dropped, which also covers children made without running the
//! handlers (a raw `clone`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static FORKS: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

extern "C" fn in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// Where a handle was opened: the process and its fork generation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Owner {
    pid: u32,
    generation: u64,
}

impl Owner {
    /// The calling process.
    pub(crate) fn current() -> Owner {
        REGISTER.call_once(|| {
            // SAFETY: `in_child` is a plain `extern "C"` function with no
            // captured state that only touches an atomic, which is
            // async-signal-safe as a fork handler must be. glibc's
            // `pthread_atfork` records this library's DSO handle, so the
            // handler is unregistered if the library is unloaded.
            unsafe {
                libc::pthread_atfork(None, None, Some(in_child));
            }
        });
        Owner {
            pid: std::process::id(),
            generation: FORKS.load(Ordering::Relaxed),
        }
    }

    /// Cheap check for the write path: no fork since the handle was opened
    /// (as far as the fork handlers tell).
    #[inline]
    pub(crate) fn is_current_fast(&self) -> bool {
        FORKS.load(Ordering::Relaxed) == self.generation
    }

    /// Exact check (a system call): this is the process that opened it.
    pub(crate) fn is_current(&self) -> bool {
        self.is_current_fast() && std::process::id() == self.pid
    }
}
