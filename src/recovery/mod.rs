//! Validating a store file and rebuilding its index at open.
//!
//! The fast path walks the metadata chain back from the end of the file to
//! offset 0 and checks the checksum of the last entry. When that fails, the
//! file is scanned forward from offset 0 for the longest prefix of complete,
//! checksummed entries. What lies beyond that prefix is accepted as a torn
//! tail (a write cut short, or zeros or garbage appended) only if no intact
//! entry can be found after it; otherwise the chain is broken in the middle
//! and the file is refused, because truncating it would lose good data.

pub(crate) mod probe;

use crate::format::{self, entry_at, EntryLayout, Metadata, METADATA_SIZE, TOMBSTONE_PAYLOAD};
use crate::index::{new_seed, Table};

/// What a successful scan found.
pub(crate) struct Recovered {
    /// Length of the valid prefix: where the next entry will be appended.
    pub tail: u64,
    /// Live keys.
    pub index: Table,
    /// Entries in the valid prefix (values and tombstones, all versions).
    pub entries: u64,
}

/// Why a file cannot be opened as a store.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Where the problem is.
    pub offset: u64,
    /// What is wrong.
    pub detail: String,
    /// Whether it may be a moment of another process's append rather than
    /// damage (a chain that breaks with an intact entry after the break):
    /// a read-only open looks again before it believes it.
    pub transient: bool,
}

/// Validates `file` (the whole file's bytes) and rebuilds its index.
pub(crate) fn recover(file: &[u8]) -> Result<Recovered, Damage> {
    if let Some(rec) = recover_fast(file, 0) {
        return Ok(rec);
    }
    recover_slow(file)
}

/// The common case of [`recover`]: the file ends with a complete chain
/// (or the chain ends just before zeros at its end). Reads only the
/// chain's metadata, its newest value and the file's end. `None` if not.
///
/// `floor`: below it, bytes may only be read once they are known to be
/// part of the chain (a read-only open's snapshot maps them, and another
/// process may cut the file beyond its true end): an end whose newest
/// entry starts below it is not tried (0 for a file nobody else cuts).
pub(crate) fn recover_fast(file: &[u8], floor: u64) -> Option<Recovered> {
    let len = file.len() as u64;
    if len == 0 {
        return Some(Recovered {
            tail: 0,
            index: Table::new(0, new_seed()),
            entries: 0,
        });
    }
    // Zeros where the newest metadata would be (a preallocated tail), or
    // any metadata with a zero link and a zero checksum, are no entry: skip
    // straight to finding the end before them (walking back from them would
    // checksum the whole file as one entry's payload; `links_back_to` and
    // `newest_entries_start` refuse them the same way).
    let zero_meta = match Metadata::read_at(file, len.saturating_sub(METADATA_SIZE as u64)) {
        Some(m) => m.prev_tail == 0 && m.checksum == 0,
        None => true,
    };
    if !zero_meta && newest_from(file, len) >= floor {
        if let Some(rec) = walk_back(file, len) {
            return Some(rec);
        }
    }
    // A file that ends in zeros (space preallocated ahead of the tail, or a
    // file system that extended the file before the data landed): the chain
    // ends just before them, if it is intact.
    for end in candidate_ends(file, 1) {
        if links_back_to(file, end, 0, floor) {
            if let Some(rec) = walk_back(file, end) {
                return Some(rec);
            }
        }
    }
    None
}

/// The rest of [`recover`]: a torn or damaged tail, found by scanning the
/// whole file.
pub(crate) fn recover_slow(file: &[u8]) -> Result<Recovered, Damage> {
    // The forward scan takes the first metadata that links back and checks
    // out; inside a value that is itself a store file that can be an inner
    // entry. The longest valid chain wins, so look back from the end for a
    // longer one.
    let forward = forward_scan(file);
    let tail = longest_valid_tail(file, forward).unwrap_or(forward);
    if tail == 0 {
        return Err(Damage {
            offset: 0,
            detail: "no complete entry found: not a simd-r-drive store".into(),
            transient: false,
        });
    }
    if let Some(end) = intact_entry_after(file, tail) {
        return Err(Damage {
            offset: tail,
            detail: format!(
                "metadata chain breaks after offset {tail}, but an intact entry ends at \
                 offset {end}; refusing to truncate (the damage is not a torn tail)"
            ),
            transient: true,
        });
    }
    walk_back(&file[..tail as usize], tail).ok_or_else(|| Damage {
        offset: tail,
        detail: "recovered prefix failed validation".into(),
        transient: true,
    })
}

/// Opens with a persisted index copy that matched the file up to
/// `from.len`: validates and indexes what was appended after it (the chain
/// from the end of the file must lead back to exactly `from.len`, and the
/// newest entry must check out). `None` if it does not: the caller then
/// recovers the whole file.
pub(crate) fn extend(
    file: &[u8],
    from: crate::index::persist::Loaded,
    floor: u64,
) -> Option<Recovered> {
    let len = settled_end(file, from.len, floor)?;
    let mut table = from.table;
    let mut found: Vec<(u64, u64, bool)> = Vec::new();
    let mut cursor = len;
    let mut len = len;
    let mut marker_seen = false;
    while cursor > from.len {
        let meta_offset = cursor.checked_sub(METADATA_SIZE as u64)?;
        let entry = entry_at(file, meta_offset).ok()?;
        if found.is_empty() && !format::checksum_ok(file, &entry) {
            return None;
        }
        if !marker_seen {
            if let Some(end) = batch_marker_end(file, &entry) {
                marker_seen = true;
                if end > len {
                    // A torn batch (see `walk_back`): the store ends before
                    // its marker.
                    len = entry.meta.prev_tail;
                    found.clear();
                    cursor = len;
                    continue;
                }
            }
        }
        found.push((entry.meta.key_hash, meta_offset, entry.tombstone));
        cursor = entry.meta.prev_tail;
    }
    if cursor != from.len {
        return None;
    }
    found.retain(|&(h, _, _)| h != format::BATCH_KEY_HASH);
    let entries = found.len() as u64;
    // Changing the copy's table checks all of it first (a damaged copy is
    // not used: the caller walks the whole chain instead).
    if !found.is_empty() && !table.check_all() {
        return None;
    }
    if !table.has_room_for(found.len() as u64) {
        table = table.rebuilt(found.len() as u64, file).ok()?;
    }
    for &(h, m, tomb) in found.iter().rev() {
        table.set(h, m, tomb, file);
    }
    Some(Recovered {
        tail: len,
        index: table,
        entries: from.entries + entries,
    })
}

