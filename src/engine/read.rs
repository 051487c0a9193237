//! Reads: lookups through the current view.

use super::options::check_key;
use super::readers::View;
use super::{Entry, Store};
use crate::error::{Error, Result};
use crate::format::{self, EntryLayout, METADATA_SIZE};
use crate::index::{prefetch, Probe, SlotRef};
use crate::os::mapping::Mapping;
use crate::sync::view_cell::ViewGuard;
use crate::sync::Backoff;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::Arc;

impl Store {
    // --- Reads ------------------------------------------------------------

    /// Whether `key` has a live value.
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        check_key(key)?;
        Ok(self.contains_hash(format::key_hash(key)))
    }

    /// Whether the key with hash `key_hash` has a live value.
    pub fn contains_hash(&self, key_hash: u64) -> bool {
        // An index slot beyond the file for good (a crafted index file):
        // the key cannot be shown.
        matches!(self.find_slot(key_hash), Ok(Some(_)))
    }

    /// Calls `f` with the value of the key with hash `key_hash` (borrowed from
    /// the map, no copy) and returns its result, or `None` if the key has no
    /// live value. The bytes stay mapped and unchanged until the next
    /// compaction or until the store is dropped (see the type's docs).
    #[inline(always)]
    pub fn read_with<R>(&self, key_hash: u64, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        // The common cases take no detour: an absent key, and a value whose
        // checksum is known good (or not checked). A first read checks the
        // entry and its checksum in `read_first` (a malformed entry is an
        // error there); a slot written after the view was taken, and a
        // malformed entry of a value not to be checked, go through `lookup`,
        // which probes again.
        {
            let view = self.readers.load();
            let bytes = view.bytes();
            match view.find(key_hash, bytes) {
                Probe::Absent => return Ok(None),
                Probe::Found(slot) if !self.must_check(&view.map, slot) => {
                    if let Ok(layout) = format::entry_at(bytes, slot.meta_offset()) {
                        return Ok(Some(f(format::slice(bytes, layout.payload))));
                    }
                }
                Probe::Found(slot) => return self.read_first(&view, slot, f),
                _ => {}
            }
        }
        self.read_with_checked(key_hash, f)
    }

    /// [`Store::read_with`] for a value not yet checked: checks it in the
    /// view the probe found it in (no second probe) and marks it good.
    #[cold]
    #[inline(never)]
    fn read_first<R>(
        &self,
        view: &View,
        slot: SlotRef,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        let bytes = view.bytes();
        let layout = self.layout_of(&view.map, bytes, slot)?;
        Ok(Some(f(format::slice(bytes, layout.payload))))
    }

    /// [`Store::read_with`] through [`Store::lookup`].
    #[cold]
    #[inline(never)]
    fn read_with_checked<R>(&self, key_hash: u64, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>> {
        Ok(self
            .lookup(key_hash)?
            .map(|(view, layout)| f(format::slice(view.map.bytes(layout.end()), layout.payload))))
    }

    /// The value of `key`, pinned (see [`Entry`]), or `None`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Entry>> {
        check_key(key)?;
        self.get_hash(format::key_hash(key))
    }

    /// The value of the key with hash `key_hash`, pinned, or `None`.
    pub fn get_hash(&self, key_hash: u64) -> Result<Option<Entry>> {
        Ok(self.lookup(key_hash)?.map(|(view, layout)| Entry {
            map: Arc::clone(&view.map),
            layout,
        }))
    }

    /// Looks up several keys under one consistent view: `f(i, result)` is
    /// called for each hash in order with its value (borrowed, as for
    /// [`Store::read_with`]), `None` if absent, or the error for that key.
    /// Each append is seen entirely or not at all. The index slots, then the
    /// entries' metadata, are prefetched for all keys before any is read.
    pub fn read_batch_with(
        &self,
        key_hashes: &[u64],
        mut f: impl FnMut(usize, Result<Option<&[u8]>>),
    ) {
        let mut probes: Vec<Probe> = Vec::with_capacity(key_hashes.len());
        let mut wait = Backoff::default();
        let mut repaired = false;
        let view = loop {
            if wait.rounds() > 16 {
                // Appends keep landing inside the window: probe while
                // holding publishers off instead (they hold `shared` for
                // the whole change).
                let _sh = self.readers.lock_shared();
                let view = self.readers.load();
                let bytes = view.bytes();
                probes.clear();
                probes.extend(key_hashes.iter().map(|&h| view.find(h, bytes)));
                break view;
            }
            let s1 = self.readers.seq(Ordering::Acquire);
            if s1 & 1 == 1 {
                wait.snooze();
                continue;
            }
            let view = self.readers.load();
            let bytes = view.bytes();
            for &h in key_hashes {
                view.table.prefetch_home(h);
            }
            for &h in key_hashes {
                if let Some(m) = view.table.peek(h) {
                    prefetch(bytes.as_ptr().wrapping_add(m as usize));
                }
            }
            probes.clear();
            probes.extend(key_hashes.iter().map(|&h| view.find(h, bytes)));
            fence(Ordering::Acquire);
            if !repaired && probes.iter().any(|p| matches!(p, Probe::Damaged)) {
                drop(view);
                repaired = true;
                // If the repair fails, the next round reports the error
                // for each key it concerns.
                let _ = self.repair_index();
                continue;
            }
            let stale = probes.iter().any(|p| matches!(p, Probe::Stale));
            if !stale && self.readers.seq(Ordering::Relaxed) == s1 {
                break view;
            }
            wait.snooze();
        };
        let bytes = view.bytes();
        for (i, p) in probes.iter().enumerate() {
            let r = match *p {
                Probe::Found(slot) => self
                    .layout_of(&view.map, bytes, slot)
                    .map(|l| Some(format::slice(bytes, l.payload))),
                Probe::Stale => Err(self.beyond_file(key_hashes[i])),
                Probe::Damaged => Err(self.index_damaged()),
                Probe::Absent => Ok(None),
            };
            f(i, r);
        }
    }

    /// Calls `f(key_hash, value)` with the newest live value (the one last in
    /// the file) and returns its result, or `None` if the store has none.
    pub fn read_last_with<R>(&self, f: impl FnOnce(u64, &[u8]) -> R) -> Result<Option<R>> {
        self.check_index_segments()?;
        // Publishers wait while this walks: the table stays as it is.
        let _sh = self.readers.lock_shared();
        let view = self.readers.load();
        let bytes = view.bytes();
        let mut cursor = view.len();
        while cursor > 0 {
            let meta_offset = cursor - METADATA_SIZE as u64;
            let entry = format::entry_at(bytes, meta_offset).map_err(|e| {
                Error::corrupt(&self.path, meta_offset, format!("malformed entry ({e:?})"))
            })?;
            let h = entry.meta.key_hash;
            if !entry.tombstone {
                if let Probe::Found(slot) = view.find(h, bytes) {
                    if slot.meta_offset() == meta_offset {
                        let layout = self.layout_of(&view.map, bytes, slot)?;
                        return Ok(Some(f(h, format::slice(bytes, layout.payload))));
                    }
                }
            }
            cursor = entry.meta.prev_tail;
        }
        Ok(None)
    }

    /// Copies the value of `key` out of the store.
    pub fn read_to_vec(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_key(key)?;
        self.read_with(format::key_hash(key), |b| b.to_vec())
    }

    /// The version of the live value of `key_hash` (the file offset where
    /// the value starts, as [`Entry::offset`] gives it), or `None` if the
    /// key has no live value. Reads the index and the entry's metadata
    /// only (no checksum check).
    pub fn version_of_hash(&self, key_hash: u64) -> Result<Option<u64>> {
        self.current_version(key_hash)
    }

    /// [`Store::version_of_hash`] for a key.
    pub fn version_of(&self, key: &[u8]) -> Result<Option<u64>> {
        check_key(key)?;
        self.current_version(format::key_hash(key))
    }

    pub(crate) fn current_version(&self, key_hash: u64) -> Result<Option<u64>> {
        let Some((view, slot)) = self.find_slot(key_hash)? else {
            return Ok(None);
        };
        let layout = self.slot_entry(view.bytes(), slot)?;
        Ok(Some(layout.payload.start))
    }

    /// Finds the newest entry of `key_hash` in the current view, which it
    /// returns with the entry (the view keeps the mapping alive). Checks the
    /// value's checksum the first time it is read (unless verification is
    /// off).
    pub(crate) fn lookup(
        &self,
        key_hash: u64,
    ) -> Result<Option<(ViewGuard<'_, View>, EntryLayout)>> {
        let Some((view, slot)) = self.find_slot(key_hash)? else {
            return Ok(None);
        };
        let layout = self.layout_of(&view.map, view.bytes(), slot)?;
        Ok(Some((view, layout)))
    }

    /// The live slot of `key_hash` in the current view, with the view. A
    /// slot written after the view was taken (`Probe::Stale`) is waited out
    /// with a fresh view; one that stays beyond the end of the file is an
    /// error.
    fn find_slot(&self, key_hash: u64) -> Result<Option<(ViewGuard<'_, View>, SlotRef)>> {
        let mut stale = Backoff::default();
        let mut repaired = false;
        loop {
            let view = self.readers.load();
            match view.find(key_hash, view.bytes()) {
                Probe::Absent => return Ok(None),
                Probe::Found(slot) => return Ok(Some((view, slot))),
                Probe::Stale if stale.rounds() > 8 && self.stale_for_good(key_hash) => {
                    return Err(self.beyond_file(key_hash))
                }
                Probe::Stale => stale.snooze(),
                Probe::Damaged if repaired => return Err(self.index_damaged()),
                Probe::Damaged => {
                    drop(view);
                    self.repair_index()?;
                    repaired = true;
                }
            }
        }
    }

    /// The index this handle opened with (a copy kept beside the store)
    /// has a segment that failed its digest: rebuilds the index from the
    /// store file, as an open without the copy does, and shows it to
    /// readers. Holds the writer's mutex whatever the writer's state (a
    /// broken handle, or one inherited across `fork`, still reads), or,
    /// read-only, the refresh lock, so that nothing changes the table
    /// meanwhile (see [`Store::check_index_locked`]).
    #[cold]
    #[inline(never)]
    pub(crate) fn repair_index(&self) -> Result<()> {
        match self.writer_for_cleanup() {
            Some(_w) => self.check_index_locked(),
            None => {
                let _serial = crate::sync::lock(&self.refresh_lock);
                self.check_index_locked()
            }
        }
    }

    /// For the thread that may change the table (it holds the writer or the
    /// refresh lock): checks a table read from an index copy whole before
    /// anything changes it (see [`crate::index::Table::check_all`]); if it
    /// is damaged, rebuilds the index by walking the store's chain, shows
    /// it to readers and removes the copy.
    pub(crate) fn check_index_locked(&self) -> Result<()> {
        if self.readers.load().table.check_all() {
            // Every write asks: no reference count to change.
            return Ok(());
        }
        let view = self.readers.load_full();
        let rec = crate::recovery::recover_fast(view.bytes(), 0)
            .filter(|r| r.tail == view.len())
            .ok_or_else(|| self.index_damaged())?;
        {
            let mut sh = self.readers.lock_shared();
            // A snapshot's view stays frozen: its rebuilt table is its own,
            // which no writer changes, so what it shows is exactly the
            // snapshot's state.
            self.readers.replace_view(Arc::new(View {
                table: Arc::new(rec.index),
                map: Arc::clone(&view.map),
                len: AtomicU64::new(rec.tail),
                frozen: view.frozen.clone(),
            }));
            sh.entries = rec.entries;
        }
        crate::index::persist::remove(&self.path);
        self.forget_index_copy();
        Ok(())
    }

    /// Readers calling for a table that is not checked whole yet (a full
    /// pass, such as iteration): checks its segments, repairing the index
    /// if one fails.
    pub(crate) fn check_index_segments(&self) -> Result<()> {
        if self.readers.load().table.check_segments() {
            return Ok(());
        }
        self.repair_index()?;
        if self.readers.load().table.check_segments() {
            Ok(())
        } else {
            Err(self.index_damaged())
        }
    }

    #[cold]
    fn index_damaged(&self) -> Error {
        Error::corrupt(
            &crate::index::persist::index_path(&self.path),
            0,
            "the index copy kept beside the store failed its digest, and the index could not \
             be rebuilt from the store here; close the store and open it again",
        )
    }

    /// The entry a slot points at, its checksum checked if it is not yet
    /// known good.
    pub(crate) fn layout_of(
        &self,
        map: &Mapping,
        bytes: &[u8],
        slot: SlotRef,
    ) -> Result<EntryLayout> {
        let layout = self.slot_entry(bytes, slot)?;
        if self.must_check(map, slot) {
            self.check_value(bytes, &layout)?;
            map.mark_verified(slot.meta_offset());
        }
        Ok(layout)
    }

    /// The entry a slot points at, decoded from its metadata (no checksum
    /// check): `Corrupt` if the index points at no well-formed entry.
    fn slot_entry(&self, bytes: &[u8], slot: SlotRef) -> Result<EntryLayout> {
        let meta_offset = slot.meta_offset();
        format::entry_at(bytes, meta_offset).map_err(|e| {
            Error::corrupt(
                &self.path,
                meta_offset,
                format!("index points at a malformed entry ({e:?})"),
            )
        })
    }

    /// Whether reading the value `slot` points at must check its checksum
    /// first: checking is on and no earlier read found it good.
    #[inline]
    fn must_check(&self, map: &Mapping, slot: SlotRef) -> bool {
        self.options.verify_checksums && !map.is_verified(slot.meta_offset())
    }

    /// After `Probe::Stale` for a while: whether the key's slot points
    /// beyond the published length with no publication under way or made
    /// meanwhile (so it will not change: a crafted index file), rather than
    /// a publisher being between its slot stores and its length store.
    #[cold]
    fn stale_for_good(&self, key_hash: u64) -> bool {
        let s1 = self.readers.seq(Ordering::Acquire);
        if s1 & 1 == 1 {
            return false;
        }
        let view = self.readers.load();
        let stale = matches!(view.find(key_hash, view.bytes()), Probe::Stale);
        fence(Ordering::Acquire);
        stale
            && self.readers.seq(Ordering::Relaxed) == s1
            && Arc::ptr_eq(&*view, &*self.readers.load())
    }

    #[cold]
    fn beyond_file(&self, key_hash: u64) -> Error {
        Error::corrupt(
            &self.path,
            self.readers.load().len(),
            format!("the index entry of key hash {key_hash:#x} points beyond the end of the file"),
        )
    }

    pub(crate) fn check_value(&self, bytes: &[u8], layout: &EntryLayout) -> Result<()> {
        if format::checksum_ok(bytes, layout) {
            return Ok(());
        }
        Err(Error::corrupt(
            &self.path,
            layout.payload.start,
            format!(
                "checksum mismatch in the {}-byte value whose metadata is at offset {}",
                layout.payload_len(),
                layout.meta_offset
            ),
        ))
    }
}
