//! Letting a read-only handle catch up with a writer in another process.

use crate::engine::{open_file, tail_seen, Shared, Store, TailSeen};
use crate::error::{Error, Result};
use crate::format::METADATA_SIZE;
use crate::os::mapping::{reserve_for, Mapping};
use crate::recovery::{
    candidate_ends, entries_between, fill_start, forward_scan_from, is_fill, settled_end,
};
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

/// What [`Store::refresh`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefreshStats {
    /// Entries appended by the writer since the last open or refresh.
    pub new_entries: u64,
    /// Whether the file had been replaced (compacted) and was reopened.
    pub reopened: bool,
}

/// Whether the chain that ends at `tail` is well formed down to an entry that
/// links below `stop` while ending above it (so `stop` is not a boundary).
fn chain_skips(bytes: &[u8], stop: u64, tail: u64) -> bool {
    use crate::format::entry_at;
    let mut cursor = tail;
    while cursor > stop {
        let Some(m) = cursor.checked_sub(METADATA_SIZE as u64) else {
            return false;
        };
        let Ok(e) = entry_at(bytes, m) else {
            return false;
        };
        if e.meta.prev_tail < stop {
            // The link must land on the start of the file or right after
            // well-formed metadata before a checksum is worth computing.
            let p = e.meta.prev_tail;
            let plausible = p == 0
                || p.checked_sub(METADATA_SIZE as u64)
                    .is_some_and(|m| entry_at(bytes, m).is_ok());
            return plausible && crate::format::checksum_ok(bytes, &e);
        }
        cursor = e.meta.prev_tail;
    }
    false
}

/// Whether the metadata that ends at `len`, the end of what this handle
/// took in, now holds other bytes than when it took them in: the file was
/// rewritten in place below that end (see [`TailSeen`]). Bytes a writer of
/// this library appended never change, so a healthy store never gives
/// true. A failed read gives false (what follows looks at the file again).
fn rewritten_below(file: &std::fs::File, len: u64, seen: &TailSeen) -> bool {
    use std::os::unix::fs::FileExt;
    let Some((at, meta)) = seen else {
        return false;
    };
    if *at != len {
        return false;
    }
    let mut now = [0u8; METADATA_SIZE];
    len.checked_sub(METADATA_SIZE as u64)
        .is_some_and(|start| file.read_exact_at(&mut now, start).is_ok() && now != *meta)
}

