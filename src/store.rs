//! The storage engine: one append-only file, its memory maps and its index.

use crate::error::{Error, Result};
use crate::format::{self, EntryLayout, METADATA_SIZE};
use crate::index::{prefetch, Probe, SlotRef, Table, MAX_META_OFFSET};
use crate::os::mapping::{reserve_for, Mapping, MemorySource};
use crate::os::prealloc::{NoRoom, Prealloc};
use crate::recovery;
use crate::sync::view_cell::{ViewCell, ViewGuard};
use std::fs::TryLockError;
use std::fs::{self, File};
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// How a store is opened.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Open without the writer lock; never modify the file.
    pub read_only: bool,
    /// Create the file if it does not exist (ignored when `read_only`).
    pub create: bool,
    /// Make every write durable (`fdatasync`) before it returns.
    pub sync: bool,
    /// Check each entry's payload checksum the first time it is read.
    pub verify_checksums: bool,
    /// Use the index copy beside the store (`<path>.idx`, see
    /// [`crate::persist`]) to open faster, and (read-write handles) save it
    /// when the store is dropped.
    pub index_file: bool,
    /// Save the index copy only for stores of at least this many entries;
    /// smaller ones open fast enough without.
    pub index_file_min_entries: u64,
    /// Grow the file ahead of the tail in chunks and copy small appends into
    /// a writable mapping of that space: no system
    /// call per append. While the store is open the file is longer than the
    /// store (zeros after the tail), and it stays so after closing; a
    /// read-write open without this option, or a compaction, cuts it back.
    /// Only on ext4, XFS and tmpfs (ignored elsewhere).
    pub preallocate: bool,
}

/// Default of [`OpenOptions::index_file_min_entries`].
pub const INDEX_FILE_MIN_ENTRIES: u64 = 1 << 16;

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            create: true,
            sync: false,
            verify_checksums: true,
            index_file: true,
            index_file_min_entries: INDEX_FILE_MIN_ENTRIES,
            preallocate: false,
        }
    }
}

/// What a compaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompactStats {
    /// File size before, in bytes.
    pub bytes_before: u64,
    /// File size after, in bytes.
    pub bytes_after: u64,
    /// Live entries copied.
    pub live_entries: u64,
}

/// A value pinned in memory: it stays readable for as long as this handle
/// lives, even after the store is compacted or dropped.
pub struct Entry {
    pub(crate) map: Arc<Mapping>,
    pub(crate) layout: EntryLayout,
}

impl Entry {
    /// The value's bytes (64-byte aligned in memory).
    pub fn data(&self) -> &[u8] {
        let r = &self.layout.payload;
        &self.map.bytes(r.end)[r.start as usize..]
    }

    /// The stored XXH3-64 hash of the key.
    pub fn key_hash(&self) -> u64 {
        self.layout.meta.key_hash
    }

    /// The stored CRC-32 of the value.
    pub fn checksum(&self) -> u32 {
        self.layout.meta.checksum
    }

    /// Offset of the value in the file.
    pub fn offset(&self) -> u64 {
        self.layout.payload.start
    }

    /// Whether the value still matches its stored checksum (recomputed now).
    pub fn verify(&self) -> bool {
        format::checksum(self.data()) == self.layout.meta.checksum
    }
}

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
}

impl View {
    pub(crate) fn new(table: Arc<Table>, map: Arc<Mapping>, len: u64) -> Arc<View> {
        Arc::new(View {
            table,
            map,
            len: AtomicU64::new(len),
        })
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
}

/// An entry placed by an append: key hash, metadata offset, tombstone.
pub(crate) type Placed = (u64, u64, bool);

/// The writer's state; one writer at a time holds it.
pub(crate) struct Writer {
    pub(crate) file: File,
    /// Where the next entry goes (equals `Shared::len` between writes).
    pub(crate) tail: u64,
    /// Capacity of the newest mapping.
    pub(crate) capacity: u64,
    /// Set when a failed append could not be rolled back; writes then fail.
    pub(crate) broken: Option<String>,
    /// The thread that began the open stream, if one is open: the stream owns
    /// the tail until it is committed or aborted.
    pub(crate) stream_owner: Option<ThreadId>,
    /// A second descriptor of `file`, for `fdatasync` outside the writer's
    /// mutex (group commit).
    pub(crate) sync_handle: Arc<File>,
    /// Bumped when compaction replaces the file (offsets start over).
    pub(crate) generation: u64,
    /// Buffers reused by appends.
    pub(crate) scratch: AppendScratch,
    /// The space reserved ahead of the tail, with `preallocate`.
    pub(crate) prealloc: Option<Prealloc>,
    /// The process that opened the store: only it may write, unlock or
    /// save the index copy (see [`crate::fork`]).
    pub(crate) owner: crate::os::fork::Owner,
}

impl Writer {
    /// Cuts the file back to `to` after a failed or abandoned append. If even
    /// that fails, the writer is marked broken and refuses further writes.
    pub(crate) fn cut_back(&mut self, to: u64, after: &str) {
        match self.file.set_len(to) {
            Ok(()) => {
                if let Some(p) = &mut self.prealloc {
                    p.set_file_len(to);
                }
            }
            Err(e) => {
                self.broken = Some(format!(
                    "could not cut the file back to {to} after {after}: {e}"
                ))
            }
        }
    }

