//! Writes: appends, deletes, the first write, reserve.

use super::options::{check_key, check_size_limit, check_value, in_item, BatchOp, Expect};
use super::readers::Placed;
use super::writer::Writer;
use super::{Op, Store, PREFETCH_AHEAD};
use crate::error::{Error, Result};
use crate::format::{self, METADATA_SIZE};
use crate::index::{prefetch, Table};
use crate::os::mapping::{reserve_for, Mapping};
use crate::os::paths::first_write_path;
use std::fs::{self, File};
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, MutexGuard};

/// Values up to this size are copied into one buffer; larger ones are written
/// straight from the caller's memory.
const COPY_LIMIT: usize = 4096;

/// Appends longer than this mark their range as pending while they are
/// written (see [`crate::os::file::mark_pending`]): two `fcntl` calls, next
/// to at least this many bytes of copying.
const PENDING_MARK_MIN: u64 = 64 << 10;

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

impl Store {
    // --- Writes -----------------------------------------------------------

    /// Stores `value` under `key`, replacing any older value.
    pub fn write(&self, key: &[u8], value: &[u8]) -> Result<()> {
        check_key(key)?;
        check_value(value)?;
        // The value is read (checksum, copy) only after the key's hash and
        // the writer lock: start loading it now.
        prefetch_bytes(value);
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

    /// Stores `value` under the key with hash `key_hash` only if `expect`
    /// holds for the key's newest entry, checked under the writer's lock
    /// (so no other write of this handle comes between the check and the
    /// write) against the index in memory: no extra I/O. Otherwise fails
    /// with [`Error::Conflict`] and writes nothing.
    pub fn write_hash_if(&self, key_hash: u64, value: &[u8], expect: Expect) -> Result<()> {
        check_value(value)?;
        let w = self.lock_writer()?;
        self.check_expectation(key_hash, expect)?;
        self.append_then_sync(w, &[Op::Put(key_hash, value)])
    }

    /// [`Store::write_hash_if`] for a key.
    pub fn write_if(&self, key: &[u8], value: &[u8], expect: Expect) -> Result<()> {
        check_key(key)?;
        self.write_hash_if(format::key_hash(key), value, expect)
    }

    /// Deletes the key with hash `key_hash` only if its live value is the
    /// version at `version` (see [`Expect::Version`]); otherwise fails with
    /// [`Error::Conflict`] and writes nothing.
    pub fn delete_hash_if(&self, key_hash: u64, version: u64) -> Result<()> {
        let w = self.lock_writer()?;
        self.check_expectation(key_hash, Expect::Version(version))?;
        self.append_then_sync(w, &[Op::Delete(key_hash)])
    }

    /// [`Store::delete_hash_if`] for a key.
    pub fn delete_if(&self, key: &[u8], version: u64) -> Result<()> {
        check_key(key)?;
        self.delete_hash_if(format::key_hash(key), version)
    }

    /// Fails with [`Error::Conflict`] unless `expect` holds for the newest
    /// entry of `key_hash`. The caller holds the writer (the table cannot
    /// change meanwhile); reads only the index and the entry's metadata.
    fn check_expectation(&self, key_hash: u64, expect: Expect) -> Result<()> {
        let current = self.current_version(key_hash)?;
        let detail = match (expect, current) {
            (Expect::Absent, None) => return Ok(()),
            (Expect::Version(want), Some(have)) if want == have => return Ok(()),
            (Expect::Absent, Some(have)) => {
                format!("the key has a value (version {have}) and none was expected")
            }
            (Expect::Version(want), None) => {
                format!("the key has no value and version {want} was expected")
            }
            (Expect::Version(want), Some(have)) => {
                format!("the key's value is version {have} and version {want} was expected")
            }
        };
        Err(Error::Conflict {
            path: self.path.clone(),
            detail,
        })
    }

    /// Applies writes and deletes with one append: after a crash or power
    /// cut, all of them are in the store or none (see
    /// `format::BATCH_KEY_HASH`), and readers see them all at once. A delete
    /// of a key that has no value at that point of the batch (none before
    /// it, or deleted earlier in it) is skipped. One invalid item rejects
    /// the whole batch before anything is written. Returns how many deletes
    /// were applied.
    pub fn apply(&self, batch: &[BatchOp]) -> Result<u64> {
        let mut hashed = Vec::with_capacity(batch.len());
        for (i, op) in batch.iter().enumerate() {
            match *op {
                BatchOp::Write(k, v) => {
                    check_key(k).map_err(|e| in_item(e, i))?;
                    check_value(v).map_err(|e| in_item(e, i))?;
                    hashed.push(Op::Put(format::key_hash(k), v));
                }
                BatchOp::Delete(k) => {
                    check_key(k).map_err(|e| in_item(e, i))?;
                    hashed.push(Op::Delete(format::key_hash(k)));
                }
            }
        }
        if hashed.is_empty() {
            return Ok(0);
        }
        let w = self.lock_writer()?;
        // Under the writer's mutex the table cannot change meanwhile.
        let mut live: std::collections::HashMap<u64, bool> = std::collections::HashMap::new();
        let mut deleted = 0u64;
        let ops: Vec<Op> = hashed
            .into_iter()
            .filter(|op| match *op {
                Op::Put(h, _) => {
                    live.insert(h, true);
                    true
                }
                Op::Delete(h) => {
                    let was = *live.entry(h).or_insert_with(|| self.contains_hash(h));
                    live.insert(h, false);
                    deleted += u64::from(was);
                    was
                }
            })
            .collect();
        if ops.is_empty() {
            return Ok(0);
        }
        self.append_then_sync(w, &ops)?;
        Ok(deleted)
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
        let w = self.lock_writer()?;
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
        self.append_then_sync(w, &ops)?;
        Ok(ops.len() as u64)
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
        let view = self.readers.load_full();
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
        self.readers
            .publish(None, Some(Arc::new(table)), &[], w.tail, true);
        Ok(())
    }

    pub(crate) fn append(&self, ops: &[Op]) -> Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let w = self.lock_writer()?;
        self.append_then_sync(w, ops)
    }

