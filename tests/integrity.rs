//! Salvaging damaged stores and refreshing read-only handles.

mod common;

use common::{ro, Rng, Scratch};
use simd_r_drive::{salvage, Error, OpenOptions, Store};
use std::collections::HashMap;

/// Writes `n` values of varied sizes; returns the model and each entry's end.
fn fill(path: &std::path::Path, n: usize, seed: u64) -> (HashMap<Vec<u8>, Vec<u8>>, Vec<u64>) {
    let s = Store::open(path, OpenOptions::default()).unwrap();
    let mut rng = Rng::new(seed);
    let mut model = HashMap::new();
    let mut ends = Vec::new();
    for i in 0..n {
        let k = format!("key{i}").into_bytes();
        let len = [1usize, 10, 63, 64, 65, 500, 4000][i % 7];
        let v = rng.bytes(len);
        s.write(&k, &v).unwrap();
        model.insert(k, v);
        ends.push(s.file_size());
    }
    (model, ends)
}

#[test]
fn salvage_recovers_every_entry_but_the_damaged_one() {
    let dir = Scratch::new("salvage");
    let src = dir.file("damaged.srd");
    let (model, ends) = fill(&src, 40, 3);
    let mut bytes = std::fs::read(&src).unwrap();
    // Break the chain in the middle: damage entry 20's metadata link.
    let meta = (ends[20] - 20 + 8) as usize;
    bytes[meta] ^= 0xff;
    std::fs::write(&src, &bytes).unwrap();
    assert!(matches!(
        Store::open(&src, OpenOptions::default()),
        Err(Error::Corrupt { .. })
    ));
    assert_eq!(
        std::fs::read(&src).unwrap(),
        bytes,
        "a refused file is untouched"
    );
    let dst = dir.file("saved.srd");
    let report = salvage(&src, &dst).unwrap();
    assert_eq!(report.entries_recovered, 39);
    assert_eq!(report.live_keys_written, 39);
    assert_eq!(report.damaged_regions, 1);
    assert_eq!(report.first_damage_offset, Some(ends[19]));
    assert_eq!(report.bytes_lost, ends[20] - ends[19]);
    let saved = ro(&dst);
    for (k, v) in &model {
        let got = saved.read_to_vec(k).unwrap();
        if k == b"key20" {
            assert!(got.is_none());
        } else {
            assert_eq!(got.as_ref(), Some(v), "{}", String::from_utf8_lossy(k));
        }
    }
    assert_eq!(
        std::fs::read(&src).unwrap(),
        bytes,
        "salvage never modifies the source"
    );
    assert!(matches!(
        salvage(&src, &dst),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn salvage_honours_tombstones_and_newest_versions_and_reports_a_torn_tail() {
    let dir = Scratch::new("salvage-versions");
    let src = dir.file("s.srd");
    {
        let s = Store::open(&src, OpenOptions::default()).unwrap();
        s.write(b"a", b"old").unwrap();
        s.write(b"b", b"bee").unwrap();
        s.write(b"a", b"new").unwrap();
        s.delete(b"b").unwrap();
        s.write(b"c", &[5u8; 300]).unwrap();
    }
    let mut bytes = std::fs::read(&src).unwrap();
    bytes.truncate(bytes.len() - 5);
    std::fs::write(&src, &bytes).unwrap();
    let dst = dir.file("out.srd");
    let r = salvage(&src, &dst).unwrap();
    assert_eq!(r.entries_recovered, 4);
    assert_eq!(r.damaged_regions, 1);
    let s = ro(&dst);
    assert_eq!(s.read_to_vec(b"a").unwrap().unwrap(), b"new");
    assert!(s.read_to_vec(b"b").unwrap().is_none());
    assert!(s.read_to_vec(b"c").unwrap().is_none());
    assert_eq!(s.len(), 1);
}

#[test]
fn refresh_follows_appends_and_compaction() {
    let dir = Scratch::new("refresh");
    let path = dir.file("s.srd");
    let w = Store::open(&path, OpenOptions::default()).unwrap();
    w.write(b"a", b"1").unwrap();
    let r = ro(&path);
    w.write(b"b", b"2").unwrap();
    w.delete(b"a").unwrap();
    assert_eq!(r.read_to_vec(b"a").unwrap().unwrap(), b"1");
    assert!(r.read_to_vec(b"b").unwrap().is_none());
    let st = r.refresh().unwrap();
    assert_eq!(st.new_entries, 2);
    assert!(!st.reopened);
    assert!(r.read_to_vec(b"a").unwrap().is_none());
    assert_eq!(r.read_to_vec(b"b").unwrap().unwrap(), b"2");
    // Past the first mapping's reservation.
    let big = vec![3u8; 5 << 20];
    for i in 0..4 {
        w.write(format!("big{i}").as_bytes(), &big).unwrap();
    }
    assert_eq!(r.refresh().unwrap().new_entries, 4);
    assert_eq!(r.read_to_vec(b"big3").unwrap().unwrap(), big);
    w.compact().unwrap();
    w.write(b"after", b"compaction").unwrap();
    let st = r.refresh().unwrap();
    assert!(st.reopened);
    assert_eq!(r.read_to_vec(b"after").unwrap().unwrap(), b"compaction");
    assert_eq!(r.len(), w.len());
    assert_eq!(r.file_size(), w.file_size());
    assert_eq!(r.refresh().unwrap(), Default::default());
}

#[test]
fn refresh_takes_only_complete_entries_of_a_half_written_tail() {
    let dir = Scratch::new("refresh-torn");
    let path = dir.file("s.srd");
    let w = Store::open(&path, OpenOptions::default()).unwrap();
    w.write(b"a", b"1").unwrap();
    let r = ro(&path);
    w.write(b"b", &[9u8; 1000]).unwrap();
    let complete = w.file_size();
    drop(w);
    // Simulate a writer caught mid-append: half an entry after "b".
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&[7u8; 100]).unwrap();
    r.refresh().unwrap();
    assert_eq!(r.file_size(), complete);
    assert_eq!(r.read_to_vec(b"b").unwrap().unwrap(), vec![9u8; 1000]);
}

#[test]
fn a_store_streamed_into_an_empty_store_is_never_taken_for_its_entries() {
    let dir = Scratch::new("nested-stream");
    let inner = dir.file("inner.srd");
    {
        let s = Store::open(&inner, OpenOptions::default()).unwrap();
        s.write(b"a", b"inner a").unwrap();
        s.write(b"b", &[1u8; 200]).unwrap();
    }
    let inner_bytes = std::fs::read(&inner).unwrap();
    let path = dir.file("outer.srd");
    let w = std::sync::Arc::new(Store::open(&path, OpenOptions::default()).unwrap());
    let r = ro(&path);
    let mut st = w
        .begin_stream(simd_r_drive::format::key_hash(b"nested"))
        .unwrap();
    st.write(&inner_bytes).unwrap();
    // Mid-stream: a reader refreshing, and a crash (a copy of the file now).
    r.refresh().unwrap();
    assert_eq!(r.len(), 0);
    assert!(r.read_to_vec(b"a").unwrap().is_none());
    let crashed = dir.file("crashed.srd");
    std::fs::copy(&path, &crashed).unwrap();
    let c = ro(&crashed);
    assert!(
        c.read_to_vec(b"a").unwrap().is_none(),
        "inner entries must not surface"
    );
    st.commit().unwrap();
    w.write(b"later", b"x").unwrap();
    r.refresh().unwrap();
    assert_eq!(r.read_to_vec(b"nested").unwrap().unwrap(), inner_bytes);
    assert_eq!(r.read_to_vec(b"later").unwrap().unwrap(), b"x");
    assert!(r.read_to_vec(b"a").unwrap().is_none());
}

#[test]
fn salvage_into_a_missing_directory_is_an_io_error() {
    let dir = Scratch::new("salvage-missing-dir");
    let src = dir.file("s.srd");
    fill(&src, 3, 1);
    let r = salvage(&src, &dir.file("no/such/dir/out.srd"));
    assert!(matches!(r, Err(Error::Io { .. })), "{r:?}");
}

#[test]
fn salvage_never_writes_through_a_link_planted_at_the_destination() {
    // A dangling symbolic link does not "exist" to a check that follows
    // it; the destination is created exclusively, so the link is refused
    // and its target never created.
    let dir = Scratch::new("salvage-link");
    let src = dir.file("s.srd");
    fill(&src, 3, 1);
    let target = dir.file("elsewhere.srd");
    let dst = dir.file("out.srd");
    std::os::unix::fs::symlink(&target, &dst).unwrap();
    let r = salvage(&src, &dst);
    assert!(
        matches!(&r, Err(Error::InvalidArgument(m)) if m.contains("already exists")),
        "{r:?}"
    );
    assert!(!target.exists(), "the link's target was created");
    assert!(std::fs::symlink_metadata(&dst)
        .unwrap()
        .file_type()
        .is_symlink());
    // An existing destination is refused the same way, and left alone.
    let existing = dir.file("existing.srd");
    std::fs::write(&existing, b"not yours").unwrap();
    let r = salvage(&src, &existing);
    assert!(matches!(r, Err(Error::InvalidArgument(_))), "{r:?}");
    assert_eq!(std::fs::read(&existing).unwrap(), b"not yours");
    // A failed salvage leaves no destination behind, so it can be retried:
    // a directory planted where the first write goes makes it fail after
    // the destination was created.
    let out = dir.file("retry.srd");
    let planted = dir.file("retry.srd.new.tmp");
    std::fs::create_dir(&planted).unwrap();
    std::fs::write(planted.join("f"), b"x").unwrap();
    let r = salvage(&src, &out);
    assert!(matches!(r, Err(Error::Io { .. })), "{r:?}");
    assert!(!out.exists(), "a failed salvage left its destination");
    std::fs::remove_dir_all(&planted).unwrap();
    let ok = salvage(&src, &out).unwrap();
    assert_eq!(ok.live_keys_written, 3);
}
