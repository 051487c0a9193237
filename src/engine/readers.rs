//! What readers see, and how writers publish to them.

use super::snapshot::{record_for_snapshots, Frozen};
use super::PREFETCH_AHEAD;
use crate::index::{Probe, SlotRef, Table};
use crate::os::mapping::Mapping;
use crate::sync::view_cell::{ViewCell, ViewGuard};
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// What readers see: the index and the mapping it points into. Readers load
/// it without a lock ([`ViewCell`]); a new `View` replaces it when the table is
/// rebuilt or the file outgrows the mapping, and between those the writer
/// updates the table's slots and `len` in place.
pub(crate) struct View {
    pub(crate) table: Arc<Table>,
    /// Covers `len`.
    pub(crate) map: Arc<Mapping>,
    /// Published length of the file as this view shows it: every byte below
    /// it is a complete entry, and every slot of `table` written before `len`
    /// was stored points below it.
    pub(crate) len: AtomicU64,
    /// Set for a snapshot's view: what it shows is frozen at `len` (see
    /// [`super::snapshot`]), whatever the writer does to `table` since.
    pub(crate) frozen: Option<Arc<Frozen>>,
}

impl View {
    pub(crate) fn new(table: Arc<Table>, map: Arc<Mapping>, len: u64) -> Arc<View> {
        Arc::new(View {
            table,
            map,
            len: AtomicU64::new(len),
            frozen: None,
        })
    }

    /// Looks `key_hash` up in the table, as of the snapshot for a
    /// snapshot's view. `bytes` is [`View::bytes`].
    #[inline(always)]
    pub(crate) fn find(&self, key_hash: u64, bytes: &[u8]) -> Probe {
        match &self.frozen {
            None => self.table.find(key_hash, bytes),
            Some(f) => f.find(&self.table, key_hash, bytes),
        }
    }

    /// The live slots (as of the snapshot for a snapshot's view), in no
    /// particular order. Consistent only while publishers are held off
    /// (the `shared` mutex) for a store's own view; a snapshot's is
    /// consistent at any time.
    pub(crate) fn live_entries(&self) -> Vec<SlotRef> {
        match &self.frozen {
            None => self.table.live_entries(),
            Some(f) => f.live_entries(&self.table, self.bytes()),
        }
    }

    /// Calls `f` with the metadata offset of every live slot (as of the
    /// snapshot for a snapshot's view), in no particular order; the same
    /// consistency as [`View::live_entries`].
    pub(crate) fn for_each_live(&self, mut f: impl FnMut(u64)) {
        match &self.frozen {
            None => self.table.for_each_live(f),
            Some(fr) => fr
                .live_entries(&self.table, self.bytes())
                .iter()
                .for_each(|s| f(s.meta_offset())),
        }
    }

    /// Number of live keys (as of the snapshot for a snapshot's view).
    pub(crate) fn live_count(&self) -> u64 {
        match &self.frozen {
            None => self.table.len(),
            Some(f) => f.live,
        }
    }

    /// The published length.
    pub(crate) fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }

    /// The file up to the published length.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.map.bytes(self.len())
    }
}

/// What publishers (the writer, refresh, compaction) change under the
/// `shared` mutex, besides the view. Holding the mutex also keeps the
/// current view's table still, for snapshots.
pub(crate) struct Shared {
    /// Older mappings of the same file, kept so that pointers handed out
    /// before the file outgrew them stay valid until the next compaction.
    pub(crate) retired: Vec<Arc<Mapping>>,
    /// Entries in the file (all versions and tombstones).
    pub(crate) entries: u64,
    /// Device and inode of the file shown (None for a store in memory).
    pub(crate) file_id: Option<(u64, u64)>,
    /// The snapshots taken of this store that may still be alive: before
    /// changing a slot of their table, publishers record it for them.
    pub(crate) snapshots: Vec<Weak<Frozen>>,
}

/// An entry placed by an append: key hash, metadata offset, tombstone.
pub(crate) type Placed = (u64, u64, bool);