    /// With preallocation, copies the append `start..end` (the bytes of
    /// `pieces`, in order) into the space reserved ahead of the tail; `false`
    /// if it must be written with `pwrite` instead: preallocation is off, the
    /// append is large, it is the store's first (so that a crash never leaves
    /// a file of nothing but zeros), or no space could be reserved.
    fn copy_in<'a>(
        &mut self,
        start: u64,
        end: u64,
        pieces: impl Iterator<Item = &'a [u8]>,
    ) -> bool {
        if start == 0 || end - start > crate::os::prealloc::MAX_COPY {
            return false;
        }
        let Some(p) = self.prealloc.as_mut() else {
            return false;
        };
        match p.room(&self.file, start, end) {
            Ok(dst) => {
                // Everything but the last entry's metadata first, then that:
                // a reader in another process (or recovery after a crash
                // mid-copy) that sees the newest metadata sees every byte
                // before it. (`memcpy` stores in no particular order; the
                // fence keeps the two copies apart. Metadata is the last
                // 20 bytes of every append.)
                let split = dst.len() - format::METADATA_SIZE;
                let mut meta = [0u8; format::METADATA_SIZE];
                let mut at = 0;
                for piece in pieces {
                    let end = at + piece.len();
                    if at < split {
                        let n = end.min(split) - at;
                        dst[at..at + n].copy_from_slice(&piece[..n]);
                    }
                    if end > split {
                        let from = at.max(split);
                        meta[from - split..end - split].copy_from_slice(&piece[from - at..]);
                    }
                    at = end;
                }
                fence(Ordering::Release);
                dst[split..].copy_from_slice(&meta);
                debug_assert_eq!(at, dst.len());
                true
            }
            Err(NoRoom::Unsupported) => {
                self.prealloc = None;
                false
            }
            Err(NoRoom::Fallback) => false,
        }
    }

    /// Whether the calling thread holds the open stream.
    pub(crate) fn stream_is_mine(&self) -> bool {
        self.stream_owner == Some(std::thread::current().id())
    }
}

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

