//! `OpenOptions::preallocate`: the file grows ahead of the store in chunks
//! and small appends are copied into a mapping of that space. The reserved
//! zeros stay after close (and after a crash); every open finds the store's
//! end before them, a read-write open without the option cuts them off, and
//! read-only handles skip them. (Assumes a file system where preallocation
//! is used: ext4, XFS or tmpfs; built with `--cfg srd_generic_unix`, the
//! tests check that the option is ignored, and that zeros left by a Linux
//! writer are still recovered from.)

mod common;

use common::{open_ro, Rng, Scratch};
use simd_r_drive::{OpenOptions, Store};
use std::collections::HashMap;
use std::path::Path;

type Model = HashMap<Vec<u8>, Vec<u8>>;

fn pre() -> OpenOptions {
    OpenOptions {
        preallocate: true,
        index_file: false,
        ..Default::default()
    }
}

fn plain() -> OpenOptions {
    OpenOptions {
        index_file: false,
        ..Default::default()
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Whether the bytes of `path` from `from` on are all zeros.
fn zeros_from(path: &Path, from: u64) -> bool {
    std::fs::read(path).unwrap()[from as usize..]
        .iter()
        .all(|&b| b == 0)
}

/// One random write or delete over `keys` keys; values are mostly small
/// (copied into the mapping), some larger than the copy limit (written).
fn step(s: &Store, model: &mut Model, rng: &mut Rng, keys: u64) {
    let k = format!("key-{}", rng.below(keys)).into_bytes();
    match rng.below(10) {
        0 => {
            let was = s.delete(&k).unwrap();
            assert_eq!(was, model.remove(&k).is_some());
        }
        1 => {
            let len = 2000 + rng.below(6000) as usize;
            let v = rng.bytes(len);
            s.write(&k, &v).unwrap();
            model.insert(k, v);
        }
        _ => {
            let len = 1 + rng.below(300) as usize;
            let v = rng.bytes(len);
            s.write(&k, &v).unwrap();
            model.insert(k, v);
        }
    }
}

fn check(s: &Store, model: &Model, keys: u64, what: &str) {
    for i in 0..keys {
        let k = format!("key-{i}").into_bytes();
        assert_eq!(
            s.read_to_vec(&k).unwrap().as_deref(),
            model.get(&k).map(|v| v.as_slice()),
            "{what}: key {i}"
        );
    }
    assert_eq!(s.len(), model.len() as u64, "{what}: live keys");
}

#[test]
fn the_reserved_zeros_stay_after_close_and_go_with_a_plain_open() {
    let dir = Scratch::new("prealloc-close");
    let path = dir.file("s.srd");
    let mut model = Model::new();
    let mut rng = Rng::new(1);
    let store_len;
    let reserved_len;
    {
        let s = Store::open(&path, pre()).unwrap();
        for _ in 0..3000 {
            step(&s, &mut model, &mut rng, 500);
        }
        store_len = s.file_size();
        reserved_len = file_len(&path);
        if cfg!(srd_generic_unix) {
            // The generic Unix path never preallocates (src/os/generic.rs):
            // the option is ignored and the file is the store.
            assert_eq!(reserved_len, store_len, "generic path: no reserved space");
            check(&s, &model, 500, "open");
            return;
        }
        assert!(
            reserved_len > store_len,
            "space is reserved ahead of the tail ({reserved_len} <= {store_len})"
        );
        assert_eq!(reserved_len % 4096, 0);
        assert!(zeros_from(&path, store_len));
        check(&s, &model, 500, "open");
    }
    // Closing cuts nothing (a reader elsewhere may be scanning the zeros).
    assert_eq!(file_len(&path), reserved_len);
    let r = open_ro(&path, plain());
    assert_eq!(r.file_size(), store_len);
    check(&r, &model, 500, "read-only after close");
    drop(r);
    // A read-write open with the option keeps the space and appends there.
    {
        let s = Store::open(&path, pre()).unwrap();
        assert_eq!(s.file_size(), store_len);
        check(&s, &model, 500, "reopened with preallocation");
        step(&s, &mut model, &mut rng, 500);
        s.write(b"after reopen", b"lands in the reserved space")
            .unwrap();
        model.insert(
            b"after reopen".to_vec(),
            b"lands in the reserved space".to_vec(),
        );
        assert!(file_len(&path) >= reserved_len);
    }
    // One without cuts the zeros off, like any torn tail.
    let s = Store::open(&path, plain()).unwrap();
    let len = s.file_size();
    assert_eq!(file_len(&path), len);
    check(&s, &model, 500, "reopened without the option");
    assert_eq!(
        s.read_to_vec(b"after reopen").unwrap().as_deref(),
        Some(&b"lands in the reserved space"[..])
    );
    drop(s);
    assert_eq!(file_len(&path), len);
}

#[test]
fn a_copy_of_the_open_file_reopens_to_exactly_what_was_written() {
    // Copying the file while the writer holds it is what a crash leaves
    // (the page cache survives a process crash): the store, then zeros.
    let dir = Scratch::new("prealloc-crash");
    let path = dir.file("s.srd");
    let mut model = Model::new();
    let mut rng = Rng::new(2);
    let s = Store::open(&path, pre()).unwrap();
    for round in 0..8 {
        for _ in 0..(50 + round * 400) {
            step(&s, &mut model, &mut rng, 300);
        }
        let copy = dir.file(&format!("copy-{round}.srd"));
        std::fs::copy(&path, &copy).unwrap();
        assert!(file_len(&copy) >= s.file_size());
        for opts in [plain(), pre()] {
            let ro = open_ro(&copy, opts.clone());
            assert_eq!(ro.file_size(), s.file_size(), "round {round}: read-only");
            check(&ro, &model, 300, "read-only copy");
            drop(ro);
            let c = Store::open(&copy, opts).unwrap();
            assert_eq!(c.file_size(), s.file_size(), "round {round}");
            check(&c, &model, 300, "read-write copy");
            drop(c);
            assert_eq!(file_len(&copy), s.file_size(), "recovery cut the zeros");
        }
    }
    check(&s, &model, 300, "writer");
}

#[test]
fn torn_writes_into_the_reserved_space_recover_to_the_last_complete_entry() {
    // After a power loss some of the pages written through the mapping may
    // be on disk and others not: the file is a prefix of what was written,
    // then the reserved zeros. Every such cut recovers to the state after
    // the last entry that is complete in it, with the zeros or without.
    let dir = Scratch::new("prealloc-torn");
    let path = dir.file("s.srd");
    let mut rng = Rng::new(3);
    let mut model = Model::new();
    let mut history: Vec<(u64, Model)> = Vec::new();
    let s = Store::open(&path, pre()).unwrap();
    for _ in 0..150 {
        step(&s, &mut model, &mut rng, 40);
        history.push((s.file_size(), model.clone()));
    }
    let tail = s.file_size() as usize;
    if cfg!(srd_generic_unix) {
        // The generic Unix path never preallocates: give the file the
        // zeros a Linux writer would have reserved (a store copied from
        // Linux), which this path must recover from all the same.
        assert_eq!(
            file_len(&path) as usize,
            tail,
            "generic path: no reserved space"
        );
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len((tail as u64 + (1 << 20)).next_multiple_of(4096))
            .unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > tail);
    assert!(bytes[tail..].iter().all(|&b| b == 0));
    // About 250 cuts spread over the file (odd steps, so they fall at every
    // offset within an entry), then every offset around the last entries.
    let first = history[0].0 as usize;
    let stride = ((tail - first) / 250) | 1;
    let mut cuts: Vec<usize> = (first..=tail).step_by(stride).collect();
    for (end, _) in &history[history.len() - 5..] {
        let e = *end as usize;
        cuts.extend([e - 21, e - 20, e - 19, e - 1, e]);
    }
    cuts.push(tail);
    let f = dir.file("torn.srd");
    for (n, &cut) in cuts.iter().enumerate() {
        // (A zero tail makes a torn file slow to recover in debug builds:
        // every fourth spread cut, and every cut near the end, gets one.)
        let zero_tails: &[bool] = if n % 4 == 0 || n >= cuts.len() - 26 {
            &[false, true]
        } else {
            &[false]
        };
        let (end, expect) = history
            .iter()
            .rev()
            .find(|(end, _)| *end as usize <= cut)
            .map(|(end, m)| (*end, m))
            .unwrap();
        for &zero_tail in zero_tails {
            let mut torn = bytes[..cut].to_vec();
            if zero_tail {
                torn.resize(bytes.len(), 0);
            }
            std::fs::write(&f, &torn).unwrap();
            let what = format!("cut at {cut}, zero tail {zero_tail}");
            let c = Store::open(&f, pre()).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(c.file_size(), end, "{what}");
            check(&c, expect, 40, &what);
            drop(c);
            // Torn bytes are cut off; zeros right after the store stay.
            let kept = file_len(&f);
            assert!(kept == end || zeros_from(&f, end), "{what}: kept {kept}");
        }
    }
}

#[test]
fn a_read_only_handle_follows_the_writer_past_the_reserved_zeros() {
    let dir = Scratch::new("prealloc-refresh");
    let path = dir.file("s.srd");
    let mut model = Model::new();
    let mut rng = Rng::new(4);
    let w = Store::open(&path, pre()).unwrap();
    for _ in 0..20 {
        step(&w, &mut model, &mut rng, 100);
    }
    let r = open_ro(&path, plain());
    check(&r, &model, 100, "first open");
    for round in 0..30 {
        let before = w.file_size();
        for _ in 0..(1 + round * 37) {
            step(&w, &mut model, &mut rng, 100);
        }
        let stats = r.refresh().unwrap();
        assert!(!stats.reopened, "round {round}");
        assert!(stats.new_entries > 0 || w.file_size() == before);
        assert_eq!(r.file_size(), w.file_size(), "round {round}");
        check(&r, &model, 100, &format!("after refresh {round}"));
        // Nothing new: a refresh over the zeros finds nothing.
        assert_eq!(r.refresh().unwrap().new_entries, 0);
    }
}

#[test]
fn compaction_with_preallocation_keeps_every_live_value() {
    let dir = Scratch::new("prealloc-compact");
    let path = dir.file("s.srd");
    let mut model = Model::new();
    let mut rng = Rng::new(5);
    let s = Store::open(&path, pre()).unwrap();
    for cycle in 0..3 {
        for _ in 0..2000 {
            step(&s, &mut model, &mut rng, 200);
        }
        let stats = s.compact().unwrap();
        assert!(stats.bytes_after < stats.bytes_before, "cycle {cycle}");
        assert_eq!(s.file_size(), stats.bytes_after);
        check(&s, &model, 200, "after compaction");
        for _ in 0..500 {
            step(&s, &mut model, &mut rng, 200);
        }
        check(&s, &model, 200, "writes after compaction");
        let copy = dir.file("copy.srd");
        std::fs::copy(&path, &copy).unwrap();
        let c = Store::open(&copy, plain()).unwrap();
        check(&c, &model, 200, "copy after compaction");
    }
    let len = s.file_size();
    drop(s);
    assert!(zeros_from(&path, len));
    check(
        &Store::open(&path, plain()).unwrap(),
        &model,
        200,
        "reopened",
    );
}

#[test]
fn the_index_file_and_a_zero_tail_together_give_the_same_answers() {
    // Closed with an index copy, reopened with preallocation, written and
    // "crashed": the copy matches the store's old tail, the entries after
    // it are indexed incrementally, and the zeros are cut off.
    let dir = Scratch::new("prealloc-idx");
    let path = dir.file("s.srd");
    let with_idx = |preallocate| OpenOptions {
        preallocate,
        index_file_min_entries: 1,
        ..Default::default()
    };
    let mut model = Model::new();
    let mut rng = Rng::new(6);
    {
        let s = Store::open(&path, with_idx(true)).unwrap();
        for _ in 0..1000 {
            step(&s, &mut model, &mut rng, 300);
        }
    }
    let s = Store::open(&path, with_idx(true)).unwrap();
    assert!(s.opened_with_index_file());
    for _ in 0..400 {
        step(&s, &mut model, &mut rng, 300);
    }
    let copy = dir.file("copy.srd");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::copy(
        simd_r_drive::persist::index_path(&path),
        simd_r_drive::persist::index_path(&copy),
    )
    .unwrap();
    // The copy is another file (another inode): the index copy saved for
    // the original is not used for it; the full walk gives the answers.
    let c = Store::open(&copy, with_idx(false)).unwrap();
    assert!(!c.opened_with_index_file());
    assert_eq!(c.file_size(), s.file_size());
    check(&c, &model, 300, "copy opened with the index file");
}

#[test]
fn durable_writes_with_preallocation_read_back() {
    let dir = Scratch::new("prealloc-sync");
    let path = dir.file("s.srd");
    let mut model = Model::new();
    let mut rng = Rng::new(7);
    {
        let s = Store::open(
            &path,
            OpenOptions {
                sync: true,
                ..pre()
            },
        )
        .unwrap();
        for _ in 0..100 {
            step(&s, &mut model, &mut rng, 50);
        }
        s.sync().unwrap();
        check(&s, &model, 50, "open");
    }
    check(
        &Store::open(&path, plain()).unwrap(),
        &model,
        50,
        "reopened",
    );
}