/// Where the store in `file` ends, given that it holds the intact store of
/// length `stop` as a prefix: the file's length if the chain from there
/// leads back to exactly `stop` (the newest entry checking out), else, for a
/// file that ends in zeros, the one end just before them that does. `None`
/// if neither (a torn or foreign tail, or an entry still being written).
pub(crate) fn settled_end(file: &[u8], stop: u64, floor: u64) -> Option<u64> {
    let len = file.len() as u64;
    if links_back_to(file, len, stop, floor) {
        return Some(len);
    }
    candidate_ends(file, stop).find(|&end| links_back_to(file, end, stop, floor))
}

/// Whether the chain from `end` leads back to exactly `stop`, with the
/// newest entry (if any) checking out. The newest entry is checked before
/// any older link is followed: a guess that is not an entry's end costs its
/// checksum, but only a proven entry's links are followed (for a read-only
/// open, bytes below the copied end of the file are read through a map that
/// a writer may cut beyond the true end: see `crate::os::snapshot`). Newest
/// metadata with a zero link and a zero checksum (zeros, or a guess that
/// cuts into them) is refused.
fn links_back_to(file: &[u8], end: u64, stop: u64, floor: u64) -> bool {
    let Some(meta_offset) = end.checked_sub(METADATA_SIZE as u64) else {
        return end == stop;
    };
    if end <= stop {
        return end == stop;
    }
    let Ok(newest) = entry_at(file, meta_offset) else {
        return false;
    };
    if newest.meta.prev_tail == 0 && newest.meta.checksum == 0 {
        return false;
    }
    // The payload was written before its metadata (see
    // `Writer::copy_in`): read it after.
    std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
    if newest.payload.start < stop.max(floor) || !format::checksum_ok(file, &newest) {
        return false;
    }
    let mut cursor = newest.meta.prev_tail;
    while cursor > stop {
        let Some(meta_offset) = cursor.checked_sub(METADATA_SIZE as u64) else {
            return false;
        };
        let Ok(entry) = entry_at(file, meta_offset) else {
            return false;
        };
        cursor = entry.meta.prev_tail;
    }
    cursor == stop
}

/// Where the payload of the entry whose metadata ends at `end` starts
/// (`u64::MAX` if that is no well-formed metadata).
pub(crate) fn newest_from(file: &[u8], end: u64) -> u64 {
    end.checked_sub(METADATA_SIZE as u64)
        .and_then(|m| entry_at(file, m).ok())
        .map_or(u64::MAX, |e| e.payload.start)
}

/// The ends the fast path may try (the file's end, and the ends just after
/// its last non-zero byte), each with the newest entry's link and where
/// its payload starts; metadata with a zero link and a zero checksum (which
/// is refused unread) and malformed metadata are left out.
pub(crate) fn guessed_ends(file: &[u8]) -> Vec<(u64, u64, u64)> {
    let len = file.len() as u64;
    let mut out = Vec::new();
    for end in std::iter::once(len).chain(candidate_ends(file, 1)) {
        let Some(m) = end.checked_sub(METADATA_SIZE as u64) else {
            continue;
        };
        if let Ok(e) = entry_at(file, m) {
            if !(e.meta.prev_tail == 0 && e.meta.checksum == 0) {
                out.push((end, e.meta.prev_tail, e.payload.start));
            }
        }
    }
    out
}

/// For a file that ends in reserved space (zero bytes, or `0xFE` bytes):
/// the offsets at or above `floor` where its last entry may end, longest
/// first. The last entry's 20 metadata bytes hold its non-zero key hash and
/// a link below 2^56 (whose top byte is 0), so they include the last byte
/// that is not the fill: the entry ends within 20 bytes after it. A file
/// may show both fills, `0xFE` bytes then zeros (a read-only handle's
/// snapshot leaves reserved bytes it did not copy as zeros, see
/// `crate::os::snapshot`): the ends after the last non-zero byte come
/// first, then those after the last byte that is neither. (If all bytes
/// from `floor` on are fill, `floor` itself is the last candidate.) Empty
/// if the file ends in neither.
pub(crate) fn candidate_ends(file: &[u8], floor: u64) -> impl Iterator<Item = u64> {
    let len = file.len() as u64;
    let reach = METADATA_SIZE as u64 - 1;
    let ((lo, hi), (lo2, hi2)) = match file.last() {
        Some(&b) if is_fill(b) && floor < len => {
            let z0 = nonzero_end(&file[floor as usize..]) as u64 + floor;
            let z1 = unfilled_end(&file[floor as usize..z0 as usize]) as u64 + floor;
            // `z1 < z0` whenever the second range is not empty.
            (
                (z0, (z0 + reach).min(len)),
                (z1, (z1 + reach).min(z0.saturating_sub(1))),
            )
        }
        _ => ((1, 0), (1, 0)),
    };
    (lo..=hi).rev().chain((lo2..=hi2).rev())
}

/// Whether `b` is a byte reserved space is filled with: zeros
/// (preallocation) or [`format::RESERVED_FILL`].
pub(crate) fn is_fill(b: u8) -> bool {
    b == 0 || b == format::RESERVED_FILL
}

/// Length of `bytes` without its trailing zero bytes.
pub(crate) fn nonzero_end(bytes: &[u8]) -> usize {
    trimmed_end(bytes, 0)
}

/// Length of `bytes` without its trailing `0xFE` bytes.
pub(crate) fn unfilled_end(bytes: &[u8]) -> usize {
    trimmed_end(bytes, format::RESERVED_FILL)
}

/// Length of `bytes` without the reserved space at its end: trailing zero
/// bytes, then trailing `0xFE` bytes (see [`candidate_ends`]).
pub(crate) fn fill_start(bytes: &[u8]) -> usize {
    unfilled_end(&bytes[..nonzero_end(bytes)])
}

/// Length of `bytes` without its trailing `fill` bytes.
pub(crate) fn trimmed_end(bytes: &[u8], fill: u8) -> usize {
    // A word at a time (reserved tails are megabytes).
    const W: usize = 64;
    let mut end = bytes.len();
    while end >= W && bytes[end - W..end].iter().fold(0u8, |a, &b| a | (b ^ fill)) == 0 {
        end -= W;
    }
    while end > 0 && bytes[end - 1] == fill {
        end -= 1;
    }
    end
}

/// The largest end offset above `floor` at which a complete chain ends: the
/// newest entry there checks out and the links lead back to offset 0. The
/// checksum work is bounded; `None` if nothing longer than `floor` is found.
fn longest_valid_tail(file: &[u8], floor: u64) -> Option<u64> {
    longest_valid_tail_with(file, floor, &mut LinkMemo::default())
}

