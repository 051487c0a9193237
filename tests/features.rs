//! Streams, iteration, batch reads, rename/copy/move, verification, space
//! accounting and nested stores, through the Rust API.

mod common;

use common::{ro, Rng, Scratch};
use simd_r_drive::format::key_hash;
use simd_r_drive::{Error, OpenOptions, Store};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

fn rw(path: &std::path::Path) -> Arc<Store> {
    Arc::new(Store::open(path, OpenOptions::default()).unwrap())
}

#[test]
fn a_committed_stream_reads_back_and_survives_reopen() {
    let dir = Scratch::new("stream-commit");
    let path = dir.file("s.srd");
    let s = rw(&path);
    s.write(b"before", b"x").unwrap();
    let mut rng = Rng::new(5);
    let mut expect = Vec::new();
    let mut st = s.begin_stream(key_hash(b"big")).unwrap();
    for _ in 0..50 {
        let n = 1 + rng.below(100_000) as usize;
        let chunk = rng.bytes(n);
        st.write(&chunk).unwrap();
        expect.extend_from_slice(&chunk);
    }
    assert!(
        s.read_to_vec(b"big").unwrap().is_none(),
        "invisible before commit"
    );
    st.commit().unwrap();
    assert_eq!(s.read_to_vec(b"big").unwrap().unwrap(), expect);
    let e = s.get(b"big").unwrap().unwrap();
    assert_eq!(e.offset() % 64, 0);
    s.write(b"after", b"y").unwrap();
    drop(e);
    drop(s);
    let s = rw(&path);
    assert_eq!(s.read_to_vec(b"big").unwrap().unwrap(), expect);
    assert_eq!(s.read_to_vec(b"after").unwrap().unwrap(), b"y");
}