impl SyncState {
    /// After a compaction: a new file generation, durable up to `len`.
    pub(crate) fn reset(&mut self, generation: u64, len: u64) {
        self.generation = generation;
        self.durable = len;
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Memory maps of the file keep its open file description alive (and
        // with it the flock) for as long as pinned entries use them; release
        // the lock explicitly so closing the store always frees it.
        // The space reserved ahead of the tail (with preallocation) stays:
        // cutting it could crash a reader in another process that is
        // looking through those zeros (SIGBUS). A read-write open without
        // preallocation, or a compaction, cuts it off.
        // In a child made by fork() the lock is the parent's (the open file
        // description is shared): never release it there.
        if self.owner.is_current() {
            let _ = self.file.unlock();
        }
    }
}

/// An open store. `Store` is `Send + Sync`: reads run in parallel from any
/// number of threads and are never blocked by a writer's I/O; writes are
/// serialized.
///
/// Mapping retention: bytes returned by [`Store::read_with`] stay mapped at
/// the same address and never change until the next [`Store::compact`] or
/// until the store is dropped.
pub struct Store {
    pub(crate) path: PathBuf,
    pub(crate) options: OpenOptions,
    /// What readers use; see [`View`].
    pub(crate) view: ViewCell<View>,
    /// Publishers' state; see [`Shared`].
    pub(crate) shared: Mutex<Shared>,
    /// Sequence lock: odd while a publisher changes the table, bumped once
    /// per publication. Multi-key reads retry if it moved under them, so
    /// they see each append entirely or not at all.
    pub(crate) seq: AtomicU64,
    pub(crate) writer: Option<Mutex<Writer>>,
    /// Signalled when a stream ends, for writers waiting on it.
    pub(crate) stream_done: Condvar,
    /// Serializes refreshes of a read-only handle.
    pub(crate) refresh_lock: Mutex<()>,
    /// Group commit of `SRD_OPEN_SYNC` writes.
    pub(crate) sync_state: Mutex<SyncState>,
    pub(crate) sync_done: Condvar,
    /// Signalled when a durable write arrives in `make_durable` (for a
    /// leader's commit delay).
    pub(crate) sync_arrived: Condvar,
    /// Store length the index copy on disk was made at (`u64::MAX`: none is
    /// known to match). The copy is saved on drop if the store moved on.
    pub(crate) index_saved_at: AtomicU64,
    /// Whether opening used the index copy (see [`Store::opened_with_index_file`]).
    pub(crate) used_index_file: bool,
}

impl Drop for Store {
    fn drop(&mut self) {
        // Before the writer (and its lock) goes: no other writer can race.
        self.save_index();
    }
}

/// One operation of an append.
#[derive(Clone, Copy)]
pub(crate) enum Op<'a> {
    Put(u64, &'a [u8]),
    Delete(u64),
}

/// Values up to this size are copied into one buffer; larger ones are written
/// straight from the caller's memory.
const COPY_LIMIT: usize = 4096;

/// Appends longer than this mark their range as pending while they are
/// written (see [`crate::os::file::mark_pending`]): two `fcntl` calls, next
/// to at least this many bytes of copying.
const PENDING_MARK_MIN: u64 = 64 << 10;

/// How many entries ahead a batch prefetches index slots and its inputs.
const PREFETCH_AHEAD: usize = 8;

/// Longest commit delay (see [`Store::make_durable`]), in microseconds; it
/// is also at most a quarter of the last sync's duration.
const COMMIT_DELAY_MAX_US: u64 = 500;

/// Values up to this size are prefetched whole by an append (see
/// `append_with`, which checksums and copies them a few items later);
/// of larger ones only the start (the hardware prefetcher follows a stream).
const PREFETCH_VALUE_MAX: usize = 256;

/// Starts loading the cache lines of `bytes` (up to [`PREFETCH_VALUE_MAX`]).
#[inline(always)]
fn prefetch_bytes(bytes: &[u8]) {
    let n = bytes.len().min(PREFETCH_VALUE_MAX);
    let p = bytes.as_ptr();
    let mut at = 0;
    while at < n {
        prefetch(p.wrapping_add(at));
        at += 64;
    }
    // The last line, which a value not starting on a line boundary reaches.
    prefetch(p.wrapping_add(n.saturating_sub(1)));
}

pub use crate::os::paths::compaction_temp_path;
use crate::os::paths::first_write_path;

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
            let preallocate = options.preallocate && crate::os::prealloc::supported(&file);
            // With preallocation, zeros after the store are space reserved
            // by the last writer: keep them (appends go there).
            let reserved = preallocate
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
                    .then(|| Prealloc::new(if reserved { file_len } else { rec.tail })),
                owner: crate::os::fork::Owner::current(),
            }))
        };
        let file_id = Some((stat.dev(), stat.ino()));
        let mut store = Store::assemble(path, options, rec, map, file_id, writer);
        store.index_saved_at.store(saved_at, Ordering::Relaxed);
        store.used_index_file = used_index_file;
        Ok(store)
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
                        start < from && start >= trusted && metadata_ends_at(file, prev)
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
                        || passed_over(file, tail))
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

    /// Puts a store together from what opening found.
    fn assemble(
        path: PathBuf,
        options: OpenOptions,
        rec: recovery::Recovered,
        map: Mapping,
        file_id: Option<(u64, u64)>,
        writer: Option<Mutex<Writer>>,
    ) -> Store {
        Store {
            path,
            options,
            view: ViewCell::new(View::new(Arc::new(rec.index), Arc::new(map), rec.tail)),
            shared: Mutex::new(Shared {
                retired: Vec::new(),
                entries: rec.entries,
                file_id,
            }),
            seq: AtomicU64::new(0),
            writer,
            stream_done: Condvar::new(),
            refresh_lock: Mutex::new(()),
            sync_state: Mutex::new(SyncState::default()),
            sync_done: Condvar::new(),
            sync_arrived: Condvar::new(),
            index_saved_at: AtomicU64::new(u64::MAX),
            used_index_file: false,
        }
    }

    /// Whether the calling process may write through this handle (it opened
    /// it, or the handle is read-only).
    pub(crate) fn is_owner(&self) -> bool {
        self.writer
            .as_ref()
            .is_none_or(|w| lock(w).owner.is_current())
    }

    /// Whether this handle was opened from the index copy beside the store
    /// (`<path>.idx`) rather than by walking the whole file.
    pub fn opened_with_index_file(&self) -> bool {
        self.used_index_file
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
        let sh = self.lock_shared();
        let view = self.view.load();
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
        let map = Mapping::Memory(bytes);
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
        };
        Ok(Store::assemble(path, options, rec, map, None, None))
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

    /// Device and inode of the store's file, if it has one.
    pub fn file_id(&self) -> Option<(u64, u64)> {
        self.lock_shared().file_id
    }

    /// The path the store was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    /// Number of live keys.
    pub fn len(&self) -> u64 {
        self.view.load().table.len()
    }

    /// Whether the store has no live keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the file's valid content, in bytes.
    pub fn file_size(&self) -> u64 {
        self.view.load().len()
    }

    /// Entries in the file, counting old versions and tombstones.
    pub fn entry_count(&self) -> u64 {
        self.lock_shared().entries
    }

    /// Slots in the in-memory index: a power of two, rebuilt larger once
    /// live keys and tombstones would fill more than 3/4 of it (see
    /// [`Store::reserve`]).
    pub fn index_capacity(&self) -> u64 {
        self.view.load().table.capacity() as u64
    }

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
        // checksum is known good (or not checked). A first read (which
        // checks the checksum), a slot written after the view was taken and
        // a malformed entry go through `lookup`, which probes again.
        {
            let view = self.view.load();
            let bytes = view.bytes();
            match view.table.find(key_hash, bytes) {
                Probe::Absent => return Ok(None),
                Probe::Found(slot) if !self.must_check(slot) => {
                    if let Ok(layout) = format::entry_at(bytes, slot.meta_offset()) {
                        return Ok(Some(f(format::slice(bytes, layout.payload))));
                    }
                }
                _ => {}
            }
        }
        self.read_with_checked(key_hash, f)
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
        let view = loop {
            if wait.rounds() > 16 {
                // Appends keep landing inside the window: probe while
                // holding publishers off instead (they hold `shared` for
                // the whole change).
                let _sh = self.lock_shared();
                let view = self.view.load();
                let bytes = view.bytes();
                probes.clear();
                probes.extend(key_hashes.iter().map(|&h| view.table.find(h, bytes)));
                break view;
            }
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 & 1 == 1 {
                wait.snooze();
                continue;
            }
            let view = self.view.load();
            let bytes = view.bytes();
            for &h in key_hashes {
                let (c, slot) = view.table.home_slot(h);
                prefetch(c);
                prefetch(slot);
            }
            for &h in key_hashes {
                if let Some(m) = view.table.peek(h) {
                    prefetch(bytes.as_ptr().wrapping_add(m as usize));
                }
            }
            probes.clear();
            probes.extend(key_hashes.iter().map(|&h| view.table.find(h, bytes)));
            fence(Ordering::Acquire);
            let stale = probes.iter().any(|p| matches!(p, Probe::Stale));
            if !stale && self.seq.load(Ordering::Relaxed) == s1 {
                break view;
            }
            wait.snooze();
        };
        let bytes = view.bytes();
        for (i, p) in probes.iter().enumerate() {
            let r = match *p {
                Probe::Found(slot) => self
                    .layout_of(&view.table, bytes, slot)
                    .map(|l| Some(format::slice(bytes, l.payload))),
                Probe::Stale => Err(self.beyond_file(key_hashes[i])),
                Probe::Absent => Ok(None),
            };
            f(i, r);
        }
    }

    /// Calls `f(key_hash, value)` with the newest live value (the one last in
    /// the file) and returns its result, or `None` if the store has none.
    pub fn read_last_with<R>(&self, f: impl FnOnce(u64, &[u8]) -> R) -> Result<Option<R>> {
        // Publishers wait while this walks: the table stays as it is.
        let _sh = self.lock_shared();
        let view = self.view.load();
        let bytes = view.bytes();
        let mut cursor = view.len();
        while cursor > 0 {
            let meta_offset = cursor - METADATA_SIZE as u64;
            let entry = format::entry_at(bytes, meta_offset).map_err(|e| {
                Error::corrupt(&self.path, meta_offset, format!("malformed entry ({e:?})"))
            })?;
            let h = entry.meta.key_hash;
            if !entry.tombstone {
                if let Probe::Found(slot) = view.table.find(h, bytes) {
                    if slot.meta_offset() == meta_offset {
                        let layout = self.layout_of(&view.table, bytes, slot)?;
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
        let layout = self.layout_of(&view.table, view.bytes(), slot)?;
        Ok(Some((view, layout)))
    }

    /// The live slot of `key_hash` in the current view, with the view. A
    /// slot written after the view was taken (`Probe::Stale`) is waited out
    /// with a fresh view; one that stays beyond the end of the file is an
    /// error.
    fn find_slot(&self, key_hash: u64) -> Result<Option<(ViewGuard<'_, View>, SlotRef)>> {
        let mut stale = Backoff::default();
        loop {
            let view = self.view.load();
            match view.table.find(key_hash, view.bytes()) {
                Probe::Absent => return Ok(None),
                Probe::Found(slot) => return Ok(Some((view, slot))),
                Probe::Stale if stale.rounds() > 8 && self.stale_for_good(key_hash) => {
                    return Err(self.beyond_file(key_hash))
                }
                Probe::Stale => stale.snooze(),
            }
        }
    }

    /// The entry a slot points at, its checksum checked if it is not yet
    /// known good.
    pub(crate) fn layout_of(
        &self,
        table: &Table,
        bytes: &[u8],
        slot: SlotRef,
    ) -> Result<EntryLayout> {
        let meta_offset = slot.meta_offset();
        let layout = format::entry_at(bytes, meta_offset).map_err(|e| {
            Error::corrupt(
                &self.path,
                meta_offset,
                format!("index points at a malformed entry ({e:?})"),
            )
        })?;
        if self.must_check(slot) {
            self.check_value(bytes, &layout)?;
            table.mark_verified(slot);
        }
        Ok(layout)
    }

    /// Whether reading the value `slot` points at must check its checksum
    /// first: checking is on and no earlier read found it good.
    #[inline]
    fn must_check(&self, slot: SlotRef) -> bool {
        self.options.verify_checksums && !slot.is_verified()
    }

    /// After `Probe::Stale` for a while: whether the key's slot points
    /// beyond the published length with no publication under way or made
    /// meanwhile (so it will not change: a crafted index file), rather than
    /// a publisher being between its slot stores and its length store.
    #[cold]
    fn stale_for_good(&self, key_hash: u64) -> bool {
        let s1 = self.seq.load(Ordering::Acquire);
        if s1 & 1 == 1 {
            return false;
        }
        let view = self.view.load();
        let stale = matches!(view.table.find(key_hash, view.bytes()), Probe::Stale);
        fence(Ordering::Acquire);
        stale && self.seq.load(Ordering::Relaxed) == s1 && Arc::ptr_eq(&*view, &*self.view.load())
    }

    #[cold]
    fn beyond_file(&self, key_hash: u64) -> Error {
        Error::corrupt(
            &self.path,
            self.view.load().len(),
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

    // --- Writes -----------------------------------------------------------

    /// Stores `value` under `key`, replacing any older value.
    pub fn write(&self, key: &[u8], value: &[u8]) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        self.append(&[Op::Put(format::key_hash(key), value)])
    }

    /// Stores `value` under the key with hash `key_hash`.
    pub fn write_hash(&self, key_hash: u64, value: &[u8]) -> Result<()> {
        check_value(value)?;
        self.append(&[Op::Put(key_hash, value)])
    }

    /// Stores several values with one append; all become visible at once.
    /// Later items win over earlier ones with the same key. One invalid item
    /// rejects the whole batch before anything is written.
    pub fn write_batch(&self, items: &[(&[u8], &[u8])]) -> Result<()> {
        let mut ops = Vec::with_capacity(items.len());
        for (i, (k, v)) in items.iter().enumerate() {
            // The caller's keys and values are often scattered in memory:
            // start loading those a few items ahead (the key for its hash
            // here, the value for its checksum and copy in the append).
            if let Some((ak, _)) = items.get(i + PREFETCH_AHEAD) {
                prefetch(ak.as_ptr());
            }
            check_key(k).map_err(|e| in_item(e, i))?;
            check_value(v).map_err(|e| in_item(e, i))?;
            ops.push(Op::Put(format::key_hash(k), v));
        }
        self.append(&ops)
    }

    /// Deletes `key`. Returns `false` (and writes nothing) if it had no value.
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        check_key(key)?;
        Ok(self.delete_hashes(&[format::key_hash(key)])? == 1)
    }

    /// Deletes every key in `keys` that has a value, with one append; absent
    /// keys are skipped. Returns how many keys were deleted.
    pub fn delete_batch(&self, keys: &[&[u8]]) -> Result<u64> {
        let mut hashes = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            check_key(k).map_err(|e| in_item(e, i))?;
            hashes.push(format::key_hash(k));
        }
        self.delete_hashes(&hashes)
    }

    /// Deletes the key with hash `key_hash`; `false` if it had no value.
    pub fn delete_hash(&self, key_hash: u64) -> Result<bool> {
        Ok(self.delete_hashes(&[key_hash])? == 1)
    }

    /// Deletes the keys with these hashes that have a value; returns how many.
    pub fn delete_hashes(&self, key_hashes: &[u64]) -> Result<u64> {
        if key_hashes.is_empty() {
            return Ok(0);
        }
        let mut w = self.lock_writer()?;
        // Under the writer's mutex the table cannot change meanwhile.
        let ops: Vec<Op> = {
            let mut seen = std::collections::HashSet::new();
            key_hashes
                .iter()
                .copied()
                .filter(|&h| self.contains_hash(h) && seen.insert(h))
                .map(Op::Delete)
                .collect()
        };
        if ops.is_empty() {
            return Ok(0);
        }
        let tail = self.append_locked(&mut w, &ops)?;
        let generation = w.generation;
        drop(w);
        self.make_durable(generation, tail)?;
        Ok(ops.len() as u64)
    }

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

    /// Makes room in the index for `additional` more keys than it holds
    /// now, so that loading that many rebuilds the index once, here, instead
    /// of each time it doubles (as `Vec::reserve` does for a vector). Only
    /// memory changes: nothing is written, and writes beyond the reservation
    /// grow the index as usual. A table already large enough is kept. The
    /// reservation lasts until compaction (which sizes the index for the
    /// live keys) or close; the index file saved at close is sized for the
    /// keys, so a reopen is too.
    pub fn reserve(&self, additional: u64) -> Result<()> {
        let w = self.lock_writer()?;
        // An `Arc` of its own rather than a guard: the rebuild may take a
        // while, and a guard would hold back the freeing of old views.
        let view = self.view.load_full();
        if view.table.has_room_for(additional) {
            return Ok(());
        }
        let table = match view.table.try_rebuilt(additional, view.bytes()) {
            Some(Ok(t)) => t,
            Some(Err(off)) => return Err(self.index_outside_file(off)),
            None => {
                return Err(Error::InvalidArgument(format!(
                    "{}: cannot allocate an index for {additional} more keys",
                    self.path.display()
                )))
            }
        };
        drop(view);
        self.publish(None, Some(Arc::new(table)), &[], w.tail, true);
        Ok(())
    }

    pub(crate) fn append(&self, ops: &[Op]) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut w = self.lock_writer()?;
        let tail = self.append_locked(&mut w, ops)?;
        let generation = w.generation;
        drop(w);
        self.make_durable(generation, tail)
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
        let lock_state = || crate::sync::lock(&self.sync_state);
        let mut st = lock_state();
        st.arrivals += 1;
        let arrival = st.arrivals;
        if st.delaying {
            self.sync_arrived.notify_all();
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
            st = crate::sync::wait(&self.sync_done, st);
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
                st = crate::sync::wait_timeout(&self.sync_arrived, st, left);
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
                    self.sync_done.notify_all();
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
        self.sync_done.notify_all();
        res.map_err(|e| Error::io(format!("{}: fdatasync", self.path.display()), e))
    }

    /// Appends `ops` at the tail with one vectored write, then publishes them
    /// to readers all at once; returns the new tail. On failure the file is
    /// cut back to where it was and nothing is published. Durability (with
    /// `sync`) is the caller's next step, [`Store::make_durable`], after it
    /// releases the writer.
    pub(crate) fn append_locked(&self, w: &mut Writer, ops: &[Op]) -> Result<u64> {
        // The buffers of the last append, kept for their capacity.
        let mut scratch = std::mem::take(&mut w.scratch);
        let res = self.append_with(w, ops, &mut scratch);
        scratch.recycle();
        w.scratch = scratch;
        res
    }

    fn append_with(&self, w: &mut Writer, ops: &[Op], sc: &mut AppendScratch) -> Result<u64> {
        let start = w.tail;
        // Where the append will end, before any value is checksummed: a
        // write past the size limit is refused without touching its bytes.
        check_size_limit(&self.path, append_end(start, ops))?;
        let AppendScratch { buf, segs, placed } = sc;
        let mut tail = start;
        for (i, op) in ops.iter().enumerate() {
            if let Some(Op::Put(_, ahead)) = ops.get(i + PREFETCH_AHEAD) {
                prefetch_bytes(ahead);
            }
            match *op {
                Op::Put(h, v) => {
                    let (pad, meta, end) = format::plan_value(tail, h, v);
                    push_buf(segs, buf, &format::ZEROS[..pad as usize]);
                    if v.len() <= COPY_LIMIT {
                        push_buf(segs, buf, v);
                    } else {
                        segs.push(Seg::Op(i));
                    }
                    push_buf(segs, buf, &meta);
                    placed.push((h, end - METADATA_SIZE as u64, false));
                    tail = end;
                }
                Op::Delete(h) => {
                    push_buf(segs, buf, &format::encode_tombstone(tail, h));
                    placed.push((h, tail + 1, true));
                    tail += 1 + METADATA_SIZE as u64;
                }
            }
        }
        debug_assert_eq!(tail, append_end(start, ops));
        let new_map = self.map_ahead(w, tail)?;
        let new_table = self.table_ahead(placed.len() as u64)?;
        let piece = |s: &Seg| -> &[u8] {
            match *s {
                Seg::Buf(ref r) => &buf[r.clone()],
                Seg::Op(i) => match ops[i] {
                    Op::Put(_, v) => v,
                    Op::Delete(_) => unreachable!("deletions are always buffered"),
                },
            }
        };
        let slice = |s: &Seg| IoSlice::new(piece(s));
        if start == 0 {
            // The store's first entries go into a new file renamed over the
            // empty one, so that a crash mid-write leaves the empty store,
            // never a file of value bytes without metadata.
            let map = self.write_first(w, &mut segs.iter().map(slice).collect::<Vec<_>>(), tail)?;
            self.publish_append(w, Some(map), new_table, placed, tail);
            return Ok(tail);
        }
        // A large append takes a while to write: readers in other processes
        // leave its range alone until it is published (see `mark_pending`).
        let pending = tail - start > PENDING_MARK_MIN
            && crate::os::file::mark_pending(&w.file, start).is_ok();
        let written = if w.copy_in(start, tail, segs.iter().map(piece)) {
            Ok(())
        } else {
            let r = match segs.as_slice() {
                [one] => write_all_at(&mut w.file, start, &mut [slice(one)]),
                _ => write_all_at(
                    &mut w.file,
                    start,
                    &mut segs.iter().map(slice).collect::<Vec<_>>(),
                ),
            };
            if let (Ok(()), Some(p)) = (&r, &mut w.prealloc) {
                p.set_file_len(p.file_len().max(tail));
            }
            r
        };
        if let Err(e) = written {
            w.cut_back(start, "a failed write");
            if pending {
                crate::os::file::unmark_pending(&w.file, start);
            }
            return Err(Error::io(
                format!(
                    "{}: appending {} bytes at offset {start}",
                    self.path.display(),
                    tail - start
                ),
                e,
            ));
        }
        self.publish_append(w, new_map, new_table, placed, tail);
        if pending {
            crate::os::file::unmark_pending(&w.file, start);
        }
        Ok(tail)
    }

    /// Writes the first entries of an empty store (`slices`, ending at
    /// `end`) into a new file beside it and swaps that file in (see
    /// [`Store::install_first_file`]). On failure the store is unchanged.
    fn write_first(
        &self,
        w: &mut Writer,
        slices: &mut [IoSlice<'_>],
        end: u64,
    ) -> Result<Arc<Mapping>> {
        let tmp = first_write_path(&self.path);
        let ctx = |what: &str| format!("{}: first write: {what}", tmp.display());
        let mut file = crate::os::file::create_fresh(&tmp, crate::os::file::store_mode(&w.file))
            .map_err(|e| Error::io(ctx("create"), e))?;
        let res = write_all_at(&mut file, 0, slices)
            .map_err(|e| Error::io(ctx(&format!("writing {end} bytes")), e))
            .and_then(|()| self.install_first_file(w, file, &tmp, end));
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        res
    }

    /// Makes `file` (at `tmp`, holding the store's first entries up to
    /// `end`) the store: locks it, maps it, renames it over the empty store
    /// file and hands the writer to it. Readers in other processes follow
    /// the rename as after a compaction (the empty file had nothing to
    /// read); a read-write open elsewhere finds the new file locked. With
    /// `sync`, the file is synced before the rename and the directory after.
    /// Returns the mapping of the new file for the caller to publish.
    pub(crate) fn install_first_file(
        &self,
        w: &mut Writer,
        file: File,
        tmp: &Path,
        end: u64,
    ) -> Result<Arc<Mapping>> {
        let ctx = |what: &str| format!("{}: first write: {what}", tmp.display());
        file.try_lock()
            .map_err(|e| Error::io(ctx("lock"), io::Error::other(e.to_string())))?;
        if self.options.sync {
            file.sync_data().map_err(|e| {
                w.broken = Some(format!("fdatasync failed: {e}"));
                Error::io(ctx("fdatasync"), e)
            })?;
        }
        let map = Mapping::new(&file, reserve_for(end)).map_err(|e| Error::io(ctx("mmap"), e))?;
        let sync_handle = file.try_clone().map_err(|e| Error::io(ctx("dup"), e))?;
        let id = file.metadata().map_err(|e| Error::io(ctx("stat"), e))?;
        fs::rename(tmp, &self.path).map_err(|e| {
            Error::io(
                format!("{}: first write: rename over store", self.path.display()),
                e,
            )
        })?;
        // The new file is in place: nothing below may fail.
        self.lock_shared().file_id = Some((id.dev(), id.ino()));
        if w.owner.is_current() {
            let _ = w.file.unlock();
        }
        w.file = file;
        w.sync_handle = Arc::new(sync_handle);
        if let Some(p) = &mut w.prealloc {
            *p = Prealloc::new(end);
        }
        self.index_saved_at.store(u64::MAX, Ordering::Relaxed);
        if self.options.sync {
            // The rename must be durable too (the data is, above). If that
            // fails the write is in the file but not known to be durable:
            // as after a failed fdatasync, the handle refuses further writes.
            if let Err(e) = crate::os::file::sync_parent_dir(&self.path) {
                w.broken = Some(format!("syncing the directory failed: {e}"));
                return Err(e);
            }
        }
        Ok(Arc::new(map))
    }

    /// A new, larger mapping if the file will outgrow the current one at
    /// `end`. Made before writing, so that a failure to map loses nothing.
    pub(crate) fn map_ahead(&self, w: &Writer, end: u64) -> Result<Option<Arc<Mapping>>> {
        if end <= w.capacity {
            return Ok(None);
        }
        let m = Mapping::new(&w.file, reserve_for(end))
            .map_err(|e| Error::io(format!("{}: mmap", self.path.display()), e))?;
        Ok(Some(Arc::new(m)))
    }

    /// A rebuilt, larger table if `n` more keys would fill the current one
    /// past 3/4. Made before writing, so that a failure loses nothing.
    pub(crate) fn table_ahead(&self, n: u64) -> Result<Option<Arc<Table>>> {
        let view = self.view.load();
        if view.table.has_room_for(n) {
            return Ok(None);
        }
        // Growing by half the live keys (or more) keeps rebuilds rare; a
        // table full of tombstones is rebuilt at its size.
        let grow = n.max(view.table.len() / 2);
        match view.table.rebuilt(grow, view.bytes()) {
            Ok(t) => Ok(Some(Arc::new(t))),
            Err(off) => Err(self.index_outside_file(off)),
        }
    }

    /// The error of a rebuild that found a slot pointing at metadata at
    /// `off`, outside the file (a damaged index file).
    fn index_outside_file(&self, off: u64) -> Error {
        Error::corrupt(&self.path, off, "index points at metadata outside the file")
    }

    /// Shows readers, all at once, the entries the writer just wrote up to
    /// `tail`, and moves the writer's tail there.
    pub(crate) fn publish_append(
        &self,
        w: &mut Writer,
        new_map: Option<Arc<Mapping>>,
        new_table: Option<Arc<Table>>,
        placed: &[Placed],
        tail: u64,
    ) {
        if let Some(m) = &new_map {
            w.capacity = m.capacity();
        }
        self.publish(new_map, new_table, placed, tail, true);
        w.tail = tail;
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
        let cur = self.view.load_full();
        let view = if new_map.is_some() || new_table.is_some() {
            let map = match new_map {
                Some(m) => {
                    sh.retired.push(Arc::clone(&cur.map));
                    m
                }
                None => Arc::clone(&cur.map),
            };
            let table = new_table.unwrap_or_else(|| Arc::clone(&cur.table));
            let v = View::new(table, map, cur.len());
            self.view.store(Arc::clone(&v));
            v
        } else {
            cur
        };
        let bytes = view.map.bytes(tail);
        let s = self.seq_begin();
        for (i, &(h, meta_offset, tombstone)) in placed.iter().enumerate() {
            // Start loading the slots a few entries ahead: a large batch
            // would otherwise wait on one cache miss after another.
            if let Some(&(ahead, _, _)) = placed.get(i + PREFETCH_AHEAD) {
                let (c, slot) = view.table.home_slot(ahead);
                prefetch(c);
                prefetch(slot);
            }
            view.table.set(h, meta_offset, tombstone, verified, bytes);
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

    // --- Locks --------------------------------------------------------------

    pub(crate) fn lock_shared(&self) -> MutexGuard<'_, Shared> {
        // A poisoned lock only means a panic elsewhere; publishers do not
        // panic between their updates.
        crate::sync::lock(&self.shared)
    }

    /// Takes the writer: waits while another thread's stream is open, fails
    /// with `Busy` if the calling thread's own stream is.
    pub(crate) fn lock_writer(&self) -> Result<MutexGuard<'_, Writer>> {
        let mut w = self.lock_writer_raw()?;
        while w.stream_owner.is_some() {
            if w.stream_is_mine() {
                return Err(Error::Busy(self.path.clone()));
            }
            w = crate::sync::wait(&self.stream_done, w);
        }
        Ok(w)
    }

    /// Fails with `Busy` if the calling thread has a stream open on this
    /// store (so that multi-step operations can refuse before changing
    /// anything), and with `ReadOnly` on a read-only store.
    pub(crate) fn check_not_busy(&self) -> Result<()> {
        if self.lock_writer_raw()?.stream_is_mine() {
            return Err(Error::Busy(self.path.clone()));
        }
        Ok(())
    }

    /// Takes the writer's mutex without regard to an open stream (for the
    /// stream itself).
    pub(crate) fn lock_writer_raw(&self) -> Result<MutexGuard<'_, Writer>> {
        let writer = self
            .writer
            .as_ref()
            .ok_or_else(|| Error::ReadOnly(self.path.clone()))?;
        let w = lock(writer);
        if let Some(why) = &w.broken {
            return Err(Error::Broken {
                path: self.path.clone(),
                why: why.clone(),
            });
        }
        if !w.owner.is_current_fast() {
            return Err(Error::Broken {
                path: self.path.clone(),
                why: "the handle was inherited across fork(): only the process that opened \
                      the store may write through it"
                    .into(),
            });
        }
        Ok(w)
    }
}

/// The bytes of a pinned value, as the source of a nested store.
struct EntryBytes {
    map: Arc<Mapping>,
    range: Range<u64>,
}

impl AsRef<[u8]> for EntryBytes {
    fn as_ref(&self) -> &[u8] {
        format::slice(self.map.bytes(self.range.end), self.range.clone())
    }
}

use crate::sync::{lock, Backoff};

/// Refuses a file length whose metadata offsets the index cannot hold.
pub(crate) fn check_size_limit(path: &Path, len: u64) -> Result<()> {
    if len > MAX_META_OFFSET {
        return Err(Error::InvalidArgument(format!(
            "{}: a store is limited to {} bytes (16 TiB); this needs {len}",
            path.display(),
            MAX_META_OFFSET
        )));
    }
    Ok(())
}

/// Where an append of `ops` at `start` ends (saturating: an overflow is past
/// every limit). Arithmetic only: no value byte is read.
fn append_end(start: u64, ops: &[Op]) -> u64 {
    let mut tail = start;
    for op in ops {
        let add = match *op {
            Op::Put(_, v) => format::pad_len(tail)
                .saturating_add(v.len() as u64)
                .saturating_add(METADATA_SIZE as u64),
            Op::Delete(_) => 1 + METADATA_SIZE as u64,
        };
        tail = tail.saturating_add(add);
    }
    tail
}

/// A piece of an append: bytes in the shared buffer, or the value of the
/// append's operation `i`, written from the caller's memory.
enum Seg {
    Buf(Range<usize>),
    Op(usize),
}

/// An append's buffers, kept by the writer between appends so that a small
/// write allocates nothing.
#[derive(Default)]
pub(crate) struct AppendScratch {
    buf: Vec<u8>,
    segs: Vec<Seg>,
    placed: Vec<Placed>,
}

impl AppendScratch {
    /// Empties the buffers for the next append, giving back the memory of an
    /// unusually large one.
    fn recycle(&mut self) {
        const KEEP: usize = 1 << 20;
        if self.buf.capacity() > KEEP {
            self.buf = Vec::new();
        }
        if self.segs.capacity() * std::mem::size_of::<Seg>() > KEEP {
            self.segs = Vec::new();
        }
        if self.placed.capacity() * std::mem::size_of::<Placed>() > KEEP {
            self.placed = Vec::new();
        }
        self.buf.clear();
        self.segs.clear();
        self.placed.clear();
    }
}

fn push_buf(segs: &mut Vec<Seg>, buf: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    let start = buf.len();
    buf.extend_from_slice(bytes);
    if let Some(Seg::Buf(r)) = segs.last_mut() {
        if r.end == start {
            r.end = buf.len();
            return;
        }
    }
    segs.push(Seg::Buf(start..buf.len()));
}

/// Writes all of `slices` at `offset`, retrying short writes.
fn write_all_at(file: &mut File, offset: u64, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    if let [one] = slices {
        // The common case (small values): one pwrite, no seek.
        return std::os::unix::fs::FileExt::write_all_at(file, one, offset);
    }
    file.seek(SeekFrom::Start(offset))?;
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub(crate) fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::InvalidArgument("key is empty".into()));
    }
    Ok(())
}

