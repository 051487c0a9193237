//! The writer: the file, its tail and the lock on both.

use super::append::AppendScratch;
use super::Store;
use crate::error::{Error, Result};
use crate::format;
use crate::os::mapping::reserve_for;
use crate::os::prealloc::{NoRoom, Prealloc};
use crate::sync::lock;
use std::fs::File;
use std::sync::atomic::{fence, Ordering};
use std::sync::{Arc, MutexGuard};
use std::thread::ThreadId;

/// The writer's state; one writer at a time holds it. Its fields belong to
/// the engine; operations built on it (`crate::ops`) go through the methods.
pub(crate) struct Writer {
    pub(super) file: File,
    /// Where the next entry goes (equals `Shared::len` between writes).
    pub(super) tail: u64,
    /// Capacity of the newest mapping.
    pub(super) capacity: u64,
    /// Set when a failed append could not be rolled back; writes then fail.
    pub(super) broken: Option<String>,
    /// The thread that began the open stream, if one is open: the stream owns
    /// the tail until it is committed or aborted.
    pub(super) stream_owner: Option<ThreadId>,
    /// A second descriptor of `file`, for `fdatasync` outside the writer's
    /// mutex (group commit).
    pub(super) sync_handle: Arc<File>,
    /// Bumped when compaction replaces the file (offsets start over).
    pub(super) generation: u64,
    /// Buffers reused by appends.
    pub(super) scratch: AppendScratch,
    /// The space reserved ahead of the tail, with `preallocate`.
    pub(super) prealloc: Option<Prealloc>,
    /// The process that opened the store: only it may write, unlock or
    /// save the index copy (see [`crate::fork`]).
    pub(super) owner: crate::os::fork::Owner,
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
                // A writer already broken keeps its first reason.
                self.broken.get_or_insert_with(|| {
                    format!("could not cut the file back to {to} after {after}: {e}")
                });
            }
        }
    }

    /// With preallocation, copies the append `start..end` (the bytes of
    /// `pieces`, in order) into the space reserved ahead of the tail; `false`
    /// if it must be written with `pwrite` instead: preallocation is off, the
    /// append is large, it is the store's first (so that a crash never leaves
    /// a file of nothing but zeros), or no space could be reserved.
    pub(super) fn copy_in<'a>(
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

    /// Cuts the reserved `0xFE` bytes after the tail (see
    /// [`Prealloc::release`]), unless the writer is broken (its tail is in
    /// doubt: the next read-write open finds the end), a stream is open, or
    /// the calling process is a fork child (the file is the parent's). A
    /// failure leaves them: a torn tail to every reader.
    pub(crate) fn release_reserved(&mut self) {
        if self.broken.is_some() || self.stream_owner.is_some() || !self.owner.is_current() {
            return;
        }
        if let Some(p) = &mut self.prealloc {
            let _ = p.release(&self.file, self.tail);
        }
    }

    /// Whether the calling thread holds the open stream.
    pub(crate) fn stream_is_mine(&self) -> bool {
        self.stream_owner == Some(std::thread::current().id())
    }

    /// Where the next entry goes.
    pub(crate) fn tail(&self) -> u64 {
        self.tail
    }

    /// The file generation (bumped each time the file is replaced).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// The store's file.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The store's file, for a stream writing at the tail (which it owns
    /// until it commits or aborts, see [`Writer::begin_stream`]).
    pub(crate) fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Whether the calling process opened the store (not a fork child).
    pub(crate) fn owner_is_current(&self) -> bool {
        self.owner.is_current()
    }

    /// Hands the tail to a stream of the calling thread: other writers
    /// wait (see `Store::lock_writer`) until [`Writer::end_stream`].
    pub(crate) fn begin_stream(&mut self) {
        self.stream_owner = Some(std::thread::current().id());
    }

    /// Ends the open stream (committed or aborted).
    pub(crate) fn end_stream(&mut self) {
        self.stream_owner = None;
    }

    /// Makes `file` (complete up to `len`, synced and locked by the caller,
    /// already renamed over the store's path) the store's file: releases
    /// the old file's lock, moves the tail to `len` and starts a new file
    /// generation. Returns that generation. Nothing here fails: the caller
    /// switched readers to the new file before.
    pub(crate) fn replace_file(&mut self, file: File, len: u64) -> u64 {
        self.capacity = reserve_for(len);
        if self.owner.is_current() {
            let _ = self.file.unlock();
        }
        if let Ok(dup) = file.try_clone() {
            self.sync_handle = Arc::new(dup);
        }
        self.file = file;
        self.tail = len;
        if let Some(p) = &mut self.prealloc {
            p.reset(len);
        }
        self.generation += 1;
        self.generation
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Memory maps of the file keep its open file description alive (and
        // with it the flock) for as long as pinned entries use them; release
        // the lock explicitly so closing the store always frees it.
        // The reserved 0xFE bytes were cut by `Writer::release_reserved`
        // (from `Store`'s drop);
        // preallocated zeros stay (a read-write open without
        // preallocation, or a compaction, cuts them off).
        // In a child made by fork() the lock is the parent's (the open file
        // description is shared): never release it there.
        if self.owner.is_current() {
            let _ = self.file.unlock();
        }
    }
}

impl Store {
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
        // A table read from an index copy is checked whole before the
        // writer changes it (the first time only; a no-op after).
        self.check_index_locked()?;
        Ok(w)
    }
}