/// [`longest_valid_tail`], with the record of links followed passed in.
fn longest_valid_tail_with(file: &[u8], floor: u64, walked: &mut LinkMemo) -> Option<u64> {
    let len = file.len() as u64;
    let mut budget = 4 * len + (1 << 20);
    // Candidate ends whose links all lead to offset 0 through well-formed
    // metadata (no checksum yet), longest first, with their link counts.
    // Bytes of a torn write that happen to look like metadata rarely link
    // more than once or twice (a zero link makes a one-entry chain whose
    // payload is the whole file before it): their checksums are tried last,
    // so that they cannot use up the budget before a real end below them.
    let mut strong = Vec::new();
    let mut weak = Vec::new();
    // Many candidates link into the same chain (a value that embeds an
    // entry per write, say): `walked` remembers where chains lead, so a
    // candidate follows a few links, not its whole chain (that made the
    // scan quadratic in the number of entries).
    let mut c = len;
    while c > floor && c > METADATA_SIZE as u64 {
        let meta_offset = c - METADATA_SIZE as u64;
        if let Ok(e) = entry_at(file, meta_offset) {
            let p = e.meta.prev_tail;
            let zero_meta = e.meta.key_hash == 0 && p == 0 && e.meta.checksum == 0;
            // The link must land on the start of the file or right after
            // well-formed metadata: cheap tests before any checksum.
            let plausible = !zero_meta
                && (p == 0
                    || (p >= METADATA_SIZE as u64
                        && entry_at(file, p - METADATA_SIZE as u64).is_ok()));
            if plausible {
                match walked.links_to_zero(file, p) {
                    // Only the end is kept (a crafted tail can make most
                    // of its bytes candidates): its metadata is read again.
                    Some(n) if n >= 2 => strong.push(c),
                    Some(_) => weak.push(c),
                    None => {}
                }
            }
        }
        c -= 1;
    }
    let mut check = |c: u64| -> Option<bool> {
        // Well formed when it was kept.
        let Ok(e) = entry_at(file, c - METADATA_SIZE as u64) else {
            return Some(false);
        };
        let cost = e.payload_len();
        if cost > budget {
            return None;
        }
        budget -= cost;
        // (`walked` knows the links: no walk back to 0 per candidate.)
        Some(format::checksum_ok(file, &e) && walked.chain_ok(file, &e))
    };
    let mut best = None;
    for &c in &strong {
        match check(c) {
            Some(true) => {
                best = Some(c);
                break;
            }
            Some(false) => {}
            None => return None,
        }
    }
    // A weak candidate only counts if it is longer than the best found.
    for &c in weak.iter().filter(|&&c| best.is_none_or(|b| c > b)) {
        match check(c) {
            Some(true) => return Some(c),
            Some(false) => {}
            None => return best,
        }
    }
    best
}

/// How many links lead from an end back to offset 0 through well-formed
/// metadata (no checksum is computed), and where the oldest entry on the
/// way is, remembered for some of the ends passed (see `known`), so that
/// walks that meet an earlier one stop soon after; and which oldest entries
/// may start a chain.
#[derive(Default)]
struct LinkMemo {
    /// End offset -> (links to 0, metadata offset of the oldest entry),
    /// `None` if its links do not lead to 0. Kept for the ends
    /// [`MEMO_STRIDE`] links apart on a chain (any subset gives the same
    /// answers; a walk that meets another between two kept ends goes on to
    /// the next one, at most that many links further).
    known: OffsetMap<Option<(u64, u64)>>,
    /// Oldest entry's metadata offset -> whether it may start a chain.
    oldest_ok: OffsetMap<bool>,
    /// Links followed in all (for tests).
    followed: u64,
    /// The ends of the current walk (kept for its capacity).
    path: Vec<u64>,
}

impl LinkMemo {
    /// How many links lead from `end` back to offset 0; `None` if they do
    /// not.
    fn links_to_zero(&mut self, file: &[u8], end: u64) -> Option<u64> {
        self.walk(file, end).map(|(n, _)| n)
    }

    /// [`LinkMemo::links_to_zero`] with the oldest entry's metadata offset
    /// (`u64::MAX` for `end` 0).
    fn walk(&mut self, file: &[u8], end: u64) -> Option<(u64, u64)> {
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        let mut cursor = end;
        let mut found = loop {
            if cursor == 0 {
                break Some((0, u64::MAX));
            }
            if let Some(&n) = self.known.get(&cursor) {
                break n;
            }
            path.push(cursor);
            // `entry_at` refuses a link that does not go back, so the walk
            // ends.
            match cursor
                .checked_sub(METADATA_SIZE as u64)
                .and_then(|m| entry_at(file, m).ok())
            {
                Some(e) => {
                    self.followed += 1;
                    cursor = e.meta.prev_tail;
                }
                None => break None,
            }
        };
        for (i, &c) in path.iter().enumerate().rev() {
            found = found.map(|(n, oldest)| {
                let m = c - METADATA_SIZE as u64;
                (n + 1, if n == 0 { m } else { oldest })
            });
            // Kept by depth, so that walks from different ends keep the
            // same ends of a shared chain.
            let stride_end = match found {
                Some((n, _)) => n % MEMO_STRIDE as u64 == 0,
                None => i % MEMO_STRIDE == 0,
            };
            if stride_end {
                if self.known.len() >= MEMO_MAX {
                    // Bounded memory on any file (a crafted tail can be all
                    // candidates): start again, the answers are the same.
                    self.known.clear();
                }
                self.known.insert(c, found);
            }
        }
        self.path = path;
        found
    }

    /// Whether the chain of a candidate whose newest entry `e` checks out and
    /// whose links lead to 0 (known here): the oldest entry of a chain of
    /// more than one may not be zero metadata that fails its checksum.
    /// Each oldest entry is checked once, however many chains end on it.
    fn chain_ok(&mut self, file: &[u8], e: &EntryLayout) -> bool {
        if e.meta.prev_tail == 0 {
            return true;
        }
        let Some((_, oldest)) = self.walk(file, e.meta.prev_tail) else {
            return false;
        };
        *self.oldest_ok.entry(oldest).or_insert_with(|| {
            entry_at(file, oldest).is_ok_and(|first| !zero_padding(file, &first))
        })
    }
}

/// If `entry` is a batch marker whose value checks out, where its batch
/// ends (see [`format::BATCH_KEY_HASH`]).
pub(crate) fn batch_marker_end(file: &[u8], entry: &EntryLayout) -> Option<u64> {
    let end = format::batch_end(file, entry)?;
    format::checksum_ok(file, entry).then_some(end)
}

/// `entries` (oldest first, ending at `tail`) without a torn batch at
/// their end: if the newest batch marker among them declares an end beyond
/// `tail`, the entries from that marker on are dropped.
pub(crate) fn without_torn_batch(file: &[u8], entries: &mut Vec<EntryLayout>, tail: u64) {
    if let Some(i) = entries
        .iter()
        .rposition(|e| batch_marker_end(file, e).is_some())
    {
        if batch_marker_end(file, &entries[i]).is_some_and(|end| end > tail) {
            entries.truncate(i);
        }
    }
}

