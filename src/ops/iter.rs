//! Iteration over live entries: a snapshot taken when the iterator is made.

use crate::engine::Store;
use crate::error::{Error, Result};
use crate::format;
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
    order: Order,
    /// Entries not yet yielded.
    left: usize,
    verify: bool,
    path: PathBuf,
}

/// How an [`Iter`] holds its entries in file order.
enum Order {
    /// One byte per 64 bytes of the file: 0, or 1 + where in that block the
    /// metadata of a live value starts (two values never start their
    /// metadata in the same block: a value takes at least one byte and
    /// starts on a 64-byte boundary). Made by one pass over the index that
    /// scatters the marks, then read in order: no sort, and the same cost
    /// per entry at any size. Used while the file is at most 16 blocks per
    /// live entry (the marks then take about 16 bytes per entry at most,
    /// as the sorted list would: `blocks <= 16 * entries + 15`).
    Marks { marks: Vec<u8>, pos: usize },
    /// The metadata offsets, sorted (a file of few, large values).
    Sorted { items: Vec<u64>, pos: usize },
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
        // Publishers wait while the table is read.
        let sh = self.readers.lock_shared();
        let view = self.readers.load_full();
        let (map, len) = (Arc::clone(&view.map), view.len());
        let bytes = map.bytes(len);
        // The key hash is the metadata's first field; a malformed entry
        // stays in every part, to be reported. Read after the publishers'
        // lock is released (a read of each entry's metadata).
        let mine = |off: u64| {
            format::Metadata::read_at(bytes, off)
                .is_none_or(|meta| meta.key_hash % u64::from(parts) == u64::from(part))
        };
        let blocks = usize::try_from(len.div_ceil(64)).unwrap_or(usize::MAX);
        let mut left = 0usize;
        let order = if blocks / 16 <= usize::try_from(view.live_count()).unwrap_or(0) {
            // Zeroed memory from the allocator: untouched pages cost nothing.
            let mut marks = vec![0u8; blocks];
            view.for_each_live(|off| {
                if let Some(m) = marks.get_mut((off / 64) as usize) {
                    *m = 1 + (off % 64) as u8;
                    left += 1;
                }
            });
            drop(sh);
            if parts > 1 {
                for (block, m) in marks.iter_mut().enumerate() {
                    if *m != 0 && !mine(block as u64 * 64 + u64::from(*m - 1)) {
                        *m = 0;
                        left -= 1;
                    }
                }
            }
            Order::Marks { marks, pos: 0 }
        } else {
            let mut items = Vec::with_capacity(view.live_count() as usize);
            view.for_each_live(|off| items.push(off));
            drop(sh);
            if parts > 1 {
                items.retain(|&off| mine(off));
            }
            sort_by_offset(&mut items);
            left = items.len();
            Order::Sorted { items, pos: 0 }
        };
        Ok(Iter {
            map,
            len,
            order,
            left,
            verify: self.options.verify_checksums,
            path: self.path.clone(),
        })
    }
}

impl Order {
    /// The metadata offset of the next entry in file order.
    #[inline]
    fn next(&mut self) -> Option<u64> {
        match self {
            Order::Sorted { items, pos } => {
                let off = *items.get(*pos)?;
                *pos += 1;
                Some(off)
            }
            Order::Marks { marks, pos } => {
                let rest = marks.get(*pos..)?;
                // Whole words of unmarked blocks are skipped 8 at a time.
                let mut i = 0;
                while i + 8 <= rest.len() {
                    let w = u64::from_le_bytes(rest[i..i + 8].try_into().expect("8 bytes"));
                    if w != 0 {
                        i += (w.trailing_zeros() / 8) as usize;
                        break;
                    }
                    i += 8;
                }
                let j = i + rest.get(i..)?.iter().position(|&b| b != 0)?;
                let block = *pos + j;
                *pos = block + 1;
                Some(block as u64 * 64 + u64::from(marks[block] - 1))
            }
        }
    }
}

impl Iter {
    /// Entries not yet yielded.
    pub fn remaining(&self) -> usize {
        self.left
    }

    /// The next entry as (key hash, value), `None` at the end. A damaged value
    /// gives an error and the iterator moves past it.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<(u64, &[u8])>> {
        let meta_offset = self.order.next()?;
        self.left -= 1;
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
fn sort_by_offset(items: &mut Vec<u64>) {
    if items.len() < 4096 {
        items.sort_unstable();
        return;
    }
    let max = items.iter().copied().max().unwrap_or(0);
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
            counts[((s >> shift) & mask) as usize] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &s in items.iter() {
            let b = ((s >> shift) & mask) as usize;
            tmp[counts[b]] = s;
            counts[b] += 1;
        }
        std::mem::swap(items, &mut tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::Order;

    #[test]
    fn radix_sort_orders_offsets() {
        for bits in [12u32, 27, 40, 44] {
            let mut x = 0x2545_F491_4F6C_DD1Du64;
            let mut items: Vec<u64> = (0..10_000)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    1 + (x & ((1 << bits) - 2))
                })
                .collect();
            let mut want = items.clone();
            want.sort_unstable();
            super::sort_by_offset(&mut items);
            assert_eq!(items, want, "{bits} bits");
        }
    }

    #[test]
    fn marks_give_back_every_offset_in_order() {
        // Offsets in blocks far apart, next to each other, at either end of
        // a block, in the first and the last block.
        let offs: Vec<u64> = vec![5, 64 + 63, 2 * 64, 3 * 64 + 1, 40 * 64 + 7, 41 * 64 + 63];
        let mut marks = vec![0u8; 42];
        for &o in &offs {
            marks[(o / 64) as usize] = 1 + (o % 64) as u8;
        }
        let mut order = Order::Marks { marks, pos: 0 };
        let got: Vec<u64> = std::iter::from_fn(|| order.next()).collect();
        assert_eq!(got, offs);
        let mut empty = Order::Marks {
            marks: vec![0u8; 100],
            pos: 0,
        };
        assert_eq!(empty.next(), None);
    }
}