    /// Appends `ops` with the writer `w` holds, releases it, then makes the
    /// append durable (with `sync`; group commit runs without the writer).
    pub(crate) fn append_then_sync(&self, mut w: MutexGuard<'_, Writer>, ops: &[Op]) -> Result<()> {
        let tail = self.append_locked(&mut w, ops)?;
        let generation = w.generation;
        drop(w);
        self.make_durable(generation, tail)
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
        if ops.len() > 1 {
            // A batch begins with its marker, which says where it ends: a
            // view that ends inside the batch ends before the marker (see
            // `format::BATCH_KEY_HASH`), so a batch is all or nothing.
            let marker = format::batch_marker(append_end(start, ops));
            let (pad, meta, end) = format::plan_value(tail, format::BATCH_KEY_HASH, &marker);
            push_buf(segs, buf, &format::ZEROS[..pad as usize]);
            push_buf(segs, buf, &marker);
            push_buf(segs, buf, &meta);
            tail = end;
        }
        for (i, op) in ops.iter().enumerate() {
            if let Some(Op::Put(_, ahead)) = ops.get(i + PREFETCH_AHEAD) {
                prefetch_bytes(ahead);
            }
            let h = match *op {
                Op::Put(h, _) | Op::Delete(h) => h,
            };
            if h == format::BATCH_KEY_HASH {
                return Err(reserved_hash(i, ops.len()));
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
        self.prefetch_slots(new_table.as_deref(), placed);
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
        self.readers.lock_shared().file_id = Some((id.dev(), id.ino()));
        if w.owner.is_current() {
            let _ = w.file.unlock();
        }
        w.file = file;
        w.sync_handle = Arc::new(sync_handle);
        if let Some(p) = &mut w.prealloc {
            p.reset(end);
        }
        self.forget_index_copy();
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
        let m = self
            .readers
            .load()
            .map
            .grown(&w.file, reserve_for(end))
            .map_err(|e| Error::io(format!("{}: mmap", self.path.display()), e))?;
        Ok(Some(Arc::new(m)))
    }

    /// A rebuilt, larger table if `n` more keys would fill the current one
    /// past 3/4. Made before writing, so that a failure loses nothing.
    pub(crate) fn table_ahead(&self, n: u64) -> Result<Option<Arc<Table>>> {
        let view = self.readers.load();
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

    /// Starts loading the index slots that the first entries of `placed`
    /// will take (in `new_table`, else the current one), so that their cache
    /// misses overlap the write's system call rather than follow it: in a
    /// table larger than the cache, a single put otherwise waits on two
    /// misses after its `pwrite` (the publish loop prefetches the rest of a
    /// batch itself, `PREFETCH_AHEAD` entries ahead).
    fn prefetch_slots(&self, new_table: Option<&Table>, placed: &[Placed]) {
        let view = self.readers.load();
        let table = new_table.unwrap_or(&view.table);
        for &(h, _, _) in placed.iter().take(PREFETCH_AHEAD) {
            table.prefetch_home(h);
        }
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
        self.readers.publish(new_map, new_table, placed, tail, true);
        w.tail = tail;
    }

    /// The error of a rebuild that found a slot pointing at metadata at
    /// `off`, outside the file (a damaged index file).
    fn index_outside_file(&self, off: u64) -> Error {
        Error::corrupt(&self.path, off, "index points at metadata outside the file")
    }
}

/// Where an append of `ops` at `start` ends (saturating: an overflow is past
/// every limit). Arithmetic only: no value byte is read.
fn append_end(start: u64, ops: &[Op]) -> u64 {
    let mut tail = start;
    if ops.len() > 1 {
        // The batch marker.
        tail = tail
            .saturating_add(format::pad_len(tail))
            .saturating_add((format::BATCH_MARKER_LEN + METADATA_SIZE) as u64);
    }
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

/// The error of an operation under the key hash reserved for batch markers
/// (`format::BATCH_KEY_HASH`), item `i` of `n`.
#[cold]
fn reserved_hash(i: usize, n: usize) -> Error {
    let what = format!(
        "key hash {:#018x} is reserved for batch markers",
        format::BATCH_KEY_HASH
    );
    Error::InvalidArgument(if n > 1 {
        format!("batch item {i}: {what}")
    } else {
        what
    })
}
