//! Snapshots: read-only store handles frozen at a moment (an LMDB read
//! transaction, without holding anything back).
//!
//! A snapshot shares the store's table and mapping and remembers the
//! store's length at that moment: every entry below it is the snapshot's,
//! every entry written since lies at or beyond it. The writer keeps
//! changing the shared table in place, so before it changes the slot of a
//! key it records the slot as it was for each snapshot of that table that
//! lacks one ([`record_for_snapshots`], under the `shared` mutex, before the
//! slot is stored). A lookup in the snapshot probes the table for slots
//! pointing below its length; a key whose slot now points beyond it was
//! changed since (its record holds the old slot), or written since (it has
//! none). Once the store rebuilds its table or replaces its file
//! (compaction, a refresh that reopens), the snapshot's table is never
//! changed again. The snapshot keeps its mapping alive, so what it returns
//! stays valid until it is closed, across compaction.

use super::readers::{Readers, View};
use super::{OpenOptions, Store};
use crate::error::Result;
use crate::format;
use crate::index::{Below, Probe, SlotRef, Table};
use crate::sync::lock;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Condvar, Mutex, Weak};

/// What a snapshot holds beside its view.
pub(crate) struct Frozen {
    /// The store's length when the snapshot was taken.
    len: u64,
    /// The table the snapshot was taken of (records are kept for it only).
    table: Weak<Table>,
    /// Live keys then.
    pub(crate) live: u64,
    /// Keys whose slot in `table` changed since: key hash -> slot value
    /// then (pointing below `len`).
    changed: Mutex<HashMap<u64, u64>>,
}

impl Frozen {
    /// Looks `key_hash` up as of the snapshot (`bytes`: the file up to its
    /// length). The table is probed first and the records read after: a
    /// slot changed meanwhile was recorded before it changed.
    pub(crate) fn find(&self, table: &Table, key_hash: u64, bytes: &[u8]) -> Probe {
        match table.find_below(key_hash, bytes) {
            Below::Found(slot) => Probe::Found(slot),
            Below::Deleted | Below::Absent { passed: false } => Probe::Absent,
            Below::Damaged => Probe::Damaged,
            Below::Absent { passed: true } => match lock(&self.changed).get(&key_hash) {
                Some(&v) if !SlotRef::detached(v).is_tombstone() => {
                    Probe::Found(SlotRef::detached(v))
                }
                _ => Probe::Absent,
            },
        }
    }

    /// The live slots as of the snapshot.
    pub(crate) fn live_entries(&self, table: &Table, bytes: &[u8]) -> Vec<SlotRef> {
        let key_of =
            |s: &SlotRef| format::Metadata::read_at(bytes, s.meta_offset()).map(|m| m.key_hash);
        let mut out: Vec<SlotRef> = table
            .live_entries()
            .into_iter()
            .filter(|s| key_of(s).is_some())
            .collect();
        // Read after the table: a slot changed meanwhile is recorded, and
        // kept once, from its record.
        let changed = lock(&self.changed).clone();
        if !changed.is_empty() {
            out.retain(|s| key_of(s).is_none_or(|k| !changed.contains_key(&k)));
            out.extend(
                changed
                    .into_values()
                    .map(SlotRef::detached)
                    .filter(|s| !s.is_tombstone()),
            );
        }
        out
    }

    /// Records `old`, the slot value of `key_hash` before a change, unless
    /// the snapshot has a record of the key or the slot is newer than it.
    fn record(&self, key_hash: u64, old: u64) {
        if SlotRef::detached(old).meta_offset() >= self.len {
            return;
        }
        lock(&self.changed).entry(key_hash).or_insert(old);
    }
}

/// Before `placed` change slots of `table`: records the slots as they are
/// for every live snapshot of `table`, and forgets snapshots that are gone.
/// The caller holds the `shared` mutex; `bytes` shows every entry the table
/// points at.
pub(crate) fn record_for_snapshots(
    snapshots: &mut Vec<Weak<Frozen>>,
    table: &Arc<Table>,
    placed: &[super::readers::Placed],
    bytes: &[u8],
) {
    snapshots.retain(|w| w.strong_count() > 0);
    let mine: Vec<Arc<Frozen>> = snapshots
        .iter()
        .filter_map(Weak::upgrade)
        .filter(|f| std::ptr::eq(f.table.as_ptr(), Arc::as_ptr(table)))
        .collect();
    if mine.is_empty() {
        return;
    }
    for &(h, _, _) in placed {
        let old = table.current(h, bytes);
        if old != 0 {
            for f in &mine {
                f.record(h, old);
            }
        }
    }
}

impl Store {
    /// A read-only handle on the store as it is now: every read through it
    /// sees what the store held at this moment and nothing written later,
    /// for as long as it lives, across compaction, other writes, and the
    /// close of this handle; what it returns stays valid until it is
    /// dropped. Writes through it fail with [`crate::Error::ReadOnly`].
    /// Cheap: nothing is copied; while it lives, each change of a key it
    /// holds records the key's old slot (a few bytes).
    pub fn snapshot(&self) -> Result<Store> {
        let mut sh = self.readers.lock_shared();
        let view = self.readers.load_full();
        let frozen = match &view.frozen {
            Some(f) => Arc::clone(f),
            None => {
                let f = Arc::new(Frozen {
                    len: view.len(),
                    table: Arc::downgrade(&view.table),
                    live: view.table.len(),
                    changed: Mutex::new(HashMap::new()),
                });
                sh.snapshots.push(Arc::downgrade(&f));
                f
            }
        };
        let snap = Arc::new(View {
            table: Arc::clone(&view.table),
            map: Arc::clone(&view.map),
            len: AtomicU64::new(frozen.len),
            frozen: Some(frozen),
        });
        let (entries, file_id) = (sh.entries, sh.file_id);
        drop(sh);
        Ok(Store {
            path: self.path.clone(),
            options: OpenOptions {
                read_only: true,
                create: false,
                sync: false,
                index_file: false,
                preallocate: false,
                reserve: false,
                ..self.options.clone()
            },
            readers: Readers::new(snap, entries, file_id),
            writer: None,
            durability: Default::default(),
            stream_done: Condvar::new(),
            refresh_lock: Mutex::new(None),
            index_saved_at: AtomicU64::new(u64::MAX),
            used_index_file: false,
        })
    }

    /// Whether this handle is a snapshot ([`Store::snapshot`]).
    pub fn is_snapshot(&self) -> bool {
        self.readers.load().frozen.is_some()
    }
}
