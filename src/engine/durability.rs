//! Durability: `fdatasync` and group commit.

use super::Store;
use crate::error::{Error, Result};
use crate::sync::lock;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Longest commit delay (see [`Store::make_durable`]), in microseconds; it
/// is also at most a quarter of the last sync's duration.
const COMMIT_DELAY_MAX_US: u64 = 500;

/// Group commit: what is known durable, and whether a sync is under way.
#[derive(Default)]
pub(crate) struct SyncState {
    generation: u64,
    durable: u64,
    in_progress: bool,
    /// Durable writes that reached [`Store::make_durable`] (appended and
    /// waiting to be covered by a sync), ever.
    arrivals: u64,
    /// `arrivals` when the last sync finished.
    arrivals_then: u64,
    /// Writers in the last sync's group: its leader and those waiting when
    /// it finished (some of which wrote after it began, for the next one).
    last_group: u64,
    /// Whether a leader is in its commit delay (then arrivals notify it).
    delaying: bool,
    /// Writers waiting in `make_durable` now.
    waiting: u64,
    /// How long the last sync took.
    last_sync: Duration,
}

/// Group commit's state and the signals its writers wait for.
#[derive(Default)]
pub(crate) struct Durability {
    state: Mutex<SyncState>,
    /// Signalled when a sync finishes.
    done: Condvar,
    /// Signalled when a durable write arrives in `make_durable` (for a
    /// leader's commit delay).
    arrived: Condvar,
}

impl Durability {
    /// After the file was replaced by one synced whole (compaction): a new
    /// file generation, durable up to `len`. Wakes the writers waiting for
    /// a sync of the old file (it is all durable now).
    pub(crate) fn reset(&self, generation: u64, len: u64) {
        {
            let mut st = lock(&self.state);
            st.generation = generation;
            st.durable = len;
        }
        self.done.notify_all();
    }
}

impl Store {
    /// Makes everything written so far durable.
    pub fn sync(&self) -> Result<()> {
        if self.writer.is_none() {
            return Ok(());
        }
        // A handle that already failed a sync (or was inherited across
        // fork) must not report success now: Linux reports a writeback
        // error once, so a second fdatasync could succeed over lost data.
        let mut w = self.lock_writer_raw()?;
        w.file.sync_data().map_err(|e| {
            w.broken = Some(format!("fdatasync failed: {e}"));
            Error::io(format!("{}: fdatasync", self.path.display()), e)
        })
    }

    /// With `sync`: returns once everything up to `upto` (in file generation
    /// `generation`) is durable. Concurrent writers share one `fdatasync`
    /// (group commit): a sync covers everything written before it began, so
    /// a writer whose data an earlier or ongoing sync covers just waits for it.
    /// Runs without the writer's mutex, so others append meanwhile.
    pub(crate) fn make_durable(&self, generation: u64, upto: u64) -> Result<()> {
        if !self.options.sync {
            return Ok(());
        }
        let lock_state = || lock(&self.durability.state);
        let mut st = lock_state();
        st.arrivals += 1;
        let arrival = st.arrivals;
        if st.delaying {
            self.durability.arrived.notify_all();
        }
        loop {
            if st.generation != generation {
                // A compaction since copied and synced everything.
                return Ok(());
            }
            if st.durable >= upto {
                return Ok(());
            }
            if !st.in_progress {
                break;
            }
            st.waiting += 1;
            st = crate::sync::wait(&self.durability.done, st);
            st.waiting -= 1;
        }
        st.in_progress = true;
        // Commit delay: when the last sync covered several writers, they are
        // likely to be back with their next write within a moment (each
        // returned when that sync finished). Waiting for them, briefly,
        // lets this sync cover them too instead of each paying for one of
        // its own. A writer on its own never waits, except once just after
        // the others stopped.
        if st.last_group > 1 {
            let limit = (st.last_sync / 4).min(Duration::from_micros(COMMIT_DELAY_MAX_US));
            // This writer, if it was waiting when the last sync finished,
            // arrived before `arrivals_then` but is back all the same.
            let me = u64::from(arrival <= st.arrivals_then);
            let t0 = Instant::now();
            st.delaying = true;
            while st.arrivals - st.arrivals_then + me < st.last_group {
                let left = limit.saturating_sub(t0.elapsed());
                if left.is_zero() {
                    break;
                }
                st = crate::sync::wait_timeout(&self.durability.arrived, st, left);
            }
            st.delaying = false;
        }
        drop(st);
        let (handle, target, gen_now) = {
            let w = self.lock_writer_raw();
            match w {
                Ok(w) => (Arc::clone(&w.sync_handle), w.tail, w.generation),
                Err(e) => {
                    let mut st = lock_state();
                    st.in_progress = false;
                    self.durability.done.notify_all();
                    return Err(e);
                }
            }
        };
        let t_sync = Instant::now();
        let res = handle.sync_data();
        if let Err(e) = &res {
            // What reached the file can no longer be trusted to be on disk,
            // and later appends may already follow it: refuse further
            // writes. Before any waiter wakes: one that took over would sync
            // again, and as Linux reports a writeback error once per open
            // file, its sync could succeed and call data durable that is not.
            if let Some(writer) = &self.writer {
                crate::sync::lock(writer).broken = Some(format!("fdatasync failed: {e}"));
            }
        }
        let mut st = lock_state();
        st.in_progress = false;
        st.last_sync = t_sync.elapsed();
        st.last_group = 1 + st.waiting;
        st.arrivals_then = st.arrivals;
        if res.is_ok() && st.generation == gen_now {
            st.durable = st.durable.max(target);
        }
        drop(st);
        self.durability.done.notify_all();
        res.map_err(|e| Error::io(format!("{}: fdatasync", self.path.display()), e))
    }
}
