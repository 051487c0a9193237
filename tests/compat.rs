//! Byte compatibility with the Rust crate `simd-r-drive` 0.17.5-alpha: files
//! written by either open in the other with identical answers, and the same
//! operations give byte-identical files (a batch of more than one entry is
//! the crate's batch with this library's batch marker first: docs/FORMAT.md,
//! "Batches").

mod common;

use common::{ro, Rng, Scratch};
use simd_r_drive::{OpenOptions, Store};
use simd_r_drive_ref::traits::{DataStoreReader, DataStoreWriter};
use simd_r_drive_ref::DataStore;
use std::collections::HashMap;

#[derive(Clone, Debug)]
enum Op {
    Write(Vec<u8>, Vec<u8>),
    Batch(Vec<(Vec<u8>, Vec<u8>)>),
    Delete(Vec<u8>),
    DeleteBatch(Vec<Vec<u8>>),
}

const SIZES: &[usize] = &[
    1,
    2,
    7,
    19,
    20,
    21,
    63,
    64,
    65,
    100,
    127,
    128,
    129,
    1000,
    4095,
    4096,
    4097,
    65_536,
    100_003,
    300 * 1024,
];

/// A mixed sequence of writes, overwrites, batches and deletes (deletes only
/// of keys that exist, so both implementations write the same bytes).
fn operations(seed: u64) -> (Vec<Op>, HashMap<Vec<u8>, Vec<u8>>) {
    let mut rng = Rng::new(seed);
    let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut ops = Vec::new();
    let key = |rng: &mut Rng| format!("key-{}", rng.below(40)).into_bytes();
    let value = |rng: &mut Rng| {
        let n = SIZES[rng.below(SIZES.len() as u64) as usize];
        rng.bytes(n)
    };
    for _ in 0..160 {
        match rng.below(10) {
            0..=4 => {
                let (k, v) = (key(&mut rng), value(&mut rng));
                model.insert(k.clone(), v.clone());
                ops.push(Op::Write(k, v));
            }
            5 | 6 => {
                let n = 1 + rng.below(6) as usize;
                let items: Vec<_> = (0..n).map(|_| (key(&mut rng), value(&mut rng))).collect();
                for (k, v) in &items {
                    model.insert(k.clone(), v.clone());
                }
                ops.push(Op::Batch(items));
            }
            7 | 8 => {
                let k = key(&mut rng);
                if model.remove(&k).is_some() {
                    ops.push(Op::Delete(k));
                }
            }
            _ => {
                let mut ks: Vec<Vec<u8>> = Vec::new();
                for _ in 0..4 {
                    let k = key(&mut rng);
                    if model.remove(&k).is_some() {
                        ks.push(k);
                    }
                }
                if !ks.is_empty() {
                    ops.push(Op::DeleteBatch(ks));
                }
            }
        }
    }
    (ops, model)
}

fn apply_crate(store: &DataStore, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Write(k, v) => {
                store.write(k, v).unwrap();
            }
            Op::Batch(items) => {
                let refs: Vec<(&[u8], &[u8])> =
                    items.iter().map(|(k, v)| (&k[..], &v[..])).collect();
                store.batch_write(&refs).unwrap();
            }
            Op::Delete(k) => {
                store.delete(k).unwrap();
            }
            Op::DeleteBatch(ks) => {
                let refs: Vec<&[u8]> = ks.iter().map(|k| &k[..]).collect();
                store.batch_delete(&refs).unwrap();
            }
        }
    }
}

