//! The store's current [`crate::engine::View`], readable without writing any
//! shared memory: a read-side critical section costs two stores to a
//! per-thread counter and no atomic read-modify-write or fence.
//!
//! This is read-copy-update with asymmetric fences. A reader marks its thread
//! "inside" (its counter odd), loads the pointer and uses the value; leaving
//! makes the counter even again. A writer swaps the pointer, then makes every
//! thread of the process execute a full memory barrier (`membarrier(2)`,
//! `MEMBARRIER_CMD_PRIVATE_EXPEDITED`): after it, a reader that loaded the old
//! pointer has its odd counter visible to the writer, and a reader that did
//! not will load the new one. The old value is dropped once each counter that
//! was odd then has changed (a grace period); until that it waits in a list,
//! so a writer never blocks on a reader for long (it spins briefly, then
//! leaves the rest to later writes).
//!
//! Where `membarrier` is not available (an old kernel, a seccomp filter),
//! readers and writers use a `SeqCst` fence instead: correct, and no slower
//! than a reference count. A thread whose thread-local storage is gone (a
//! read from a thread-local destructor) uses a shared counter.

use super::thread::THREAD;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{compiler_fence, fence, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize};
use std::sync::{Arc, Mutex};

/// A reader thread's counter: odd while it is inside a critical section.
/// Records are leaked and reused by later threads (one per thread that ever
/// read at the same time as others: 128 bytes each). Each has cache lines of
/// its own (128 bytes: the adjacent-line prefetcher pairs lines), so readers
/// on different cores never write to a shared line.
#[repr(align(128))]
struct Record {
    seq: AtomicU64,
    /// Guards of the owning thread alive now (any cell): the counter is odd
    /// while this is above 0. Only the owning thread touches it.
    depth: AtomicU64,
    in_use: AtomicU8,
}

/// Every record; a writer looks at those in use.
static RECORDS: Mutex<Vec<&'static Record>> = Mutex::new(Vec::new());

/// Readers without a record (thread-local storage already destroyed).
static SLOW_READERS: AtomicUsize = AtomicUsize::new(0);

/// How the two sides order their memory accesses, decided once.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Barrier {
    /// Readers need only a compiler fence; writers call `membarrier`.
    Membarrier,
    /// Both sides use `fence(SeqCst)`.
    Fence,
}

/// The [`Barrier`] decided (`UNDECIDED` until the first cell is made). A
/// plain atomic rather than a `OnceLock`, so that a reader's check is one
/// load and one branch. It is set before any cell exists, hence before any
/// reader looks, and never changes after.
static BARRIER: AtomicU8 = AtomicU8::new(UNDECIDED);
const UNDECIDED: u8 = 0;
const MEMBARRIER: u8 = 1;
const FENCE: u8 = 2;

fn barrier_kind() -> Barrier {
    let mut b = BARRIER.load(Acquire);
    if b == UNDECIDED {
        // Registering twice (two threads making their first cells at once)
        // is harmless; the first decision stored wins and is the one used.
        let want = if crate::os::platform::membarrier_register() {
            MEMBARRIER
        } else {
            FENCE
        };
        b = match BARRIER.compare_exchange(UNDECIDED, want, AcqRel, Acquire) {
            Ok(_) => want,
            Err(won) => won,
        };
    }
    if b == MEMBARRIER {
        Barrier::Membarrier
    } else {
        Barrier::Fence
    }
}

/// Whether readers must fence: anything but a decided `membarrier` (a
/// reader never sees `UNDECIDED`, as cells are made after the decision; if
/// it did, the fence is the safe side).
#[inline(always)]
fn readers_fence() -> bool {
    BARRIER.load(Relaxed) != MEMBARRIER
}

/// This thread's record, released for reuse when the thread exits.
struct Local(&'static Record);

impl Local {
    fn register() -> Local {
        let mut all = crate::sync::lock(&RECORDS);
        let free = all
            .iter()
            .find(|r| r.in_use.compare_exchange(0, 1, Acquire, Relaxed).is_ok());
        let rec = match free {
            Some(r) => *r,
            None => {
                let r: &'static Record = Box::leak(Box::new(Record {
                    seq: AtomicU64::new(0),
                    depth: AtomicU64::new(0),
                    in_use: AtomicU8::new(1),
                }));
                all.push(r);
                r
            }
        };
        Local(rec)
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // From here on this thread reads through `SLOW_READERS`.
        THREAD.with(|t| t.record.set(std::ptr::null()));
        // Normally the thread is outside every critical section by now. A
        // guard still alive (held by another thread-local's destructor)
        // keeps the record: it is never handed to another thread then.
        if self.0.depth.load(Relaxed) == 0 {
            self.0.in_use.store(0, Release);
        }
    }
}

