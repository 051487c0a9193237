//! Fuzz target `open_bytes`: arbitrary bytes taken as a store file.
//!
//! The bytes are opened three ways — in memory with `srd_open_bytes`, and
//! written to a file and opened with `srd_open(SRD_OPEN_READ_ONLY)`, with and
//! without `SRD_OPEN_NO_VERIFY` — and every read path is compared with the
//! independent reading of the format in `srd_fuzz::reference`: whether the
//! open succeeds, the recovered length, entry and key counts, iteration
//! (whole and by parts), reads by hash (borrowed, pinned, batched), exists,
//! read_last, verify, reclaimable bytes, and stores nested in values
//! (`srd_open_entry`). A value whose CRC does not match its metadata must
//! never be returned unless verification is off; a panic, hang, wrong status
//! or wrong byte is a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use srd_fuzz::reference::{self, Entry, Recovered};
use srd_fuzz::*;
use std::ptr::null_mut;

/// How many nested stores deep `srd_open_entry` is followed.
const MAX_DEPTH: u32 = 2;

fuzz_target!(|input: &[u8]| {
    let buf = Aligned::new(input);
    let data = buf.bytes();

    // 1. In memory, zero-copy: values must point into `data` itself.
    let mut s: *mut SrdStore = null_mut();
    // SAFETY: `data` outlives the store (closed below).
    let rc = unsafe { srd_open_bytes(data.as_ptr(), data.len(), &mut s) };
    let exp = opened(rc, s, data, "srd_open_bytes");
    if let Some(exp) = &exp {
        check_store(s, data, exp, Some(data.as_ptr()), true, 0);
        // SAFETY: live handle, closed once.
        unsafe { srd_close(s) };
    }

    // 2. The same bytes as a file, opened read-only (with and without
    //    checksum verification on first read): the same answer.
    let path = scratch_dir("open_bytes").join("input.srd");
    std::fs::write(&path, data).expect("write scratch file");
    let cpath = c_path(&path);
    for flags in [OPEN_READ_ONLY, OPEN_READ_ONLY | OPEN_NO_VERIFY] {
        let (rc2, s) = open(&cpath, flags);
        expect_status(
            rc2,
            rc,
            "srd_open(read-only) vs srd_open_bytes of the same bytes",
        );
        if let Some(exp) = &exp {
            assert_eq!(
                file_size(s),
                exp.tail,
                "srd_open(read-only) recovered another length"
            );
            check_store(s, data, exp, None, flags & OPEN_NO_VERIFY == 0, 0);
            // SAFETY: live handle, closed once.
            unsafe { srd_close(s) };
        }
    }
    // A read-only open never modifies the file.
    assert_eq!(
        std::fs::read(&path).expect("read scratch file"),
        data,
        "a read-only open changed the file"
    );
});

/// The outcome of an open: accepted (then the recovered part must be one
/// README allows, and is returned) or refused with SRD_CORRUPT (never for a
/// file a healthy writer could have written).
fn opened(rc: Status, s: *mut SrdStore, data: &[u8], what: &str) -> Option<Recovered> {
    match no_panic(rc, what) {
        OK => {
            let tail = file_size(s);
            match reference::accepted(data, tail) {
                Ok(r) => Some(r),
                Err(why) => panic!("{what}: accepted {} bytes wrongly: {why}", data.len()),
            }
        }
        CORRUPT => {
            if reference::pristine(data).is_some() {
                panic!("{what}: refused an intact store: {}", last_error());
            }
            None
        }
        other => panic!(
            "{what}: unexpected {} ({other}): {}",
            status_name(other),
            last_error()
        ),
    }
}

/// What a read of `e` must give: its bytes, or CORRUPT when its checksum is
/// wrong and the store verifies.
fn expected_read<'a>(data: &'a [u8], e: &Entry, verifying: bool) -> Result<&'a [u8], Status> {
    if verifying && !e.crc_ok(data) {
        Err(CORRUPT)
    } else {
        Ok(e.payload(data))
    }
}

/// Checks a pointer returned by a read: 64-byte aligned, and for an
/// in-memory store, exactly where the payload lies in the caller's bytes.
fn check_ptr(p: *const u8, e: &Entry, base: Option<*const u8>, what: &str) {
    assert_eq!(
        p as usize % 64,
        0,
        "{what}: value pointer {p:p} is not aligned"
    );
    if let Some(base) = base {
        let want = base.wrapping_add(e.payload.start as usize);
        assert_eq!(
            p, want,
            "{what}: value is not the payload at {}",
            e.payload.start
        );
    }
}

