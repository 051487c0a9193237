//! Salvage: copy every intact entry of a damaged store into a new store.

use crate::engine::{open_file, Op, OpenOptions, Store};
use crate::error::{Error, Result};
use crate::format::{self, EntryLayout};
use crate::os::mapping::Mapping;
use crate::recovery::{first_intact_entry_after, next_entry_at, Found};
use std::collections::HashMap;
use std::path::Path;

/// What [`salvage`] recovered and lost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SalvageReport {
    /// Size of the damaged file.
    pub source_size: u64,
    /// Intact entries found (all versions and tombstones).
    pub entries_recovered: u64,
    /// Live values written to the new store.
    pub live_keys_written: u64,
    /// Damaged stretches of the file skipped over.
    pub damaged_regions: u64,
    /// Bytes in those stretches (their entries are lost).
    pub bytes_lost: u64,
    /// Where the first damaged stretch starts, if any.
    pub first_damage_offset: Option<u64>,
}

/// Reads the store file `src` (never modifying it), finds every intact entry
/// — resuming after each damaged stretch at the next metadata whose link and
/// checksum agree — and writes the newest intact version of every key not
/// deleted by a later intact tombstone into a new store at `dst`, which must
/// not exist yet. The new store is synced before this returns.
pub fn salvage(src: &Path, dst: &Path) -> Result<SalvageReport> {
    if dst.exists() {
        return Err(Error::InvalidArgument(format!(
            "{}: the salvage destination already exists",
            dst.display()
        )));
    }
    let file = open_file(src, false, false)?;
    let len = file
        .metadata()
        .map_err(|e| Error::io(format!("{}: stat", src.display()), e))?
        .len();
    let map = Mapping::new(&file, len.max(1))
        .map_err(|e| Error::io(format!("{}: mmap", src.display()), e))?;
    let bytes = map.bytes(len);
    let mut report = SalvageReport {
        source_size: len,
        ..Default::default()
    };
    let mut found: Vec<EntryLayout> = Vec::new();
    let mut pos = 0u64;
    while pos < len {
        if let Some(e) = next_entry_at(bytes, pos) {
            pos = e.end();
            found.push(e);
            continue;
        }
        report.damaged_regions += 1;
        report.first_damage_offset.get_or_insert(pos);
        match first_intact_entry_after(bytes, pos, None) {
            Found::Entry(e) => {
                report.bytes_lost += e.meta.prev_tail - pos;
                pos = e.end();
                found.push(e);
            }
            Found::OverBudget(_) | Found::Nothing => {
                report.bytes_lost += len - pos;
                break;
            }
        }
    }
    // A batch cut short at the end of the file is not recovered in part
    // (docs/FORMAT.md, "Batches"); batch markers are not entries of the
    // report, nor values to copy.
    if let Some(end) = found.last().map(|e| e.end()) {
        crate::recovery::without_torn_batch(bytes, &mut found, end);
    }
    found.retain(|e| e.meta.key_hash != format::BATCH_KEY_HASH);
    report.entries_recovered = found.len() as u64;

    let mut newest: HashMap<u64, Option<&EntryLayout>> = HashMap::new();
    for e in &found {
        newest.insert(e.meta.key_hash, (!e.tombstone).then_some(e));
    }
    let mut live: Vec<&EntryLayout> = newest.into_values().flatten().collect();
    live.sort_unstable_by_key(|e| e.meta_offset);

    // The destination is created here, exclusively: a file that appeared
    // since the check above is never appended to. What a failure leaves of
    // it is removed, so the call can be retried.
    crate::os::file::create_new(dst).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Error::InvalidArgument(format!(
            "{}: the salvage destination already exists",
            dst.display()
        )),
        _ => Error::io(format!("{}: create", dst.display()), e),
    })?;
    let written = write_live(dst, bytes, &live);
    if written.is_err() {
        let _ = std::fs::remove_file(dst);
        let _ = std::fs::remove_file(crate::os::paths::index_path(dst));
    }
    written?;
    report.live_keys_written = live.len() as u64;
    Ok(report)
}

/// Writes the values of `live` (entries of `bytes`) into the new, empty
/// store at `dst`, in batches, and syncs it.
fn write_live(dst: &Path, bytes: &[u8], live: &[&EntryLayout]) -> Result<()> {
    let out = Store::open(
        dst,
        OpenOptions {
            create: false,
            ..Default::default()
        },
    )?;
    let mut batch: Vec<Op> = Vec::new();
    let mut batch_bytes = 0usize;
    for e in live {
        let v = format::slice(bytes, e.payload.clone());
        batch.push(Op::Put(e.meta.key_hash, v));
        batch_bytes += v.len();
        if batch.len() >= 4096 || batch_bytes >= 64 << 20 {
            out.append(&batch)?;
            batch.clear();
            batch_bytes = 0;
        }
    }
    out.append(&batch)?;
    out.sync()
}
