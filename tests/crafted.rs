//! Values crafted to hold entries, torn by a crash (README, "Limits of the
//! format"): with an index copy saved at the last close, recovery keeps
//! everything that was the store then.

mod common;

use common::{idx_opts, ro, Scratch};
use simd_r_drive::format::{checksum, pad_len, Metadata, METADATA_SIZE};
use simd_r_drive::{OpenOptions, Store};
use std::path::Path;

const FAKE_HASH: u64 = 0x5eed_0000_0000_0999;

fn key(i: u64) -> Vec<u8> {
    format!("committed-{i}").into_bytes()
}

/// A value whose bytes at 100 are metadata linked to offset 0, with the
/// checksum of every byte of the store from 0 to there, for a value
/// appended to the store `store` (the file's bytes).
fn crafted(store: &[u8]) -> Vec<u8> {
    let tail = store.len() as u64;
    let start = (tail + pad_len(tail)) as usize;
    let mut v = vec![0x42u8; 600];
    let mut covered = store.to_vec();
    covered.resize(start, 0);
    covered.extend_from_slice(&v[..100]);
    let m = Metadata {
        key_hash: FAKE_HASH,
        prev_tail: 0,
        checksum: checksum(&covered),
    };
    v[100..100 + METADATA_SIZE].copy_from_slice(&m.encode());
    v
}

/// Not a test on its own: the writer the next test runs, which appends the
/// crafted value and dies without closing (no index copy saved).
#[test]
fn crafted_child() {
    let Ok(path) = std::env::var("SRD_CRAFTED_CHILD") else {
        return;
    };
    let s = Store::open(Path::new(&path), idx_opts()).unwrap();
    let v = crafted(&std::fs::read(&path).unwrap());
    s.write(b"crafted", &v).unwrap();
    std::process::abort(); // no close
}

fn run_child(path: &Path) {
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crafted_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SRD_CRAFTED_CHILD", path)
        .status()
        .unwrap();
    assert!(!status.success(), "the child aborts");
}

/// Tears the last write: the file loses its last `n` bytes.
fn tear(path: &Path, n: u64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len - n).unwrap();
}

fn committed_store(path: &Path, n: u64) {
    let s = Store::open(path, idx_opts()).unwrap();
    for i in 0..n {
        s.write(&key(i), format!("value {i}").as_bytes()).unwrap();
    }
    drop(s);
    assert!(
        path.with_extension("srd.idx").exists(),
        "the index copy is saved"
    );
}

#[test]
fn a_torn_crafted_value_cannot_drop_what_was_there_at_the_last_close() {
    let dir = Scratch::new("crafted-committed");
    // 500: the file ends exactly where the crafted entry does (the fast
    // path of recovery, which walks back from the end, finds it).
    for cut in [5u64, 300, 480, 500] {
        let path = dir.file(&format!("s{cut}.srd"));
        committed_store(&path, 20);
        run_child(&path);
        tear(&path, cut);
        // A read-only open, then a read-write open (which cuts the tail):
        // every committed key, neither the crafted value nor its entry.
        let check = |s: &Store, who: &str| {
            for i in 0..20 {
                assert_eq!(
                    s.read_to_vec(&key(i)).unwrap(),
                    Some(format!("value {i}").into_bytes()),
                    "cut {cut}, {who}: key {i}"
                );
            }
            assert!(
                !s.contains_hash(FAKE_HASH),
                "cut {cut}, {who}: the crafted entry"
            );
            assert_eq!(s.read_to_vec(b"crafted").unwrap(), None, "cut {cut}, {who}");
        };
        check(&ro(&path), "read-only open");
        let w = Store::open(&path, idx_opts()).unwrap();
        check(&w, "read-write open");
        w.write(b"after", b"the crash").unwrap();
        drop(w);
        check(&ro(&path), "reopened");
    }
}

#[test]
fn without_an_index_copy_the_documented_limit_applies() {
    // The same file without its index copy: recovery cannot tell the
    // crafted entry from a real one, and takes it (the limit as stated).
    let dir = Scratch::new("crafted-limit");
    let path = dir.file("s.srd");
    committed_store(&path, 20);
    run_child(&path);
    tear(&path, 5);
    std::fs::remove_file(path.with_extension("srd.idx")).unwrap();
    let s = ro(&path);
    assert!(s.contains_hash(FAKE_HASH), "the crafted entry is taken");
    assert_eq!(
        s.read_to_vec(&key(0)).unwrap(),
        None,
        "the store before it is gone"
    );
    let _ = OpenOptions::default();
}