pub(crate) fn check_value(value: &[u8]) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidArgument("value is empty".into()));
    }
    if value == format::TOMBSTONE_PAYLOAD {
        return Err(Error::InvalidArgument(
            "value is a single 0x00 byte, which the format reserves for deletions".into(),
        ));
    }
    Ok(())
}

fn in_item(e: Error, i: usize) -> Error {
    match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("batch item {i}: {m}")),
        other => other,
    }
}

/// Whether an entry of the file as it is now (read with `pread`, walking
/// back from its end at most 4096 entries) spans `tail`, so that `tail` is
/// no boundary between entries. `false` when the walk reaches `tail`, or
/// cannot tell (the end is being written, or too far).
pub(crate) fn passed_over(file: &File, tail: u64) -> bool {
    // The end may be caught being written (no answer): look a few times.
    for attempt in 0..4 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
        if let Some(answer) = passed_over_now(file, tail) {
            return answer;
        }
    }
    false
}

/// One look of [`passed_over`]; `None` if it cannot tell. The writer's
/// mark is asked for before the size: a range marked then was not
/// published then, and its start is a boundary between entries.
fn passed_over_now(file: &File, tail: u64) -> Option<bool> {
    let pending = crate::os::file::pending_from(file);
    let now = file.metadata().ok()?.len().min(pending.unwrap_or(u64::MAX));
    let mut cursor = now;
    for _ in 0..4096 {
        if cursor <= tail {
            return Some(false);
        }
        let (at, meta) = meta_before(file, cursor)?;
        let prev = meta.prev_tail;
        if prev == 0 && meta.checksum == 0 {
            // Zeros: space preallocated ahead of a writer's tail. Nothing
            // to learn here, and nothing better by looking again.
            return Some(false);
        }
        if prev >= at {
            return None;
        }
        if prev < tail {
            // This entry's bytes run from below `tail` to above it. Only
            // if it checks out is that proof (else the end is being
            // written): its checksum, read with pread.
            return entry_checks_out(file, prev, at, meta.checksum).then_some(true);
        }
        cursor = prev;
    }
    None
}

