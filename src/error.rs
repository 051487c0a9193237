//! Errors of the storage engine.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in the engine. Each variant carries enough
/// detail (path, offset, OS error) to be shown to a person as is. New
/// variants may come (as new `SRD_*` statuses do), so matches need a
/// wildcard arm.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The caller passed something the store cannot accept.
    InvalidArgument(String),
    /// The store file does not exist and creating it was not allowed.
    FileNotFound(PathBuf),
    /// Another handle (in this process or another) holds the writer lock.
    Locked(PathBuf),
    /// A write was attempted on a store opened read-only.
    ReadOnly(PathBuf),
    /// The calling thread holds an open stream on this store, so waiting for
    /// the writer would deadlock.
    Busy(PathBuf),
    /// This handle can no longer write: an earlier `fdatasync` failed (what
    /// reached the file can no longer be trusted to be on disk), a failed
    /// append could not be rolled back, or the handle was inherited across
    /// `fork()`. Reads still work; close the handle and open the store again.
    Broken {
        /// The store file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The file is not a valid store, or an entry failed its checksum.
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// Where the problem is, in bytes from the start of the file.
        offset: u64,
        /// What is wrong there.
        detail: String,
    },
    /// A conditional write's condition did not hold: the key had a value
    /// where none was expected, or its current version is not the one
    /// expected. Nothing was written.
    Conflict {
        /// The store file.
        path: PathBuf,
        /// What was expected and what was found.
        detail: String,
    },
    /// An operating-system call failed.
    Io {
        /// What the engine was doing, with the path.
        context: String,
        /// The OS error.
        source: io::Error,
    },
}

/// Result alias for engine operations.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: &std::path::Path, offset: u64, detail: impl Into<String>) -> Self {
        Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(msg) => write!(f, "invalid argument: {msg}"),
            Error::FileNotFound(p) => write!(f, "{}: no such file", p.display()),
            Error::Locked(p) => write!(
                f,
                "{}: locked by another read-write handle (in this or another process)",
                p.display()
            ),
            Error::ReadOnly(p) => write!(f, "{}: store is open read-only", p.display()),
            Error::Busy(p) => write!(
                f,
                "{}: this thread has an open stream on the store; commit or abort it first",
                p.display()
            ),
            Error::Broken { path, why } => write!(
                f,
                "{}: this handle can no longer write ({why}); close it and open the store again",
                path.display()
            ),
            Error::Corrupt {
                path,
                offset,
                detail,
            } => write!(
                f,
                "{}: corrupt at offset {offset}: {detail}",
                path.display()
            ),
            Error::Conflict { path, detail } => write!(
                f,
                "{}: conflict: {detail}; nothing was written",
                path.display()
            ),
            Error::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
