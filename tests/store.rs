//! Engine behaviour through the Rust API.

mod common;

use common::{ro, Rng, Scratch};
use simd_r_drive::{Error, OpenOptions, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn rw(path: &std::path::Path) -> Store {
    Store::open(path, OpenOptions::default()).unwrap()
}

fn check(store: &Store, model: &HashMap<Vec<u8>, Vec<u8>>, keys: &[Vec<u8>]) {
    for k in keys {
        assert_eq!(store.read_to_vec(k).unwrap().as_ref(), model.get(k));
    }
    assert_eq!(store.len(), model.len() as u64);
}

#[test]
fn random_operations_match_an_in_memory_map_across_reopen_and_compaction() {
    let dir = Scratch::new("model");
    for seed in 1..=4u64 {
        let path = dir.file(&format!("m{seed}.srd"));
        let mut rng = Rng::new(seed);
        let keys: Vec<Vec<u8>> = (0..64).map(|i| format!("k{i}").into_bytes()).collect();
        let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        let mut store = rw(&path);
        for step in 0..1500 {
            let k = keys[rng.below(keys.len() as u64) as usize].clone();
            match rng.below(100) {
                0..=44 => {
                    let n = [1, 63, 64, 65, 200, 5000][rng.below(6) as usize];
                    let v = rng.bytes(n);
                    store.write(&k, &v).unwrap();
                    model.insert(k, v);
                }
                45..=59 => {
                    let items: Vec<(Vec<u8>, Vec<u8>)> = (0..1 + rng.below(8))
                        .map(|_| {
                            let n = 1 + rng.below(300) as usize;
                            (
                                keys[rng.below(keys.len() as u64) as usize].clone(),
                                rng.bytes(n),
                            )
                        })
                        .collect();
                    let refs: Vec<(&[u8], &[u8])> =
                        items.iter().map(|(k, v)| (&k[..], &v[..])).collect();
                    store.write_batch(&refs).unwrap();
                    for (k, v) in items {
                        model.insert(k, v);
                    }
                }
                60..=79 => assert_eq!(
                    store.delete(&k).unwrap(),
                    model.remove(&k).is_some(),
                    "step {step}"
                ),
                80..=87 => {
                    let ks: Vec<Vec<u8>> = (0..3)
                        .map(|_| keys[rng.below(keys.len() as u64) as usize].clone())
                        .collect();
                    let refs: Vec<&[u8]> = ks.iter().map(|k| &k[..]).collect();
                    store.delete_batch(&refs).unwrap();
                    for k in &ks {
                        model.remove(k);
                    }
                }
                88..=92 => {
                    store.compact().unwrap();
                }
                _ => {
                    drop(store);
                    store = rw(&path);
                }
            }
            if step % 50 == 0 {
                check(&store, &model, &keys);
            }
        }
        check(&store, &model, &keys);
        drop(store);
        check(&ro(&path), &model, &keys);
    }
}

#[test]
fn borrowed_values_stay_valid_while_the_file_grows_past_its_mapping() {
    let dir = Scratch::new("retention");
    let store = rw(&dir.file("s.srd"));
    store.write(b"first", b"the first value").unwrap();
    let (ptr, len) = store
        .read_with(simd_r_drive::format::key_hash(b"first"), |b| {
            (b.as_ptr(), b.len())
        })
        .unwrap()
        .unwrap();
    let big = vec![0xAB; 1 << 20];
    for i in 0..40 {
        store.write(format!("big{i}").as_bytes(), &big).unwrap();
    }
    store.write(b"first", b"overwritten").unwrap();
    assert!(store.delete(b"first").unwrap());
    // SAFETY: the store keeps every mapping alive until compaction or drop.
    let still = unsafe { std::slice::from_raw_parts(ptr, len) };
    assert_eq!(still, b"the first value");
}

#[test]
fn pinned_entries_survive_compaction_and_drop() {
    let dir = Scratch::new("pinned");
    let path = dir.file("s.srd");
    let store = rw(&path);
    store.write(b"a", b"alpha").unwrap();
    store.write(b"a", b"alpha2").unwrap();
    let e = store.get(b"a").unwrap().unwrap();
    let stats = store.compact().unwrap();
    assert!(stats.bytes_after < stats.bytes_before);
    drop(store);
    assert_eq!(e.data(), b"alpha2");
    assert_eq!(e.data().as_ptr() as usize % 64, 0);
}

#[test]
fn second_writer_is_locked_out_but_readers_are_not() {
    let dir = Scratch::new("lock");
    let path = dir.file("s.srd");
    let a = rw(&path);
    a.write(b"k", b"v").unwrap();
    assert!(matches!(
        Store::open(&path, OpenOptions::default()),
        Err(Error::Locked(_))
    ));
    assert_eq!(ro(&path).read_to_vec(b"k").unwrap().unwrap(), b"v");
    a.compact().unwrap();
    // Still locked after compaction replaced the file.
    assert!(matches!(
        Store::open(&path, OpenOptions::default()),
        Err(Error::Locked(_))
    ));
    drop(a);
    rw(&path);
}

#[test]
fn read_only_open_of_a_torn_file_changes_nothing() {
    let dir = Scratch::new("ro-torn");
    let path = dir.file("s.srd");
    {
        let s = rw(&path);
        s.write(b"a", b"1234").unwrap();
        s.write(b"b", &[9u8; 300]).unwrap();
    }
    let full = std::fs::read(&path).unwrap();
    let torn = &full[..full.len() - 7];
    std::fs::write(&path, torn).unwrap();
    let s = ro(&path);
    assert_eq!(s.read_to_vec(b"a").unwrap().unwrap(), b"1234");
    assert!(s.read_to_vec(b"b").unwrap().is_none());
    assert!(matches!(s.write(b"c", b"x"), Err(Error::ReadOnly(_))));
    assert!(matches!(s.compact(), Err(Error::ReadOnly(_))));
    drop(s);
    assert_eq!(std::fs::read(&path).unwrap(), torn);
    let s = rw(&path);
    assert_eq!(s.file_size(), std::fs::metadata(&path).unwrap().len());
    s.write(b"c", b"after").unwrap();
    drop(s);
    assert_eq!(ro(&path).read_to_vec(b"c").unwrap().unwrap(), b"after");
}

#[test]
fn invalid_keys_and_values_write_nothing() {
    let dir = Scratch::new("invalid");
    let s = rw(&dir.file("s.srd"));
    s.write(b"k", b"v").unwrap();
    let size = s.file_size();
    assert!(matches!(s.write(b"", b"v"), Err(Error::InvalidArgument(_))));
    assert!(matches!(s.write(b"k", b""), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        s.write(b"k", &[0]),
        Err(Error::InvalidArgument(_))
    ));
    let bad: [(&[u8], &[u8]); 2] = [(b"x", b"fine"), (b"y", &[0])];
    assert!(matches!(
        s.write_batch(&bad),
        Err(Error::InvalidArgument(_))
    ));
    assert!(!s.delete(b"missing").unwrap());
    assert_eq!(s.file_size(), size);
    assert!(s.read_to_vec(b"x").unwrap().is_none());
}

#[test]
fn a_stale_compaction_file_is_discarded() {
    let dir = Scratch::new("stale");
    let path = dir.file("s.srd");
    let tmp = simd_r_drive::engine::compaction_temp_path(&path);
    let s = rw(&path);
    s.write(b"a", b"one").unwrap();
    s.write(b"a", b"two").unwrap();
    std::fs::write(&tmp, vec![0x55; 10_000]).unwrap();
    s.compact().unwrap();
    assert!(!tmp.exists());
    s.write(b"b", b"three").unwrap();
    drop(s);
    let s = rw(&path);
    assert_eq!(s.read_to_vec(b"a").unwrap().unwrap(), b"two");
    assert_eq!(s.read_to_vec(b"b").unwrap().unwrap(), b"three");
    assert_eq!(s.entry_count(), 2);
}

#[test]
fn a_damaged_value_reads_as_corrupt_and_others_still_read() {
    let dir = Scratch::new("damaged");
    let path = dir.file("s.srd");
    {
        let s = rw(&path);
        s.write(b"a", &[1u8; 100]).unwrap();
        s.write(b"b", &[2u8; 100]).unwrap();
        s.write(b"c", &[3u8; 100]).unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    // "b" starts at 128 (a: 0..100 + 20 meta, padded to 128).
    bytes[150] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let s = rw(&path);
    assert!(matches!(s.read_to_vec(b"b"), Err(Error::Corrupt { .. })));
    assert!(matches!(s.compact(), Err(Error::Corrupt { .. })));
    assert_eq!(s.read_to_vec(b"a").unwrap().unwrap(), vec![1u8; 100]);
    assert_eq!(s.read_to_vec(b"c").unwrap().unwrap(), vec![3u8; 100]);
}

#[test]
fn readers_writers_and_a_compactor_run_together() {
    let dir = Scratch::new("threads");
    let store = Arc::new(rw(&dir.file("s.srd")));
    let value = |k: u64, ver: u64| -> Vec<u8> {
        let mut v = format!("{k}:{ver}:").into_bytes();
        v.resize(50 + (k as usize * 37) % 500, (k ^ ver) as u8 | 1);
        v
    };
    for k in 0..50 {
        store
            .write(format!("k{k}").as_bytes(), &value(k, 0))
            .unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for w in 0..2u64 {
        let (s, stop) = (store.clone(), stop.clone());
        handles.push(std::thread::spawn(move || {
            let mut ver = 1;
            while !stop.load(Ordering::Relaxed) {
                for k in (w..50).step_by(2) {
                    s.write(format!("k{k}").as_bytes(), &value(k, ver)).unwrap();
                }
                ver += 1;
            }
        }));
    }
    for _ in 0..3 {
        let (s, stop) = (store.clone(), stop.clone());
        handles.push(std::thread::spawn(move || {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for k in 0..50u64 {
                    let e = s
                        .get(format!("k{k}").as_bytes())
                        .unwrap()
                        .expect("key present");
                    let d = e.data();
                    let text = String::from_utf8_lossy(
                        &d[..d.iter().position(|&b| b == b':').unwrap() + 1],
                    )
                    .to_string();
                    assert_eq!(text, format!("{k}:"));
                    let ver: u64 = std::str::from_utf8(d.split(|&b| b == b':').nth(1).unwrap())
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert_eq!(d, &value(k, ver)[..]);
                    reads += 1;
                }
            }
            assert!(reads > 0);
        }));
    }
    {
        let (s, stop) = (store.clone(), stop.clone());
        handles.push(std::thread::spawn(move || {
            for _ in 0..20 {
                s.compact().unwrap();
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            stop.store(true, Ordering::Relaxed);
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.len(), 50);
}

#[test]
fn closing_releases_the_writer_lock_even_while_pinned_entries_live() {
    let dir = Scratch::new("lock-release");
    let path = dir.file("s.srd");
    let s = rw(&path);
    s.write(b"k", b"pinned").unwrap();
    let e = s.get(b"k").unwrap().unwrap();
    s.compact().unwrap();
    let e2 = s.get(b"k").unwrap().unwrap();
    drop(s);
    let again = rw(&path);
    again.write(b"k2", b"more").unwrap();
    assert_eq!(e.data(), b"pinned");
    assert_eq!(e2.data(), b"pinned");
}

#[test]
fn compaction_keeps_the_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new("perms");
    let path = dir.file("s.srd");
    let s = rw(&path);
    s.write(b"a", b"1").unwrap();
    s.write(b"a", b"2").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    s.compact().unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn large_values_are_verified_on_first_read_too() {
    let dir = Scratch::new("large-verify");
    let path = dir.file("s.srd");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    {
        let s = rw(&path);
        s.write(b"first", b"small").unwrap();
        s.write(b"big", &big).unwrap();
        s.write(b"tail", b"last").unwrap();
    }
    let s = ro(&path);
    assert_eq!(s.read_to_vec(b"big").unwrap().unwrap(), big);
    assert_eq!(s.get(b"big").unwrap().unwrap().data(), &big[..]);
    drop(s);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[200_000] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let s = ro(&path);
    assert!(matches!(s.read_to_vec(b"big"), Err(Error::Corrupt { .. })));
    assert!(matches!(s.get(b"big"), Err(Error::Corrupt { .. })));
    assert_eq!(s.read_to_vec(b"tail").unwrap().unwrap(), b"last");
}

#[test]
fn concurrent_durable_writers_all_land_with_shared_syncs() {
    let dir = Scratch::new("group-commit");
    let path = dir.file("s.srd");
    let store = Arc::new(
        Store::open(
            &path,
            OpenOptions {
                sync: true,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let mut handles = Vec::new();
    for t in 0..4u32 {
        let s = store.clone();
        handles.push(std::thread::spawn(move || {
            for i in 0..50u32 {
                s.write(
                    format!("t{t}-{i}").as_bytes(),
                    format!("value {t} {i}").as_bytes(),
                )
                .unwrap();
                if i % 10 == 0 {
                    s.delete(format!("t{t}-{}", i / 2).as_bytes()).ok();
                }
            }
        }));
    }
    // A compaction in the middle starts a new file generation.
    store.compact().unwrap();
    for h in handles {
        h.join().unwrap();
    }
    drop(store);
    let s = ro(&path);
    for t in 0..4u32 {
        for i in 0..50u32 {
            let got = s.read_to_vec(format!("t{t}-{i}").as_bytes()).unwrap();
            // The loop deleted key i/2 after writing each multiple of 10.
            if [0, 5, 10, 15, 20].contains(&i) {
                assert!(got.is_none(), "t{t}-{i} was deleted");
            } else {
                assert_eq!(
                    got.unwrap(),
                    format!("value {t} {i}").into_bytes(),
                    "t{t}-{i}"
                );
            }
        }
    }
}

#[test]
fn durable_writers_that_come_and_go_all_land() {
    // The commit delay waits for as many writers as the last sync covered;
    // writers that stop or pause must not hold up the others for good (the
    // delay is bounded), and every write must land.
    let dir = Scratch::new("group-leave");
    let path = dir.file("s.srd");
    let opts = OpenOptions {
        sync: true,
        ..Default::default()
    };
    let store = Arc::new(Store::open(&path, opts.clone()).unwrap());
    let mut handles = Vec::new();
    for (t, n, pause) in [(0u32, 150u32, false), (1, 10, false), (2, 30, true)] {
        let s = store.clone();
        handles.push(std::thread::spawn(move || {
            for i in 0..n {
                s.write(format!("t{t}-{i}").as_bytes(), &[t as u8; 40])
                    .unwrap();
                if pause && i % 10 == 9 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    // A lone writer after the group.
    for i in 0..20u32 {
        store.write(format!("late-{i}").as_bytes(), b"x").unwrap();
    }
    drop(store);
    let s = ro(&path);
    assert_eq!(s.len(), 150 + 10 + 30 + 20);
    for (t, n) in [(0u32, 150u32), (1, 10), (2, 30)] {
        for i in 0..n {
            let got = s.read_to_vec(format!("t{t}-{i}").as_bytes()).unwrap();
            assert_eq!(got, Some(vec![t as u8; 40]), "t{t}-{i}");
        }
    }
}

#[test]
fn reserve_sizes_the_index_once_for_a_bulk_load() {
    let dir = Scratch::new("reserve");
    let path = dir.file("r.srd");
    let store = rw(&path);
    let before = store.index_capacity();
    store.reserve(0).unwrap();
    assert_eq!(store.index_capacity(), before, "reserve(0) is a no-op");
    store.reserve(10_000).unwrap();
    let cap = store.index_capacity();
    assert!(cap / 4 * 3 >= 10_000, "room for 10,000 keys in {cap} slots");
    let key = |i: u32| format!("key-{i:08}").into_bytes();
    let val = |i: u32| format!("value of {i}").into_bytes();
    for chunk in (0..10_000u32).collect::<Vec<_>>().chunks(100) {
        let items: Vec<(Vec<u8>, Vec<u8>)> = chunk.iter().map(|&i| (key(i), val(i))).collect();
        let refs: Vec<(&[u8], &[u8])> = items
            .iter()
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
            .collect();
        store.write_batch(&refs).unwrap();
    }
    assert_eq!(
        store.index_capacity(),
        cap,
        "the load did not rebuild the index"
    );
    // Beyond the reservation the index grows as usual.
    for i in 10_000..20_000u32 {
        store.write(&key(i), &val(i)).unwrap();
    }
    assert!(store.index_capacity() > cap);
    assert_eq!(store.len(), 20_000);
    for i in (0..20_000u32).step_by(7) {
        assert_eq!(store.read_to_vec(&key(i)).unwrap(), Some(val(i)));
    }
    // A table already large enough is kept.
    let now = store.index_capacity();
    store.reserve(100).unwrap();
    assert_eq!(store.index_capacity(), now);
}

#[test]
fn reserve_keeps_every_live_key_and_borrowed_values() {
    let dir = Scratch::new("reserve-live");
    let path = dir.file("r.srd");
    let store = rw(&path);
    for i in 0..300u32 {
        store
            .write(format!("k{i}").as_bytes(), format!("v{i}").as_bytes())
            .unwrap();
    }
    for i in 0..100u32 {
        assert!(store.delete(format!("k{i}").as_bytes()).unwrap());
    }
    // Overwrites: the newest value must survive the rebuild.
    for i in 100..150u32 {
        store
            .write(format!("k{i}").as_bytes(), format!("new{i}").as_bytes())
            .unwrap();
    }
    let pinned = store.get(b"k200").unwrap().unwrap();
    let entries = store.entry_count();
    let size = store.file_size();
    store.reserve(50_000).unwrap();
    assert!(store.index_capacity() / 4 * 3 >= 50_000 + 200);
    assert_eq!(store.file_size(), size, "reserve writes nothing");
    assert_eq!(store.entry_count(), entries);
    assert_eq!(pinned.data(), b"v200");
    assert_eq!(store.len(), 200);
    let expect = |i: u32| match i {
        0..=99 => None,
        100..=149 => Some(format!("new{i}").into_bytes()),
        _ => Some(format!("v{i}").into_bytes()),
    };
    for i in 0..300u32 {
        assert_eq!(
            store.read_to_vec(format!("k{i}").as_bytes()).unwrap(),
            expect(i),
            "k{i}"
        );
    }
    drop(store);
    let store = rw(&path);
    assert_eq!(store.len(), 200);
    for i in 0..300u32 {
        assert_eq!(
            store.read_to_vec(format!("k{i}").as_bytes()).unwrap(),
            expect(i),
            "k{i}"
        );
    }
}

#[test]
fn reserve_refuses_what_it_cannot_do_and_changes_nothing() {
    let dir = Scratch::new("reserve-err");
    let path = dir.file("r.srd");
    let store = rw(&path);
    store.write(b"a", b"1").unwrap();
    let cap = store.index_capacity();
    for huge in [u64::MAX, 1 << 62, 1 << 48] {
        match store.reserve(huge) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("cannot allocate"), "{m}"),
            other => panic!("reserve({huge}): {other:?}"),
        }
        assert_eq!(store.index_capacity(), cap);
    }
    store.write(b"b", b"2").unwrap();
    assert_eq!(store.read_to_vec(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(store.read_to_vec(b"b").unwrap(), Some(b"2".to_vec()));
    drop(store);
    let r = ro(&path);
    assert!(matches!(r.reserve(10), Err(Error::ReadOnly(_))));
}

#[test]
fn after_reserve_the_index_file_and_a_reopen_are_sized_for_the_keys() {
    let dir = Scratch::new("reserve-idx");
    let path = dir.file("r.srd");
    let opts = OpenOptions {
        index_file_min_entries: 100,
        ..Default::default()
    };
    let store = Store::open(&path, opts.clone()).unwrap();
    store.reserve(1_000_000).unwrap();
    assert!(store.index_capacity() >= 1 << 20);
    for i in 0..1000u32 {
        store.write(format!("k{i}").as_bytes(), b"v").unwrap();
    }
    drop(store);
    let idx = std::fs::metadata(dir.file("r.srd.idx"))
        .expect("index file saved")
        .len();
    // 9 bytes per slot: sized for 1000 keys (2048 slots), not for the
    // million reserved (2^21 slots, about 19 MB).
    assert!(idx < 64 * 1024, "index file of {idx} bytes");
    let store = Store::open(&path, opts).unwrap();
    assert!(store.opened_with_index_file());
    assert!(store.index_capacity() <= 4096, "{}", store.index_capacity());
    assert_eq!(store.len(), 1000);
    for i in 0..1000u32 {
        assert_eq!(
            store.read_to_vec(format!("k{i}").as_bytes()).unwrap(),
            Some(b"v".to_vec())
        );
    }
}