/// As [`apply_crate`], but each batch of more than one entry gets the batch
/// marker this library writes first (docs/FORMAT.md, "Batches"), through
/// the crate's own batch write: the same operations as [`apply_ours`].
fn apply_crate_as_ours(store: &DataStore, path: &std::path::Path, ops: &[Op]) {
    use simd_r_drive::format::{batch_marker, key_hash, pad_len, BATCH_KEY_HASH};
    let marked = |items: Vec<(u64, Vec<u8>)>| {
        let mut tail = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        tail += pad_len(tail) + 16 + 20;
        for (_, v) in &items {
            tail += if v == &[0] {
                1 + 20
            } else {
                pad_len(tail) + v.len() as u64 + 20
            };
        }
        let marker = batch_marker(tail).to_vec();
        let mut all = vec![(BATCH_KEY_HASH, marker)];
        all.extend(items);
        let refs: Vec<(u64, &[u8])> = all.iter().map(|(h, v)| (*h, &v[..])).collect();
        store.batch_write_with_key_hashes(refs, true).unwrap();
    };
    for op in ops {
        match op {
            Op::Batch(items) if items.len() > 1 => marked(
                items
                    .iter()
                    .map(|(k, v)| (key_hash(k), v.clone()))
                    .collect(),
            ),
            Op::DeleteBatch(ks) if ks.len() > 1 => {
                marked(ks.iter().map(|k| (key_hash(k), vec![0u8])).collect())
            }
            other => apply_crate(store, std::slice::from_ref(other)),
        }
    }
}

fn apply_ours(store: &Store, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Write(k, v) => store.write(k, v).unwrap(),
            Op::Batch(items) => {
                let refs: Vec<(&[u8], &[u8])> =
                    items.iter().map(|(k, v)| (&k[..], &v[..])).collect();
                store.write_batch(&refs).unwrap();
            }
            Op::Delete(k) => assert!(store.delete(k).unwrap()),
            Op::DeleteBatch(ks) => {
                let refs: Vec<&[u8]> = ks.iter().map(|k| &k[..]).collect();
                assert_eq!(store.delete_batch(&refs).unwrap(), ks.len() as u64);
            }
        }
    }
}

fn all_keys() -> Vec<Vec<u8>> {
    (0..40).map(|i| format!("key-{i}").into_bytes()).collect()
}

fn check_ours(store: &Store, model: &HashMap<Vec<u8>, Vec<u8>>) {
    for k in all_keys() {
        let got = store.read_to_vec(&k).unwrap();
        assert_eq!(
            got.as_ref(),
            model.get(&k),
            "key {}",
            String::from_utf8_lossy(&k)
        );
        if let Some(e) = store.get(&k).unwrap() {
            assert_eq!(e.data().as_ptr() as usize % 64, 0);
        }
    }
    assert_eq!(store.len(), model.len() as u64);
}

fn check_crate(store: &DataStore, model: &HashMap<Vec<u8>, Vec<u8>>) {
    for k in all_keys() {
        let got = store.read(&k).unwrap().map(|e| e.as_slice().to_vec());
        assert_eq!(
            got.as_ref(),
            model.get(&k),
            "key {}",
            String::from_utf8_lossy(&k)
        );
    }
    // The crate's own `len()` counts deleted keys after a reopen (it indexes
    // tombstones), so only the answers to reads are compared.
}