thread_local! {
    /// Owns this thread's record and gives it back at thread exit.
    static LOCAL: Local = {
        let l = Local::register();
        THREAD.with(|t| t.record.set(std::ptr::from_ref(l.0).cast()));
        l
    };
}

/// The record `LOCAL` holds ([`super::thread::PerThread::record`]: NULL until the thread's
/// first read and again once `LOCAL` is destroyed). Constant-initialized and
/// without a destructor, so reading it is a plain thread-local load with no
/// lazy-initialization check: the fast path of every read.
#[inline(always)]
fn mine() -> *const Record {
    THREAD.with(|t| t.record.get()).cast()
}

/// This thread's record, registering one on first use; `None` once the
/// thread's `LOCAL` is destroyed (or being built).
#[inline(always)]
fn my_record() -> Option<&'static Record> {
    let p = mine();
    if p.is_null() {
        return my_record_slow();
    }
    // SAFETY: `PerThread::record` only ever holds a record from
    // `Local::register`, which leaks it (records are never freed), so the
    // reference is valid forever.
    Some(unsafe { &*p })
}

#[cold]
#[inline(never)]
fn my_record_slow() -> Option<&'static Record> {
    LOCAL.try_with(|l| l.0).ok()
}

/// How a guard entered its critical section.
enum Entry {
    /// Through this thread's record; the section ends with the last of the
    /// thread's guards (in whatever order they are dropped).
    Local(&'static Record),
    /// Through [`SLOW_READERS`].
    Slow,
}

#[inline(always)]
fn enter() -> Entry {
    match my_record() {
        Some(rec) => {
            // Only this thread writes its depth and counter.
            let d = rec.depth.load(Relaxed);
            rec.depth.store(d + 1, Relaxed);
            if d > 0 {
                return Entry::Local(rec);
            }
            let s = rec.seq.load(Relaxed);
            debug_assert_eq!(s & 1, 0);
            rec.seq.store(s + 1, Relaxed);
            if readers_fence() {
                fence(SeqCst);
            } else {
                // The writer's membarrier orders this store before the
                // pointer load that follows, as seen from the writer.
                compiler_fence(SeqCst);
            }
            Entry::Local(rec)
        }
        None => {
            SLOW_READERS.fetch_add(1, SeqCst);
            fence(SeqCst);
            Entry::Slow
        }
    }
}

#[inline(always)]
fn leave(e: &Entry) {
    match *e {
        Entry::Local(rec) => {
            let d = rec.depth.load(Relaxed) - 1;
            rec.depth.store(d, Relaxed);
            if d == 0 {
                // Release: everything this thread read of any value happens
                // before a writer's Acquire load that sees the counter move.
                let s = rec.seq.load(Relaxed);
                rec.seq.store(s + 1, Release);
            }
        }
        Entry::Slow => {
            SLOW_READERS.fetch_sub(1, Release);
        }
    }
}

/// A value swapped out, and the readers that may still use it.
struct Retired<T> {
    /// Held only to be dropped when the grace period is over.
    _value: Arc<T>,
    /// Records that were inside a critical section, with their counters.
    inside: Vec<(&'static Record, u64)>,
}

impl<T> Retired<T> {
    fn grace_period_over(&self) -> bool {
        fence(SeqCst);
        SLOW_READERS.load(Acquire) == 0
            && self.inside.iter().all(|(r, s)| r.seq.load(Acquire) != *s)
    }
}

/// The cell: an `Arc<T>` that readers borrow through [`ViewCell::load`].
pub(crate) struct ViewCell<T> {
    /// From `Arc::into_raw`: the cell owns one strong count.
    current: AtomicPtr<T>,
    retired: Mutex<Vec<Retired<T>>>,
    /// `retired.len()`, to skip the lock when there is nothing to collect.
    retired_count: AtomicUsize,
}

// SAFETY: the cell hands out `&T` to any thread and drops `T`s on any thread,
// exactly as `Arc<T>` does, so it is Send and Sync under the same bounds.
unsafe impl<T: Send + Sync> Send for ViewCell<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for ViewCell<T> {}

/// A borrowed value: the thread stays inside its critical section until the
/// guard is dropped. Not `Send` (the section belongs to the thread).
pub(crate) struct ViewGuard<'a, T> {
    arc: ManuallyDrop<Arc<T>>,
    entry: Entry,
    _cell: PhantomData<(&'a ViewCell<T>, *const ())>,
}

impl<T> Deref for ViewGuard<'_, T> {
    type Target = Arc<T>;
    fn deref(&self) -> &Arc<T> {
        &self.arc
    }
}

impl<T> Drop for ViewGuard<'_, T> {
    fn drop(&mut self) {
        // `arc` is never dropped: the cell (or the retired list) owns the
        // count it stands for.
        leave(&self.entry);
    }
}

