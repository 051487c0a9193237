//! Iteration over live entries: a snapshot taken when the iterator is made.

use crate::error::{Error, Result};
use crate::format;
use crate::mapping::Mapping;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// Live entries of a store as of the moment the iterator was made, in file
/// order (oldest first). Writes made afterwards neither appear nor disturb it.
/// The bytes it yields stay valid for as long as the iterator lives, even
/// across compaction and after the store is dropped.
pub struct Iter {
    map: Arc<Mapping>,
    len: u64,
    /// (metadata offset, key hash, checksum already verified)
    items: Vec<(u64, u64, bool)>,
    pos: usize,
    verify: bool,
    path: PathBuf,
}

impl Store {
    /// Iterates over every live entry.
    pub fn iter(&self) -> Iter {
        self.iter_part(0, 1).expect("one part is always valid")
    }

    /// Iterates over the live entries of part `part` of `parts`: the parts
    /// split the entries (by key hash) so that each is in exactly one part,
    /// for scanning in parallel.
    pub fn iter_part(&self, part: u32, parts: u32) -> Result<Iter> {
        if parts == 0 || part >= parts {
            return Err(Error::InvalidArgument(format!(
                "partition {part} of {parts}: need parts >= 1 and part < parts"
            )));
        }
        let sh = self.read_shared();
        let mut items: Vec<(u64, u64, bool)> = sh
            .index
            .iter_slots()
            .filter(|(h, _)| parts == 1 || h % u64::from(parts) == u64::from(part))
            .map(|(h, s)| (s.meta_offset(), h, s.is_verified()))
            .collect();
        let (map, len) = (Arc::clone(&sh.map), sh.len);
        drop(sh);
        items.sort_unstable_by_key(|&(m, _, _)| m);
        Ok(Iter {
            map,
            len,
            items,
            pos: 0,
            verify: self.options.verify_checksums,
            path: self.path.clone(),
        })
    }
}

impl Iter {
    /// Entries not yet yielded.
    pub fn remaining(&self) -> usize {
        self.items.len() - self.pos
    }

    /// The next entry as (key hash, value), `None` at the end. A damaged value
    /// gives an error and the iterator moves past it.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<(u64, &[u8])>> {
        let &(meta_offset, hash, verified) = self.items.get(self.pos)?;
        self.pos += 1;
        let bytes = self.map.bytes(self.len);
        let layout = match format::entry_at(bytes, meta_offset) {
            Ok(l) => l,
            Err(e) => {
                return Some(Err(Error::corrupt(
                    &self.path,
                    meta_offset,
                    format!("malformed entry ({e:?})"),
                )))
            }
        };
        if self.verify && !verified && !format::checksum_ok(bytes, &layout) {
            return Some(Err(Error::corrupt(
                &self.path,
                layout.payload.start,
                format!("checksum mismatch in the value whose metadata is at offset {meta_offset}"),
            )));
        }
        Some(Ok((hash, format::slice(bytes, layout.payload))))
    }
}
