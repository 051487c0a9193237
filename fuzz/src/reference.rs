//! The oracle: an independent reading of `docs/FORMAT.md` and of the
//! recovery rules in `README.md` ("Recovery and corruption"), written from
//! the documents, not from the library's code. It is deliberately simple
//! (and slow): the fuzz targets compare everything the library says about a
//! file with what this module derives from the same bytes.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// Payload alignment.
pub const ALIGN: u64 = 64;
/// Metadata size: key hash (8), prev_tail (8), CRC-32 (4).
pub const META: u64 = 20;

/// Zero padding after `prev_tail` so that the payload starts on a multiple of 64.
pub fn pad(prev_tail: u64) -> u64 {
    (ALIGN - prev_tail % ALIGN) & (ALIGN - 1)
}

/// CRC-32/ISO-HDLC, as the format specifies.
pub fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// One entry as the format describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub meta_offset: u64,
    pub key_hash: u64,
    pub prev_tail: u64,
    pub checksum: u32,
    pub payload: Range<u64>,
    pub tombstone: bool,
}

impl Entry {
    /// Where the entry ends (the next one's `prev_tail`).
    pub fn end(&self) -> u64 {
        self.meta_offset + META
    }

    pub fn payload<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        &data[self.payload.start as usize..self.payload.end as usize]
    }

    pub fn payload_len(&self) -> u64 {
        self.payload.end - self.payload.start
    }

    /// Whether the stored CRC matches the payload.
    pub fn crc_ok(&self, data: &[u8]) -> bool {
        crc(self.payload(data)) == self.checksum
    }
}

fn u64_at(data: &[u8], at: u64) -> u64 {
    let at = at as usize;
    u64::from_le_bytes(data[at..at + 8].try_into().unwrap())
}

fn u32_at(data: &[u8], at: u64) -> u32 {
    let at = at as usize;
    u32::from_le_bytes(data[at..at + 4].try_into().unwrap())
}

/// "Reading an entry from its metadata offset M": `None` if the metadata does
/// not fit in `data` or its link leaves no (or a negative) payload.
pub fn entry_at(data: &[u8], m: u64) -> Option<Entry> {
    if m.checked_add(META)? > data.len() as u64 {
        return None;
    }
    let key_hash = u64_at(data, m);
    let prev_tail = u64_at(data, m + 8);
    let checksum = u32_at(data, m + 16);
    if prev_tail >= m {
        return None; // links strictly decrease; a payload has at least one byte
    }
    let (payload, tombstone) = if m - prev_tail == 1 && data[prev_tail as usize] == 0 {
        (prev_tail..m, true)
    } else {
        let p = prev_tail + pad(prev_tail);
        if p >= m {
            return None;
        }
        (p..m, false)
    };
    Some(Entry {
        meta_offset: m,
        key_hash,
        prev_tail,
        checksum,
        payload,
        tombstone,
    })
}

/// The chain walked back from `tail` to offset 0 (newest entry first), or
/// `None` if a link is malformed or the walk does not land on 0 exactly.
pub fn walk(data: &[u8], tail: u64) -> Option<Vec<Entry>> {
    let data = &data[..tail as usize];
    let mut out = Vec::new();
    let mut cursor = tail;
    while cursor > 0 {
        let e = entry_at(data, cursor.checked_sub(META)?)?;
        cursor = e.prev_tail;
        out.push(e);
    }
    Some(out)
}

/// The end of a well-formed chain longer than `tail` whose newest entry
/// checks out (and that is not all-zero padding taken for metadata), if any.
pub fn longer_chain(data: &[u8], tail: u64) -> Option<u64> {
    let len = data.len() as u64;
    let zero_meta = |e: &Entry| e.key_hash == 0 && e.prev_tail == 0 && e.checksum == 0;
    (tail + 1..=len).rev().find(|&c| match walk(data, c) {
        Some(chain) => match (chain.first(), chain.last()) {
            (Some(newest), Some(oldest)) => {
                newest.crc_ok(data)
                    && !zero_meta(newest)
                    && !(chain.len() > 1 && zero_meta(oldest) && !oldest.crc_ok(data))
            }
            _ => false,
        },
        None => false,
    })
}

/// Whether a complete, checksummed entry starts at the entry boundary `pos`
/// (a tombstone, or a value whose metadata links back to `pos`). If one
/// does, a recovered prefix that ends at `pos` is not the longest.
pub fn complete_entry_at(data: &[u8], pos: u64) -> bool {
    let len = data.len() as u64;
    if pos + 1 + META <= len && data[pos as usize] == 0 {
        if let Some(e) = entry_at(data, pos + 1) {
            if e.prev_tail == pos && e.crc_ok(data) {
                return true;
            }
        }
    }
    let start = pos + pad(pos);
    if start + 1 + META > len {
        return false;
    }
    let mut h = crc32fast::Hasher::new();
    let mut hashed = start;
    for n in start + 1..=len - META {
        if u64_at(data, n + 8) != pos {
            continue;
        }
        h.update(&data[hashed as usize..n as usize]);
        hashed = n;
        if h.clone().finalize() == u32_at(data, n + 16) {
            return true;
        }
    }
    false
}