impl<T> ViewCell<T> {
    pub(crate) fn new(value: Arc<T>) -> Self {
        barrier_kind();
        ViewCell {
            current: AtomicPtr::new(Arc::into_raw(value) as *mut T),
            retired: Mutex::new(Vec::new()),
            retired_count: AtomicUsize::new(0),
        }
    }

    /// The current value, borrowed until the guard is dropped.
    #[inline]
    pub(crate) fn load(&self) -> ViewGuard<'_, T> {
        let entry = enter();
        let p = self.current.load(Acquire);
        // SAFETY: `p` came from `Arc::into_raw` and its count is held by the
        // cell or, once swapped out, by the retired list; a retired value is
        // dropped only after every thread that was inside a critical section
        // when it was swapped out has left it, and this thread entered before
        // loading `p` (ordered by the writer's barrier, see the module docs),
        // so the count stays held while the guard lives. The `ManuallyDrop`
        // never gives the count back.
        let arc = ManuallyDrop::new(unsafe { Arc::from_raw(p) });
        ViewGuard {
            arc,
            entry,
            _cell: PhantomData,
        }
    }

    /// The current value, as an `Arc` of its own.
    pub(crate) fn load_full(&self) -> Arc<T> {
        Arc::clone(&self.load())
    }

    /// Makes `value` current. The old value is dropped when no reader can
    /// still use it: now if the readers that may are quick, else by a later
    /// `store` or [`ViewCell::collect`]. Callers serialize stores.
    pub(crate) fn store(&self, value: Arc<T>) {
        let new = Arc::into_raw(value) as *mut T;
        let old = self.current.swap(new, SeqCst);
        // SAFETY: `old` came from `Arc::into_raw` and the cell held its
        // count; that count now moves to the retired list.
        let old = unsafe { Arc::from_raw(old) };
        match barrier_kind() {
            Barrier::Membarrier => {
                if !crate::os::platform::membarrier_expedited() {
                    // Registered, so this does not fail; if it did, the
                    // fence is no guarantee: never drop the value.
                    std::mem::forget(old);
                    return;
                }
            }
            Barrier::Fence => fence(SeqCst),
        }
        let inside: Vec<(&'static Record, u64)> = {
            let all = crate::sync::lock(&RECORDS);
            all.iter()
                .filter_map(|r| {
                    let s = r.seq.load(Acquire);
                    (s & 1 == 1).then_some((*r, s))
                })
                .collect()
        };
        let mut retired = crate::sync::lock(&self.retired);
        retired.push(Retired {
            _value: old,
            inside,
        });
        // Readers leave within a microsecond unless they are descheduled
        // (or are this thread, in a callback): wait a little, not for them.
        for _ in 0..16 {
            if self.sweep(&mut retired) == 0 {
                break;
            }
            std::thread::yield_now();
        }
    }

    /// Drops the values of `retired` whose grace period is over; how many
    /// are left.
    fn sweep(&self, retired: &mut Vec<Retired<T>>) -> usize {
        retired.retain(|r| !r.grace_period_over());
        self.retired_count.store(retired.len(), Relaxed);
        retired.len()
    }

    /// Waits up to `max` for the retired values to be dropped (unless this
    /// thread is itself inside a section): after a swap whose old value
    /// holds much (a replaced file's mapping), on a store that may not be
    /// written again soon.
    pub(crate) fn wait_retired(&self, max: std::time::Duration) {
        let t0 = std::time::Instant::now();
        while !inside_now() && self.retired_count.load(Relaxed) != 0 && t0.elapsed() < max {
            std::thread::sleep(std::time::Duration::from_micros(50));
            self.collect_slow();
        }
    }

    /// Drops retired values whose grace period is over (cheap when none).
    #[inline]
    pub(crate) fn collect(&self) {
        if self.retired_count.load(Relaxed) != 0 {
            self.collect_slow();
        }
    }

    #[cold]
    fn collect_slow(&self) {
        let mut retired = crate::sync::lock(&self.retired);
        self.sweep(&mut retired);
    }
}

