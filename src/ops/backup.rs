//! Online backup: a consistent, synced copy of a store that opens on its
//! own, made while writers go on (SQLite's backup API, LMDB's
//! `mdb_env_copy2`).
//!
//! The copy is of a snapshot ([`Store::snapshot`]): the store's bytes up to
//! its length at that moment, which are complete entries and never change
//! (the file is append-only; a compaction writes a new file, and the
//! snapshot keeps the old one mapped). When the destination already holds
//! an earlier backup of the same store (its bytes are a prefix of the
//! store's), only what is new is appended to it, then synced: a crash
//! meanwhile leaves the earlier backup with a torn tail, which every open
//! cuts back to (the crate's too). Otherwise the copy is written to
//! `<dst>.backup.tmp`, synced and renamed over the destination, then the
//! directory is synced: a crash leaves the earlier backup, or none.

use crate::engine::Store;
use crate::error::{Error, Result};
use crate::os::paths::backup_temp_path;
use std::fs::{File, TryLockError};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

/// What [`Store::backup`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BackupReport {
    /// Size of the backup, in bytes (the store's size at the moment copied).
    pub size: u64,
    /// Bytes written: all of them for a full copy, the new ones only when
    /// an earlier backup was extended.
    pub bytes_copied: u64,
    /// Whether an earlier backup was extended rather than replaced.
    pub incremental: bool,
}

/// Bytes compared at each end of an existing destination to decide that it
/// is an earlier backup of the same store.
const HEAD_CHECK: u64 = 64 << 10;
const TAIL_CHECK: u64 = 1 << 20;
/// Bytes written per system call (and per progress report).
const CHUNK: usize = 8 << 20;

impl Store {
    /// Writes a consistent, synced copy of the store as it is now to `dst`
    /// (see the module docs), calling `progress(done, total)` with the bytes
    /// written so far and to write. Writers and readers of the store go on
    /// meanwhile. `dst` may not exist, or hold an earlier backup of this
    /// store (extended when it is a prefix of the store, else replaced), or
    /// another store (replaced); anything else there (a file that is not a
    /// store, a directory, the store itself, a store open for writing) is
    /// refused and left alone.
    pub fn backup(&self, dst: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<BackupReport> {
        if dst.as_os_str().is_empty() {
            return Err(Error::InvalidArgument("backup path is empty".into()));
        }
        let snap = self.snapshot()?;
        let view = snap.readers.load_full();
        let len = view.len();
        let bytes = view.map.bytes(len);
        let io = |what: &str, e| Error::io(format!("{}: backup: {what}", dst.display()), e);
        match std::fs::symlink_metadata(dst) {
            Ok(m) if !m.is_file() => {
                return Err(Error::InvalidArgument(format!(
                    "{}: the backup destination is not a regular file",
                    dst.display()
                )))
            }
            Ok(m) if self.is_own_file(dst, &m) => {
                return Err(Error::InvalidArgument(format!(
                    "{}: the backup destination is the store itself",
                    dst.display()
                )))
            }
            Ok(_) => {
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(dst)
                    .map_err(|e| io("open", e))?;
                lock(&file, dst)?;
                if let Some(have) = earlier_backup(&file, bytes).map_err(|e| io("read", e))? {
                    let total = len - have;
                    progress(0, total);
                    write_from(&file, bytes, have, total, progress).map_err(|e| io("write", e))?;
                    file.sync_data().map_err(|e| io("fdatasync", e))?;
                    return Ok(BackupReport {
                        size: len,
                        bytes_copied: total,
                        incremental: true,
                    });
                }
                // Not a prefix of this store: replaced only if it is a store.
                let other = Store::open(
                    dst,
                    crate::engine::OpenOptions {
                        read_only: true,
                        index_file: false,
                        ..Default::default()
                    },
                );
                if let Err(e) = other {
                    return Err(Error::InvalidArgument(format!(
                        "{}: the backup destination exists and is not a store ({e}); \
                         it was left alone",
                        dst.display()
                    )));
                }
                // `file` keeps the lock until the new copy is in place.
                full_copy(&self.path, dst, bytes, progress)?;
                drop(file);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                full_copy(&self.path, dst, bytes, progress)?;
            }
            Err(e) => return Err(io("stat", e)),
        }
        Ok(BackupReport {
            size: len,
            bytes_copied: len,
            incremental: false,
        })
    }
}

impl Store {
    /// Whether `dst` (whose metadata is `m`) is this store's file: the file
    /// this handle shows, or the file at its path now (another process may
    /// have compacted it since, or a snapshot shows an older file), by
    /// inode or by path.
    fn is_own_file(&self, dst: &Path, m: &std::fs::Metadata) -> bool {
        let id = Some((m.dev(), m.ino()));
        if self.file_id().is_some() && self.file_id() == id {
            return true;
        }
        if let Ok(now) = std::fs::metadata(&self.path) {
            if Some((now.dev(), now.ino())) == id {
                return true;
            }
        }
        matches!(
            (std::fs::canonicalize(dst), std::fs::canonicalize(&self.path)),
            (Ok(a), Ok(b)) if a == b
        )
    }
}

/// Takes the writer lock of the store file at `dst`: no handle writes it
/// while the backup does.
fn lock(file: &File, dst: &Path) -> Result<()> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(Error::Locked(dst.to_path_buf())),
        Err(TryLockError::Error(e)) => {
            Err(Error::io(format!("{}: backup: flock", dst.display()), e))
        }
    }
}