#[allow(clippy::too_many_lines)]
fn check_store(
    s: *mut SrdStore,
    data: &[u8],
    exp: &Recovered,
    base: Option<*const u8>,
    verifying: bool,
    depth: u32,
) {
    let live = exp.live();
    let dead = exp.dead_hashes();

    assert_eq!(file_size(s), exp.tail, "srd_file_size (recovered length)");
    assert_eq!(entry_count(s), exp.chain.len() as u64, "srd_entry_count");
    assert_eq!(count(s), live.len() as u64, "srd_count");

    // Read-only: writes are refused, refresh is a no-op.
    // SAFETY: live handle; key and value readable.
    unsafe {
        expect_status(
            srd_write(s, b"k".as_ptr(), 1, b"v".as_ptr(), 1),
            READ_ONLY,
            "srd_write on a read-only store",
        );
        expect_status(
            srd_compact(s),
            READ_ONLY,
            "srd_compact on a read-only store",
        );
        expect_status(srd_refresh(s), OK, "srd_refresh");
    }
    assert_eq!(file_size(s), exp.tail, "srd_file_size after srd_refresh");

    // verify: every entry of the chain, tombstones and old versions too.
    let (rc, report) = verify(s);
    let bad: Vec<&Entry> = exp.chain.iter().filter(|e| !e.crc_ok(data)).collect();
    let want = VerifyReport {
        entries_checked: exp.chain.len() as u64,
        bytes_checked: exp.chain.iter().map(Entry::payload_len).sum(),
        file_size: exp.tail,
        first_bad_offset: bad
            .iter()
            .map(|e| e.payload.start)
            .min()
            .unwrap_or(u64::MAX),
        bad_entries: bad.len() as u64,
    };
    expect_status(rc, if bad.is_empty() { OK } else { CORRUPT }, "srd_verify");
    assert_eq!(report, want, "srd_verify report");

    assert_eq!(
        reclaimable(s),
        exp.tail - reference::compacted_len(&live),
        "srd_reclaimable_bytes"
    );

    // Iteration: live entries in file order; a damaged one gives CORRUPT
    // and the iterator moves on.
    let mut it: *mut SrdIter = null_mut();
    // SAFETY: live handle, writable output.
    expect_status(unsafe { srd_iter_new(s, &mut it) }, OK, "srd_iter_new");
    // SAFETY: live iterator, freed below.
    let steps = unsafe { drain(it, live.len() + 1) };
    assert_eq!(steps.len(), live.len() + 1, "iterator length");
    for (e, step) in live.iter().zip(&steps) {
        match (expected_read(data, e, verifying), step) {
            (Ok(v), &Step::Item(h, p, n)) => {
                assert_eq!(h, e.key_hash, "iterated key hash");
                check_ptr(p, e, base, "srd_iter_next");
                // SAFETY: valid until srd_iter_free.
                assert_eq!(unsafe { copy_out(p, n) }, v, "iterated value");
            }
            (Err(_), Step::Corrupt) => {}
            (want, _) => panic!("iterator: entry at {} should give {want:?}", e.meta_offset),
        }
    }
    // Hashes as the iterator reports them drive the reads below.
    let hashes: Vec<u64> = steps
        .iter()
        .filter_map(|st| match st {
            Step::Item(h, _, _) => Some(*h),
            _ => None,
        })
        .collect();
    // SAFETY: live iterator, freed once.
    unsafe { srd_iter_free(it) };

    // Parts: each live entry in exactly one part, hash % parts == part.
    let parts = 1 + (exp.tail % 3) as u32 + 1;
    let mut seen = 0usize;
    for part in 0..parts {
        let mut it: *mut SrdIter = null_mut();
        // SAFETY: live handle.
        expect_status(
            unsafe { srd_iter_new_part(s, part, parts, &mut it) },
            OK,
            "srd_iter_new_part",
        );
        // SAFETY: live iterator, freed below.
        let steps = unsafe { drain(it, live.len() + 1) };
        let mine: Vec<&Entry> = live
            .iter()
            .filter(|e| e.key_hash % u64::from(parts) == u64::from(part))
            .collect();
        assert_eq!(steps.len(), mine.len() + 1, "part {part}/{parts} length");
        for (e, st) in mine.iter().zip(&steps) {
            if let Step::Item(h, _, _) = st {
                assert_eq!(*h, e.key_hash, "part {part}/{parts} order");
            }
        }
        seen += mine.len();
        // SAFETY: freed once.
        unsafe { srd_iter_free(it) };
    }
    assert_eq!(seen, live.len());
    let mut it: *mut SrdIter = null_mut();
    // SAFETY: live handle; invalid partitions are refused.
    unsafe {
        expect_status(
            srd_iter_new_part(s, parts, parts, &mut it),
            INVALID_ARGUMENT,
            "srd_iter_new_part(part == parts)",
        );
        expect_status(
            srd_iter_new_part(s, 0, 0, &mut it),
            INVALID_ARGUMENT,
            "srd_iter_new_part(parts == 0)",
        );
    }

    // Reads of every live key, twice (the first read verifies and marks the
    // entry; the second takes the fast path).
    for _round in 0..2 {
        for e in &live {
            let want = expected_read(data, e, verifying);
            let (mut p, mut n) = (std::ptr::null::<u8>(), 0usize);
            // SAFETY: live handle, writable outputs.
            let rc = no_panic(
                unsafe { srd_read_with_hash(s, e.key_hash, &mut p, &mut n) },
                "srd_read_with_hash",
            );
            match want {
                Ok(v) => {
                    expect_status(rc, OK, "srd_read_with_hash");
                    check_ptr(p, e, base, "srd_read_with_hash");
                    // SAFETY: valid until close.
                    assert_eq!(unsafe { copy_out(p, n) }, v, "srd_read_with_hash value");
                }
                Err(st) => expect_status(rc, st, "srd_read_with_hash of a damaged value"),
            }
            // SAFETY: live handle.
            expect_status(
                unsafe { srd_exists_with_hash(s, e.key_hash) },
                OK,
                "srd_exists_with_hash",
            );

            let mut en: *mut SrdEntry = null_mut();
            // SAFETY: live handle, writable output.
            let rc = no_panic(
                unsafe { srd_read_entry_with_hash(s, e.key_hash, &mut en) },
                "srd_read_entry_with_hash",
            );
            match want {
                Ok(v) => {
                    expect_status(rc, OK, "srd_read_entry_with_hash");
                    check_entry(en, e, data, base, v);
                    // SAFETY: freed once.
                    unsafe { srd_entry_free(en) };
                }
                Err(st) => expect_status(rc, st, "srd_read_entry_with_hash of a damaged value"),
            }
        }
    }
    for &h in &dead {
        let (mut p, mut n) = (std::ptr::null::<u8>(), 0usize);
        // SAFETY: live handle, writable outputs.
        unsafe {
            expect_status(
                srd_read_with_hash(s, h, &mut p, &mut n),
                NOT_FOUND,
                "srd_read_with_hash of a deleted key",
            );
            expect_status(
                srd_exists_with_hash(s, h),
                NOT_FOUND,
                "srd_exists_with_hash of a deleted key",
            );
        }
    }
    // Iterated hashes are exactly the live ones (no duplicates).
    let mut sorted = hashes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), hashes.len(), "iterator repeated a key hash");

    // One consistent batch over live and dead hashes.
    let batch: Vec<u64> = live
        .iter()
        .map(|e| e.key_hash)
        .chain(dead.iter().copied())
        .take(64)
        .collect();
    let mut out = vec![
        ReadResult {
            value: std::ptr::null(),
            value_len: 0,
            status: -1
        };
        batch.len()
    ];
    // SAFETY: `batch.len()` hashes and result slots.
    let rc = unsafe { srd_read_batch_with_hash(s, batch.as_ptr(), batch.len(), out.as_mut_ptr()) };
    expect_status(rc, OK, "srd_read_batch_with_hash");
    for (i, r) in out.iter().enumerate() {
        match live.get(i) {
            Some(e) => match expected_read(data, e, verifying) {
                Ok(v) => {
                    expect_status(r.status, OK, "srd_read_batch_with_hash item");
                    check_ptr(r.value, e, base, "srd_read_batch_with_hash");
                    // SAFETY: valid until close.
                    assert_eq!(unsafe { copy_out(r.value, r.value_len) }, v, "batch value");
                }
                Err(st) => expect_status(r.status, st, "srd_read_batch_with_hash damaged item"),
            },
            None => {
                expect_status(r.status, NOT_FOUND, "srd_read_batch_with_hash deleted item");
                assert!(
                    r.value.is_null() && r.value_len == 0,
                    "batch: NOT_FOUND with a value"
                );
            }
        }
    }

    // read_last: the live value with the largest offset.
    let (mut h, mut p, mut n) = (0u64, std::ptr::null::<u8>(), 0usize);
    // SAFETY: live handle, writable outputs.
    let rc = no_panic(
        unsafe { srd_read_last(s, &mut h, &mut p, &mut n) },
        "srd_read_last",
    );
    match live.last() {
        None => expect_status(rc, NOT_FOUND, "srd_read_last of a store without values"),
        Some(e) => match expected_read(data, e, verifying) {
            Ok(v) => {
                expect_status(rc, OK, "srd_read_last");
                assert_eq!(h, e.key_hash, "srd_read_last key hash");
                check_ptr(p, e, base, "srd_read_last");
                // SAFETY: valid until close.
                assert_eq!(unsafe { copy_out(p, n) }, v, "srd_read_last value");
            }
            Err(st) => expect_status(rc, st, "srd_read_last of a damaged value"),
        },
    }

    // Values that are themselves stores: open them in place.
    if depth < MAX_DEPTH {
        for e in live.iter().filter(|e| e.crc_ok(data)).take(2) {
            let mut en: *mut SrdEntry = null_mut();
            // SAFETY: live handle.
            expect_status(
                unsafe { srd_read_entry_with_hash(s, e.key_hash, &mut en) },
                OK,
                "srd_read_entry_with_hash",
            );
            let inner = e.payload(data);
            let mut ns: *mut SrdStore = null_mut();
            // SAFETY: live entry, writable output.
            let rc = unsafe { srd_open_entry(en, &mut ns) };
            // SAFETY: live entry.
            let inner_base = unsafe { srd_entry_data(en, null_mut()) };
            // The nested store keeps the value alive by itself.
            // SAFETY: freed once.
            unsafe { srd_entry_free(en) };
            if let Some(inner_exp) = opened(rc, ns, inner, "srd_open_entry") {
                check_store(ns, inner, &inner_exp, Some(inner_base), true, depth + 1);
                // SAFETY: closed once.
                unsafe { srd_close(ns) };
            }
        }
    }
}