/// Whether an intact entry (a well-formed link into `from..` and a matching
/// checksum) lies after `from`: then a chain that stops at `from` "breaks in
/// the middle", and README says such a file is refused. `None` if finding
/// out would checksum more than `budget` bytes.
pub fn intact_entry_after(data: &[u8], from: u64, mut budget: u64) -> Option<bool> {
    let len = data.len() as u64;
    if len < from + 1 + META {
        return Some(false);
    }
    for n in from + 1..=len - META {
        let link = u64_at(data, n + 8);
        if link < from || link >= n {
            continue;
        }
        let Some(e) = entry_at(data, n) else { continue };
        budget = budget.checked_sub(e.payload_len())?;
        if e.crc_ok(data) {
            return Some(true);
        }
    }
    Some(false)
}

/// The end of a prefix of `data` longer than `tail` made of complete,
/// checksummed entries (a chain from it reaches 0 and every checksum on it
/// matches), if there is one. `Err` if finding out would checksum more than
/// `budget` bytes.
pub fn longer_prefix(data: &[u8], tail: u64, mut budget: u64) -> Result<Option<u64>, OverBudget> {
    let len = data.len() as u64;
    for end in tail + 1..=len {
        let Some(chain) = walk(data, end) else {
            continue;
        };
        for e in &chain {
            budget = budget.checked_sub(e.payload_len()).ok_or(OverBudget)?;
        }
        if chain.iter().all(|e| e.crc_ok(data)) {
            return Ok(Some(end));
        }
    }
    Ok(None)
}

/// A search gave up: it would have checksummed more bytes than allowed.
#[derive(Debug)]
pub struct OverBudget;

/// A store's chain: the bytes `..tail` of a file, newest entry first.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// Length of the part that is the store.
    pub tail: u64,
    /// Its chain, newest entry first.
    pub chain: Vec<Entry>,
}

/// The file as written by a healthy writer: the chain from the end reaches
/// 0, every checksum matches and every padding byte is zero. Such a file
/// must open whole.
pub fn pristine(data: &[u8]) -> Option<Recovered> {
    let len = data.len() as u64;
    let chain = walk(data, len)?;
    for e in &chain {
        if !e.crc_ok(data) {
            return None;
        }
        if !e.tombstone
            && data[e.prev_tail as usize..e.payload.start as usize]
                .iter()
                .any(|&b| b != 0)
        {
            return None;
        }
    }
    Some(Recovered { tail: len, chain })
}

/// Checks that a store the library opened over `data` with recovered length
/// `tail` is one README allows ("Recovery and corruption"), and returns its
/// chain; `Err` says what rule is broken.
///
/// - `..tail` is a chain that reaches 0 and whose newest entry's checksum
///   matches; a non-empty file has at least one entry.
/// - If something was dropped (`tail < len`), it was a torn tail: the kept
///   part is the longest prefix of complete, checksummed entries (all of
///   them check, no complete entry starts at `tail`, and no longer prefix
///   is a chain of checksummed entries), and no intact entry lies after it
///   (the chain did not break in the middle).
pub fn accepted(data: &[u8], tail: u64) -> Result<Recovered, String> {
    let len = data.len() as u64;
    if tail > len {
        return Err(format!("recovered length {tail} > file length {len}"));
    }
    let chain = walk(data, tail)
        .ok_or_else(|| format!("no chain from the recovered length {tail} to 0"))?;
    if len > 0 && chain.is_empty() {
        return Err(format!(
            "a {len}-byte file with no complete entry was accepted as an empty store"
        ));
    }
    if let Some(newest) = chain.first() {
        if !newest.crc_ok(data) {
            return Err(format!(
                "newest entry (metadata at {}) fails its checksum",
                newest.meta_offset
            ));
        }
    }
    if tail < len {
        // README: the tail dropped is what follows the longest well-formed
        // chain whose newest entry checks out; older entries inside it with a
        // bad checksum are kept (their reads give SRD_CORRUPT).
        if let Some(c) = longer_chain(data, tail) {
            return Err(format!(
                "the tail after {tail} was dropped, but a longer chain ends at {c} with a good newest entry"
            ));
        }
        if complete_entry_at(data, tail) {
            return Err(format!(
                "the tail after {tail} was dropped, but a complete entry starts there"
            ));
        }
        if let Ok(Some(end)) = longer_prefix(data, tail, 64 << 20) {
            return Err(format!(
                "the tail after {tail} was dropped, but the longer prefix ..{end} is made of complete, checksummed entries"
            ));
        }
        if intact_entry_after(data, tail, 64 << 20) == Some(true) {
            return Err(format!("the tail after {tail} was dropped, but an intact entry follows (a mid-chain break)"));
        }
    }
    Ok(Recovered { tail, chain })
}

