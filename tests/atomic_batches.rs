//! Crash-atomic batches: a store file cut at any byte inside its last
//! batches (writes, deletes, mixed, renames) opens to the state before a
//! batch or after it, never in between, read-only and read-write, and a
//! read-only handle refreshing while a batch is half written takes in none
//! of it.

mod common;

use common::{ro, Rng, Scratch};
use simd_r_drive::{BatchOp, OpenOptions, Store};
use std::collections::HashMap;
use std::path::Path;

type Model = HashMap<Vec<u8>, Vec<u8>>;

fn key(i: u64) -> Vec<u8> {
    format!("key{i}").into_bytes()
}

fn keys() -> Vec<Vec<u8>> {
    (0..24).map(key).collect()
}

fn matches(s: &Store, m: &Model) -> bool {
    s.len() == m.len() as u64
        && keys()
            .iter()
            .all(|k| s.read_to_vec(k).unwrap().as_ref() == m.get(k))
}

/// Writes single values, then batches of every kind; returns the file and
/// the states (file size, model) after each operation.
fn history(path: &Path) -> Vec<(u64, Model)> {
    let s = Store::open(path, OpenOptions::default()).unwrap();
    let mut rng = Rng::new(9);
    let mut m = Model::new();
    let mut states = Vec::new();
    for i in 0..8 {
        let v = rng.bytes(1 + (i * 13) as usize);
        s.write(&key(i), &v).unwrap();
        m.insert(key(i), v);
    }
    states.push((s.file_size(), m.clone()));
    for round in 0..3u64 {
        // A batch of writes (one value larger than a page).
        let items: Vec<(Vec<u8>, Vec<u8>)> = (0..5)
            .map(|j| {
                let n = if j == 2 {
                    5000
                } else {
                    1 + rng.below(100) as usize
                };
                (key(rng.below(24)), rng.bytes(n))
            })
            .collect();
        let refs: Vec<(&[u8], &[u8])> = items.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        s.write_batch(&refs).unwrap();
        for (k, v) in items {
            m.insert(k, v);
        }
        states.push((s.file_size(), m.clone()));
        // A batch of deletes (of live keys only: absent ones are skipped).
        let dels: Vec<Vec<u8>> = m.keys().take(3).cloned().collect();
        let refs: Vec<&[u8]> = dels.iter().map(|k| &k[..]).collect();
        assert_eq!(s.delete_batch(&refs).unwrap(), 3);
        for k in &dels {
            m.remove(k);
        }
        states.push((s.file_size(), m.clone()));
        // A mixed batch.
        let (a, b, c) = (key(round), key(10 + round), key(20 + round));
        let va = rng.bytes(70);
        let ops = [
            BatchOp::Write(&a, &va),
            BatchOp::Delete(&b),
            BatchOp::Write(&c, b"mixed"),
            BatchOp::Delete(&c),
            BatchOp::Write(&b, b"back"),
        ];
        s.apply(&ops).unwrap();
        m.insert(a, va);
        m.remove(&c);
        m.insert(b.clone(), b"back".to_vec());
        states.push((s.file_size(), m.clone()));
        // A rename (a tombstone and a value in one append).
        let to = key(30 + round);
        s.rename(&b, &to).unwrap();
        let v = m.remove(&b).unwrap();
        m.insert(to, v);
        states.push((s.file_size(), m.clone()));
    }
    states
}

