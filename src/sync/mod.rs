//! What readers and writers synchronize with: the read-copy-update cell
//! readers enter views through ([`view_cell`]), a thread's own state
//! ([`thread`]), the one rule for poisoned
//! locks ([`lock`]), and how a reader waits for a publisher ([`Backoff`]).

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

pub(crate) mod thread;
// Thread-local records that readers publish through raw pointers.
#[allow(unsafe_code)]
pub(crate) mod view_cell;

/// Locks `m`. A poisoned lock only means that a panic happened elsewhere
/// while it was held: every holder in this crate leaves the data it guards
/// consistent between its updates (publishers do not panic midway), and a
/// panic that reaches the C boundary is reported there as `SRD_PANIC`. So
/// the data is used as is.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits on `cv`, by the same rule as [`lock`].
pub(crate) fn wait<'a, T>(cv: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(g).unwrap_or_else(|e| e.into_inner())
}

/// Waits on `cv` for at most `d`, by the same rule as [`lock`].
pub(crate) fn wait_timeout<'a, T>(
    cv: &Condvar,
    g: MutexGuard<'a, T>,
    d: Duration,
) -> MutexGuard<'a, T> {
    cv.wait_timeout(g, d).unwrap_or_else(|e| e.into_inner()).0
}

/// Waiting for a publisher: spin briefly, then yield (on two cores the
/// publisher may be waiting for this very core).
#[derive(Default)]
pub(crate) struct Backoff(u32);

impl Backoff {
    pub(crate) fn snooze(&mut self) {
        self.0 = self.0.saturating_add(1);
        if self.0 < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }

    /// Rounds waited so far.
    pub(crate) fn rounds(&self) -> u32 {
        self.0
    }
}
