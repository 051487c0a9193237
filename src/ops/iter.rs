//! Iteration over live entries: a snapshot taken when the iterator is made.

use crate::engine::Store;
use crate::error::{Error, Result};
use crate::format;
use crate::index::SlotRef;
use crate::os::mapping::Mapping;
use std::path::PathBuf;
use std::sync::Arc;

/// Live entries of a store as of the moment the iterator was made, in file
/// order (oldest first). Writes made afterwards neither appear nor disturb it.
/// The bytes it yields stay valid for as long as the iterator lives, even
/// across compaction and after the store is dropped.
pub struct Iter {
    map: Arc<Mapping>,
    len: u64,
    /// The live slots, in file order.
    items: Vec<SlotRef>,
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
        self.check_index_segments()?;
        let (view, mut items) = {
            // Publishers wait while the table is read.
            let _sh = self.readers.lock_shared();
            let view = self.readers.load_full();
            let items = view.live_entries();
            (view, items)
        };
        let (map, len) = (Arc::clone(&view.map), view.len());
        drop(view);
        sort_by_offset(&mut items);
        if parts > 1 {
            let bytes = map.bytes(len);
            items.retain(|s| {
                // The key hash is the metadata's first field; a malformed
                // entry stays in every part, to be reported.
                format::Metadata::read_at(bytes, s.meta_offset())
                    .is_none_or(|meta| meta.key_hash % u64::from(parts) == u64::from(part))
            });
        }
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
        let slot = *self.items.get(self.pos)?;
        let meta_offset = slot.meta_offset();
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
        // The verified bits follow the file, as the iterator does: marking
        // them costs one bit per entry, in order.
        if self.verify && !self.map.is_verified(meta_offset) {
            if format::checksum_ok(bytes, &layout) {
                self.map.mark_verified(meta_offset);
            } else {
                return Some(Err(Error::corrupt(
                    &self.path,
                    layout.payload.start,
                    format!(
                        "checksum mismatch in the value whose metadata is at offset {meta_offset}"
                    ),
                )));
            }
        }
        Some(Ok((
            layout.meta.key_hash,
            format::slice(bytes, layout.payload),
        )))
    }
}

/// Sorts slots by metadata offset: a radix sort in as few passes as the
/// largest offset needs (two of 14 bits for a 256 MiB file), several times
/// faster than a comparison sort for the million-entry snapshots of a full
/// scan.
fn sort_by_offset(items: &mut Vec<SlotRef>) {
    if items.len() < 4096 {
        items.sort_unstable_by_key(|s| s.meta_offset());
        return;
    }
    let max = items.iter().map(|s| s.meta_offset()).max().unwrap_or(0);
    let bits = 64 - max.leading_zeros();
    let passes = bits.div_ceil(16).max(1);
    let digit = bits.div_ceil(passes);
    let mask = (1u64 << digit) - 1;
    let mut counts = vec![0usize; 1 << digit];
    let mut tmp = items.clone();
    for pass in 0..passes {
        let shift = pass * digit;
        counts.iter_mut().for_each(|c| *c = 0);
        for s in items.iter() {
            counts[((s.meta_offset() >> shift) & mask) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &s in items.iter() {
            let b = ((s.meta_offset() >> shift) & mask) as usize;
            tmp[counts[b]] = s;
            counts[b] += 1;
        }
        std::mem::swap(items, &mut tmp);
    }
}

#[cfg(test)]
mod tests {
    use crate::index::SlotRef;

    #[test]
    fn radix_sort_orders_offsets() {
        for bits in [12u32, 27, 40, 44] {
            let mut x = 0x2545_F491_4F6C_DD1Du64;
            let mut items: Vec<SlotRef> = (0..10_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    SlotRef::for_test(1 + (x & ((1 << bits) - 2)))
                })
                .collect();
            let mut want: Vec<u64> = items.iter().map(|s| s.meta_offset()).collect();
            want.sort_unstable();
            super::sort_by_offset(&mut items);
            let got: Vec<u64> = items.iter().map(|s| s.meta_offset()).collect();
            assert_eq!(got, want, "{bits} bits");
        }
    }
}