#[test]
fn every_cut_inside_a_batch_opens_to_before_or_after_it() {
    let dir = Scratch::new("atomic-cut");
    let path = dir.file("s.srd");
    let states = history(&path);
    let bytes = std::fs::read(&path).unwrap();
    let cut = dir.file("cut.srd");
    let mut partial_seen = 0;
    // Every byte of the first round of batches, every 13th after it.
    let first_round = states[4].0 as usize;
    let ends = (states[0].0 as usize..=bytes.len()).filter(|&e| e <= first_round || e % 13 == 0);
    for end in ends {
        // The state of the last operation wholly below the cut.
        let want = &states
            .iter()
            .rev()
            .find(|(size, _)| *size as usize <= end)
            .unwrap()
            .1;
        std::fs::write(&cut, &bytes[..end]).unwrap();
        let r = ro(&cut);
        assert!(matches(&r, want), "read-only open of a cut at {end}");
        drop(r);
        let w = Store::open(
            &cut,
            OpenOptions {
                index_file: false,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(matches(&w, want), "read-write open of a cut at {end}");
        let size = w.file_size();
        drop(w);
        assert_eq!(
            std::fs::metadata(&cut).unwrap().len(),
            size,
            "cut at {end}: torn part cut off"
        );
        if !states.iter().any(|(s, _)| *s as usize == end) {
            partial_seen += 1;
        }
    }
    assert!(partial_seen > 500, "cuts inside batches: {partial_seen}");
}

#[test]
fn a_refresh_takes_in_a_batch_whole_or_not_at_all() {
    let dir = Scratch::new("atomic-refresh");
    let path = dir.file("s.srd");
    let states = history(&path);
    let bytes = std::fs::read(&path).unwrap();
    let live = dir.file("live.srd");
    // The file as a writer in another process would leave it, cut after
    // each byte of the batches in turn; one handle refreshes all along.
    std::fs::write(&live, &bytes[..states[0].0 as usize]).unwrap();
    let r = ro(&live);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .unwrap();
    let mut at = states[0].0 as usize;
    let mut step = 1;
    while at < bytes.len() {
        let next = (at + step).min(bytes.len());
        std::io::Write::write_all(&mut f, &bytes[at..next]).unwrap();
        at = next;
        step = step % 97 + 1;
        r.refresh().unwrap();
        let shown = r.file_size();
        let (size, want) = states
            .iter()
            .rev()
            .find(|(size, _)| *size as usize <= at)
            .unwrap();
        assert_eq!(shown, *size, "refresh at {at} shows a state boundary");
        assert!(matches(&r, want), "refresh at {at}");
    }
    assert_eq!(r.file_size(), bytes.len() as u64);
}

#[test]
fn the_marker_is_hidden_and_its_hash_refused() {
    let dir = Scratch::new("atomic-marker");
    let s = Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap();
    s.write_batch(&[(b"a", b"1"), (b"b", b"2")]).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s.entry_count(), 2, "markers are not counted as entries");
    let h = simd_r_drive::format::BATCH_KEY_HASH;
    assert!(!s.contains_hash(h));
    assert!(s.read_with(h, |_| ()).unwrap().is_none());
    assert!(s.write_hash(h, b"x").is_err());
    let r = s.write_batch(&[]);
    assert!(r.is_ok());
    let mut n = 0;
    let mut it = s.iter();
    while let Some(e) = it.next() {
        assert_ne!(e.unwrap().0, h);
        n += 1;
    }
    assert_eq!(n, 2);
    s.compact().unwrap();
    assert_eq!(s.len(), 2);
    let before = s.file_size();
    drop(s);
    let s = Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap();
    assert_eq!(s.file_size(), before);
    assert_eq!(s.entry_count(), 2);
}

#[test]
fn a_lost_page_inside_the_last_batch_drops_the_whole_batch() {
    // A power cut can leave later pages of a write on disk while an earlier
    // one is lost (zeros). Inside the file's last batch, that drops the
    // whole batch at open, rather than keeping it with one value damaged.
    let dir = Scratch::new("atomic-hole");
    let path = dir.file("s.srd");
    let s = Store::open(&path, OpenOptions::default()).unwrap();
    s.write(b"before", b"1").unwrap();
    let size0 = s.file_size();
    let big = vec![7u8; 9000];
    let ops = [
        BatchOp::Write(b"a", b"small"),
        BatchOp::Write(b"b", &big),
        BatchOp::Delete(b"before"),
        BatchOp::Write(b"c", b"last"),
    ];
    s.apply(&ops).unwrap();
    drop(s);
    let full = std::fs::read(&path).unwrap();
    // A page inside b's value, away from every metadata.
    let page = 4096;
    assert!(size0 < 256 && full.len() > page + 4096 + 1000);
    let mut holed = full.clone();
    holed[page..page + 4096].fill(0);
    assert_ne!(holed, full);
    std::fs::write(&path, &holed).unwrap();
    for rw in [false, true] {
        let s = if rw {
            Store::open(&path, OpenOptions::default()).unwrap()
        } else {
            ro(&path)
        };
        assert_eq!(
            s.file_size(),
            size0,
            "read-write {rw}: the batch is dropped"
        );
        assert_eq!(s.read_to_vec(b"before").unwrap().unwrap(), b"1");
        for k in [&b"a"[..], b"b", b"c"] {
            assert!(s.read_to_vec(k).unwrap().is_none(), "read-write {rw}");
        }
    }
    // The same batch intact is kept.
    std::fs::write(&path, &full).unwrap();
    let s = ro(&path);
    assert_eq!(s.read_to_vec(b"b").unwrap().unwrap(), big);
    assert!(s.read_to_vec(b"before").unwrap().is_none());
}
