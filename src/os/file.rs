//! Side files (the index copy and its temporary file, the compaction
//! temporary file, spools): created exclusively, never through a symbolic
//! link, with the store's permission bits from the first moment; opened for
//! reading without following links or blocking on a FIFO.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io;
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
        .map_err(|e| crate::error::Error::io(format!("{}: fsync directory", dir.display()), e))
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
    ofd_lock(file, libc::F_WRLCK, from)
}

/// Ends [`mark_pending`].
pub(crate) fn unmark_pending(file: &File, from: u64) {
    let _ = ofd_lock(file, libc::F_UNLCK, from);
}

/// Where a writer's unpublished range begins, if a writer (in any process)
/// marked one ([`mark_pending`]).
pub(crate) fn pending_from(file: &File) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: a zeroed `flock` is a valid value of this plain C struct.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = libc::F_RDLCK as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        fl.l_start = 0;
        fl.l_len = 0;
        // SAFETY: `fl` is a valid, writable flock for the call; the
        // descriptor is open.
        let r = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut fl) };
        if r == 0 && fl.l_type != libc::F_UNLCK as libc::c_short {
            return u64::try_from(fl.l_start).ok();
        }
        None
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

fn ofd_lock(file: &File, kind: libc::c_int, from: u64) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: a zeroed `flock` is a valid value of this plain C struct.
        let mut fl: libc::flock = unsafe { std::mem::zeroed() };
        fl.l_type = kind as libc::c_short;
        fl.l_whence = libc::SEEK_SET as libc::c_short;
        fl.l_start = libc::off_t::try_from(from)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        fl.l_len = 0;
        // SAFETY: `fl` is a valid flock for the call; the descriptor is open.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &fl) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        // No open-file-description locks: the range cannot be marked (a
        // stream is then spooled instead).
        let _ = (file, kind, from);
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
}