/// A pinned entry must show the entry's bytes and metadata.
fn check_entry(en: *mut SrdEntry, e: &Entry, data: &[u8], base: Option<*const u8>, v: &[u8]) {
    // SAFETY: live entry (the caller frees it).
    unsafe {
        let mut len = 0usize;
        let p = srd_entry_data(en, &mut len);
        check_ptr(p, e, base, "srd_entry_data");
        assert_eq!(entry_bytes(en), v, "pinned value");
        let (mut h, mut c, mut off) = (0u64, 0u32, 0u64);
        expect_status(srd_entry_key_hash(en, &mut h), OK, "srd_entry_key_hash");
        expect_status(srd_entry_checksum(en, &mut c), OK, "srd_entry_checksum");
        expect_status(srd_entry_offset(en, &mut off), OK, "srd_entry_offset");
        assert_eq!(
            (h, c, off),
            (e.key_hash, e.checksum, e.payload.start),
            "pinned entry metadata"
        );
        let want_verify = if e.crc_ok(data) { OK } else { CORRUPT };
        expect_status(srd_entry_verify(en), want_verify, "srd_entry_verify");
        // Partial copies: from the middle, and exactly at the end.
        let mid = v.len() / 2;
        let mut buf = [0u8; 7];
        let mut got = usize::MAX;
        expect_status(
            srd_entry_read_at(en, mid as u64, buf.as_mut_ptr(), buf.len(), &mut got),
            OK,
            "srd_entry_read_at",
        );
        let want = &v[mid..v.len().min(mid + buf.len())];
        assert_eq!(&buf[..got], want, "srd_entry_read_at bytes");
        expect_status(
            srd_entry_read_at(en, v.len() as u64, buf.as_mut_ptr(), buf.len(), &mut got),
            OK,
            "srd_entry_read_at(end)",
        );
        assert_eq!(got, 0, "srd_entry_read_at at the end copies nothing");
        expect_status(
            srd_entry_read_at(
                en,
                v.len() as u64 + 1,
                buf.as_mut_ptr(),
                buf.len(),
                &mut got,
            ),
            INVALID_ARGUMENT,
            "srd_entry_read_at(past the end)",
        );
    }
}