/// Largest last batch (payload bytes, entries) whose every checksum is
/// checked at open; a larger one is trusted like any last write (its newest
/// entry only). Only metadata offsets are kept while walking: 8 MiB at most.
const LAST_BATCH_CHECK_MAX: u64 = 256 << 20;
const LAST_BATCH_CHECK_ENTRIES: usize = 1 << 20;

/// Whether every entry of the file's last batch (metadata offsets, newest
/// first, the newest already checked) matches its checksum: a power cut can
/// lose a page inside a batch while later pages land. `bytes`: their
/// payloads' total; past [`LAST_BATCH_CHECK_MAX`] the batch is not checked.
fn last_batch_landed(file: &[u8], entries: &[u64], bytes: u64) -> bool {
    bytes > LAST_BATCH_CHECK_MAX
        || entries
            .iter()
            .skip(1)
            .all(|&m| entry_at(file, m).is_ok_and(|e| format::checksum_ok(file, &e)))
}

/// Walks the chain back from `tail` to offset 0, building the index. Returns
/// `None` unless every link is well formed and the newest entry's checksum
/// matches. The oldest entry is refused too if it fails its checksum while
/// its metadata is all zeros (no key hashes to 0): that is zero padding, e.g.
/// a foreign header in front of entries, not an entry. (An oldest value that
/// is merely damaged is kept: reading it gives `Corrupt`.)
fn walk_back(file: &[u8], tail: u64) -> Option<Recovered> {
    let mut tail = tail;
    // Sized for a file of 128-byte entries (capped), grown as needed; the
    // table holds keys, not entries, so a long history costs no memory.
    let new_index = |tail: u64| Table::new((tail / 128).clamp(16, 1 << 22), new_seed());
    let mut index = new_index(tail);
    // Whether `index` holds anything (a restart below needs a fresh one).
    let mut noted = false;
    // One pass down the chain. A torn newest batch moves the end to before
    // its marker and the walk goes on from there with what it noted so far
    // (all of it above the marker) dropped: each entry is read once. (This
    // used to be a recursive call per torn marker, each with its own table:
    // a file of nested torn markers, which a crafted value can hold by the
    // thousand, took quadratic memory, then overflowed the stack.)
    'walk: loop {
        let mut entries = 0u64;
        let mut cursor = tail;
        let mut oldest = None;
        let mut marker_seen = false;
        let mut markers = 0u64;
        // The entries after the newest batch marker (newest first), to check
        // if that batch is the file's last append.
        let mut newest: Vec<u64> = Vec::new();
        let mut newest_bytes = 0u64;
        while cursor > 0 {
            let meta_offset = cursor.checked_sub(METADATA_SIZE as u64)?;
            let entry = entry_at(file, meta_offset).ok()?;
            if entries == 0 && !format::checksum_ok(file, &entry) {
                return None;
            }
            if !marker_seen {
                if let Some(end) = batch_marker_end(file, &entry) {
                    marker_seen = true;
                    if batch_torn(file, end, tail, &newest, newest_bytes) {
                        tail = entry.meta.prev_tail;
                        if noted {
                            index = new_index(tail);
                            noted = false;
                        }
                        continue 'walk;
                    }
                    newest = Vec::new();
                } else if newest_bytes <= LAST_BATCH_CHECK_MAX {
                    newest_bytes += entry.payload_len();
                    if newest.len() >= LAST_BATCH_CHECK_ENTRIES {
                        newest_bytes = u64::MAX;
                    } else {
                        newest.push(meta_offset);
                    }
                }
            }
            if entry.meta.key_hash == format::BATCH_KEY_HASH {
                markers += 1;
            } else {
                if !index.has_room_for(1) {
                    index = index.grown(index.len().max(1024), file).ok()?;
                }
                index.note_older(entry.meta.key_hash, meta_offset, entry.tombstone, file);
                noted = true;
            }
            entries += 1;
            cursor = entry.meta.prev_tail;
            oldest = Some(entry);
        }
        if let Some(first) = oldest {
            if entries > 1 && zero_padding(file, &first) {
                return None;
            }
        }
        if index.oversized() {
            // Fewer live keys than the guess, or many deleted: a table sized
            // for the live keys, without tombstones.
            index = index.rebuilt(0, file).ok()?;
        }
        return Some(Recovered {
            tail,
            index,
            // Batch markers are not counted (as the writer does not).
            entries: entries - markers,
        });
    }
}

/// Whether `first`, the oldest entry of a chain of more than one, is zero
/// padding (a foreign header in front of entries, say) rather than an
/// entry: its metadata is all zeros (no key hashes to 0) and its checksum
/// fails. Such a chain is refused ([`walk_back`], [`LinkMemo::chain_ok`]).
fn zero_padding(file: &[u8], first: &EntryLayout) -> bool {
    first.meta.key_hash == 0 && first.meta.checksum == 0 && !format::checksum_ok(file, first)
}

/// Whether the newest batch, whose marker declares `end`, is not all there
/// in a store ending at `tail` (cut short, or a power cut lost a page of it
/// while later ones landed): then the store ends before its marker (a batch
/// is all or nothing). `newest`: the entries after the marker, as in
/// [`last_batch_landed`].
fn batch_torn(file: &[u8], end: u64, tail: u64, newest: &[u64], newest_bytes: u64) -> bool {
    end > tail || (end == tail && !last_batch_landed(file, newest, newest_bytes))
}

fn read_u64(file: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&file[at..at + 8]);
    u64::from_le_bytes(b)
}

/// Length of the longest prefix of `file` made of complete entries whose
/// links and checksums agree, found by scanning forward from offset 0.
fn forward_scan(file: &[u8]) -> u64 {
    forward_scan_from(file, 0)
}

/// Scans forward from `start` (an entry boundary) over complete,
/// checksummed entries; returns where the last one ends.
pub(crate) fn forward_scan_from(file: &[u8], start: u64) -> u64 {
    let mut pos = start;
    while let Some(e) = next_entry_at(file, pos) {
        pos = e.end();
    }
    pos
}

/// The complete entry that starts at `pos` (an entry boundary): its link is
/// `pos` and its checksum matches. With several candidates, the first
/// metadata position wins.
pub(crate) fn next_entry_at(file: &[u8], pos: u64) -> Option<EntryLayout> {
    let len = file.len();
    let meta = METADATA_SIZE;
    let p = usize::try_from(pos).ok()?;
    // A tombstone: one zero byte right at `pos`, no padding.
    if p + 1 + meta <= len && file[p] == TOMBSTONE_PAYLOAD[0] {
        if let Some(m) = Metadata::read_at(file, pos + 1) {
            if m.prev_tail == pos && m.checksum == format::checksum(&TOMBSTONE_PAYLOAD) {
                return entry_at(file, pos + 1).ok();
            }
        }
    }
    // A value: padding to the next multiple of 64, then at least one byte.
    let start = p + format::pad_len(pos) as usize;
    if start + 1 + meta > len {
        return None;
    }
    // The running CRC over start..n makes the scan linear in the file size.
    let mut crc = crc32fast::Hasher::new();
    let mut hashed_to = start;
    for n in start + 1..=len - meta {
        if read_u64(file, n + 8) != pos {
            continue;
        }
        crc.update(&file[hashed_to..n]);
        hashed_to = n;
        let stored = Metadata::read_at(file, n as u64).map(|m| m.checksum);
        if stored == Some(crc.clone().finalize()) {
            return entry_at(file, n as u64).ok();
        }
    }
    None
}

