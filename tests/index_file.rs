//! The index copy beside the store (`<path>.idx`): used when it matches,
//! extended by what was appended after it, and ignored (never trusted) when
//! it is stale, damaged or foreign.

mod common;

use common::{open_ro, Rng, Scratch};
use simd_r_drive::persist::index_path;
use simd_r_drive::{OpenOptions, Store};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

type Model = HashMap<Vec<u8>, Option<Vec<u8>>>;

use common::{idx_opts as opts, no_idx as no_copy};

/// Applies `n` random writes and deletes over `keys` keys.
fn churn(s: &Store, model: &mut Model, rng: &mut Rng, n: usize, keys: u64) {
    for _ in 0..n {
        let k = format!("key-{}", rng.below(keys)).into_bytes();
        if rng.below(5) == 0 {
            s.delete(&k).unwrap();
            model.insert(k, None);
        } else {
            let len = 1 + rng.below(300) as usize;
            let mut v = rng.bytes(len);
            if v == [0] {
                v = vec![1];
            }
            s.write(&k, &v).unwrap();
            model.insert(k, Some(v));
        }
    }
}

fn check(s: &Store, model: &Model) {
    let live = model.values().filter(|v| v.is_some()).count() as u64;
    assert_eq!(s.len(), live);
    for (k, v) in model {
        assert_eq!(s.read_to_vec(k).unwrap().as_ref(), v.as_ref(), "key {k:?}");
    }
    for i in 0..200 {
        assert!(s
            .read_to_vec(format!("absent-{i}").as_bytes())
            .unwrap()
            .is_none());
    }
    let mut seen = 0;
    let mut it = s.iter();
    while let Some(r) = it.next() {
        r.unwrap();
        seen += 1;
    }
    assert_eq!(seen, live);
}

/// A store at `<dir>/s.srd` after `n` random operations over `keys` keys,
/// closed by a handle that saved the index copy.
fn saved_store(name: &str, seed: u64, n: usize, keys: u64) -> (Scratch, PathBuf, Model, Rng) {
    let dir = Scratch::new(name);
    let p = dir.file("s.srd");
    let mut model = Model::new();
    let mut rng = Rng::new(seed);
    {
        let s = Store::open(&p, opts()).unwrap();
        churn(&s, &mut model, &mut rng, n, keys);
    }
    assert!(index_path(&p).exists());
    (dir, p, model, rng)
}

fn flip(path: &Path, at: u64) {
    let mut b = std::fs::read(path).unwrap();
    let i = at as usize % b.len();
    b[i] ^= 0x10;
    std::fs::write(path, b).unwrap();
}

#[test]
fn a_saved_copy_is_used_and_gives_the_same_answers() {
    let dir = Scratch::new("idx-basic");
    let p = dir.file("s.srd");
    let mut model = Model::new();
    let mut rng = Rng::new(1);
    {
        let s = Store::open(&p, opts()).unwrap();
        churn(&s, &mut model, &mut rng, 3000, 700);
        assert!(!s.opened_with_index_file());
    }
    assert!(index_path(&p).exists());
    let s = Store::open(&p, opts()).unwrap();
    assert!(s.opened_with_index_file());
    check(&s, &model);
    // Writes after a copy-based open, then reopen: the copy is saved again.
    churn(&s, &mut model, &mut rng, 2000, 700);
    drop(s);
    let s = Store::open(&p, opts()).unwrap();
    assert!(s.opened_with_index_file());
    check(&s, &model);
    // Read-only handles use it too; a store opened without it matches.
    drop(s);
    let ro = open_ro(&p, opts());
    assert!(ro.opened_with_index_file());
    check(&ro, &model);
    let plain = open_ro(&p, no_copy());
    assert!(!plain.opened_with_index_file());
    check(&plain, &model);
}