/// Whether the value before metadata at `meta_offset`, whose entry begins
/// at `prev`, matches `crc` (read with `pread`, in 1 MiB pieces).
fn entry_checks_out(file: &File, prev: u64, meta_offset: u64, crc: u32) -> bool {
    let Some(start) = payload_start(prev, meta_offset) else {
        return false;
    };
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0u8; (meta_offset - start).min(1 << 20) as usize];
    let mut at = start;
    while at < meta_offset {
        let n = ((meta_offset - at) as usize).min(buf.len());
        if std::os::unix::fs::FileExt::read_exact_at(file, &mut buf[..n], at).is_err() {
            return false;
        }
        h.update(&buf[..n]);
        at += n as u64;
    }
    h.finalize() == crc
}

/// Whether `end` may be where an entry ends, judged by reading the 20 bytes
/// before it with `pread` (never through a map): 0 (the start of the
/// file), or well-formed metadata whose link points below it.
fn metadata_ends_at(file: &File, end: u64) -> bool {
    end == 0
        || meta_before(file, end).is_some_and(|(at, m)| payload_start(m.prev_tail, at).is_some())
}

/// The 20 metadata bytes that end at `end`, read with `pread`, and their
/// offset.
fn meta_before(file: &File, end: u64) -> Option<(u64, format::Metadata)> {
    let at = end.checked_sub(METADATA_SIZE as u64)?;
    let mut b = [0u8; METADATA_SIZE];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut b, at).ok()?;
    Some((at, format::Metadata::read_at(&b, 0)?))
}