/// Looks for an intact entry (a well-formed link into `tail..` and a matching
/// checksum) anywhere after `tail`. Its presence means the chain breaks in the
/// middle of good data rather than in a torn tail. Returns where it ends.
fn intact_entry_after(file: &[u8], tail: u64) -> Option<u64> {
    match first_intact_entry_after(file, tail, Some(4 * file.len() as u64 + (1 << 20))) {
        Found::Entry(e) => Some(e.end()),
        Found::OverBudget(end) => Some(end),
        Found::Nothing => None,
    }
}

/// Result of [`first_intact_entry_after`].
pub(crate) enum Found {
    Entry(EntryLayout),
    /// The checksum budget ran out at a candidate ending here.
    OverBudget(u64),
    Nothing,
}

/// The first intact entry (lowest metadata offset) whose link lies at or after
/// `from`. Every position is a candidate metadata offset, so with a `budget`
/// the checksum work is bounded: past it the search gives up.
pub(crate) fn first_intact_entry_after(file: &[u8], from: u64, budget: Option<u64>) -> Found {
    let len = file.len();
    let f = from as usize;
    if len < f + 1 + METADATA_SIZE {
        return Found::Nothing;
    }
    let mut budget = budget.unwrap_or(u64::MAX);
    // Candidates are tried in order of their metadata offset, so the
    // checksum of a payload that starts where an earlier candidate's did
    // extends that one's (a zero-filled value makes every word a candidate
    // linked to the same place: without this the scan is quadratic).
    let mut running = RunningCrcs::default();
    for n in f + 1..=len - METADATA_SIZE {
        let link = read_u64(file, n + 8);
        if link < from || link >= n as u64 {
            continue;
        }
        let Ok(entry) = entry_at(file, n as u64) else {
            continue;
        };
        let Some(crc) = running.crc(file, entry.payload.start, n as u64, &mut budget) else {
            return Found::OverBudget(entry.end());
        };
        if crc == entry.meta.checksum {
            return Found::Entry(entry);
        }
        // The same entry in a layout with another payload alignment (none, 8,
        // 16 or 32 bytes: older, incompatible formats): not ours, but evidence
        // of real data that a truncation would destroy.
        let link = entry.meta.prev_tail;
        let mut tried = entry.payload.start;
        for align in [1u64, 8, 16, 32] {
            let start = link.div_ceil(align) * align;
            if start == tried || start >= entry.meta_offset {
                continue;
            }
            tried = start;
            let Some(crc) = running.crc(file, start, n as u64, &mut budget) else {
                return Found::OverBudget(entry.end());
            };
            if crc == entry.meta.checksum {
                return Found::Entry(entry);
            }
        }
    }
    Found::Nothing
}

/// How far apart the ends a [`LinkMemo`] keeps are on a chain: memory for
/// a long chain walked once is 1/8 of a map entry per entry, and a walk
/// that joins a chain follows at most 8 more links.
const MEMO_STRIDE: usize = 8;

/// At most this many ends in a [`LinkMemo`] (about 40 MiB with the map's
/// slack): a chain of 8M entries fits.
const MEMO_MAX: usize = 1 << 20;

/// A hash map keyed by file offsets, with a multiply-shift hash (offsets
/// are not chosen to collide: a crafted file can only slow its own open).
type OffsetMap<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<OffsetHasher>>;

/// The hasher of [`OffsetMap`].
#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b) ^ self.0.rotate_left(8));
        }
    }
    fn write_u64(&mut self, x: u64) {
        let m = u128::from(x ^ self.0) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (m as u64) ^ ((m >> 64) as u64);
    }
}

/// At most this many payload starts keep a running CRC (see
/// [`RunningCrcs`]): memory stays bounded whatever the file holds.
const RUNNING_CRCS_MAX: usize = 64;

/// CRC-32 states of payloads by where they start, each as far as it has
/// been computed (see [`first_intact_entry_after`]). A zero-filled stretch
/// makes many candidates that share one start; when more than
/// [`RUNNING_CRCS_MAX`] starts are seen, the states are dropped and the
/// ones in use start again.
#[derive(Default)]
struct RunningCrcs(OffsetMap<(crc32fast::Hasher, u64)>);

impl RunningCrcs {
    /// The CRC-32 of `file[start..end]`, computing only what no earlier
    /// call for `start` did (`end` never decreases per `start`), charged
    /// to `budget`; `None` when that would pass it.
    fn crc(&mut self, file: &[u8], start: u64, end: u64, budget: &mut u64) -> Option<u32> {
        if self.0.len() >= RUNNING_CRCS_MAX && !self.0.contains_key(&start) {
            self.0.clear();
        }
        let (h, done) = self
            .0
            .entry(start)
            .or_insert_with(|| (crc32fast::Hasher::new(), start));
        if end < *done {
            // Not reached by the callers (offsets only grow): compute it whole.
            let cost = end - start;
            *budget = budget.checked_sub(cost)?;
            return Some(format::checksum(format::slice(file, start..end)));
        }
        let cost = end - *done;
        *budget = budget.checked_sub(cost)?;
        h.update(format::slice(file, *done..end));
        *done = end;
        Some(h.clone().finalize())
    }
}