#[test]
fn same_operations_give_byte_identical_files() {
    let dir = Scratch::new("compat-identical");
    for seed in [1, 2, 3] {
        let (ops, _) = operations(seed);
        let a = dir.file(&format!("crate-{seed}.bin"));
        let b = dir.file(&format!("ours-{seed}.bin"));
        apply_crate_as_ours(&DataStore::open(&a).unwrap(), &a, &ops);
        apply_ours(&Store::open(&b, OpenOptions::default()).unwrap(), &ops);
        let (fa, fb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert_eq!(fa.len(), fb.len(), "seed {seed}: file sizes differ");
        assert!(fa == fb, "seed {seed}: files differ");
    }
}

#[test]
fn files_written_by_the_crate_open_here_with_identical_answers() {
    let dir = Scratch::new("compat-crate-to-ours");
    for seed in [10, 11] {
        let (ops, model) = operations(seed);
        let path = dir.file(&format!("crate-{seed}.bin"));
        {
            let cs = DataStore::open(&path).unwrap();
            apply_crate(&cs, &ops);
            check_crate(&cs, &model);
        }
        let reader = ro(&path);
        check_ours(&reader, &model);
        drop(reader);
        let rw = Store::open(&path, OpenOptions::default()).unwrap();
        check_ours(&rw, &model);
    }
}

#[test]
fn files_written_here_open_in_the_crate_with_identical_answers() {
    let dir = Scratch::new("compat-ours-to-crate");
    for seed in [20, 21] {
        let (ops, model) = operations(seed);
        let path = dir.file(&format!("ours-{seed}.bin"));
        {
            let ours = Store::open(&path, OpenOptions::default()).unwrap();
            apply_ours(&ours, &ops);
            check_ours(&ours, &model);
        }
        check_crate(&DataStore::open(&path).unwrap(), &model);
    }
}

#[test]
fn compacted_files_open_in_the_crate() {
    let dir = Scratch::new("compat-compacted");
    let (ops, model) = operations(30);
    let path = dir.file("ours.bin");
    {
        let ours = Store::open(&path, OpenOptions::default()).unwrap();
        apply_ours(&ours, &ops);
        ours.compact().unwrap();
        check_ours(&ours, &model);
    }
    check_crate(&DataStore::open(&path).unwrap(), &model);
}

#[test]
fn both_can_append_to_the_same_file_in_turn() {
    let dir = Scratch::new("compat-alternate");
    let path = dir.file("shared.bin");
    let (ops, _) = operations(40);
    let mut model = HashMap::new();
    for (i, chunk) in ops.chunks(20).enumerate() {
        if i % 2 == 0 {
            apply_crate(&DataStore::open(&path).unwrap(), chunk);
        } else {
            apply_ours(&Store::open(&path, OpenOptions::default()).unwrap(), chunk);
        }
        for op in chunk {
            match op {
                Op::Write(k, v) => {
                    model.insert(k.clone(), v.clone());
                }
                Op::Batch(items) => {
                    for (k, v) in items {
                        model.insert(k.clone(), v.clone());
                    }
                }
                Op::Delete(k) => {
                    model.remove(k);
                }
                Op::DeleteBatch(ks) => {
                    for k in ks {
                        model.remove(k);
                    }
                }
            }
        }
        check_ours(&ro(&path), &model);
        check_crate(&DataStore::open(&path).unwrap(), &model);
    }
}

#[test]
fn key_hash_matches_the_crate() {
    for k in [&b"a"[..], b"hello", b"", &[0u8; 100]] {
        assert_eq!(
            simd_r_drive::format::key_hash(k),
            simd_r_drive_ref::compute_hash(k)
        );
    }
}

#[test]
fn namespace_keys_match_the_crate() {
    use simd_r_drive_ref::utils::NamespaceHasher;
    for (p, k) in [
        (&b"users"[..], &b"alice"[..]),
        (b"p", b""),
        (b"\x00\x01", b"key"),
    ] {
        assert_eq!(
            simd_r_drive::format::namespace_key(p, k).to_vec(),
            NamespaceHasher::new(p).namespace(k)
        );
    }
}

#[test]
fn streamed_values_are_byte_identical_to_the_crate() {
    use simd_r_drive_ref::traits::DataStoreWriter as _;
    let dir = Scratch::new("compat-stream");
    let (a, b) = (dir.file("crate.bin"), dir.file("ours.bin"));
    let mut rng = Rng::new(77);
    let values: Vec<Vec<u8>> = (0..6).map(|i| rng.bytes(1 + i * 70_001)).collect();
    {
        let cs = DataStore::open(&a).unwrap();
        for (i, v) in values.iter().enumerate() {
            cs.write_stream(format!("s{i}").as_bytes(), &mut &v[..])
                .unwrap();
        }
    }
    {
        let ours = std::sync::Arc::new(Store::open(&b, OpenOptions::default()).unwrap());
        for (i, v) in values.iter().enumerate() {
            let mut st = ours
                .begin_stream(simd_r_drive::format::key_hash(format!("s{i}").as_bytes()))
                .unwrap();
            for chunk in v.chunks(4096) {
                st.write(chunk).unwrap();
            }
            st.commit().unwrap();
        }
    }
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap());
}
