//! Every file name derived from a store's path, in one place.
//!
//! | name | what |
//! | --- | --- |
//! | `<store>.idx` | the index copy ([`crate::persist`]) |
//! | `<store>.idx.tmp` | the index copy being written, renamed over `.idx` |
//! | `<store>.compact.tmp` | the file a compaction writes, renamed over the store |
//! | `<store>.new.tmp` | a store's first write, renamed over the empty store |
//! | `<store>.stream.tmp` | the spool of a stream into an empty store, renamed over it |
//! | `<backup>.backup.tmp` | a full backup being written, renamed over the backup |
//!
//! All are created by [`crate::os::file::create_fresh`]; docs/FORMAT.md
//! (part 3) describes them for users.

use std::path::{Path, PathBuf};

/// `path` with `suffix` appended: the name of a file kept beside the store.
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Path of the index copy of the store at `store`.
pub fn index_path(store: &Path) -> PathBuf {
    beside(store, ".idx")
}

/// Path of the index copy being written.
pub(crate) fn index_temp_path(store: &Path) -> PathBuf {
    beside(store, ".idx.tmp")
}

/// Path of the temporary file compaction writes beside the store.
pub fn compaction_temp_path(store: &Path) -> PathBuf {
    beside(store, ".compact.tmp")
}

/// Path of the temporary file that holds a store's first write until it is
/// renamed over the empty store.
pub(crate) fn first_write_path(store: &Path) -> PathBuf {
    beside(store, ".new.tmp")
}

/// Path of the spool file of a stream into an empty store.
pub(crate) fn stream_spool_path(store: &Path) -> PathBuf {
    beside(store, ".stream.tmp")
}

/// Path of the file a full backup is written to before it is renamed over
/// the backup at `backup`.
pub(crate) fn backup_temp_path(backup: &Path) -> PathBuf {
    beside(backup, ".backup.tmp")
}