/// The entries between `stop` and `tail` (both entry boundaries), oldest
/// first, by walking the chain back from `tail`; `None` unless the walk lands
/// exactly on `stop` and the newest entry's checksum matches.
pub(crate) fn entries_between(file: &[u8], stop: u64, tail: u64) -> Option<Vec<EntryLayout>> {
    let mut out = Vec::new();
    let mut cursor = tail;
    while cursor > stop {
        let meta_offset = cursor.checked_sub(METADATA_SIZE as u64)?;
        let entry = entry_at(file, meta_offset).ok()?;
        if out.is_empty() && !format::checksum_ok(file, &entry) {
            return None;
        }
        cursor = entry.meta.prev_tail;
        out.push(entry);
    }
    if cursor != stop {
        return None;
    }
    out.reverse();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{encode_tombstone, encode_value_into};
    use crate::index::Probe;

    /// The metadata offset the recovered index gives `h`, if live.
    fn get(rec: &Recovered, file: &[u8], h: u64) -> Option<u64> {
        match rec.index.find(h, &file[..rec.tail as usize]) {
            Probe::Found(s) => Some(s.meta_offset()),
            Probe::Absent => None,
            Probe::Stale | Probe::Damaged => panic!("index points beyond the recovered tail"),
        }
    }

    fn build(values: &[(u64, &[u8])]) -> (Vec<u8>, Vec<u64>) {
        let mut file = Vec::new();
        let mut ends = Vec::new();
        for &(h, v) in values {
            let tail = file.len() as u64;
            if v.is_empty() {
                file.extend_from_slice(&encode_tombstone(tail, h));
            } else {
                encode_value_into(&mut file, tail, h, v);
            }
            ends.push(file.len() as u64);
        }
        (file, ends)
    }

    fn sample() -> (Vec<u8>, Vec<u64>) {
        let big = vec![0u8; 5000];
        build(&[
            (1, b"a"),
            (2, &[0u8; 64]),
            (1, b"second version of one"),
            (3, b""), // tombstone for a key that never existed
            (2, b""), // tombstone
            (4, &big),
            (5, &[7u8; 65]),
        ])
    }

    #[test]
    fn clean_file_indexes_newest_versions() {
        let (file, ends) = sample();
        let rec = recover(&file).unwrap();
        assert_eq!(rec.tail, *ends.last().unwrap());
        assert_eq!(rec.entries, 7);
        assert_eq!(rec.index.len(), 3);
        assert!(get(&rec, &file, 2).is_none());
        assert_eq!(get(&rec, &file, 1), Some(ends[2] - 20));
    }

    #[test]
    fn every_cut_inside_the_last_entry_recovers_the_previous_one() {
        let (file, ends) = sample();
        let prev = ends[ends.len() - 2];
        for cut in prev..*ends.last().unwrap() {
            let rec = recover(&file[..cut as usize]).unwrap();
            assert_eq!(rec.tail, prev, "cut at {cut}");
            assert_eq!(rec.index.len(), 2, "cut at {cut}");
        }
    }

    #[test]
    fn a_crafted_value_and_a_later_torn_write_still_recover() {
        // A value whose bytes hold an entry's metadata linking to the
        // value's start (its checksum right): the forward scan stops there.
        // After it, real entries, then a torn write: zeros (its padding)
        // and garbage. The zeros make candidate ends whose zero link
        // claims the whole file as one payload; their checksums used to
        // use up the budget before the real end below them was tried,
        // and the store was refused.
        let mut file = Vec::new();
        encode_value_into(&mut file, 0, 1, b"first");
        let t1 = file.len() as u64;
        let mut v: Vec<u8> = (0..3000u32).map(|i| (i * 7 + 3) as u8).collect();
        let forged_at = 1000usize;
        let m = Metadata {
            key_hash: 99,
            prev_tail: t1,
            checksum: crate::format::checksum(&v[..forged_at]),
        };
        v[forged_at..forged_at + METADATA_SIZE].copy_from_slice(&m.encode());
        encode_value_into(&mut file, t1, 2, &v);
        let mut keys = vec![1u64, 2];
        for k in 3..40u64 {
            let tail = file.len() as u64;
            encode_value_into(&mut file, tail, k, &vec![k as u8; 128 << 10]);
            keys.push(k);
        }
        let end = file.len() as u64;
        file.extend(std::iter::repeat_n(0u8, 60));
        let mut x = 0x9e37_79b9u32;
        file.extend((0..5000).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as u8) | 1
        }));
        let rec = recover(&file).expect("the store opens");
        assert_eq!(rec.tail, end);
        for k in keys {
            assert!(get(&rec, &file, k).is_some(), "key {k}");
        }
        assert!(get(&rec, &file, 99).is_none(), "the forged entry is no key");
    }

    #[test]
    fn values_that_each_embed_an_entry_recover_in_linear_time() {
        // Every value holds, at its start, the exact bytes of an entry for a
        // key never written, linked to the store's end at that moment (so
        // each is a candidate end whose links lead to 0), and the last
        // write is torn. Each candidate used to walk the whole chain:
        // 18 s to open 32k such entries. Now a few links per candidate.
        let n = 4000u64;
        let mut file = Vec::new();
        let mut fakes = Vec::new();
        for k in 1..=n {
            let tail = file.len() as u64;
            let mut v = vec![k as u8; 100];
            let fake = Metadata {
                key_hash: 1_000_000 + k,
                prev_tail: tail,
                checksum: crate::format::checksum(&v[..40]),
            };
            v[40..40 + METADATA_SIZE].copy_from_slice(&fake.encode());
            encode_value_into(&mut file, tail, k, &v);
            fakes.push(fake.key_hash);
        }
        let whole = file.len();
        let cut = &file[..whole - 5];
        let forward = forward_scan(cut);
        let mut walked = LinkMemo::default();
        let tail = longest_valid_tail_with(cut, forward, &mut walked);
        // At most MEMO_STRIDE links per candidate past the ends kept.
        assert!(
            walked.followed <= (MEMO_STRIDE as u64 + 3) * n,
            "{} links followed for {n} entries",
            walked.followed
        );
        // The torn last value holds an entry whose bytes are a real
        // entry's: recovery cannot tell them apart and ends there (the
        // documented limit); every value written before it is kept.
        let rec = recover(cut).expect("the store opens");
        assert_eq!(tail, Some(rec.tail));
        for k in 1..n {
            assert!(get(&rec, cut, k).is_some(), "key {k}");
        }
        assert!(get(&rec, cut, n).is_none(), "the torn value");
        let (last, earlier) = fakes.split_last().unwrap();
        for &h in earlier {
            assert!(get(&rec, cut, h).is_none(), "embedded entry {h}");
        }
        assert!(get(&rec, cut, *last).is_some(), "the limit as documented");
    }

    #[test]
    fn a_torn_value_that_holds_an_entry_linked_to_zero_drops_the_store_before_it() {
        // The documented limit at its worst: a value holds metadata linked
        // to offset 0 whose checksum matches every byte from 0 to it. Torn,
        // the file is byte for byte a store of one entry followed by a torn
        // tail, and recovery takes it so: the 20 values before it are gone
        // (README, "Limits of the format").
        let mut file = Vec::new();
        for k in 1..=20u64 {
            let tail = file.len() as u64;
            encode_value_into(&mut file, tail, k, &[k as u8; 100]);
        }
        let tail = file.len() as u64;
        let start = (tail + format::pad_len(tail)) as usize;
        let mut v = vec![7u8; 300];
        let k = 100;
        let mut prefix = file.clone();
        prefix.resize(start, 0);
        prefix.extend_from_slice(&v[..k]);
        let fake = Metadata {
            key_hash: 999,
            prev_tail: 0,
            checksum: crate::format::checksum(&prefix),
        };
        v[k..k + METADATA_SIZE].copy_from_slice(&fake.encode());
        encode_value_into(&mut file, tail, 21, &v);
        let whole = recover(&file).expect("the whole store opens");
        assert_eq!(whole.index.len(), 21, "written whole, nothing is lost");
        let cut = &file[..file.len() - 5];
        let rec = recover(cut).expect("the torn store opens");
        assert_eq!(rec.tail, (start + k + METADATA_SIZE) as u64);
        assert_eq!(rec.index.len(), 1, "only the crafted entry");
        assert!(get(&rec, cut, 999).is_some());
        assert!((1..=21).all(|k| get(&rec, cut, k).is_none()));
    }

    #[test]
    fn candidates_on_a_refused_first_entry_are_refused_in_linear_time() {
        // A first "entry" whose metadata is zeros and whose checksum fails
        // (a foreign header), then valid entries linked from it: every end
        // is a candidate whose chain is refused at its oldest entry. Each
        // candidate used to walk its chain down to that entry: 2.8 s for
        // 32k entries.
        let n = 4000u64;
        let mut file = vec![0x5au8; 44];
        file.extend([0u8; METADATA_SIZE]);
        let mut h = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..n {
            let tail = file.len() as u64;
            h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9).wrapping_add(1) | 1 << 63;
            encode_value_into(&mut file, tail, h, b"v");
        }
        let mut walked = LinkMemo::default();
        assert_eq!(longest_valid_tail_with(&file, 0, &mut walked), None);
        // At most MEMO_STRIDE links per candidate past the ends kept.
        assert!(
            walked.followed <= (MEMO_STRIDE as u64 + 3) * n,
            "{} links followed for {n} entries",
            walked.followed
        );
        assert!(walked.oldest_ok.len() <= 1, "the oldest entry checked once");
        assert!(recover(&file).is_err());
    }

    #[test]
    fn the_search_for_an_intact_entry_is_linear_in_a_zero_filled_value() {
        // A damaged first value, then a value of zeros: every zero word in
        // it reads as metadata linked to offset 0, whose checksum covers
        // the file up to it. Each used to be checksummed from offset 0
        // (a salvage of an 800 KB zero value took 3 s).
        let mut file = Vec::new();
        encode_value_into(&mut file, 0, 1, b"first value");
        file[3] ^= 0x40;
        let t1 = file.len() as u64;
        encode_value_into(&mut file, t1, 2, &vec![0u8; 200_000]);
        let t2 = file.len() as u64;
        encode_value_into(&mut file, t2, 3, b"last");
        // Checksummed bytes: a few passes over the file (metadata mixed
        // with zeros makes a few other starts), not one pass per word.
        let budget = 16 * file.len() as u64;
        match first_intact_entry_after(&file, 0, Some(budget)) {
            Found::Entry(e) => assert_eq!((e.meta.key_hash, e.end()), (2, t2)),
            Found::OverBudget(end) => panic!("over budget at {end}"),
            Found::Nothing => panic!("the zero value was not found"),
        }
    }

    #[test]
    fn thousands_of_torn_batch_markers_are_left_out_in_one_pass() {
        // A value can hold the bytes of many batch markers, each declaring
        // an end past the file; torn, they are the file's newest entries.
        // Each used to cost a recursive call with its own table: at 16k
        // markers the stack overflowed (a crash at open).
        let (mut file, ends) = sample();
        let end = *ends.last().unwrap();
        for i in 0..20_000u64 {
            let tail = file.len() as u64;
            let declared = if i % 2 == 0 { u64::MAX } else { 1 << 50 };
            let marker = format::batch_marker(declared);
            encode_value_into(&mut file, tail, format::BATCH_KEY_HASH, &marker);
        }
        let rec = recover(&file).expect("the store opens");
        assert_eq!(rec.tail, end);
        assert_eq!(rec.index.len(), 3);
        assert_eq!(rec.entries, 7);
    }

    #[test]
    fn zeros_and_garbage_after_the_last_entry_are_dropped() {
        let (file, ends) = sample();
        let end = *ends.last().unwrap();
        for extra in [1usize, 19, 20, 21, 63, 64, 65, 4096] {
            let mut f = file.clone();
            f.extend(std::iter::repeat_n(0u8, extra));
            assert_eq!(recover(&f).unwrap().tail, end, "{extra} zeros");
            let mut g = file.clone();
            let mut x = 0x1234_5678u32;
            g.extend((0..extra).map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            }));
            assert_eq!(recover(&g).unwrap().tail, end, "{extra} garbage bytes");
        }
    }

    #[test]
    fn nonzero_end_finds_the_last_nonzero_byte_at_every_position() {
        for len in [0usize, 1, 63, 64, 65, 127, 128, 129, 1000] {
            assert_eq!(nonzero_end(&vec![0u8; len]), 0, "{len} zeros");
            for last in 0..len {
                let mut b = vec![0u8; len];
                b[last] = 0x80;
                if last > 3 {
                    b[last - 3] = 1;
                }
                assert_eq!(nonzero_end(&b), last + 1, "len {len}, last {last}");
            }
        }
    }

    #[test]
    fn candidate_ends_cover_the_20_bytes_after_the_last_nonzero_one() {
        let (file, ends) = sample();
        let end = *ends.last().unwrap();
        let mut f = file.clone();
        f.extend(std::iter::repeat_n(0u8, 5000));
        let c: Vec<u64> = candidate_ends(&f, 0).collect();
        assert!(c.contains(&end), "{c:?} lacks {end}");
        assert!(c.len() <= METADATA_SIZE && c.windows(2).all(|w| w[0] > w[1]));
        // Nothing but zeros from the floor on: the floor is the last guess.
        let c: Vec<u64> = candidate_ends(&f, end).collect();
        assert!(c.iter().all(|&e| e >= end) && c.last() == Some(&end));
        // A file that does not end in zeros has no candidates.
        assert_eq!(candidate_ends(&file, 0).count(), 0);
        assert_eq!(settled_end(&f, 0, 0), Some(end));
        assert_eq!(settled_end(&f, ends[0], 0), Some(end));
    }

    /// A store whose last entry's checksum ends in `ends_in` bytes equal to
    /// the reserved fill (the last metadata bytes look like the fill).
    fn store_ending_in_fill_bytes(ends_in: u32) -> (Vec<u8>, u64) {
        let fill = format::RESERVED_FILL as u32;
        for seed in 0u32.. {
            let v = seed.to_le_bytes();
            let crc = crc32fast::hash(&v);
            // Exactly `ends_in` of the checksum's top bytes are the fill.
            let byte = |i: u32| (crc >> (24 - 8 * i)) & 0xFF;
            if (0..ends_in).all(|i| byte(i) == fill) && byte(ends_in) != fill {
                let (file, ends) =
                    build(&[(1, b"first"), (9, &[format::RESERVED_FILL; 100]), (2, &v)]);
                return (file, *ends.last().unwrap());
            }
        }
        unreachable!()
    }

    #[test]
    fn reserved_fill_after_the_last_entry_is_a_torn_tail_at_every_length() {
        for ends_in in [0, 1, 2] {
            let (file, end) = store_ending_in_fill_bytes(ends_in);
            for extra in [0usize, 1, 19, 20, 21, 4095, 4096, 1 << 20] {
                let mut f = file.clone();
                f.extend(std::iter::repeat_n(format::RESERVED_FILL, extra));
                let rec = recover(&f).unwrap();
                assert_eq!(
                    rec.tail, end,
                    "{ends_in} fill bytes ending the crc, {extra} after"
                );
                assert_eq!(rec.index.len(), 3);
                assert_eq!(settled_end(&f, 0, 0), Some(end), "{ends_in}, {extra}");
                // As a read-only handle's copy shows it: fill bytes up to a
                // point (at least 20 past the end), then zeros.
                if extra > 20 {
                    let mut g = f.clone();
                    let keep = (end as usize + METADATA_SIZE).next_multiple_of(64);
                    for b in g.iter_mut().skip(keep) {
                        *b = 0;
                    }
                    assert_eq!(recover(&g).unwrap().tail, end, "{ends_in}, {extra}, zeros");
                    assert_eq!(
                        settled_end(&g, 0, 0),
                        Some(end),
                        "{ends_in}, {extra}, zeros"
                    );
                }
            }
            // Cut inside the last entry, then fill: the entry before it.
            let mut f = file[..end as usize - 3].to_vec();
            f.extend(std::iter::repeat_n(format::RESERVED_FILL, 5000));
            let rec = recover(&f).unwrap();
            assert!(
                rec.tail < end && rec.index.len() == 2,
                "{ends_in}: torn last entry"
            );
        }
    }

    #[test]
    fn files_without_any_entry_are_refused() {
        assert!(recover(b"hello world, this is a text file, not a store at all").is_err());
        assert!(recover(&[0u8; 4096]).is_err());
        assert!(recover(&[0u8; 5]).is_err());
    }

    #[test]
    fn a_chain_broken_in_the_middle_is_refused() {
        let (mut file, ends) = sample();
        // Damage the prev_tail of the third entry's metadata.
        let at = (ends[2] - 20 + 8) as usize;
        file[at] ^= 0x40;
        let err = recover(&file).err().expect("must refuse");
        assert!(err.offset <= ends[2]);
    }

    #[test]
    fn damage_in_the_middle_never_makes_recovery_cut_good_entries() {
        let (mut file, ends) = sample();
        // Flip a payload byte of the third entry (intact entries follow)...
        file[ends[1] as usize + 50] ^= 1;
        // ...and tear the last entry: recovered to the last complete entry,
        // the damaged value still indexed (its reads report the damage).
        file.truncate(*ends.last().unwrap() as usize - 3);
        let rec = recover(&file).unwrap();
        assert_eq!(rec.tail, ends[ends.len() - 2]);
        assert!(get(&rec, &file, 1).is_some());
        // Zeros appended after a mid-chain break are no excuse either.
        let (mut file, ends) = sample();
        file[(ends[2] - 20 + 8) as usize] ^= 0x40;
        file.extend(std::iter::repeat_n(0u8, 100));
        assert!(recover(&file).is_err());
    }

    #[test]
    fn a_foreign_header_before_valid_entries_is_refused() {
        let mut file = b"SRDRIVE\0\x01\0\0\0".to_vec();
        file.resize(64, 0);
        // Entries whose offsets count the header: the 20 zero bytes before
        // offset 64 look like metadata {hash 0, prev_tail 0, crc 0}.
        for (h, v) in [(1u64, &b"a"[..]), (2, &[5u8; 100][..])] {
            let tail = file.len() as u64;
            encode_value_into(&mut file, tail, h, v);
        }
        assert!(recover(&file).is_err());
    }

    #[test]
    fn entries_without_padding_are_refused_not_truncated() {
        // An older layout: payload right at prev_tail, no padding.
        let mut file = Vec::new();
        for (h, v) in [
            (1u64, &b"first"[..]),
            (2, &b"second value"[..]),
            (3, &[7u8; 90][..]),
        ] {
            let tail = file.len() as u64;
            file.extend_from_slice(v);
            let m = Metadata {
                key_hash: h,
                prev_tail: tail,
                checksum: format::checksum(v),
            };
            file.extend_from_slice(&m.encode());
        }
        assert!(recover(&file).is_err());
    }

    #[test]
    fn a_store_file_as_the_first_value_is_not_taken_for_entries_after_a_tear() {
        let (inner, _) = build(&[(1, b"inner one"), (2, b"inner two")]);
        let (mut file, ends) = build(&[(10, &inner[..]), (11, &[3u8; 500][..])]);
        // Tear the second write.
        file.truncate(ends[1] as usize - 7);
        let rec = recover(&file).unwrap();
        assert_eq!(rec.tail, ends[0]);
        assert_eq!(rec.index.len(), 1);
        assert!(get(&rec, &file, 10).is_some());
        // Zeros after the only entry.
        let (mut file, ends) = build(&[(10, &inner[..])]);
        file.extend(std::iter::repeat_n(0u8, 30));
        let rec = recover(&file).unwrap();
        assert_eq!(rec.tail, ends[0]);
        assert!(get(&rec, &file, 10).is_some());
    }

    #[test]
    fn a_long_history_of_few_keys_gives_a_small_index() {
        let mut items: Vec<(u64, Vec<u8>)> = Vec::new();
        for i in 0..20_000u64 {
            let v = if i % 7 == 3 {
                Vec::new()
            } else {
                vec![1 + (i % 200) as u8; 3]
            };
            items.push((1 + i % 10, v));
        }
        let refs: Vec<(u64, &[u8])> = items.iter().map(|(h, v)| (*h, &v[..])).collect();
        let (file, ends) = build(&refs);
        let rec = recover(&file).unwrap();
        assert_eq!(rec.entries, 20_000);
        assert!(rec.index.capacity() <= 64, "{} slots", rec.index.capacity());
        for k in 1..=10u64 {
            // The newest entry of key k is the last i with 1 + i % 10 == k.
            let i = (19_990..20_000u64).find(|i| 1 + i % 10 == k).unwrap();
            let want = (i % 7 != 3).then(|| ends[i as usize] - 20);
            assert_eq!(get(&rec, &file, k), want, "key {k}");
        }
    }

    #[test]
    fn zero_filled_last_entry_is_not_accepted() {
        let (mut file, ends) = sample();
        let prev = ends[ends.len() - 2] as usize;
        for b in &mut file[prev..] {
            *b = 0;
        }
        assert_eq!(recover(&file).unwrap().tail, prev as u64);
    }
}
