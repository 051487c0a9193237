//! Side files (the index copy and its temporary file, the compaction
//! temporary file, spools): created exclusively, never through a symbolic
//! link, with the store's permission bits from the first moment; opened for
//! reading without following links or blocking on a FIFO.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions, Permissions, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// The permission bits a side file of a store gets: the store's own.
pub(crate) fn store_mode(store: &File) -> u32 {
    store
        .metadata()
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o600)
}

/// Creates `path` afresh for writing (and reading): whatever is there (a
/// leftover, or a planted symbolic link, which is removed, not followed) is
/// removed first, then the file is created with `O_EXCL | O_NOFOLLOW`, so a
/// link or file planted between the two steps makes this fail rather than
/// write elsewhere. Its mode is `mode` from the start (the umask can only
/// take bits away, and `fchmod` sets them exactly before any byte is
/// written).
pub(crate) fn create_fresh(path: &Path, mode: u32) -> io::Result<File> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(mode))?;
    Ok(file)
}

/// Creates `path`, which must not exist (`AlreadyExists` otherwise, also
/// for a symbolic link, which is never followed), as an empty file with the
/// default mode (0666 less the umask).
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Opens an existing side file for reading if it is a regular file: not
/// through a symbolic link, and without blocking on a FIFO (which, like
/// every other kind of file, is then ignored: `None`).
pub(crate) fn open_regular(path: &Path) -> Option<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

/// Syncs the directory holding `path`, so a rename in it is durable.
pub(crate) fn sync_parent_dir(path: &Path) -> crate::error::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("{}: fsync directory", dir.display()), e))
}

/// The byte range a writer is filling and has not published: an entry
/// being written (a stream, or a large append) past the store's tail.
/// Marked with an open-file-description write lock on `from..` (Linux
/// `F_OFD_SETLK`; it goes when the writer's descriptor is closed, so a
/// crashed writer leaves none), which read-only handles in other processes
/// look for ([`pending_from`]) so that they never read, and never take for
/// entries, bytes that the writer may still cut back or that are a value's
/// contents. Elsewhere than Linux it fails (`Unsupported`).
pub(crate) fn mark_pending(file: &File, from: u64) -> std::io::Result<()> {
    super::platform::lock_range(file, from)
}

/// Ends [`mark_pending`].
pub(crate) fn unmark_pending(file: &File, from: u64) {
    super::platform::unlock_range(file, from)
}

/// Where a writer's unpublished range begins, if a writer (in any process)
/// marked one ([`mark_pending`]).
pub(crate) fn pending_from(file: &File) -> Option<u64> {
    super::platform::locked_range_start(file)
}

/// Opens the file with the access the store needs, mapping OS errors to
/// engine errors.
pub(crate) fn open_file(path: &Path, write: bool, create: bool) -> Result<File> {
    // O_NONBLOCK: opening a FIFO must fail below, not hang; it has no effect
    // on regular files.
    let file = OpenOptions::new()
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
pub(crate) fn open_locked(path: &Path, create: bool) -> Result<File> {
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
