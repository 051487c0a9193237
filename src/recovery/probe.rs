//! Reads of a file by `pread` (never through a map, which a writer in
//! another process may cut under it) that tell where its entries end.

use crate::format::{self, METADATA_SIZE};
use std::fs::File;
use std::time::Duration;

/// Whether an entry of the file as it is now (read with `pread`, walking
/// back from its end at most 4096 entries) spans `tail`, so that `tail` is
/// no boundary between entries. `false` when the walk reaches `tail`, or
/// cannot tell (the end is being written, or too far).
pub(crate) fn passed_over(file: &File, tail: u64) -> bool {
    // The end may be caught being written (no answer): look a few times.
    for attempt in 0..4 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
        if let Some(answer) = passed_over_now(file, tail) {
            return answer;
        }
    }
    false
}

/// One look of [`passed_over`]; `None` if it cannot tell. The writer's
/// mark is asked for before the size: a range marked then was not
/// published then, and its start is a boundary between entries.
pub(crate) fn passed_over_now(file: &File, tail: u64) -> Option<bool> {
    let pending = crate::os::file::pending_from(file);
    let now = file.metadata().ok()?.len().min(pending.unwrap_or(u64::MAX));
    let mut cursor = now;
    for _ in 0..4096 {
        if cursor <= tail {
            return Some(false);
        }
        let (at, meta) = meta_before(file, cursor)?;
        let prev = meta.prev_tail;
        let fill = crate::format::RESERVED_FILL;
        let filled =
            prev == u64::from_ne_bytes([fill; 8]) && meta.checksum == u32::from_ne_bytes([fill; 4]);
        if (prev == 0 && meta.checksum == 0) || filled {
            // Zeros or 0xFE bytes: space reserved ahead of a writer's tail.
            // Nothing to learn here, and nothing better by looking again.
            return Some(false);
        }
        if prev >= at {
            return None;
        }
        if prev < tail {
            // This entry's bytes run from below `tail` to above it. Only
            // if it checks out is that proof (else the end is being
            // written): its checksum, read with pread.
            return entry_checks_out(file, prev, at, meta.checksum).then_some(true);
        }
        cursor = prev;
    }
    None
}

/// Whether the value before metadata at `meta_offset`, whose entry begins
/// at `prev`, matches `crc` (read with `pread`, in 1 MiB pieces).
pub(crate) fn entry_checks_out(file: &File, prev: u64, meta_offset: u64, crc: u32) -> bool {
    let Some(start) = payload_start(prev, meta_offset) else {
        return false;
    };
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0u8; (meta_offset - start).min(1 << 20) as usize];
    let mut at = start;
    while at < meta_offset {
        let n = ((meta_offset - at) as usize).min(buf.len());
        if std::os::unix::fs::FileExt::read_exact_at(file, &mut buf[..n], at).is_err() {
            return false;
        }
        h.update(&buf[..n]);
        at += n as u64;
    }
    h.finalize() == crc
}

/// Whether `end` may be where an entry ends, judged by reading the 20 bytes
/// before it with `pread` (never through a map): 0 (the start of the
/// file), or well-formed metadata whose link points below it.
pub(crate) fn metadata_ends_at(file: &File, end: u64) -> bool {
    end == 0
        || meta_before(file, end).is_some_and(|(at, m)| payload_start(m.prev_tail, at).is_some())
}

/// The 20 metadata bytes that end at `end`, read with `pread`, and their
/// offset.
pub(crate) fn meta_before(file: &File, end: u64) -> Option<(u64, format::Metadata)> {
    let at = end.checked_sub(METADATA_SIZE as u64)?;
    let mut b = [0u8; METADATA_SIZE];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut b, at).ok()?;
    Some((at, format::Metadata::read_at(&b, 0)?))
}

/// Where the payload of an entry that begins at `prev` and has its
/// metadata at `meta_offset` starts (a one-byte payload right after `prev`
/// being a tombstone's), or `None` if no entry has that layout: the
/// checks of `format::entry_at`, without the file's bytes.
pub(crate) fn payload_start(prev: u64, meta_offset: u64) -> Option<u64> {
    if prev >= meta_offset {
        return None;
    }
    if meta_offset - prev == 1 {
        return Some(prev);
    }
    let start = prev + format::pad_len(prev);
    (start < meta_offset).then_some(start)
}