#[test]
fn aborted_dropped_and_invalid_streams_leave_the_file_exactly_as_it_was() {
    let dir = Scratch::new("stream-abort");
    let path = dir.file("s.srd");
    let s = rw(&path);
    s.write(b"k", b"value").unwrap();
    let before = std::fs::read(&path).unwrap();
    let mut st = s.begin_stream(key_hash(b"x")).unwrap();
    st.write(&[7u8; 10_000]).unwrap();
    st.abort();
    assert_eq!(std::fs::read(&path).unwrap(), before);
    {
        let mut st = s.begin_stream(key_hash(b"x")).unwrap();
        st.write(b"dropped").unwrap();
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let st = s.begin_stream(key_hash(b"x")).unwrap();
    assert!(matches!(st.commit(), Err(Error::InvalidArgument(_))));
    let mut st = s.begin_stream(key_hash(b"x")).unwrap();
    st.write(&[0]).unwrap();
    assert!(matches!(st.commit(), Err(Error::InvalidArgument(_))));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // Later writes are unaffected and the file stays valid.
    s.write(b"later", b"fine").unwrap();
    drop(s);
    let s = rw(&path);
    assert_eq!(s.read_to_vec(b"later").unwrap().unwrap(), b"fine");
    assert_eq!(s.read_to_vec(b"k").unwrap().unwrap(), b"value");
    assert!(s.read_to_vec(b"x").unwrap().is_none());
}

#[test]
fn the_stream_owner_gets_busy_and_other_threads_wait() {
    let dir = Scratch::new("stream-busy");
    let s = rw(&dir.file("s.srd"));
    let mut st = s.begin_stream(key_hash(b"v")).unwrap();
    st.write(b"streamed").unwrap();
    assert!(matches!(s.write(b"a", b"b"), Err(Error::Busy(_))));
    assert!(matches!(s.compact(), Err(Error::Busy(_))));
    assert!(matches!(
        s.begin_stream(key_hash(b"w")),
        Err(Error::Busy(_))
    ));
    let s2 = Arc::clone(&s);
    let waiter = std::thread::spawn(move || {
        s2.write(b"other", b"thread").unwrap();
        s2.read_to_vec(b"v")
            .unwrap()
            .expect("stream committed before this write")
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        !waiter.is_finished(),
        "another thread's write waits for the stream"
    );
    // Reads are not blocked meanwhile.
    assert!(s.read_to_vec(b"v").unwrap().is_none());
    st.commit().unwrap();
    assert_eq!(waiter.join().unwrap(), b"streamed");
    assert_eq!(s.read_to_vec(b"other").unwrap().unwrap(), b"thread");
}

#[test]
fn iteration_is_a_snapshot_in_file_order_and_partitions_cover_each_entry_once() {
    let dir = Scratch::new("iter");
    let s = rw(&dir.file("s.srd"));
    let mut model = HashMap::new();
    for i in 0..300u32 {
        let k = format!("k{}", i % 120);
        let v = format!("value {i}").into_bytes();
        s.write(k.as_bytes(), &v).unwrap();
        model.insert(key_hash(k.as_bytes()), v);
    }
    for i in 0..20 {
        let k = format!("k{i}");
        s.delete(k.as_bytes()).unwrap();
        model.remove(&key_hash(k.as_bytes()));
    }
    let mut it = s.iter();
    s.write(b"new during iteration", b"nope").unwrap();
    s.compact().unwrap();
    let mut seen = HashMap::new();
    let mut last_offset = 0usize;
    while let Some(r) = it.next() {
        let (h, v) = r.unwrap();
        assert_eq!(v.as_ptr() as usize % 64, 0);
        assert!(v.as_ptr() as usize > last_offset || last_offset == 0);
        last_offset = v.as_ptr() as usize;
        assert!(seen.insert(h, v.to_vec()).is_none());
    }
    assert_eq!(seen, model);
    let mut union = HashSet::new();
    for part in 0..7 {
        let mut it = s.iter_part(part, 7).unwrap();
        while let Some(r) = it.next() {
            assert!(union.insert(r.unwrap().0), "entry in two parts");
        }
    }
    assert_eq!(union.len(), model.len() + 1);
    assert!(matches!(s.iter_part(3, 3), Err(Error::InvalidArgument(_))));
    assert!(matches!(s.iter_part(0, 0), Err(Error::InvalidArgument(_))));
}

#[test]
fn batch_reads_and_the_last_entry() {
    let dir = Scratch::new("batch-last");
    let s = rw(&dir.file("s.srd"));
    assert!(s.read_last_with(|h, _| h).unwrap().is_none());
    s.write(b"a", b"1").unwrap();
    s.write(b"b", b"22").unwrap();
    s.write(b"c", b"333").unwrap();
    let hs = [key_hash(b"a"), key_hash(b"zz"), key_hash(b"c")];
    let mut got = Vec::new();
    s.read_batch_with(&hs, |i, r| got.push((i, r.unwrap().map(|v| v.to_vec()))));
    assert_eq!(
        got,
        vec![
            (0, Some(b"1".to_vec())),
            (1, None),
            (2, Some(b"333".to_vec()))
        ]
    );
    assert_eq!(
        s.read_last_with(|h, v| (h, v.to_vec())).unwrap().unwrap(),
        (key_hash(b"c"), b"333".to_vec())
    );
    s.delete(b"c").unwrap();
    s.write(b"b", b"overwritten").unwrap();
    s.write(b"a", b"x").unwrap();
    s.delete(b"a").unwrap();
    assert_eq!(
        s.read_last_with(|h, v| (h, v.to_vec())).unwrap().unwrap(),
        (key_hash(b"b"), b"overwritten".to_vec())
    );
}

#[test]
fn rename_copy_and_move() {
    let dir = Scratch::new("transfer");
    let a = rw(&dir.file("a.srd"));
    let b = rw(&dir.file("b.srd"));
    a.write(b"k", b"value").unwrap();
    assert!(a.rename(b"k", b"k2").unwrap());
    assert!(a.read_to_vec(b"k").unwrap().is_none());
    assert_eq!(a.read_to_vec(b"k2").unwrap().unwrap(), b"value");
    assert!(!a.rename(b"missing", b"x").unwrap());
    assert!(matches!(
        a.rename(b"k2", b"k2"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(a.copy_to(b"k2", &b).unwrap());
    assert_eq!(b.read_to_vec(b"k2").unwrap().unwrap(), b"value");
    assert!(a.read_to_vec(b"k2").unwrap().is_some());
    assert!(!a.copy_to(b"nope", &b).unwrap());
    b.write(b"m", b"moving").unwrap();
    assert!(b.move_to(b"m", &a).unwrap());
    assert!(b.read_to_vec(b"m").unwrap().is_none());
    assert_eq!(a.read_to_vec(b"m").unwrap().unwrap(), b"moving");
    // The same file through another handle (read-only), even via another path.
    std::os::unix::fs::symlink(dir.file("a.srd"), dir.file("alias.srd")).unwrap();
    let a_ro = ro(&dir.file("alias.srd"));
    assert!(matches!(
        a_ro.copy_to(b"m", &a),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        a.copy_to(b"m", &a),
        Err(Error::InvalidArgument(_))
    ));
    // Still detected after compaction replaced the file.
    a.compact().unwrap();
    assert!(a.same_file(&ro(&dir.file("a.srd"))));
}

#[test]
fn verify_finds_damage_and_reclaimable_matches_compaction() {
    let dir = Scratch::new("verify");
    let path = dir.file("s.srd");
    let s = rw(&path);
    let mut rng = Rng::new(9);
    for i in 0..200 {
        let n = 1 + rng.below(3000) as usize;
        s.write(format!("k{}", i % 70).as_bytes(), &rng.bytes(n))
            .unwrap();
    }
    for i in 0..10 {
        s.delete(format!("k{i}").as_bytes()).unwrap();
    }
    let r = s.verify();
    assert!(r.is_sound(), "{r:?}");
    assert_eq!(r.entries_checked, 210);
    assert_eq!(r.file_size, s.file_size());
    let reclaim = s.reclaimable_bytes();
    let stats = s.compact().unwrap();
    assert_eq!(reclaim, stats.bytes_before - stats.bytes_after);
    assert_eq!(s.reclaimable_bytes(), 0);
    drop(s);
    let mut bytes = std::fs::read(&path).unwrap();
    // Inside some middle value (damage to the first entry is refused at open).
    let at = bytes.len() / 2;
    bytes[at] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();
    let s = ro(&path);
    let r = s.verify();
    assert!(!r.is_sound());
    assert_eq!(r.bad_entries, 1);
    assert!(r.first_bad_offset.unwrap() <= at as u64);
}

#[test]
fn nested_stores_open_in_place_two_levels_deep() {
    let dir = Scratch::new("nested");
    let inner_path = dir.file("inner.srd");
    {
        let inner = rw(&inner_path);
        inner.write(b"deep", &[42u8; 1000]).unwrap();
    }
    let middle_path = dir.file("middle.srd");
    {
        let middle = rw(&middle_path);
        middle
            .write(b"inner", &std::fs::read(&inner_path).unwrap())
            .unwrap();
        middle.write(b"m", b"middle value").unwrap();
    }
    let outer = rw(&dir.file("outer.srd"));
    outer
        .write(b"middle", &std::fs::read(&middle_path).unwrap())
        .unwrap();
    let e = outer.get(b"middle").unwrap().unwrap();
    let middle = Store::open_entry(&e).unwrap();
    drop(e);
    assert_eq!(middle.read_to_vec(b"m").unwrap().unwrap(), b"middle value");
    let e2 = middle.get(b"inner").unwrap().unwrap();
    let inner = Store::open_entry(&e2).unwrap();
    let deep = inner.get(b"deep").unwrap().unwrap();
    assert_eq!(deep.data(), &[42u8; 1000][..]);
    assert_eq!(deep.data().as_ptr() as usize % 64, 0);
    // Zero copy: the innermost value lies inside the outer store's value.
    let outer_value = outer.get(b"middle").unwrap().unwrap();
    let range = outer_value.data().as_ptr_range();
    assert!(range.contains(&deep.data().as_ptr()));
    assert!(matches!(inner.write(b"x", b"y"), Err(Error::ReadOnly(_))));
}

#[test]
fn a_move_refused_as_busy_changes_neither_store() {
    let dir = Scratch::new("move-busy");
    let a = rw(&dir.file("a.srd"));
    let b = rw(&dir.file("b.srd"));
    a.write(b"k", b"v").unwrap();
    let (sa, sb) = (a.file_size(), b.file_size());
    let st = a.begin_stream(key_hash(b"s")).unwrap();
    assert!(matches!(a.move_to(b"k", &b), Err(Error::Busy(_))));
    assert_eq!(b.file_size(), sb);
    st.abort();
    let st = b.begin_stream(key_hash(b"s")).unwrap();
    assert!(matches!(a.move_to(b"k", &b), Err(Error::Busy(_))));
    st.abort();
    assert_eq!((a.file_size(), b.file_size()), (sa, sb));
    assert!(a.move_to(b"k", &b).unwrap());
}
