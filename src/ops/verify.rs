//! Whole-file integrity checks and space accounting.

use crate::engine::Store;
use crate::format::{self, entry_at, METADATA_SIZE};
use std::sync::Arc;

/// What [`Store::verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries in the chain (all versions and tombstones) that were examined.
    pub entries_checked: u64,
    /// Payload bytes whose checksum was recomputed.
    pub bytes_checked: u64,
    /// Bytes of the store examined.
    pub file_size: u64,
    /// Offset of the first (lowest) problem, if any.
    pub first_bad_offset: Option<u64>,
    /// Entries whose checksum did not match.
    pub bad_entries: u64,
    /// What the first problem is.
    pub problem: Option<String>,
}

impl VerifyReport {
    /// Whether the whole store is sound.
    pub fn is_sound(&self) -> bool {
        self.first_bad_offset.is_none()
    }
}

/// Progress is reported at most every this many bytes, and at most about 256
/// times in all.
const PROGRESS_STEP: u64 = 1 << 22;

impl Store {
    /// Walks the whole chain from the end to offset 0 and recomputes every
    /// entry's checksum (old versions and tombstones too).
    pub fn verify(&self) -> VerifyReport {
        self.verify_with_progress(&mut |_, _| {})
    }

    /// As [`Store::verify`], calling `progress(done, total)` (bytes) as it goes.
    pub fn verify_with_progress(&self, progress: &mut dyn FnMut(u64, u64)) -> VerifyReport {
        let (map, len) = {
            let view = self.readers.load();
            (Arc::clone(&view.map), view.len())
        };
        let bytes = map.bytes(len);
        let mut report = VerifyReport {
            file_size: len,
            ..Default::default()
        };
        let step = PROGRESS_STEP.max(len / 256);
        let mut cursor = len;
        let mut next_report = len.saturating_sub(step);
        progress(0, len);
        while cursor > 0 {
            let Some(meta_offset) = cursor.checked_sub(METADATA_SIZE as u64) else {
                report.first_bad_offset = Some(0);
                report.problem = Some(format!(
                    "chain link to offset {cursor} leaves no room for metadata"
                ));
                break;
            };
            let entry = match entry_at(bytes, meta_offset) {
                Ok(e) => e,
                Err(e) => {
                    report.first_bad_offset = Some(meta_offset);
                    report.problem = Some(format!(
                        "malformed metadata at offset {meta_offset} ({e:?})"
                    ));
                    break;
                }
            };
            // Batch markers are checked like any entry but, as in
            // `entry_count`, not counted: the counts are of values and
            // tombstones.
            if format::batch_end(bytes, &entry).is_none() {
                report.entries_checked += 1;
                report.bytes_checked += entry.payload_len();
            }
            if !format::checksum_ok(bytes, &entry) {
                report.bad_entries += 1;
                report.first_bad_offset = Some(entry.payload.start);
                report.problem = Some(format!(
                    "checksum mismatch in the {}-byte payload at offset {} (metadata at {meta_offset})",
                    entry.payload_len(),
                    entry.payload.start
                ));
            }
            cursor = entry.meta.prev_tail;
            if cursor <= next_report {
                progress(len - cursor, len);
                next_report = cursor.saturating_sub(step);
            }
        }
        progress(len, len);
        report
    }

    /// Bytes that [`Store::compact`] would free now, padding included.
    pub fn reclaimable_bytes(&self) -> u64 {
        if self.check_index_segments().is_err() {
            return 0;
        }
        let (view, mut live) = {
            // Publishers wait while the table is read.
            let _sh = self.readers.lock_shared();
            let view = self.readers.load_full();
            let live: Vec<u64> = view
                .live_entries()
                .into_iter()
                .map(|s| s.meta_offset())
                .collect();
            (view, live)
        };
        let bytes = view.bytes();
        live.sort_unstable();
        let mut tail = 0u64;
        for m in live {
            if let Ok(e) = entry_at(bytes, m) {
                tail += format::pad_len(tail) + e.payload_len() + METADATA_SIZE as u64;
            }
        }
        view.len().saturating_sub(tail)
    }
}