#[test]
fn a_copy_is_not_used_once_the_store_changed_without_saving_it() {
    let (_dir, p, mut model, mut rng) = saved_store("idx-extend", 2, 2000, 500);
    let saved = std::fs::read(index_path(&p)).unwrap();
    for round in 0..4 {
        // Another program (or a session that crashed) appends without
        // saving a copy: overwrites, deletes and new keys. The copy no
        // longer describes the file (its prefix could have been changed as
        // well, which nothing short of reading it all could tell): the open
        // walks the whole chain.
        {
            let s = Store::open(&p, no_copy()).unwrap();
            churn(&s, &mut model, &mut rng, 1500, 2000 + round * 1000);
        }
        assert_eq!(std::fs::read(index_path(&p)).unwrap(), saved);
        let s = open_ro(&p, opts());
        assert!(!s.opened_with_index_file(), "round {round}");
        check(&s, &model);
    }
    // A read-write handle that saves copies writes a new one at close
    // (even with no change of its own), which the next open uses.
    drop(Store::open(&p, opts()).unwrap());
    let s = open_ro(&p, opts());
    assert!(s.opened_with_index_file());
    check(&s, &model);
}

/// Where the table of a copy starts: after the 128-byte header and one
/// 8-byte digest per segment (4096 slots, or the whole table if smaller).
fn table_at(copy: &[u8]) -> usize {
    let n = u64::from_le_bytes(copy[64..72].try_into().unwrap()) as usize;
    128 + 8 * (n / n.min(4096))
}

#[test]
fn a_damaged_copy_is_ignored() {
    let (_dir, p, model, _) = saved_store("idx-damage", 3, 2000, 600);
    let mut good = std::fs::read(index_path(&p)).unwrap();
    let at = table_at(&good) as u64;
    let ro = OpenOptions {
        read_only: true,
        ..opts()
    };
    // Every byte of the header and of the segment digests: the copy is
    // not used.
    for spot in 0..at {
        std::fs::write(index_path(&p), &good).unwrap();
        flip(&index_path(&p), spot);
        let s = Store::open(&p, ro.clone()).unwrap();
        assert!(
            !s.opened_with_index_file(),
            "damage at {spot} went unnoticed"
        );
        check(&s, &model);
    }
    // Bytes spread over the table: opening reads none of it, but the first
    // lookup that enters the damaged segment finds it, and the index is
    // rebuilt from the store before anything is answered; the copy is
    // removed. Read-only and read-write handles alike; the latter then
    // writes and saves a good copy at close.
    for i in 0..100u64 {
        let spot = at + i * (good.len() as u64 - at) / 100;
        std::fs::write(index_path(&p), &good).unwrap();
        flip(&index_path(&p), spot);
        let rw = i % 4 == 3;
        let s = Store::open(&p, if rw { opts() } else { ro.clone() }).unwrap();
        assert!(s.opened_with_index_file());
        if i % 8 == 3 {
            // A write before any read: the writer checks the whole table.
            s.write(b"first", b"w").unwrap();
            s.delete(b"first").unwrap();
        }
        check(&s, &model);
        assert!(!index_path(&p).exists(), "damage at {spot} went unnoticed");
        if rw {
            s.write(b"after-repair", b"v").unwrap();
            assert_eq!(s.read_to_vec(b"after-repair").unwrap().unwrap(), b"v");
            s.delete(b"after-repair").unwrap();
            drop(s);
            let s = Store::open(&p, ro.clone()).unwrap();
            assert!(s.opened_with_index_file());
            check(&s, &model);
            // The store grew: damage the copy that matches it from now on.
            good = std::fs::read(index_path(&p)).unwrap();
            assert_eq!(table_at(&good) as u64, at);
        }
    }
    // Cut short, empty, or garbage.
    for bytes in [
        &good[..good.len() - 1],
        &good[..100],
        &[][..],
        &[7u8; 4096][..],
    ] {
        std::fs::write(index_path(&p), bytes).unwrap();
        let s = Store::open(&p, ro.clone()).unwrap();
        assert!(!s.opened_with_index_file());
        check(&s, &model);
    }
}

