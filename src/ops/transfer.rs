//! Renaming a key, and copying or moving a value between two stores.

use crate::engine::{check_key, Op, Store};
use crate::error::{Error, Result};
use crate::format;

impl Store {
    /// Gives the value of `old` to `new` and deletes `old`, with one append.
    /// Fails if `old` has no value (`Ok(false)`) or if the keys are equal.
    pub fn rename(&self, old: &[u8], new: &[u8]) -> Result<bool> {
        check_key(old)?;
        check_key(new)?;
        let (ho, hn) = (format::key_hash(old), format::key_hash(new));
        if ho == hn {
            return Err(Error::InvalidArgument(
                "rename: the old and new keys are the same key".into(),
            ));
        }
        let w = self.lock_writer()?;
        let Some((view, layout)) = self.lookup(ho)? else {
            return Ok(false);
        };
        let value = format::slice(view.map.bytes(layout.end()), layout.payload);
        self.append_then_sync(w, &[Op::Put(hn, value), Op::Delete(ho)])?;
        Ok(true)
    }

    /// Whether `self` and `other` show the same file (same device and inode).
    pub fn same_file(&self, other: &Store) -> bool {
        match (self.file_id(), other.file_id()) {
            (Some(a), Some(b)) => a == b,
            _ => std::ptr::eq(self, other),
        }
    }

    /// Writes the value of `key` into `dst` under the same key. `Ok(false)` if
    /// `key` has no value here.
    pub fn copy_to(&self, key: &[u8], dst: &Store) -> Result<bool> {
        check_key(key)?;
        self.copy_hash_to(format::key_hash(key), dst)
    }

    fn copy_hash_to(&self, key_hash: u64, dst: &Store) -> Result<bool> {
        if self.same_file(dst) {
            return Err(Error::InvalidArgument(format!(
                "{} and {} are the same store file",
                self.path.display(),
                dst.path.display()
            )));
        }
        let Some(entry) = self.get_hash(key_hash)? else {
            return Ok(false);
        };
        dst.write_hash(key_hash, entry.data())?;
        Ok(true)
    }

    /// Moves the value of `key` into `dst`: it is written to `dst` and made
    /// durable there before it is deleted here, so a crash never loses it.
    pub fn move_to(&self, key: &[u8], dst: &Store) -> Result<bool> {
        check_key(key)?;
        if self.is_read_only() {
            return Err(Error::ReadOnly(self.path.clone()));
        }
        if self.same_file(dst) {
            return Err(Error::InvalidArgument(format!(
                "{} and {} are the same store file",
                self.path.display(),
                dst.path.display()
            )));
        }
        // Refuse up front what would fail after `dst` was changed: a stream
        // open on this thread holding either store's writer. (A read-only
        // `dst` is refused by the copy itself, before anything changes.)
        self.check_not_busy()?;
        if !dst.is_read_only() {
            dst.check_not_busy()?;
        }
        let h = format::key_hash(key);
        if !self.copy_hash_to(h, dst)? {
            return Ok(false);
        }
        dst.sync()?;
        self.delete_hashes(&[h])?;
        Ok(true)
    }
}