impl Recovered {
    /// Live entries (newest version of each key hash, unless a tombstone), in
    /// file order.
    pub fn live(&self) -> Vec<Entry> {
        let mut seen = HashSet::new();
        let mut live: Vec<Entry> = self
            .chain
            .iter()
            .filter(|e| seen.insert(e.key_hash) && !e.tombstone)
            .cloned()
            .collect();
        live.sort_by_key(|e| e.meta_offset);
        live
    }

    /// Key hashes that appear in the chain but have no live value.
    pub fn dead_hashes(&self) -> Vec<u64> {
        let live: HashSet<u64> = self.live().iter().map(|e| e.key_hash).collect();
        let mut dead: Vec<u64> = self
            .chain
            .iter()
            .map(|e| e.key_hash)
            .filter(|h| !live.contains(h))
            .collect();
        dead.sort_unstable();
        dead.dedup();
        dead
    }
}

/// Size of the file that compaction would write for these live entries
/// (given in file order).
pub fn compacted_len(live: &[Entry]) -> u64 {
    live.iter()
        .fold(0, |tail, e| tail + pad(tail) + e.payload_len() + META)
}

/// Live values (key hash -> value bytes) of a file written by a healthy
/// writer (see [`pristine`]), or `None` if it is not such a file.
pub fn live_values(data: &[u8]) -> Option<HashMap<u64, Vec<u8>>> {
    let rec = pristine(data)?;
    // Batch markers (FORMAT.md, "Batches"): every one must be "srdBATCH"
    // and the end of an entry of the chain after it; they are no user data.
    let ends: HashSet<u64> = rec.chain.iter().map(|e| e.end()).collect();
    for e in rec.chain.iter().filter(|e| e.key_hash == BATCH_KEY_HASH) {
        let v = e.payload(data);
        if e.tombstone || v.len() != 16 || &v[..8] != b"srdBATCH" {
            return None;
        }
        let end = u64::from_le_bytes(v[8..].try_into().ok()?);
        if end <= e.end() || !ends.contains(&end) {
            return None;
        }
    }
    let live = rec
        .live()
        .iter()
        .filter(|e| e.key_hash != BATCH_KEY_HASH)
        .map(|e| (e.key_hash, e.payload(data).to_vec()))
        .collect();
    Some(live)
}

/// The key hash of batch markers (FORMAT.md, "Batches").
pub const BATCH_KEY_HASH: u64 = 0x7372_645f_6261_7463;

#[cfg(test)]
mod tests {
    use super::*;

    fn append_value(file: &mut Vec<u8>, hash: u64, v: &[u8]) {
        let tail = file.len() as u64;
        file.resize((tail + pad(tail)) as usize, 0);
        file.extend_from_slice(v);
        file.extend_from_slice(&hash.to_le_bytes());
        file.extend_from_slice(&tail.to_le_bytes());
        file.extend_from_slice(&crc(v).to_le_bytes());
    }

    fn append_tombstone(file: &mut Vec<u8>, hash: u64) {
        let tail = file.len() as u64;
        file.push(0);
        file.extend_from_slice(&hash.to_le_bytes());
        file.extend_from_slice(&tail.to_le_bytes());
        file.extend_from_slice(&crc(&[0]).to_le_bytes());
    }

    #[test]
    fn reads_a_small_store() {
        let mut f = Vec::new();
        append_value(&mut f, 1, b"one");
        append_value(&mut f, 2, b"two");
        append_tombstone(&mut f, 1);
        append_value(&mut f, 3, &[0, 0]);
        let rec = pristine(&f).unwrap();
        assert_eq!(rec.tail, f.len() as u64);
        assert_eq!(rec.chain.len(), 4);
        let live = rec.live();
        assert_eq!(live.len(), 2);
        assert_eq!(live[0].payload(&f), b"two");
        assert_eq!(live[0].payload.start % 64, 0);
        assert_eq!(rec.dead_hashes(), vec![1]);
        assert!(accepted(&f, f.len() as u64).is_ok());
        // Dropping a torn last entry is allowed; dropping a whole one is not.
        let whole = f.len();
        let prev = rec.chain[1].end();
        for cut in 1..(whole as u64 - prev) as usize {
            assert!(accepted(&f[..whole - cut], prev).is_ok(), "cut {cut}");
        }
        assert!(accepted(&f, prev).is_err());
        let mut g = f.clone();
        g.extend_from_slice(&[0u8; 100]);
        assert!(accepted(&g, whole as u64).is_ok());
        assert!(accepted(&g, 0).is_err());
        assert!(pristine(b"not a store at all, just text").is_none());
        assert!(pristine(&[]).is_some());
    }
}