impl<T> Drop for ViewCell<T> {
    fn drop(&mut self) {
        // No guard exists (they borrow the cell).
        // SAFETY: the pointer came from `Arc::into_raw` and the cell holds
        // its count.
        drop(unsafe { Arc::from_raw(*self.current.get_mut()) });
    }
}

/// Whether this thread is inside a critical section (holds a guard). A
/// thread without its record counts as inside: it cannot tell.
fn inside_now() -> bool {
    my_record().is_none_or(|r| r.depth.load(Relaxed) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Counts live values, and poisons dropped ones so a use after drop is
    /// caught.
    struct Tracked {
        alive: AtomicBool,
        n: u64,
        live: Arc<AtomicUsize>,
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.alive.store(false, SeqCst);
            self.live.fetch_sub(1, SeqCst);
        }
    }

    /// Collects until `want` values are live. Readers of other tests, in
    /// the same process, may be inside a section at a swap: they leave soon.
    fn settle<T>(cell: &ViewCell<T>, live: &AtomicUsize, want: usize) {
        let t0 = std::time::Instant::now();
        while live.load(SeqCst) != want && t0.elapsed().as_secs() < 20 {
            cell.collect();
            std::thread::yield_now();
        }
        assert_eq!(live.load(SeqCst), want);
    }

    fn tracked(n: u64, live: &Arc<AtomicUsize>) -> Arc<Tracked> {
        live.fetch_add(1, SeqCst);
        Arc::new(Tracked {
            alive: AtomicBool::new(true),
            n,
            live: Arc::clone(live),
        })
    }

    #[test]
    fn old_values_are_dropped_once_no_reader_holds_them() {
        let live = Arc::new(AtomicUsize::new(0));
        let cell = ViewCell::new(tracked(0, &live));
        assert_eq!(cell.load().n, 0);
        for i in 1..100 {
            cell.store(tracked(i, &live));
            assert_eq!(cell.load().n, i);
        }
        // No reader of this cell was inside: every old value goes.
        settle(&cell, &live, 1);
        drop(cell);
        assert_eq!(live.load(SeqCst), 0);
    }

    #[test]
    fn a_held_guard_keeps_its_value_and_collect_drops_it_later() {
        let live = Arc::new(AtomicUsize::new(0));
        let cell = ViewCell::new(tracked(1, &live));
        let g = cell.load();
        assert!(inside_now());
        {
            // Nested guards share the section.
            let g2 = cell.load();
            assert_eq!(g2.n, 1);
        }
        assert!(inside_now());
        {
            // A guard of another cell taken inside and dropped after: the
            // section lasts until the last guard goes.
            let other = ViewCell::new(tracked(10, &live));
            let outer = other.load();
            let inner = cell.load();
            drop(outer);
            assert!(inside_now());
            other.store(tracked(11, &live));
            assert_eq!(inner.n, 1);
            drop(inner);
            assert!(inside_now(), "g is still alive");
            drop(other);
        }
        cell.store(tracked(2, &live));
        assert_eq!(live.load(SeqCst), 2, "the old value waits for the guard");
        assert!(g.alive.load(SeqCst));
        assert_eq!(g.n, 1);
        cell.collect();
        assert_eq!(live.load(SeqCst), 2);
        drop(g);
        assert!(!inside_now());
        settle(&cell, &live, 1);
        let full = cell.load_full();
        cell.store(tracked(3, &live));
        assert_eq!(full.n, 2, "an Arc of its own outlives the swap");
        settle(&cell, &live, 2);
        drop(full);
        assert_eq!(live.load(SeqCst), 1);
    }

    #[test]
    fn wait_retired_returns_once_readers_leave_and_never_waits_on_itself() {
        let live = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(ViewCell::new(tracked(1, &live)));
        let g = cell.load();
        cell.store(tracked(2, &live));
        let t0 = std::time::Instant::now();
        cell.wait_retired(std::time::Duration::from_secs(30));
        assert!(
            t0.elapsed().as_secs() < 5,
            "waited on this thread's own guard"
        );
        assert_eq!(g.n, 1);
        // Another thread's guard: the wait ends when it is dropped.
        let (tx, rx) = std::sync::mpsc::channel();
        let c2 = Arc::clone(&cell);
        let reader = std::thread::spawn(move || {
            let g = c2.load();
            tx.send(g.n).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(g);
        });
        assert_eq!(rx.recv().unwrap(), 2);
        drop(g);
        cell.store(tracked(3, &live));
        cell.wait_retired(std::time::Duration::from_secs(30));
        reader.join().unwrap();
        settle(&cell, &live, 1);
    }

    #[test]
    fn readers_on_many_threads_never_see_a_dropped_value() {
        let live = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(ViewCell::new(tracked(0, &live)));
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (cell, stop) = (Arc::clone(&cell), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut last = 0;
                    let mut reads = 0u64;
                    // At least one read each, however the threads are
                    // scheduled.
                    while reads == 0 || !stop.load(Relaxed) {
                        let g = cell.load();
                        assert!(g.alive.load(SeqCst), "read a dropped value");
                        assert!(g.n >= last, "went back from {last} to {}", g.n);
                        last = g.n;
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for i in 1..=2000 {
            cell.store(tracked(i, &live));
            cell.collect();
        }
        stop.store(true, Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
        settle(&cell, &live, 1);
        assert_eq!(cell.load().n, 2000);
    }

    #[test]
    fn records_of_different_threads_never_share_a_cache_line() {
        assert!(std::mem::align_of::<Record>() >= 128);
        let a = std::thread::spawn(|| LOCAL.with(|l| l.0 as *const Record as usize));
        let b = LOCAL.with(|l| l.0 as *const Record as usize);
        let a = a.join().unwrap();
        assert!(a.abs_diff(b) >= 128 || a == b, "{a:#x} and {b:#x}");
    }

    #[test]
    fn threads_that_exit_give_their_record_back() {
        let before = RECORDS.lock().unwrap().len();
        for _ in 0..20 {
            std::thread::spawn(|| {
                let cell = ViewCell::new(Arc::new(5u32));
                assert_eq!(**cell.load(), 5);
            })
            .join()
            .unwrap();
        }
        // Sequential threads reuse one record (other tests' threads may
        // hold a few more meanwhile).
        assert!(RECORDS.lock().unwrap().len() <= before + 8);
    }

    #[test]
    fn a_read_from_a_thread_local_destructor_after_the_record_is_gone_works() {
        static CELL: std::sync::OnceLock<ViewCell<u64>> = std::sync::OnceLock::new();
        let cell = CELL.get_or_init(|| ViewCell::new(Arc::new(7)));
        struct ReadsOnDrop(Arc<AtomicU64>);
        impl Drop for ReadsOnDrop {
            fn drop(&mut self) {
                let c = CELL.get().unwrap();
                // This thread's `LOCAL` is destroyed by now: the read goes
                // through the shared counter, and says so.
                assert!(mine().is_null());
                self.0.store(**c.load(), SeqCst);
            }
        }
        thread_local! {
            static LATE: std::cell::RefCell<Option<ReadsOnDrop>> =
                const { std::cell::RefCell::new(None) };
        }
        let seen = Arc::new(AtomicU64::new(0));
        let s2 = Arc::clone(&seen);
        std::thread::spawn(move || {
            // Registered before `LOCAL` (below), so destroyed after it:
            // thread-local destructors run in reverse order.
            LATE.with(|l| *l.borrow_mut() = Some(ReadsOnDrop(s2)));
            assert_eq!(**cell.load(), 7);
            assert!(!mine().is_null());
        })
        .join()
        .unwrap();
        assert_eq!(seen.load(SeqCst), 7);
        assert_eq!(SLOW_READERS.load(SeqCst), 0);
        // That reader left through the shared counter: the old value's grace
        // period ends (it is freed) without waiting for it.
        cell.store(Arc::new(8));
        cell.wait_retired(std::time::Duration::from_secs(5));
        assert_eq!(cell.retired_count.load(SeqCst), 0);
        assert_eq!(**cell.load(), 8);
    }
}
