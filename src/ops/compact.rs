//! Compaction: rewrite only the live entries into a new file and swap it in.
//!
//! The live entries are copied, oldest first, into a temporary file beside
//! the store; the temporary file is synced, renamed over the store, and the
//! directory is synced. A crash at any point leaves either the old file or
//! the complete new one at the store's path. Readers keep using the old
//! mapping until the swap; writers wait.

use crate::engine::{compaction_temp_path, CompactStats, Store, View};
use crate::error::{Error, Result};
use crate::format::{self, METADATA_SIZE};
use crate::index::Table;
use crate::os::mapping::{reserve_for, Mapping};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;

use std::sync::Arc;

impl Store {
    /// Rewrites the file with only the live entries. The store stays usable
    /// (and readable from other threads) throughout. Values borrowed through
    /// [`Store::read_with`] before the call are no longer valid after it;
    /// pinned [`crate::engine::Entry`] handles stay valid.
    pub fn compact(&self) -> Result<CompactStats> {
        self.compact_with_progress(&mut |_, _| {})
    }

    /// As [`Store::compact`], calling `progress(done, total)` (live entries
    /// copied, of all) as it goes.
    pub fn compact_with_progress(
        &self,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<CompactStats> {
        let mut w = self.lock_writer()?;
        // The writer's mutex keeps the table still.
        let view = self.readers.load_full();
        let (len, seed) = (view.len(), view.table.seed());
        let mut live: Vec<u64> = view
            .table
            .live_entries()
            .into_iter()
            .map(|s| s.meta_offset())
            .collect();
        live.sort_unstable();
        let bytes = view.bytes();
        let tmp = compaction_temp_path(&self.path);
        let ctx = |what: &str| format!("{}: compaction: {what}", tmp.display());

        // A leftover from an interrupted compaction (or anything planted
        // there) is discarded, never reused or followed.
        let file = crate::os::file::create_fresh(&tmp, crate::os::file::store_mode(w.file()))
            .map_err(|e| Error::io(ctx("create"), e))?;
        let built = self
            .write_compacted(&file, bytes, &live, seed, progress)
            .and_then(|(index, new_len)| {
                file.try_lock()
                    .map_err(|e| Error::io(ctx("lock"), std::io::Error::other(e.to_string())))?;
                let m = Mapping::new(&file, reserve_for(new_len))
                    .map_err(|e| Error::io(ctx("mmap"), e))?;
                fs::rename(&tmp, &self.path).map_err(|e| {
                    Error::io(
                        format!("{}: compaction: rename over store", self.path.display()),
                        e,
                    )
                })?;
                Ok((index, new_len, m))
            });
        let (index, new_len, new_map) = match built {
            Ok(v) => v,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        // The new file is in place: switch to it before anything else can fail.
        {
            let mut sh = self.readers.lock_shared();
            self.readers
                .replace_view(View::new(Arc::new(index), Arc::new(new_map), new_len));
            sh.retired.clear();
            sh.entries = live.len() as u64;
            sh.file_id = file.metadata().ok().map(|m| (m.dev(), m.ino()));
        }
        // The index copy describes the old file.
        crate::index::persist::remove(&self.path);
        self.forget_index_copy();
        let generation = w.replace_file(file, new_len);
        // The new file was synced whole: everything in it is durable.
        self.durability.reset(generation, new_len);
        drop(w);
        crate::os::file::sync_parent_dir(&self.path)?;
        Ok(CompactStats {
            bytes_before: len,
            bytes_after: new_len,
            live_entries: live.len() as u64,
        })
    }

    /// Writes the live entries (metadata offset, key hash) into `file`,
    /// verifying each payload's checksum, and syncs it. Returns the new index
    /// and length.
    fn write_compacted(
        &self,
        file: &File,
        bytes: &[u8],
        live: &[u64],
        seed: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Table, u64)> {
        let total = live.len() as u64;
        let step = (total / 200).max(1);
        progress(0, total);
        let io_err = |e| Error::io(format!("{}: compaction: write", self.path.display()), e);
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let index = Table::new(total, seed);
        let mut tail = 0u64;
        for &meta_offset in live {
            let entry = format::entry_at(bytes, meta_offset).map_err(|e| {
                Error::corrupt(&self.path, meta_offset, format!("malformed entry ({e:?})"))
            })?;
            let hash = entry.meta.key_hash;
            let payload = format::slice(bytes, entry.payload.clone());
            let (pad, meta, end) = format::plan_value(tail, hash, payload);
            if u32::from_le_bytes([meta[16], meta[17], meta[18], meta[19]]) != entry.meta.checksum {
                return Err(Error::corrupt(
                    &self.path,
                    entry.payload.start,
                    format!("checksum mismatch in the value whose metadata is at offset {meta_offset}; compaction stopped, nothing changed"),
                ));
            }
            out.write_all(&format::ZEROS[..pad as usize])
                .map_err(io_err)?;
            out.write_all(payload).map_err(io_err)?;
            out.write_all(&meta).map_err(io_err)?;
            index.insert_new(hash, end - METADATA_SIZE as u64);
            tail = end;
            let done = index.len();
            if done.is_multiple_of(step) {
                progress(done, total);
            }
        }
        progress(total, total);
        out.flush().map_err(io_err)?;
        drop(out);
        file.sync_all()
            .map_err(|e| Error::io(format!("{}: compaction: fsync", self.path.display()), e))?;
        Ok((index, tail))
    }
}