/// The length of `file` if it is an earlier backup of the store whose bytes
/// are `bytes`: no longer, and equal to them byte for byte (a store is
/// append-only, so a backup of it is a prefix). The whole file is read and
/// compared, its ends first (where a different store differs soonest): a
/// store that shares both ends but differs in the middle is no backup of
/// this one.
fn earlier_backup(file: &File, bytes: &[u8]) -> std::io::Result<Option<u64>> {
    let have = file.metadata()?.len();
    if have > bytes.len() as u64 {
        return Ok(None);
    }
    let mut buf = vec![0u8; CHUNK.min(have as usize)];
    let mut same = |from: u64, n: u64| -> std::io::Result<bool> {
        let mut at = from;
        while at < from + n {
            let len = ((from + n - at) as usize).min(buf.len());
            file.read_exact_at(&mut buf[..len], at)?;
            if buf[..len] != bytes[at as usize..at as usize + len] {
                return Ok(false);
            }
            at += len as u64;
        }
        Ok(true)
    };
    let head = have.min(HEAD_CHECK);
    let tail = have.min(TAIL_CHECK).min(have - head);
    Ok(
        (same(0, head)? && same(have - tail, tail)? && same(head, have - head - tail)?)
            .then_some(have),
    )
}

/// Writes `bytes[from..]` (`total` bytes) to `file` at the same offsets.
fn write_from(
    file: &File,
    bytes: &[u8],
    from: u64,
    total: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<()> {
    let mut at = from as usize;
    while at < bytes.len() {
        let end = (at + CHUNK).min(bytes.len());
        file.write_all_at(&bytes[at..end], at as u64)?;
        at = end;
        progress(at as u64 - from, total);
    }
    Ok(())
}

/// Writes all of `bytes` to `<dst>.backup.tmp`, syncs it and renames it
/// over `dst`, then syncs the directory. On failure the temporary file is
/// removed and `dst` is as it was.
fn full_copy(
    store: &Path,
    dst: &Path,
    bytes: &[u8],
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let tmp = backup_temp_path(dst);
    let io = |what: &str, e| Error::io(format!("{}: backup: {what}", tmp.display()), e);
    let mode = std::fs::metadata(store)
        .map(|m| m.mode() & 0o777)
        .unwrap_or(0o644);
    let file = claim_temp(&tmp, mode, dst)?;
    let total = bytes.len() as u64;
    progress(0, total);
    let res = write_from(&file, bytes, 0, total, progress)
        .map_err(|e| io("write", e))
        .and_then(|()| file.sync_all().map_err(|e| io("fsync", e)))
        .and_then(|()| {
            // `tmp` must still name this copy (locked since just after its
            // creation, so no other backup removes it now): one that raced
            // this backup's creation took the name over.
            let ours = file.metadata().map_err(|e| io("stat", e))?;
            match std::fs::symlink_metadata(&tmp) {
                Ok(m) if (m.dev(), m.ino()) == (ours.dev(), ours.ino()) => Ok(()),
                _ => Err(Error::Locked(dst.to_path_buf())),
            }
        })
        .and_then(|()| {
            std::fs::rename(&tmp, dst).map_err(|e| {
                Error::io(
                    format!("{}: backup: rename over the backup", dst.display()),
                    e,
                )
            })
        });
    if let Err(e) = res {
        // Remove the temporary file only if it is this copy.
        let ours = file.metadata().ok().map(|m| (m.dev(), m.ino()));
        let there = std::fs::symlink_metadata(&tmp)
            .ok()
            .map(|m| (m.dev(), m.ino()));
        if ours.is_some() && ours == there {
            let _ = std::fs::remove_file(&tmp);
        }
        return Err(e);
    }
    crate::os::file::sync_parent_dir(dst)
}

/// Creates `tmp` for a full backup and locks it, so that two backups to the
/// same destination never write or rename each other's copy: a `tmp` that
/// exists and is locked is another backup's (`Locked`); one that exists
/// unlocked is a leftover of a crashed backup, removed and created anew.
fn claim_temp(tmp: &Path, mode: u32, dst: &Path) -> Result<File> {
    let io = |what: &str, e| Error::io(format!("{}: backup: {what}", tmp.display()), e);
    for _ in 0..8 {
        match crate::os::file::create_new(tmp) {
            Ok(file) => {
                match file.try_lock() {
                    Ok(()) => {}
                    // Another backup opened it between its creation and now.
                    Err(TryLockError::WouldBlock) => return Err(Error::Locked(dst.to_path_buf())),
                    Err(TryLockError::Error(e)) => return Err(io("flock", e)),
                }
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(mode))
                    .map_err(|e| io("chmod", e))?;
                return Ok(file);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let Some(old) = crate::os::file::open_regular(tmp) else {
                    // Not a regular file (a planted link, a directory): removed
                    // if it can be, never followed.
                    let _ = std::fs::remove_file(tmp);
                    continue;
                };
                match old.try_lock() {
                    Err(TryLockError::WouldBlock) => {
                        return Err(Error::Locked(dst.to_path_buf()));
                    }
                    _ => {
                        let _ = std::fs::remove_file(tmp);
                    }
                }
            }
            Err(e) => return Err(io("create", e)),
        }
    }
    Err(io(
        "create",
        std::io::Error::other("the temporary file kept reappearing"),
    ))
}