/// What readers use: the current view, the publishers' state and the
/// sequence lock that multi-key reads check.
pub(crate) struct Readers {
    /// What readers use; see [`View`].
    view: ViewCell<View>,
    /// Publishers' state; see [`Shared`].
    shared: Mutex<Shared>,
    /// Sequence lock: odd while a publisher changes the table, bumped once
    /// per publication. Multi-key reads retry if it moved under them, so
    /// they see each append entirely or not at all.
    seq: AtomicU64,
}

impl Readers {
    /// Readers of a store whose file (or memory) shows `view`.
    pub(crate) fn new(view: Arc<View>, entries: u64, file_id: Option<(u64, u64)>) -> Readers {
        Readers {
            view: ViewCell::new(view),
            shared: Mutex::new(Shared {
                retired: Vec::new(),
                entries,
                file_id,
                snapshots: Vec::new(),
            }),
            seq: AtomicU64::new(0),
        }
    }

    /// The current view, for a short read (see [`ViewCell::load`]).
    #[inline(always)]
    pub(crate) fn load(&self) -> ViewGuard<'_, View> {
        self.view.load()
    }

    /// The current view, as an `Arc` of its own (for longer work).
    pub(crate) fn load_full(&self) -> Arc<View> {
        self.view.load_full()
    }

    /// The sequence lock's value (odd while a publication is under way).
    #[inline]
    pub(crate) fn seq(&self, order: Ordering) -> u64 {
        self.seq.load(order)
    }

    /// Shows readers, all at once, `placed` (entries in the file below
    /// `tail`, which is the new published length), with a new mapping and a
    /// rebuilt table if given. `verified`: the values' checksums are known
    /// good (this process wrote them).
    pub(crate) fn publish(
        &self,
        new_map: Option<Arc<Mapping>>,
        new_table: Option<Arc<Table>>,
        placed: &[Placed],
        tail: u64,
        verified: bool,
    ) {
        let mut sh = self.lock_shared();
        self.view.collect();
        // Most appends change neither the mapping nor the table: they use
        // the current view through a guard (no reference count to change:
        // two atomic read-modify-writes per put saved).
        let replaced: Arc<View>;
        let guard;
        let view: &View = if new_map.is_some() || new_table.is_some() {
            let cur = self.view.load_full();
            let map = match new_map {
                Some(m) => {
                    sh.retired.push(Arc::clone(&cur.map));
                    m
                }
                None => Arc::clone(&cur.map),
            };
            let table = new_table.unwrap_or_else(|| Arc::clone(&cur.table));
            replaced = View::new(table, map, cur.len());
            self.view.store(Arc::clone(&replaced));
            &replaced
        } else {
            guard = self.view.load();
            &guard
        };
        let bytes = view.map.bytes(tail);
        if !sh.snapshots.is_empty() {
            record_for_snapshots(&mut sh.snapshots, &view.table, placed, bytes);
        }
        let s = self.seq_begin();
        for (i, &(h, meta_offset, tombstone)) in placed.iter().enumerate() {
            // Start loading the slots a few entries ahead: a large batch
            // would otherwise wait on one cache miss after another.
            if let Some(&(ahead, _, _)) = placed.get(i + PREFETCH_AHEAD) {
                view.table.prefetch_home(ahead);
            }
            view.table.set(h, meta_offset, tombstone, bytes);
            if verified && !tombstone {
                view.map.mark_verified(meta_offset);
            }
        }
        view.len.store(tail, Ordering::Release);
        self.seq_end(s);
        sh.entries += placed.len() as u64;
    }

    /// Replaces the whole view (compaction, a refresh that reopened the
    /// file). The caller holds the `shared` mutex.
    pub(crate) fn replace_view(&self, view: Arc<View>) {
        let s = self.seq_begin();
        self.view.store(view);
        self.seq_end(s);
        // The old view may hold a replaced file's mapping: do not leave it
        // to the next write (there may be none) if readers leave soon.
        self.view
            .wait_retired(std::time::Duration::from_millis(100));
    }

    fn seq_begin(&self) -> u64 {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        // Orders the odd value before the slot stores that follow, for
        // readers that see one of those stores.
        fence(Ordering::Release);
        s
    }

    fn seq_end(&self, s: u64) {
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    pub(crate) fn lock_shared(&self) -> MutexGuard<'_, Shared> {
        // A poisoned lock only means a panic elsewhere; publishers do not
        // panic between their updates.
        crate::sync::lock(&self.shared)
    }
}
