//! Streaming writes: a value written in pieces, larger than memory if need be.
//!
//! A stream owns the store's tail from `begin` to `commit` or `abort`: its
//! bytes are appended to the file as they come, but nothing is published to
//! readers (and no metadata written) before `commit`. Other threads' writes
//! wait until the stream ends; a write from the thread that began the stream
//! fails with [`Error::Busy`] instead of waiting for itself. `abort`, a failed
//! write, or dropping the stream cuts the file back to where it was.
//!
//! One exception: a stream into an empty store is spooled to a temporary file
//! beside the store, `<store>.stream.tmp`, which at commit gets the
//! metadata and is renamed over the empty store (as every first write is:
//! see `Store::install_first_file`). At offset 0 the payload's own bytes
//! could form a valid chain (a store file streamed as a value), which a
//! crash mid-stream or a reader refreshing mid-stream would otherwise take
//! for entries of the outer store; and a crash mid-stream leaves the empty
//! store. A spool left by a crash is removed by the next read-write open.

use crate::engine::Store;
use crate::error::{Error, Result};
use crate::format::{self, Metadata, METADATA_SIZE};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::sync::Arc;

/// An open streaming write (see the module docs).
pub struct Stream {
    store: Arc<Store>,
    key_hash: u64,
    /// The store's tail when the stream began (the entry's `prev_tail`).
    start: u64,
    /// Where the payload begins (after padding).
    payload_start: u64,
    written: u64,
    first_byte: Option<u8>,
    crc: crc32fast::Hasher,
    failed: Option<String>,
    finished: bool,
    /// Where the payload goes until commit when the stream began at offset 0.
    spool: Option<File>,
}

use crate::os::paths::stream_spool_path;

fn open_spool(path: &std::path::Path, mode: u32) -> std::io::Result<File> {
    crate::os::file::create_fresh(&stream_spool_path(path), mode)
}

impl Store {
    /// Begins a streaming write of the value of the key with hash `key_hash`.
    pub fn begin_stream(self: &Arc<Self>, key_hash: u64) -> Result<Stream> {
        if key_hash == crate::format::BATCH_KEY_HASH {
            return Err(Error::InvalidArgument(format!(
                "key hash {key_hash:#018x} is reserved for batch markers"
            )));
        }
        let mut w = self.lock_writer()?;
        let start = w.tail();
        // The bytes from `start` on are the stream's until it ends: readers
        // in other processes leave them alone if the range is marked (see
        // `mark_pending`). Where it cannot be (locks unsupported, or another
        // process holding a lock on the file), and into an empty store, the
        // value is spooled beside the store instead and copied in (renamed
        // over an empty store) at commit, so that the store never holds it
        // before then.
        let marked = start > 0 && crate::os::file::mark_pending(w.file(), start).is_ok();
        let spool = if marked {
            None
        } else {
            Some(
                open_spool(&self.path, crate::os::file::store_mode(w.file())).map_err(|e| {
                    Error::io(
                        format!("{}: stream: creating a spool file", self.path.display()),
                        e,
                    )
                })?,
            )
        };
        let pad = format::pad_len(start);
        if spool.is_none() {
            // Written in place: the padding first. (A spooled value gets
            // its padding when it is copied in: the store holds nothing of
            // the stream before its commit.)
            let ctx = || format!("{}: stream: padding at offset {start}", self.path.display());
            w.file_mut()
                .seek(SeekFrom::Start(start))
                .and_then(|_| w.file_mut().write_all(&format::ZEROS[..pad as usize]))
                .map_err(|e| {
                    w.cut_back(start, "a failed stream");
                    crate::os::file::unmark_pending(w.file(), start);
                    Error::io(ctx(), e)
                })?;
        }
        w.begin_stream();
        Ok(Stream {
            store: Arc::clone(self),
            key_hash,
            start,
            payload_start: start + pad,
            written: 0,
            first_byte: None,
            crc: crc32fast::Hasher::new(),
            failed: None,
            finished: false,
            spool,
        })
    }
}

