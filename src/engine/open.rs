//! Opening a store: validation, recovery, the index copy.

use super::append::AppendScratch;
use super::durability::Durability;
use super::entry::EntryBytes;
use super::options::{check_size_limit, INDEX_FILE_MIN_ENTRIES};
use super::readers::{Readers, View};
use super::writer::Writer;
use super::{Entry, OpenOptions, Store};
use crate::error::{Error, Result};
use crate::format::METADATA_SIZE;
use crate::os::file::{open_file, open_locked};
use crate::os::mapping::{reserve_for, Mapping, MemorySource};
use crate::os::paths::{compaction_temp_path, first_write_path};
use crate::os::prealloc::{Fill, Prealloc};
use crate::recovery::{self, probe};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

impl Store {
    /// Opens (and by default creates) the store at `path`, validating the
    /// file and recovering a torn tail.
    pub fn open(path: impl AsRef<Path>, options: OpenOptions) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if path.as_os_str().is_empty() {
            return Err(Error::InvalidArgument("path is empty".into()));
        }
        let file = if options.read_only {
            open_file(&path, false, false)?
        } else {
            open_locked(&path, options.create)?
        };
        // Compaction renames over the real file, not over a symlink to it.
        let path = fs::canonicalize(&path).unwrap_or(path);
        if options.sync && !options.read_only {
            // Make the file's directory entry durable too (it may be new).
            crate::os::file::sync_parent_dir(&path)?;
        }
        let stat = file
            .metadata()
            .map_err(|e| Error::io(format!("{}: stat", path.display()), e))?;
        let mut stat = stat;
        let mut file_len = stat.len();
        let mut map = Mapping::new(&file, reserve_for(file_len))
            .map_err(|e| Error::io(format!("{}: mmap", path.display()), e))?;
        let mut attempt = 0;
        // A read-only open's snapshot, to become the store's mapping.
        let mut adopted = None;
        let (rec, mut saved_at, used_index_file) = loop {
            let found = if options.read_only {
                Store::recover_shared(&path, &file, &stat, &options).map(|(found, snap)| {
                    adopted = snap;
                    found
                })
            } else {
                Ok(Store::recover_locked(
                    &path,
                    &stat,
                    &options,
                    map.bytes(file_len),
                ))
            }?;
            match found {
                Ok(r) => break r,
                // A read-only open races with writers in other processes:
                // a file that looks broken in the middle may be a moment of
                // someone else's append. Only a break that stays is damage.
                Err(d) if options.read_only && d.transient && attempt < 4 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(1 << attempt));
                    stat = file
                        .metadata()
                        .map_err(|e| Error::io(format!("{}: stat", path.display()), e))?;
                    file_len = stat.len();
                    if file_len > map.capacity() {
                        map = Mapping::new(&file, reserve_for(file_len))
                            .map_err(|e| Error::io(format!("{}: mmap", path.display()), e))?;
                    }
                }
                Err(d) => return Err(Error::corrupt(&path, d.offset, d.detail)),
            }
        };
        check_size_limit(&path, rec.tail)?;
        if let Some(snap) = adopted.take() {
            // The pages the validation touched stay mapped (a fresh map
            // would fault them all again on the first reads).
            if let Ok(m) = snap.into_mapping(&file) {
                map = m;
            }
        }
        if rec.tail > map.capacity() {
            // The file grew while a read-only open looked at it.
            map = Mapping::new(&file, reserve_for(rec.tail))
                .map_err(|e| Error::io(format!("{}: mmap", path.display()), e))?;
        }
        let writer = if options.read_only {
            None
        } else {
            let fill = if options.preallocate {
                Fill::Zeros
            } else {
                Fill::Marked
            };
            let preallocate =
                (options.preallocate || options.reserve) && crate::os::prealloc::supported(&file);
            // With preallocation, zeros after the store are space reserved
            // by the last writer: keep them (appends go there). 0xFE bytes
            // are a crashed writer's: cut like any torn tail.
            let reserved = preallocate
                && fill == Fill::Zeros
                && rec.tail < file_len
                && recovery::nonzero_end(&map.bytes(file_len)[rec.tail as usize..]) == 0;
            if rec.tail < file_len && !reserved {
                // A torn tail: cut it off so the next append continues the
                // chain. Readers arriving meanwhile stay below the cut.
                let _ = crate::os::file::mark_pending(&file, rec.tail);
                let cut = file.set_len(rec.tail).and_then(|_| file.sync_all());
                crate::os::file::unmark_pending(&file, rec.tail);
                cut.map_err(|e| {
                    Error::io(
                        format!("{}: truncating torn tail to {}", path.display(), rec.tail),
                        e,
                    )
                })?;
                // The file changed: a copy made before no longer matches it.
                saved_at = u64::MAX;
            }
            // A temporary file from an interrupted compaction is never reused;
            // nor is the spool of an interrupted stream.
            let _ = fs::remove_file(compaction_temp_path(&path));
            let _ = fs::remove_file(first_write_path(&path));
            let _ = fs::remove_file(crate::os::paths::stream_spool_path(&path));
            let sync_handle = Arc::new(
                file.try_clone()
                    .map_err(|e| Error::io(format!("{}: dup", path.display()), e))?,
            );
            Some(Mutex::new(Writer {
                file,
                tail: rec.tail,
                capacity: map.capacity(),
                broken: None,
                stream_owner: None,
                sync_handle,
                generation: 0,
                scratch: AppendScratch::default(),
                prealloc: preallocate
                    .then(|| Prealloc::new(if reserved { file_len } else { rec.tail }, fill)),
                owner: crate::os::fork::Owner::current(),
            }))
        };
        let file_id = Some((stat.dev(), stat.ino()));
        Ok(Store::assemble(
            path,
            options,
            rec,
            map,
            file_id,
            writer,
            saved_at,
            used_index_file,
        ))
    }

    /// Validates the file of a read-write open (no other process can cut it
    /// meanwhile: this one holds the lock), with the index copy if it
    /// matches. Returns what was found, where the copy on disk stands
    /// (`u64::MAX`: none matches) and whether it was used.
    fn recover_locked(
        path: &Path,
        stat: &fs::Metadata,
        options: &OpenOptions,
        bytes: &[u8],
    ) -> std::result::Result<(recovery::Recovered, u64, bool), recovery::Damage> {
        match Store::recover_fast(path, stat, options, bytes, 0) {
            Some(found) => Ok(found),
            None => recovery::recover_slow(bytes).map(|r| (r, u64::MAX, false)),
        }
    }

    /// The index copy, or else a walk back from the end of the file: reads
    /// only the chain's own entries and the file's last bytes. `None` if
    /// the file does not end with a complete chain.
    /// `floor`: see [`recovery::recover_fast`].
    fn recover_fast(
        path: &Path,
        stat: &fs::Metadata,
        options: &OpenOptions,
        bytes: &[u8],
        floor: u64,
    ) -> Option<(recovery::Recovered, u64, bool)> {
        let copy = if options.index_file {
            crate::index::persist::load(path, bytes, stat).and_then(|l| {
                let at = l.len;
                recovery::extend(bytes, l, floor).map(|r| (r, at))
            })
        } else {
            None
        };
        match copy {
            Some((r, at)) => Some((r, at, true)),
            None => recovery::recover_fast(bytes, floor).map(|r| (r, u64::MAX, false)),
        }
    }

    /// Validates the file of a read-only open, which writers in other
    /// processes may append to or cut back meanwhile: the part not known to
    /// be in the chain is read by `pread` into private memory, never through
    /// the shared mapping (see [`crate::os::snapshot`]).
    #[allow(clippy::type_complexity)]
    fn recover_shared(
        path: &Path,
        file: &File,
        stat: &fs::Metadata,
        options: &OpenOptions,
    ) -> Result<(
        std::result::Result<(recovery::Recovered, u64, bool), recovery::Damage>,
        Option<crate::os::snapshot::Snapshot>,
    )> {
        use crate::os::snapshot::Snapshot;
        let read_err = |e| Error::io(format!("{}: read", path.display()), e);
        let meta = METADATA_SIZE;
        let mut stat = stat.clone();
        for attempt in 1.. {
            // A writer in another process may be filling a range it has
            // not published (a stream, a large append): that is not part
            // of the store yet, and may be cut back or be a value's bytes
            // shaped like entries. Look only below it. (Asked before the
            // size: a range marked then was not published then.)
            let pending = crate::os::file::pending_from(file);
            if attempt > 1 || pending.is_some() {
                stat = file
                    .metadata()
                    .map_err(|e| Error::io(format!("{}: stat", path.display()), e))?;
            }
            let file_len = stat.len().min(pending.unwrap_or(u64::MAX));
            let trusted = if options.index_file {
                crate::index::persist::saved_len(path, &stat).unwrap_or(0)
            } else {
                0
            };
            // A snapshot cut back while it was copied (shorter than the
            // file was, or with nothing but zeros above its copied part) may
            // show mapped bytes beyond the new end: look again.
            let trusted_map = crate::os::snapshot::page_floor(trusted);
            let torn = |snap: &Snapshot| {
                (snap.bytes().len() as u64) < file_len
                    || (snap.zeros_down_to_map() && snap.copied_from() > trusted_map)
            };
            let mut snap = Snapshot::of_tail(file, file_len, trusted).map_err(read_err)?;
            let mut cut = torn(&snap);
            if !cut {
                // The fast path checks the newest entry of each end it tries
                // (against its checksum) before following its links, and
                // tries no end whose newest entry is not all copied: so a
                // guess that is no entry (a stream being written) is never
                // read through the map. Copy the newest entry of each guess
                // whose link leads to well-formed metadata (read by pread):
                // real entries do; most wrong guesses do not, and are left.
                let from = snap.copied_from();
                let low = recovery::guessed_ends(snap.bytes())
                    .into_iter()
                    .filter(|&(_, prev, start)| {
                        start < from && start >= trusted && probe::metadata_ends_at(file, prev)
                    })
                    .map(|(_, _, start)| start)
                    .min();
                if let Some(low) = low {
                    drop(snap);
                    snap = Snapshot::from(file, file_len, low).map_err(read_err)?;
                    cut = torn(&snap);
                }
            }
            if cut {
                if attempt >= 100 {
                    return Err(Error::io(
                        format!("{}: read", path.display()),
                        io::Error::other("the file kept being cut back while it was read"),
                    ));
                }
                continue;
            }
            let floor = snap.copied_from();
            // A pending range that began below what was found (marked after
            // the look above): look again below it.
            // Or the end found is no boundary at all: bytes of a value that
            // a writer was writing when the file was looked at, which end
            // like an entry, and which it has committed since (so no mark
            // is left): the entries after it then pass over it.
            let marked_below = |tail: u64| {
                attempt < 100
                    && (crate::os::file::pending_from(file).is_some_and(|p| p < tail)
                        || probe::passed_over(file, tail))
            };
            if let Some(found) = Store::recover_fast(path, &stat, options, snap.bytes(), floor) {
                // The newest metadata may have been copied while a writer
                // wrote it: then look again.
                if attempt < 5 && !snap.still_in_file(file, found.0.tail, meta) {
                    continue;
                }
                if marked_below(found.0.tail) {
                    continue;
                }
                return Ok((Ok(found), Some(snap)));
            }
            // The file does not end with a complete chain (a writer is in
            // the middle of an append or a stream, or a tail is torn): the
            // slow path scans everything after the chain, which a writer
            // may cut, so all of it is read by `pread` (`Snapshot::whole`).
            drop(snap);
            let snap = Snapshot::whole(file, file_len, trusted).map_err(read_err)?;
            let found = recovery::recover_slow(snap.bytes()).map(|r| (r, u64::MAX, false));
            if let Ok(f) = &found {
                if attempt < 5 && !snap.still_in_file(file, f.0.tail, meta) {
                    continue;
                }
                if marked_below(f.0.tail) {
                    continue;
                }
            }
            let snap = found.is_ok().then_some(snap);
            return Ok((found, snap));
        }
        unreachable!("the loop returns")
    }

    /// Puts a store together from what opening found. `saved_at`: the
    /// store length the index copy on disk matches (`u64::MAX`: none).
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        path: PathBuf,
        options: OpenOptions,
        rec: recovery::Recovered,
        map: Mapping,
        file_id: Option<(u64, u64)>,
        writer: Option<Mutex<Writer>>,
        saved_at: u64,
        used_index_file: bool,
    ) -> Store {
        let seen = super::tail_seen(map.bytes(rec.tail), rec.tail);
        let view = View::new(Arc::new(rec.index), Arc::new(map), rec.tail);
        Store {
            path,
            options,
            readers: Readers::new(view, rec.entries, file_id),
            writer,
            durability: Durability::default(),
            stream_done: Condvar::new(),
            refresh_lock: Mutex::new(seen),
            index_saved_at: AtomicU64::new(saved_at),
            used_index_file,
        }
    }

    /// Saves the index copy beside the store if this handle may write, the
    /// store is large enough and it changed since the copy was made. Errors
    /// are ignored: the copy is only an accelerator.
    pub(crate) fn save_index(&self) {
        let Some(writer) = &self.writer else {
            return;
        };
        if !self.options.index_file {
            return;
        }
        let w = crate::sync::lock(writer);
        if w.broken.is_some() || w.stream_owner.is_some() || !w.owner.is_current() {
            return;
        }
        let sh = self.readers.lock_shared();
        let view = self.readers.load();
        let len = view.len();
        if sh.entries < self.options.index_file_min_entries
            || self.index_saved_at.load(Ordering::Relaxed) == len
        {
            return;
        }
        // A table much larger than its keys (after `reserve`, or deletes)
        // is saved at the size its keys need: reopening maps the copy as is.
        let smaller = if view.table.oversized() {
            view.table.rebuilt(0, view.bytes()).ok()
        } else {
            None
        };
        let table = smaller.as_ref().unwrap_or(&view.table);
        if crate::index::persist::save(&self.path, table, view.bytes(), sh.entries, &w.file).is_ok()
        {
            self.index_saved_at.store(len, Ordering::Relaxed);
        }
        drop(w);
    }

    /// Opens a store held in memory (for example a store file kept as a value
    /// of another store), read-only and without copying. `name` is used in
    /// error messages.
    pub fn open_memory(bytes: MemorySource, name: &str) -> Result<Store> {
        let path = PathBuf::from(name);
        let map = Mapping::memory(bytes);
        let len = map.capacity();
        let rec = recovery::recover(map.bytes(len))
            .map_err(|d| Error::corrupt(&path, d.offset, d.detail))?;
        let options = OpenOptions {
            read_only: true,
            create: false,
            sync: false,
            verify_checksums: true,
            index_file: false,
            index_file_min_entries: INDEX_FILE_MIN_ENTRIES,
            preallocate: false,
            reserve: false,
        };
        Ok(Store::assemble(
            path,
            options,
            rec,
            map,
            None,
            None,
            u64::MAX,
            false,
        ))
    }

    /// Opens, read-only and in place, a store file kept as the value of
    /// `entry`. The new store keeps the value's bytes alive by itself.
    pub fn open_entry(entry: &Entry) -> Result<Store> {
        let source: MemorySource = Arc::new(EntryBytes {
            map: Arc::clone(&entry.map),
            range: entry.layout.payload.clone(),
        });
        Store::open_memory(source, &format!("<value at offset {}>", entry.offset()))
    }
}