#[test]
fn a_copy_of_another_store_state_is_ignored() {
    let (dir, p, model, _) = saved_store("idx-stale", 4, 2000, 600);
    let copy = std::fs::read(index_path(&p)).unwrap();
    let store = std::fs::read(&p).unwrap();

    // Compaction removes the copy; an old copy put back is not used.
    {
        let s = Store::open(&p, opts()).unwrap();
        s.compact().unwrap();
        assert!(!index_path(&p).exists());
        check(&s, &model);
    }
    std::fs::write(index_path(&p), &copy).unwrap();
    let s = Store::open(&p, opts()).unwrap();
    assert!(
        !s.opened_with_index_file(),
        "a pre-compaction copy was used"
    );
    check(&s, &model);
    drop(s);

    // The store cut back below the copy's length (a torn tail recovered
    // by another program): not used.
    std::fs::write(&p, &store[..store.len() - 7]).unwrap();
    std::fs::write(index_path(&p), &copy).unwrap();
    let s = Store::open(&p, opts()).unwrap();
    assert!(!s.opened_with_index_file());
    drop(s);

    // A different store of exactly the same length and layout (the same
    // keys and value sizes, other bytes): its tail does not match.
    let q = dir.file("other.srd");
    {
        let a = Store::open(&q, no_copy()).unwrap();
        let mut rng = Rng::new(99);
        for i in 0..500 {
            a.write(format!("k{i}").as_bytes(), &rng.bytes(100))
                .unwrap();
        }
    }
    drop({
        let a = Store::open(&q, opts()).unwrap();
        a.write(b"extra", b"x").unwrap();
        a
    });
    let qcopy = std::fs::read(index_path(&q)).unwrap();
    std::fs::remove_file(&q).unwrap();
    let mut m2 = Model::new();
    {
        let b = Store::open(&q, no_copy()).unwrap();
        let mut rng = Rng::new(100);
        for i in 0..500 {
            let v = rng.bytes(100);
            b.write(format!("k{i}").as_bytes(), &v).unwrap();
            m2.insert(format!("k{i}").into_bytes(), Some(v));
        }
        b.write(b"extra", b"y").unwrap();
        m2.insert(b"extra".to_vec(), Some(b"y".to_vec()));
    }
    std::fs::write(index_path(&q), &qcopy).unwrap();
    let b = Store::open(&q, no_copy()).unwrap();
    drop(b);
    let b = Store::open(&q, opts()).unwrap();
    assert!(
        !b.opened_with_index_file(),
        "a copy of another store was used"
    );
    check(&b, &m2);
}

#[test]
fn small_stores_and_opted_out_handles_write_no_copy() {
    let dir = Scratch::new("idx-small");
    let p = dir.file("s.srd");
    {
        let s = Store::open(&p, OpenOptions::default()).unwrap();
        for i in 0..1000 {
            s.write(format!("k{i}").as_bytes(), b"v").unwrap();
        }
    }
    assert!(!index_path(&p).exists());
    {
        let s = Store::open(&p, no_copy()).unwrap();
        let mut v = Vec::new();
        for i in 0..70_000 {
            v.push((format!("k{i}").into_bytes(), b"v".to_vec()));
        }
        let items: Vec<(&[u8], &[u8])> = v.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        s.write_batch(&items).unwrap();
    }
    assert!(!index_path(&p).exists());
    // Over the default threshold, a read-write handle saves one.
    drop(
        Store::open(&p, OpenOptions::default())
            .unwrap()
            .write(b"last", b"v"),
    );
    assert!(index_path(&p).exists());
    let s = Store::open(&p, OpenOptions::default()).unwrap();
    assert!(s.opened_with_index_file());
    assert_eq!(s.len(), 70_001);
}