impl Stream {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.written
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    /// Appends `data` to the value. After a failure the stream is poisoned:
    /// later writes and the commit fail, and the store is rolled back.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        if let Some(why) = &self.failed {
            return Err(self.poisoned(why));
        }
        if data.is_empty() {
            return Ok(());
        }
        let store = Arc::clone(&self.store);
        // Past the size limit: refuse before writing anything.
        let end = (self.payload_start + self.written)
            .saturating_add(data.len() as u64)
            .saturating_add(METADATA_SIZE as u64);
        if let Err(e) = crate::engine::check_size_limit(&store.path, end) {
            self.failed = Some(e.to_string());
            return Err(e);
        }
        if let Some(spool) = self.spool.as_ref() {
            // Refused where every write is (a broken handle, a forked
            // child): the spool is the store's next content.
            drop(store.lock_writer_raw()?);
            // At the stream's own offset, not the descriptor's (which a
            // forked child shares).
            if let Err(e) = std::os::unix::fs::FileExt::write_all_at(spool, data, self.written) {
                let msg = format!(
                    "{}: stream: spooling {} bytes: {e}",
                    store.path.display(),
                    data.len()
                );
                self.failed = Some(msg.clone());
                return Err(Error::io(msg, e));
            }
            self.note_written(data);
            return Ok(());
        }
        let mut w = store.lock_writer_raw()?;
        let at = self.payload_start + self.written;
        let res = w
            .file_mut()
            .seek(SeekFrom::Start(at))
            .and_then(|_| w.file_mut().write_all(data));
        if let Err(e) = res {
            let msg = format!(
                "{}: stream: writing {} bytes at offset {at}",
                store.path.display(),
                data.len()
            );
            self.failed = Some(format!("{msg}: {e}"));
            w.cut_back(self.start, "a failed stream");
            return Err(Error::io(msg, e));
        }
        self.note_written(data);
        Ok(())
    }

    fn note_written(&mut self, data: &[u8]) {
        if self.first_byte.is_none() {
            self.first_byte = Some(data[0]);
        }
        self.written += data.len() as u64;
        self.crc.update(data);
    }

    /// Writes the metadata and publishes the value. On failure the store is
    /// left exactly as it was before the stream began. With `sync`, the value
    /// is made durable (sharing syncs with other writers) before this returns.
    pub fn commit(mut self) -> Result<()> {
        let store = Arc::clone(&self.store);
        // A writer that broke meanwhile (a failed sync on another thread,
        // or this is a fork child) refuses: dropping `self` then rolls the
        // stream back as far as this process may.
        let mut w = store.lock_writer_raw()?;
        self.finished = true;
        let result = self.finish(&store, &mut w);
        if result.is_err() {
            w.cut_back(self.start, "a failed stream");
        }
        // Published or cut back: the range is no longer pending.
        crate::os::file::unmark_pending(w.file(), self.start);
        if self.spool.take().is_some() && w.owner_is_current() {
            // Not installed (the commit failed): the spool goes.
            let _ = std::fs::remove_file(stream_spool_path(&store.path));
        }
        w.end_stream();
        let generation = w.generation();
        drop(w);
        store.stream_done.notify_all();
        store.make_durable(generation, result?)
    }

    /// Writes the metadata and publishes the value; returns the new tail.
    fn finish(&mut self, store: &Store, w: &mut crate::engine::Writer) -> Result<u64> {
        if let Some(why) = &self.failed {
            return Err(self.poisoned(why));
        }
        if self.written == 0 {
            return Err(Error::InvalidArgument("stream: value is empty".into()));
        }
        if self.written == 1 && self.first_byte == Some(0) {
            return Err(Error::InvalidArgument(
                "stream: value is a single 0x00 byte, which the format reserves for deletions"
                    .into(),
            ));
        }
        let meta_offset = self.payload_start + self.written;
        let end = meta_offset + METADATA_SIZE as u64;
        let meta = Metadata {
            key_hash: self.key_hash,
            prev_tail: self.start,
            checksum: self.crc.clone().finalize(),
        };
        if self.start > 0 {
            if let Some(mut spool) = self.spool.take() {
                // A spooled value for a store that is not empty: copy it
                // into place (copy_file_range where the kernel offers it);
                // the metadata follows below.
                let pad = (self.payload_start - self.start) as usize;
                let copied = spool
                    .seek(SeekFrom::Start(0))
                    .and_then(|_| w.file_mut().seek(SeekFrom::Start(self.start)))
                    .and_then(|_| w.file_mut().write_all(&format::ZEROS[..pad]))
                    .and_then(|_| std::io::copy(&mut spool, w.file_mut()));
                drop(spool);
                let _ = std::fs::remove_file(stream_spool_path(&store.path));
                let why = match copied {
                    Ok(n) if n == self.written => None,
                    Ok(n) => Some(std::io::Error::other(format!(
                        "copied {n} of {} bytes",
                        self.written
                    ))),
                    Err(e) => Some(e),
                };
                if let Some(e) = why {
                    return Err(Error::io(
                        format!("{}: stream: copying the spool", store.path.display()),
                        e,
                    ));
                }
            }
        } else if let Some(spool) = self.spool.take() {
            // The spool becomes the store: its metadata goes at its end,
            // and it is renamed over the empty store file.
            crate::engine::check_size_limit(&store.path, end)?;
            let new_table = store.table_ahead(1)?;
            let spool_path = stream_spool_path(&store.path);
            let map = std::os::unix::fs::FileExt::write_all_at(&spool, &meta.encode(), meta_offset)
                .map_err(|e| {
                    Error::io(
                        format!("{}: stream: writing metadata", spool_path.display()),
                        e,
                    )
                })
                .and_then(|()| store.install_first_file(w, spool, &spool_path, end));
            let map = match map {
                Ok(m) => m,
                Err(e) => {
                    let _ = std::fs::remove_file(&spool_path);
                    return Err(e);
                }
            };
            store.publish_append(
                w,
                Some(map),
                new_table,
                &[(self.key_hash, meta_offset, false)],
                end,
            );
            return Ok(end);
        }
        crate::engine::check_size_limit(&store.path, end)?;
        let new_map = store.map_ahead(w, end)?;
        let new_table = store.table_ahead(1)?;
        w.file_mut()
            .seek(SeekFrom::Start(meta_offset))
            .and_then(|_| w.file_mut().write_all(&meta.encode()))
            .map_err(|e| {
                Error::io(
                    format!(
                        "{}: stream: writing metadata at offset {meta_offset}",
                        store.path.display()
                    ),
                    e,
                )
            })?;
        store.publish_append(
            w,
            new_map,
            new_table,
            &[(self.key_hash, meta_offset, false)],
            end,
        );
        Ok(end)
    }

    /// Discards the stream; the store is left as it was before it began.
    pub fn abort(mut self) {
        self.rollback();
    }

    fn rollback(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let store = Arc::clone(&self.store);
        if self.spool.take().is_some() && store.is_owner() {
            let _ = std::fs::remove_file(stream_spool_path(&store.path));
        }
        if let Ok(mut w) = store.lock_writer_raw() {
            w.cut_back(self.start, "an aborted stream");
            crate::os::file::unmark_pending(w.file(), self.start);
            w.end_stream();
        } else if let Some(mut w) = store.writer_for_cleanup() {
            // The writer is marked broken (or this is a forked child);
            // still release the stream. If the file is this process's (in
            // a child the descriptor, and with it the mark, is the
            // parent's), cut the stream's unpublished bytes back too, so
            // the store is as it was before the stream began.
            if w.owner_is_current() {
                w.cut_back(self.start, "an aborted stream");
                crate::os::file::unmark_pending(w.file(), self.start);
            }
            w.end_stream();
        }
        store.stream_done.notify_all();
    }

    fn poisoned(&self, why: &str) -> Error {
        Error::io(
            format!("{}: stream failed earlier", self.store.path.display()),
            std::io::Error::other(why.to_string()),
        )
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.rollback();
    }
}
