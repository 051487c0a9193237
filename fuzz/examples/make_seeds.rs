//! Writes the hand-made seeds of the corpus (run once; the output is
//! committed under fuzz/corpus/):
//!
//!   cd fuzz && cargo run --release --example make_seeds --target-dir target/plain
//!
//! `open_bytes` seeds are store files written by the library itself (clean,
//! compacted, nested, with tombstones and batches), and damaged copies of
//! them (torn, zero-padded, a flipped payload byte, a broken link).
//! `api_sequence` seeds are operation programs in that target's encoding.

use simd_r_drive::{OpenOptions, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let ob = root.join("open_bytes");
    let aps = root.join("api_sequence");
    std::fs::create_dir_all(&ob).unwrap();
    std::fs::create_dir_all(&aps).unwrap();
    let tmp = std::env::temp_dir().join(format!("srd-seeds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();

    // --- open_bytes ---------------------------------------------------------
    let small = build(&tmp.join("small.srd"), |s| {
        s.write(b"alpha", b"1").unwrap();
        s.write(b"beta", &[0u8, 0]).unwrap();
        s.write(b"gamma", &[7u8; 65]).unwrap();
        s.write(b"alpha", b"second version").unwrap();
        s.delete(b"beta").unwrap();
        s.write_batch(&[(b"d".as_slice(), b"dd".as_slice()), (b"e", &[1u8; 100])])
            .unwrap();
    });
    save(&ob, "small.srd", &small);
    let compacted = build(&tmp.join("compacted.srd"), |s| {
        for i in 0..6u8 {
            s.write(&[b'k', i], &vec![i + 1; 10 * usize::from(i) + 1])
                .unwrap();
        }
        s.delete(&[b'k', 2]).unwrap();
        s.write(&[b'k', 0], b"new").unwrap();
        s.compact().unwrap();
    });
    save(&ob, "compacted.srd", &compacted);
    let tombstones = build(&tmp.join("tombstones.srd"), |s| {
        s.write(b"x", b"v").unwrap();
        s.delete(b"x").unwrap();
        s.write(b"y", b"w").unwrap();
        s.delete_batch(&[b"y".as_slice(), b"x".as_slice()]).unwrap();
    });
    save(&ob, "only-tombstones.srd", &tombstones);
    let streamed = {
        let path = tmp.join("streamed.srd");
        let s = Arc::new(Store::open(&path, OpenOptions::default()).unwrap());
        s.write(b"a", b"before").unwrap();
        let mut st = s
            .begin_stream(simd_r_drive::format::key_hash(b"big"))
            .unwrap();
        for i in 0..5u8 {
            st.write(&[i; 300]).unwrap();
        }
        st.commit().unwrap();
        drop(s);
        std::fs::read(&path).unwrap()
    };
    save(&ob, "streamed.srd", &streamed);
    let nested = build(&tmp.join("nested.srd"), |s| {
        s.write(b"outer", b"plain").unwrap();
        s.write(b"inner-store", &small).unwrap();
    });
    save(&ob, "nested.srd", &nested);

    // Damaged copies.
    save(&ob, "torn-7.srd", &small[..small.len() - 7]);
    save(&ob, "torn-30.srd", &small[..small.len() - 30]);
    let mut zeros = small.clone();
    zeros.extend_from_slice(&[0u8; 40]);
    save(&ob, "zeros-after.srd", &zeros);
    let mut garbage = compacted.clone();
    garbage.extend_from_slice(b"garbage after the last entry, not a store");
    save(&ob, "garbage-after.srd", &garbage);
    // A payload byte of an older entry flipped: opens, reads of it fail.
    let mut flipped = compacted.clone();
    flipped[64 + 3] ^= 0x55;
    save(&ob, "flipped-middle-value.srd", &flipped);
    // A link in the middle broken: refused.
    let mut broken = small.clone();
    // The first value is one byte at offset 0: its metadata starts at 1 and
    // its prev_tail (0) at 9; make it 1, a link that points at itself.
    broken[1 + 8] ^= 0x01;
    save(&ob, "broken-first-metadata.srd", &broken);
    save(&ob, "text.srd", b"this is a text file, not a store\n");
    save(&ob, "one-entry.srd", &tombstones[..21]);

    // --- api_sequence -------------------------------------------------------
    use Op::*;
    let programs: Vec<(&str, Vec<Op>)> = vec![
        (
            "write-read-compact-reopen",
            vec![
                Write(1, Small(20)),
                Write(2, Small(200)),
                Write(1, Small(5)),
                Read(1, 3),
                Read(2, 1),
                Delete(2),
                Compact,
                Read(1, 0),
                Reopen(0),
                Check,
            ],
        ),
        (
            "batches-and-hashes",
            vec![
                Batch(vec![(3, Small(10)), (4, Literal(b"lit")), (3, Small(70))]),
                WriteHash(5, Special(2)),
                Write(6, Special(0)),
                Write(18, Small(1)),
                DeleteBatch(vec![3, 4, 9]),
                DeleteHash(5),
                ReadBatch(vec![3, 4, 5, 6]),
                ReadLast,
                Check,
            ],
        ),
        (
            "streams",
            vec![
                Write(7, Small(9)),
                Stream(7, false, 0, vec![Small(30), Small(40)]),
                Stream(8, true, 1, vec![Small(1)]),
                Stream(9, false, 2, vec![Big(69000)]),
                Stream(10, false, 3, vec![Special(1)]),
                Stream(11, false, 0, vec![]),
                Check,
            ],
        ),
        (
            "tear-and-zeros",
            vec![
                Write(1, Small(100)),
                Write(2, Small(33)),
                Tear(50),
                Write(3, Big(5000)),
                ZerosAfter(100),
                Delete(1),
                Tear(3),
                Check,
            ],
        ),
        (
            "read-only-handle",
            vec![
                Write(1, Small(64)),
                ReadOnly(0),
                Write(2, Small(64)),
                ReadOnly(1),
                ReadOnly(0),
                Compact,
                ReadOnly(0),
                ZerosAfter(10),
                ReadOnly(2),
                Check,
            ],
        ),
        (
            "iterators-and-pins",
            vec![
                Write(1, Small(10)),
                Write(2, Big(66000)),
                IterNew,
                Read(2, 3),
                Write(2, Small(3)),
                Rename(1, 4),
                Rename(4, 4),
                Compact,
                IterNew,
                Delete(4),
                IterDrain,
                Reopen(2),
                IterDrain,
                Sync,
                Check,
            ],
        ),
    ];
    for (name, ops) in programs {
        let mut out = Vec::new();
        for op in &ops {
            op.encode(&mut out);
        }
        save(&aps, &format!("{name}.ops"), &out);
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

fn build(path: &Path, f: impl FnOnce(&Store)) -> Vec<u8> {
    let s = Store::open(path, OpenOptions::default()).unwrap();
    f(&s);
    drop(s);
    std::fs::read(path).unwrap()
}

fn save(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    println!("{:>6} bytes  {}/seed-{name}", bytes.len(), dir.display());
}

/// Values in the encoding of `api_sequence` (see `Harness::value` there).
enum Val {
    /// 0: empty, 1: [0], 2: [0, 0].
    Special(u8),
    /// Generated bytes, 1..=256 long.
    Small(u16),
    /// Generated bytes, 4000..=69535 long.
    Big(u32),
    Literal(&'static [u8]),
}

impl Val {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Val::Special(n) => out.push(*n),
            Val::Small(n) => out.extend_from_slice(&[6, (n - 1) as u8]),
            Val::Big(n) => {
                out.push(5);
                out.extend_from_slice(&((n - 4000) as u16).to_le_bytes());
            }
            Val::Literal(b) => {
                out.extend_from_slice(&[3, b.len() as u8]);
                out.extend_from_slice(b);
            }
        }
    }
    fn is_empty(&self) -> bool {
        matches!(self, Val::Special(0))
    }
}

use Val::*;

/// Operations in the encoding of `api_sequence` (see `Harness::run`).
enum Op {
    Write(u8, Val),
    WriteHash(u8, Val),
    Batch(Vec<(u8, Val)>),
    Delete(u8),
    DeleteHash(u8),
    DeleteBatch(Vec<u8>),
    /// key, by hash, variant (0 commit, 1 abort, 2 close first, 3 busy), chunks
    Stream(u8, bool, u8, Vec<Val>),
    Compact,
    Reopen(u8),
    /// key, mode (1: keep borrowed, 2: keep pinned)
    Read(u8, u8),
    ReadBatch(Vec<u8>),
    ReadLast,
    Rename(u8, u8),
    IterNew,
    IterDrain,
    Tear(u16),
    ZerosAfter(u8),
    /// 0: open or refresh, 1: check, 2: close
    ReadOnly(u8),
    Sync,
    Check,
}

impl Op {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Op::Write(k, v) | Op::WriteHash(k, v) => {
                out.push(if matches!(self, Op::Write(..)) { 0 } else { 1 });
                out.push(*k);
                v.encode(out);
                if v.is_empty() {
                    out.push(1);
                }
            }
            Op::Batch(items) => {
                out.extend_from_slice(&[2, items.len() as u8]);
                for (k, v) in items {
                    out.push(*k);
                    v.encode(out);
                }
            }
            Op::Delete(k) => out.extend_from_slice(&[3, *k]),
            Op::DeleteHash(k) => out.extend_from_slice(&[4, *k]),
            Op::DeleteBatch(ks) => {
                out.extend_from_slice(&[5, ks.len() as u8]);
                out.extend_from_slice(ks);
            }
            Op::Stream(k, by_hash, variant, chunks) => {
                out.extend_from_slice(&[6, *k, u8::from(*by_hash), chunks.len() as u8, *variant]);
                for c in chunks {
                    c.encode(out);
                }
            }
            Op::Compact => out.push(7),
            Op::Reopen(f) => out.extend_from_slice(&[8, *f]),
            Op::Read(k, mode) => out.extend_from_slice(&[9, *k, *mode]),
            Op::ReadBatch(ks) => {
                out.extend_from_slice(&[10, (ks.len() - 1) as u8]);
                out.extend_from_slice(ks);
            }
            Op::ReadLast => out.push(11),
            Op::Rename(a, b) => out.extend_from_slice(&[12, *a, *b]),
            Op::IterNew => out.push(13),
            Op::IterDrain => out.push(14),
            Op::Tear(n) => {
                out.push(15);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Op::ZerosAfter(n) => out.extend_from_slice(&[16, n - 1]),
            Op::ReadOnly(v) => out.extend_from_slice(&[17, *v]),
            Op::Sync => out.push(18),
            Op::Check => out.push(19),
        }
    }
}
