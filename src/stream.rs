//! Streaming writes: a value written in pieces, larger than memory if need be.
//!
//! A stream owns the store's tail from `begin` to `commit` or `abort`: its
//! bytes are appended to the file as they come, but nothing is published to
//! readers (and no metadata written) before `commit`. Other threads' writes
//! wait until the stream ends; a write from the thread that began the stream
//! fails with [`Error::Busy`] instead of waiting for itself. `abort`, a failed
//! write, or dropping the stream cuts the file back to where it was.

use crate::error::{Error, Result};
use crate::format::{self, Metadata, METADATA_SIZE};
use crate::mapping::{reserve_for, Mapping};
use crate::store::Store;
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
}

impl Store {
    /// Begins a streaming write of the value of the key with hash `key_hash`.
    pub fn begin_stream(self: &Arc<Self>, key_hash: u64) -> Result<Stream> {
        let mut w = self.lock_writer()?;
        let start = w.tail;
        let pad = format::pad_len(start);
        let ctx = || format!("{}: stream: padding at offset {start}", self.path.display());
        w.file
            .seek(SeekFrom::Start(start))
            .and_then(|_| w.file.write_all(&format::ZEROS[..pad as usize]))
            .map_err(|e| {
                let _ = w.file.set_len(start);
                Error::io(ctx(), e)
            })?;
        w.stream_owner = Some(std::thread::current().id());
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
        let mut w = store.lock_writer_raw()?;
        let at = self.payload_start + self.written;
        let res = w
            .file
            .seek(SeekFrom::Start(at))
            .and_then(|_| w.file.write_all(data));
        if let Err(e) = res {
            let msg = format!(
                "{}: stream: writing {} bytes at offset {at}: {e}",
                store.path.display(),
                data.len()
            );
            self.failed = Some(msg.clone());
            if let Err(e2) = w.file.set_len(self.start) {
                w.broken = Some(format!(
                    "could not cut the file back to {} after a failed stream: {e2}",
                    self.start
                ));
            }
            return Err(Error::io(msg, e));
        }
        if self.first_byte.is_none() {
            self.first_byte = Some(data[0]);
        }
        self.written += data.len() as u64;
        self.crc.update(data);
        Ok(())
    }

    /// Writes the metadata and publishes the value. On failure the store is
    /// left exactly as it was before the stream began.
    pub fn commit(mut self) -> Result<()> {
        self.finished = true;
        let store = Arc::clone(&self.store);
        let mut w = store.lock_writer_raw()?;
        let result = self.finish(&store, &mut w);
        if result.is_err() {
            if let Err(e2) = w.file.set_len(self.start) {
                w.broken = Some(format!(
                    "could not cut the file back to {} after a failed stream: {e2}",
                    self.start
                ));
            }
        }
        w.stream_owner = None;
        drop(w);
        store.stream_done.notify_all();
        result
    }

    fn finish(&self, store: &Store, w: &mut crate::store::Writer) -> Result<()> {
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
        let new_map = if end > w.capacity {
            let m = Mapping::new(&w.file, reserve_for(end))
                .map_err(|e| Error::io(format!("{}: mmap", store.path.display()), e))?;
            Some(Arc::new(m))
        } else {
            None
        };
        w.file
            .seek(SeekFrom::Start(meta_offset))
            .and_then(|_| w.file.write_all(&meta.encode()))
            .and_then(|_| {
                if store.options.sync {
                    w.file.sync_data()
                } else {
                    Ok(())
                }
            })
            .map_err(|e| {
                Error::io(
                    format!(
                        "{}: stream: writing metadata at offset {meta_offset}",
                        store.path.display()
                    ),
                    e,
                )
            })?;
        let mut sh = store.write_shared();
        if let Some(m) = new_map {
            w.capacity = m.capacity();
            let old = std::mem::replace(&mut sh.map, m);
            sh.retired.push(old);
        }
        sh.index.insert(self.key_hash, meta_offset, true);
        sh.entries += 1;
        sh.len = end;
        w.tail = end;
        Ok(())
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
        if let Ok(mut w) = store.lock_writer_raw() {
            if let Err(e) = w.file.set_len(self.start) {
                w.broken = Some(format!(
                    "could not cut the file back to {} after an aborted stream: {e}",
                    self.start
                ));
            }
            w.stream_owner = None;
        } else if let Some(writer) = &store.writer {
            // The writer is marked broken; still release the stream.
            writer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .stream_owner = None;
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