#[test]
fn a_crafted_copy_with_valid_digests_cannot_hang_or_crash_reads() {
    use xxhash_rust::xxh3::xxh3_64;
    let (_dir, p, model, _) = saved_store("idx-crafted", 5, 1500, 400);
    let mut b = std::fs::read(index_path(&p)).unwrap();
    let n = u64::from_le_bytes(b[64..72].try_into().unwrap()) as usize;
    let t = table_at(&b);
    // Point the first live slot far beyond the end of the store, keeping
    // its tag, then fix every digest as a forger would.
    let slot = (0..n)
        .find(|&i| {
            let v = u64::from_le_bytes(b[t + i * 8..t + 8 + i * 8].try_into().unwrap());
            v != 0 && v & (1 << 62) == 0
        })
        .unwrap();
    let at = t + slot * 8;
    let v = u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    b[at..at + 8].copy_from_slice(&(v | ((1u64 << 44) - 1)).to_le_bytes());
    let per = n.min(4096);
    let seg = slot / per;
    let mut seg_bytes = b[t + seg * per * 8..t + (seg + 1) * per * 8].to_vec();
    seg_bytes.extend_from_slice(&b[t + n * 8 + seg * per..t + n * 8 + (seg + 1) * per]);
    b[128 + seg * 8..136 + seg * 8].copy_from_slice(&xxh3_64(&seg_bytes).to_le_bytes());
    let digests = xxh3_64(&b[128..t]);
    b[72..80].copy_from_slice(&digests.to_le_bytes());
    let head = xxh3_64(&b[..120]);
    b[120..128].copy_from_slice(&head.to_le_bytes());
    std::fs::write(index_path(&p), &b).unwrap();

    let s = open_ro(&p, opts());
    assert!(s.opened_with_index_file());
    let mut errors = 0;
    for (k, v) in &model {
        match s.read_to_vec(k) {
            Ok(got) => assert_eq!(got.as_ref(), v.as_ref()),
            Err(simd_r_drive::Error::Corrupt { .. }) => errors += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(errors, 1, "exactly the forged key reads as corrupt");
    let hashes: Vec<u64> = model
        .keys()
        .map(|k| simd_r_drive::format::key_hash(k))
        .collect();
    let mut batch_errors = 0;
    s.read_batch_with(&hashes, |_, r| batch_errors += usize::from(r.is_err()));
    assert_eq!(batch_errors, 1);
}

#[test]
fn a_crafted_copy_that_understates_its_live_keys_loses_none_when_the_index_grows() {
    use xxhash_rust::xxh3::xxh3_64;
    let (_dir, p, mut model, _) = saved_store("idx-live", 6, 1500, 400);
    let mut b = std::fs::read(index_path(&p)).unwrap();
    // Claim one live key, and fix the header digest as a forger would.
    b[80..88].copy_from_slice(&1u64.to_le_bytes());
    let head = xxh3_64(&b[..120]);
    b[120..128].copy_from_slice(&head.to_le_bytes());
    std::fs::write(index_path(&p), &b).unwrap();

    let s = Store::open(&p, opts()).unwrap();
    assert!(s.opened_with_index_file());
    // New keys make the table grow (rebuilt from its slots, not the claim),
    // and a reservation rebuilds it again.
    for i in 0..3000u32 {
        let k = format!("new-{i}").into_bytes();
        s.write(&k, b"n").unwrap();
        model.insert(k, Some(b"n".to_vec()));
    }
    s.reserve(100).unwrap();
    for (k, v) in &model {
        assert_eq!(s.read_to_vec(k).unwrap().as_ref(), v.as_ref(), "key {k:?}");
    }
}

#[test]
fn a_snapshot_over_a_damaged_copy_stays_a_snapshot() {
    let (_dir, p, model, _) = saved_store("idx-snap", 7, 2000, 600);
    let good = std::fs::read(index_path(&p)).unwrap();
    let at = table_at(&good) as u64;
    flip(&index_path(&p), at + (good.len() as u64 - at) / 2);
    let s = Store::open(&p, opts()).unwrap();
    assert!(s.opened_with_index_file());
    // Taken before anything touched the damaged segment.
    let snap = s.snapshot().unwrap();
    // The store's first write checks the table whole and rebuilds it.
    s.write(b"later", b"v").unwrap();
    // The snapshot finds the damage on its own reads, rebuilds its own
    // index as of its length, and stays a snapshot.
    for (k, v) in &model {
        assert_eq!(snap.read_to_vec(k).unwrap().as_ref(), v.as_ref());
    }
    assert!(snap.read_to_vec(b"later").unwrap().is_none());
    assert!(snap.is_snapshot());
    snap.refresh().unwrap();
    assert!(snap.read_to_vec(b"later").unwrap().is_none());
    assert_eq!(s.read_to_vec(b"later").unwrap().unwrap(), b"v");
}
