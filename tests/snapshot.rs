//! Snapshots (`Store::snapshot`): read-only handles frozen at a moment,
//! checked against models of the store at that moment while the store goes
//! on changing (overwrites, deletes, new keys, table growth, reserve,
//! compaction, close), from other threads too.

mod common;

use common::{ro, Rng, Scratch};
use simd_r_drive::{Error, OpenOptions, Store};
use std::collections::HashMap;
use std::sync::Arc;

type Model = HashMap<Vec<u8>, Vec<u8>>;

/// Everything a snapshot must show: values, absent keys, counts, sizes and
/// iteration, equal to `model` (whose key space is `keys`).
fn check(s: &Store, model: &Model, keys: &[Vec<u8>], size: u64, entries: u64, what: &str) {
    assert!(s.is_snapshot(), "{what}");
    assert_eq!(s.len(), model.len() as u64, "{what}: count");
    assert_eq!(s.file_size(), size, "{what}: size");
    assert_eq!(s.entry_count(), entries, "{what}: entries");
    for k in keys {
        let got = s.read_to_vec(k).unwrap();
        assert_eq!(
            got.as_ref(),
            model.get(k),
            "{what}: key {:?}",
            String::from_utf8_lossy(k)
        );
        assert_eq!(
            s.contains(k).unwrap(),
            model.contains_key(k),
            "{what}: contains"
        );
        if let Some(v) = model.get(k) {
            assert_eq!(s.get(k).unwrap().unwrap().data(), &v[..], "{what}: entry");
        }
    }
    let mut seen = HashMap::new();
    let mut it = s.iter();
    while let Some(r) = it.next() {
        let (h, v) = r.unwrap();
        assert!(
            seen.insert(h, v.to_vec()).is_none(),
            "{what}: iterated twice"
        );
    }
    let want: HashMap<u64, Vec<u8>> = model
        .iter()
        .map(|(k, v)| (simd_r_drive::format::key_hash(k), v.clone()))
        .collect();
    assert_eq!(seen, want, "{what}: iteration");
    let hashes: Vec<u64> = keys
        .iter()
        .map(|k| simd_r_drive::format::key_hash(k))
        .collect();
    s.read_batch_with(&hashes, |i, r| {
        assert_eq!(
            r.unwrap().map(|b| b.to_vec()).as_ref(),
            model.get(&keys[i]),
            "{what}: batch"
        );
    });
}

#[test]
fn a_snapshot_shows_its_moment_whatever_the_store_does_since() {
    let dir = Scratch::new("snap-model");
    let path = dir.file("s.srd");
    let s = Store::open(&path, OpenOptions::default()).unwrap();
    let keys: Vec<Vec<u8>> = (0..300).map(|i| format!("key{i}").into_bytes()).collect();
    let mut rng = Rng::new(7);
    let mut model = Model::new();
    let mut snaps: Vec<(Store, Model, u64, u64)> = Vec::new();
    for round in 0..40 {
        for _ in 0..120 {
            let k = &keys[rng.below(keys.len() as u64) as usize];
            match rng.below(10) {
                0..=5 => {
                    let n = 1 + rng.below(300) as usize;
                    let v = rng.bytes(n);
                    s.write(k, &v).unwrap();
                    model.insert(k.clone(), v);
                }
                6..=7 => {
                    s.delete(k).unwrap();
                    model.remove(k);
                }
                _ => {
                    let b: Vec<(Vec<u8>, Vec<u8>)> = (0..5)
                        .map(|_| {
                            let k = keys[rng.below(keys.len() as u64) as usize].clone();
                            {
                                let n = 1 + rng.below(90) as usize;
                                (k, rng.bytes(n))
                            }
                        })
                        .collect();
                    let items: Vec<(&[u8], &[u8])> =
                        b.iter().map(|(k, v)| (&k[..], &v[..])).collect();
                    s.write_batch(&items).unwrap();
                    for (k, v) in b {
                        model.insert(k, v);
                    }
                }
            }
        }
        match round % 10 {
            3 => {
                s.compact().unwrap();
            }
            6 => s.reserve(5000).unwrap(),
            _ => {}
        }
        if round % 3 == 0 {
            let snap = s.snapshot().unwrap();
            let (size, entries) = (s.file_size(), s.entry_count());
            snaps.push((snap, model.clone(), size, entries));
        }
        for (i, (snap, m, size, entries)) in snaps.iter().enumerate() {
            check(
                snap,
                m,
                &keys,
                *size,
                *entries,
                &format!("round {round}, snapshot {i}"),
            );
        }
    }
    // A snapshot of a snapshot shows the same moment; both outlive the store.
    let (first, m, size, entries) = snaps.swap_remove(0);
    let again = first.snapshot().unwrap();
    drop(s);
    check(
        &again,
        &m,
        &keys,
        size,
        entries,
        "snapshot of a snapshot, store closed",
    );
    check(
        &first,
        &m,
        &keys,
        size,
        entries,
        "first snapshot, store closed",
    );
}