impl Store {
    /// For a read-only handle: takes in what a writer (usually in another
    /// process) appended since this handle was opened or last refreshed,
    /// validating only the new entries; an entry still being written is left
    /// for a later refresh. If the file was replaced (compacted), the new file
    /// is opened and validated instead; borrowed values then become invalid,
    /// as after a compaction. A no-op for read-write and in-memory stores.
    pub fn refresh(&self) -> Result<RefreshStats> {
        if !self.is_read_only() || self.is_snapshot() {
            // A snapshot stays as it was taken.
            return Ok(RefreshStats::default());
        }
        let Some(id) = self.file_id() else {
            return Ok(RefreshStats::default());
        };
        let mut seen = crate::sync::lock(&self.refresh_lock);
        self.check_index_locked()?;
        let file = open_file(&self.path, false, false)?;
        // A writer's range that is not published yet (see `mark_pending`)
        // is not part of the store: look only below it. (Asked before the
        // size: a range marked then was not published then.)
        let pending = crate::os::file::pending_from(&file);
        let stat = file
            .metadata()
            .map_err(|e| Error::io(format!("{}: stat", self.path.display()), e))?;
        let file_len = stat.len().min(pending.unwrap_or(u64::MAX));
        let (len, map) = {
            let view = self.readers.load();
            (view.len(), Arc::clone(&view.map))
        };
        if (stat.dev(), stat.ino()) != id || file_len < len || rewritten_below(&file, len, &seen) {
            return self.reopen_replaced(&mut seen);
        }
        if file_len == len {
            return Ok(RefreshStats::default());
        }
        // Where the reserved space at the file's end begins (a writer's 0xFE
        // bytes, or preallocated zeros), read backwards, as the copy below
        // is. If at this handle's end, nothing new was completed when the
        // bytes were read (an entry's metadata holds a byte that is neither
        // fill): done, without copying anything.
        let read_err = |e| Error::io(format!("{}: read", self.path.display()), e);
        let fill = crate::os::snapshot::fill_end(&file, file_len, len).map_err(read_err)?;
        if fill == len {
            return Ok(RefreshStats::default());
        }
        let new_map = if file_len > map.capacity() {
            // A fresh record of the values found good (not `Mapping::grown`):
            // this handle holds no lock, so the bytes it took in may have been
            // rewritten in place since (a copy over the file, a torn tail cut
            // and written again by another process's open), and nothing here
            // proves otherwise.
            let m = Mapping::new(&file, reserve_for(file_len))
                .map_err(|e| Error::io(format!("{}: mmap", self.path.display()), e))?;
            Some(Arc::new(m))
        } else {
            None
        };
        // What follows `len` is not known to be part of the chain yet: a
        // writer may still cut it (an aborted stream, a failed append), so
        // it is read by `pread`, never through the mapping.
        let snap = crate::os::snapshot::Snapshot::whole_to(&file, file_len, len, fill)
            .map_err(read_err)?;
        let bytes = snap.bytes();
        if (bytes.len() as u64) < len {
            // Cut below what this handle shows: not the same store any more.
            drop(snap);
            return self.reopen_replaced(&mut seen);
        }
        let file_len = bytes.len() as u64;
        // The file may end in reserved space: zeros (a writer with
        // `preallocate`) or 0xFE bytes (`reserve`), which the snapshot
        // shows as 0xFE bytes then zeros past the part it copied.
        let added =
            match settled_end(bytes, len, 0).and_then(|end| entries_between(bytes, len, end)) {
                Some(v) => v,
                None => {
                    // The writer is mid-append (or the tail is torn): take the
                    // complete entries only (the reserved space holds none).
                    let top = (len as usize + fill_start(&bytes[len as usize..]) + METADATA_SIZE)
                        .min(bytes.len());
                    let tail = forward_scan_from(&bytes[..top], len);
                    let added = entries_between(bytes, len, tail).unwrap_or_default();
                    let skips = || {
                        if bytes.last().is_some_and(|&b| is_fill(b)) {
                            candidate_ends(bytes, len).any(|end| chain_skips(bytes, len, end))
                        } else {
                            chain_skips(bytes, len, file_len)
                        }
                    };
                    if added.is_empty() && skips() {
                        // The file's own chain passes over the point this handle
                        // stopped at: what it took in last time was not the
                        // writer's (bytes of a value still being written that
                        // looked like entries). Start again from the file.
                        // (Still serialized: a concurrent refresh must not
                        // publish into the view this replaces.)
                        return self.reopen_replaced(&mut seen);
                    }
                    added
                }
            };
        let mut added = added;
        if let Some(end) = added.last().map(|e| e.end()) {
            // A batch the writer has not finished writing is not taken in
            // part: this handle stops before its marker.
            crate::recovery::without_torn_batch(bytes, &mut added, end);
        }
        let new_tail = added.last().map(|e| e.end()).unwrap_or(len);
        let marked = crate::os::file::pending_from(&file).is_some_and(|p| p < new_tail)
            || crate::recovery::probe::passed_over(&file, new_tail);
        if new_tail > len && (marked || !snap.still_in_file(&file, new_tail, METADATA_SIZE)) {
            // The newest metadata was copied while a writer wrote it: take
            // nothing this time; the next refresh sees it whole.
            return Ok(RefreshStats::default());
        }
        if rewritten_below(&file, len, &seen) {
            // Rewritten in place while the new part was read: what was read
            // may be the new file's, not appends.
            return self.reopen_replaced(&mut seen);
        }
        crate::engine::check_size_limit(&self.path, new_tail)?;
        let placed: Vec<crate::engine::Placed> = added
            .iter()
            .filter(|e| e.meta.key_hash != crate::format::BATCH_KEY_HASH)
            .map(|e| (e.meta.key_hash, e.meta_offset, e.tombstone))
            .collect();
        // Only refreshes change a read-only handle's table, one at a time.
        let new_table = self.table_ahead(placed.len() as u64)?;
        self.readers
            .publish(new_map, new_table, &placed, new_tail, false);
        *seen = tail_seen(bytes, new_tail);
        Ok(RefreshStats {
            new_entries: added.len() as u64,
            reopened: false,
        })
    }

    fn reopen_replaced(&self, seen: &mut TailSeen) -> Result<RefreshStats> {
        let fresh = Store::open(&self.path, self.options.clone())?;
        *seen = crate::sync::lock(&fresh.refresh_lock).take();
        let new_shared = std::mem::replace(
            &mut *fresh.readers.lock_shared(),
            Shared {
                retired: Vec::new(),
                entries: 0,
                file_id: None,
                snapshots: Vec::new(),
            },
        );
        let entries = new_shared.entries;
        let mut sh = self.readers.lock_shared();
        self.readers.replace_view(fresh.readers.load_full());
        // Snapshots taken before keep the old table, which nothing
        // changes any more: they need no records from now on.
        *sh = new_shared;
        Ok(RefreshStats {
            new_entries: entries,
            reopened: true,
        })
    }
}