/// Where the payload of an entry that begins at `prev` and has its
/// metadata at `meta_offset` starts (a one-byte payload right after `prev`
/// being a tombstone's), or `None` if no entry has that layout: the
/// checks of `format::entry_at`, without the file's bytes.
fn payload_start(prev: u64, meta_offset: u64) -> Option<u64> {
    if prev >= meta_offset {
        return None;
    }
    if meta_offset - prev == 1 {
        return Some(prev);
    }
    let start = prev + format::pad_len(prev);
    (start < meta_offset).then_some(start)
}

/// Opens the file with the access the store needs, mapping OS errors to
/// engine errors.
pub(crate) fn open_file(path: &Path, write: bool, create: bool) -> Result<File> {
    // O_NONBLOCK: opening a FIFO must fail below, not hang; it has no effect
    // on regular files.
    let file = fs::OpenOptions::new()
        .read(true)
        .write(write)
        .create(write && create)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::FileNotFound(path.to_path_buf()),
            io::ErrorKind::IsADirectory => {
                Error::InvalidArgument(format!("{}: is a directory", path.display()))
            }
            _ => Error::io(format!("{}: open", path.display()), e),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("{}: stat", path.display()), e))?;
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "{}: not a regular file",
            path.display()
        )));
    }
    Ok(file)
}

/// Opens the file read-write and takes the exclusive writer lock. If the file
/// was replaced (by a compaction) between open and lock, opens it again.
fn open_locked(path: &Path, create: bool) -> Result<File> {
    for _ in 0..16 {
        let file = open_file(path, true, create)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(Error::Locked(path.to_path_buf())),
            Err(TryLockError::Error(e)) => {
                return Err(Error::io(format!("{}: flock", path.display()), e))
            }
        }
        let ours = file
            .metadata()
            .map_err(|e| Error::io(format!("{}: stat", path.display()), e))?;
        match fs::metadata(path) {
            Ok(now) if now.dev() == ours.dev() && now.ino() == ours.ino() => return Ok(file),
            _ => continue,
        }
    }
    Err(Error::Locked(path.to_path_buf()))
}