#[test]
fn writes_through_a_snapshot_are_refused_and_refresh_does_nothing() {
    let dir = Scratch::new("snap-ro");
    let s = Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap();
    s.write(b"k", b"v").unwrap();
    let snap = Arc::new(s.snapshot().unwrap());
    assert!(snap.is_read_only());
    assert!(matches!(snap.write(b"k", b"w"), Err(Error::ReadOnly(_))));
    assert!(matches!(snap.delete(b"k"), Err(Error::ReadOnly(_))));
    assert!(matches!(snap.compact(), Err(Error::ReadOnly(_))));
    assert!(matches!(snap.begin_stream(1), Err(Error::ReadOnly(_))));
    s.write(b"k", b"w").unwrap();
    assert_eq!(snap.refresh().unwrap().new_entries, 0);
    assert_eq!(snap.read_to_vec(b"k").unwrap().unwrap(), b"v");
}

#[test]
fn values_pinned_from_a_snapshot_survive_compaction_and_close() {
    let dir = Scratch::new("snap-pin");
    let s = Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap();
    for i in 0..1000u32 {
        s.write(format!("k{i}").as_bytes(), &i.to_le_bytes().repeat(10))
            .unwrap();
    }
    let snap = s.snapshot().unwrap();
    for i in 0..1000u32 {
        s.delete(format!("k{i}").as_bytes()).unwrap();
    }
    s.compact().unwrap();
    assert_eq!(s.file_size(), 0);
    drop(s);
    // The snapshot still reads the old file's pages, which it keeps mapped.
    for i in (0..1000u32).step_by(37) {
        let v = snap.read_with(
            simd_r_drive::format::key_hash(format!("k{i}").as_bytes()),
            |b| b.to_vec(),
        );
        assert_eq!(v.unwrap().unwrap(), i.to_le_bytes().repeat(10));
    }
    assert_eq!(snap.len(), 1000);
    let report = snap.verify();
    assert_eq!(report.bad_entries, 0, "{report:?}");
    assert!(report.problem.is_none(), "{report:?}");
    assert!(report.entries_checked >= 1000, "{report:?}");
}

#[test]
fn a_snapshot_of_a_read_only_handle_stays_while_the_handle_refreshes() {
    let dir = Scratch::new("snap-refresh");
    let path = dir.file("s.srd");
    let w = Store::open(&path, OpenOptions::default()).unwrap();
    w.write(b"a", b"1").unwrap();
    let r = ro(&path);
    let snap = r.snapshot().unwrap();
    w.write(b"a", b"2").unwrap();
    w.write(b"b", b"3").unwrap();
    w.delete(b"a").unwrap();
    r.refresh().unwrap();
    assert_eq!(r.read_to_vec(b"b").unwrap().unwrap(), b"3");
    assert!(r.read_to_vec(b"a").unwrap().is_none());
    assert_eq!(snap.read_to_vec(b"a").unwrap().unwrap(), b"1");
    assert!(snap.read_to_vec(b"b").unwrap().is_none());
    // A compaction the handle follows (it reopens the new file).
    w.compact().unwrap();
    assert!(r.refresh().unwrap().reopened);
    assert_eq!(snap.read_to_vec(b"a").unwrap().unwrap(), b"1");
    assert_eq!(snap.len(), 1);
}

#[test]
fn readers_of_a_snapshot_see_its_moment_while_writers_change_every_key() {
    let dir = Scratch::new("snap-threads");
    let s = Arc::new(Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap());
    let n = 2000u32;
    for i in 0..n {
        s.write(&i.to_le_bytes(), format!("old{i}").as_bytes())
            .unwrap();
    }
    let snap = Arc::new(s.snapshot().unwrap());
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::thread::scope(|sc| {
        {
            let (s, done) = (Arc::clone(&s), Arc::clone(&done));
            sc.spawn(move || {
                for round in 0..6u32 {
                    for i in 0..n {
                        if (i + round) % 5 == 0 {
                            s.delete(&i.to_le_bytes()).unwrap();
                        } else {
                            s.write(&i.to_le_bytes(), format!("new{round}-{i}").as_bytes())
                                .unwrap();
                        }
                    }
                    s.write(format!("extra{round}").as_bytes(), b"x").unwrap();
                    if round == 3 {
                        s.reserve(100_000).unwrap();
                    }
                }
                done.store(true, std::sync::atomic::Ordering::Release);
            });
        }
        for t in 0..2 {
            let (snap, done) = (Arc::clone(&snap), Arc::clone(&done));
            sc.spawn(move || {
                let mut rounds = 0;
                while !done.load(std::sync::atomic::Ordering::Acquire) || rounds < 2 {
                    for i in (t..n).step_by(2) {
                        let v = snap.read_to_vec(&i.to_le_bytes()).unwrap();
                        assert_eq!(v.unwrap(), format!("old{i}").into_bytes());
                    }
                    let mut count = 0;
                    let mut it = snap.iter();
                    while let Some(r) = it.next() {
                        let (_, v) = r.unwrap();
                        assert!(v.starts_with(b"old"));
                        count += 1;
                    }
                    assert_eq!(count, n);
                    rounds += 1;
                }
            });
        }
    });
    assert_eq!(snap.len(), u64::from(n));
}
