//! Fuzz target `api_sequence`: the input is decoded into a sequence of C API
//! calls on a store file (write, write by hash, batch, delete, delete batch,
//! streamed writes, rename, compaction, reopen with various flags, a torn
//! last write, zeros appended, a read-only second handle with refresh,
//! iterators and pinned entries held across later calls), and every answer
//! is checked against a plain `HashMap` model. After compaction, reopen, and
//! at the end, the whole store is compared with the model; at the end the
//! file's bytes are also read back with the independent format reader
//! (`srd_fuzz::reference`). Any difference, wrong status or panic is a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use srd_fuzz::reference;
use srd_fuzz::*;
use std::collections::HashMap;
use std::ffi::CString;
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::rc::Rc;

/// Operations decoded from one input, at most.
const MAX_OPS: usize = 64;
/// Value bytes generated for one input, at most (keeps executions fast).
const MAX_VALUE_BYTES: usize = 1 << 21;
/// Borrowed pointers, pinned entries and held iterators kept at once.
const MAX_BORROWED: usize = 16;
const MAX_PINNED: usize = 8;
const MAX_ITERS: usize = 3;

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new(data);
    h.run();
    h.finish();
});

/// `SRD_FUZZ_TRACE=1` prints each decoded operation (to read a reproducer).
fn trace() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("SRD_FUZZ_TRACE").is_some_and(|v| v != "0"))
}

const OP_NAMES: [&str; 24] = [
    "write",
    "write_with_hash",
    "write_batch",
    "delete",
    "delete_with_hash",
    "delete_batch",
    "stream",
    "compact",
    "reopen",
    "read",
    "read_batch",
    "read_last",
    "rename",
    "iter_new",
    "iter_drain",
    "tear_last_write",
    "append_zeros",
    "read_only_handle",
    "sync_and_reserve",
    "check",
    "apply_batch",
    "write_if_absent_or_version",
    "snapshot",
    "backup",
];

// --- Decoding the input ------------------------------------------------------

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | (u16::from(self.u8()) << 8)
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        let start = self.pos.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.pos += n;
        &self.data[start..end]
    }
}

/// The keys: a small set, so that overwrites and deletes of live keys are
/// common. Index 18 is the empty key (invalid).
fn key_of(k: u8) -> Vec<u8> {
    match k % 20 {
        16 => vec![0],
        17 => (0..300u32).map(|i| (i * 7) as u8).collect(),
        18 => Vec::new(),
        19 => vec![0xff; 8],
        n => format!("key{n}").into_bytes(),
    }
}

/// A value, and whether its bytes came from the input (the fuzzer could
/// then shape them into something that looks like an entry, so cutting such
/// a value short is not a torn write with a known outcome).
struct Value {
    bytes: Vec<u8>,
    crafted: bool,
}

fn xorshift(mut x: u64, out: &mut [u8]) {
    x |= 1;
    for chunk in out.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
}

// --- The model ---------------------------------------------------------------

/// Key hash -> (value, write sequence number). The sequence number orders
/// live values as the file does (iteration order, read_last).
#[derive(Clone, Default)]
struct Model {
    map: HashMap<u64, (Rc<[u8]>, u64)>,
    seq: u64,
}

impl Model {
    fn put(&mut self, h: u64, v: &[u8]) {
        self.seq += 1;
        self.map.insert(h, (Rc::from(v), self.seq));
    }
    fn get(&self, h: u64) -> Option<&[u8]> {
        self.map.get(&h).map(|(v, _)| &v[..])
    }
    /// Live values in file order.
    fn ordered(&self) -> Snapshot {
        let mut v: Vec<(u64, Rc<[u8]>, u64)> = self
            .map
            .iter()
            .map(|(&h, (v, s))| (h, Rc::clone(v), *s))
            .collect();
        v.sort_by_key(|x| x.2);
        v.into_iter().map(|(h, v, _)| (h, v)).collect()
    }
}

/// Live values (key hash, value) in file order.
type Snapshot = Vec<(u64, Rc<[u8]>)>;

fn valid_value(v: &[u8]) -> bool {
    !v.is_empty() && v != [0]
}

// --- The harness -------------------------------------------------------------

struct Harness<'a> {
    inp: Input<'a>,
    path: PathBuf,
    cpath: CString,
    /// The read-write handle (NULL only inside an operation).
    s: *mut SrdStore,
    flags: u32,
    model: Model,
    budget: usize,
    ops: usize,
    /// Pointers from srd_read: valid until compact or close.
    borrowed: Vec<(*const u8, usize, Rc<[u8]>)>,
    /// Pinned entries: valid until freed, whatever happens to the store.
    pinned: Vec<(*mut SrdEntry, Rc<[u8]>)>,
    /// Iterators and the live values when they were made.
    iters: Vec<(*mut SrdIter, Snapshot)>,
    /// A read-only second handle and what it must show.
    ro: Option<(*mut SrdStore, Model)>,
    /// Snapshots and the store they were taken of.
    snaps: Vec<(*mut SrdStore, Model)>,
    /// The last append if it wrote exactly one entry: file size and model
    /// before it, and whether a cut inside it is a plain torn write.
    last_single: Option<(u64, Model, bool)>,
}

impl<'a> Harness<'a> {
    fn new(data: &'a [u8]) -> Self {
        let path = scratch_dir("api_sequence").join("store.srd");
        let _ = std::fs::remove_file(&path);
        let mut tmp = path.clone().into_os_string();
        tmp.push(".compact.tmp");
        let _ = std::fs::remove_file(&tmp);
        let cpath = c_path(&path);
        let (rc, s) = open(&cpath, 0);
        expect_status(rc, OK, "srd_open(new file)");
        Harness {
            inp: Input { data, pos: 0 },
            path,
            cpath,
            s,
            flags: 0,
            model: Model::default(),
            budget: MAX_VALUE_BYTES,
            ops: 0,
            borrowed: Vec::new(),
            pinned: Vec::new(),
            iters: Vec::new(),
            ro: None,
            snaps: Vec::new(),
            last_single: None,
        }
    }

    fn key(&mut self) -> (Vec<u8>, u64) {
        let k = key_of(self.inp.u8());
        let h = hash_key(&k);
        (k, h)
    }

    fn value(&mut self) -> Value {
        let sel = self.inp.u8();
        let (len, crafted) = match sel % 16 {
            0 => {
                return Value {
                    bytes: Vec::new(),
                    crafted: true,
                }
            }
            1 => {
                return Value {
                    bytes: vec![0],
                    crafted: true,
                }
            }
            2 => {
                return Value {
                    bytes: vec![0, 0],
                    crafted: true,
                }
            }
            3 | 4 => {
                let n = usize::from(self.inp.u8() % 65);
                let bytes = self.inp.bytes(n).to_vec();
                return Value {
                    bytes,
                    crafted: true,
                };
            }
            // Large: past the copy limit (4 KiB) and the unlocked-verify
            // threshold (64 KiB).
            5 => (4000 + usize::from(self.inp.u16()), false),
            _ => (
                1 + usize::from(self.inp.u8()) + usize::from(sel >> 4) * 256,
                false,
            ),
        };
        let len = len.min(self.budget).max(1);
        self.budget -= len.min(self.budget);
        let mut bytes = vec![0u8; len];
        xorshift(
            (u64::from(sel) << 32) ^ (self.ops as u64) << 8 ^ len as u64 ^ 0x9e37_79b9,
            &mut bytes,
        );
        Value { bytes, crafted }
    }

    fn file_len(&self) -> u64 {
        std::fs::metadata(&self.path).expect("stat store").len()
    }

    fn run(&mut self) {
        while !self.inp.done() && self.ops < MAX_OPS {
            self.ops += 1;
            let op = self.inp.u8();
            if trace() {
                eprintln!(
                    "op {:>2}: {} (at input byte {}, {} live keys)",
                    self.ops,
                    OP_NAMES[usize::from(op % 24)],
                    self.inp.pos - 1,
                    self.model.map.len()
                );
            }
            match op % 24 {
                0 => self.op_write(false),
                1 => self.op_write(true),
                2 => self.op_write_batch(),
                3 => self.op_delete(false),
                4 => self.op_delete(true),
                5 => self.op_delete_batch(),
                6 => self.op_stream(),
                7 => self.op_compact(),
                8 => self.op_reopen(),
                9 => self.op_read(),
                10 => self.op_read_batch(),
                11 => self.op_read_last(),
                12 => self.op_rename(),
                13 => self.op_iter_new(),
                14 => self.op_iter_drain(),
                15 => self.op_tear(),
                16 => self.op_append_zeros(),
                17 => self.op_read_only_handle(),
                18 => {
                    // SAFETY: live handle.
                    expect_status(unsafe { srd_sync(self.s) }, OK, "srd_sync");
                    // A capacity hint: the checks that follow see no change.
                    let n = u64::from(self.inp.u8()) * 64;
                    // SAFETY: live handle.
                    expect_status(unsafe { srd_reserve(self.s, n) }, OK, "srd_reserve");
                }
                19 => self.check_full("check"),
                20 => self.op_apply_batch(),
                21 => self.op_conditional(),
                22 => self.op_snapshot(),
                _ => self.op_backup(),
            }
            self.check_quick();
        }
    }

    /// After every operation: key count and file size.
    fn check_quick(&self) {
        assert_eq!(count(self.s), self.model.map.len() as u64, "srd_count");
        assert_eq!(
            file_size(self.s),
            self.file_len(),
            "srd_file_size vs the file"
        );
    }

    /// Everything the store shows against the model.
    fn check_full(&mut self, what: &str) {
        check_store(self.s, &self.model, what);
        self.check_held();
        if let Some((ro, m)) = &self.ro {
            check_store(*ro, m, "read-only handle");
        }
        for (snap, m) in &self.snaps {
            check_store(*snap, m, "snapshot");
        }
    }

    /// Takes a snapshot (at most 3 live), or closes the oldest.
    fn op_snapshot(&mut self) {
        if self.inp.u8() % 4 == 0 || self.snaps.len() >= 3 {
            if !self.snaps.is_empty() {
                let (snap, m) = self.snaps.remove(0);
                check_store(snap, &m, "snapshot before its close");
                // SAFETY: live handle, closed once.
                unsafe { srd_close(snap) };
            }
            return;
        }
        let mut snap = null_mut();
        // SAFETY: live handle, writable output.
        expect_status(
            unsafe { srd_snapshot(self.s, &mut snap) },
            OK,
            "srd_snapshot",
        );
        check_store(snap, &self.model, "a new snapshot");
        self.snaps.push((snap, self.model.clone()));
    }

    fn close_snapshots(&mut self) {
        for (snap, _) in self.snaps.drain(..) {
            // SAFETY: live handle, closed once.
            unsafe { srd_close(snap) };
        }
    }

    /// A backup (full, or extending the previous one) opens on its own and
    /// holds the store as it is now.
    fn op_backup(&mut self) {
        let mut dst = self.path.clone().into_os_string();
        dst.push(".backup");
        let cdst = c_path(std::path::Path::new(&dst));
        // SAFETY: live handle, NUL-terminated path, no callback.
        let rc = unsafe { srd_backup(self.s, cdst.as_ptr(), None, null_mut()) };
        expect_status(rc, OK, "srd_backup");
        let (rc, b) = open(&cdst, OPEN_READ_ONLY | OPEN_NO_INDEX_FILE);
        expect_status(rc, OK, "srd_open of a backup");
        check_store(b, &self.model, "backup");
        // SAFETY: live handle, closed once.
        unsafe { srd_close(b) };
    }

    /// Borrowed pointers and pinned entries still show their bytes.
    fn check_held(&self) {
        for (p, n, v) in &self.borrowed {
            // SAFETY: borrowed pointers stay valid until compact or close,
            // which clear this list first.
            assert_eq!(
                unsafe { copy_out(*p, *n) },
                &v[..],
                "borrowed value changed"
            );
        }
        for (e, v) in &self.pinned {
            // SAFETY: live entry.
            assert_eq!(unsafe { entry_bytes(*e) }, &v[..], "pinned value changed");
        }
    }

    /// Before compaction or close: borrowed pointers are still good, then
    /// forgotten.
    fn drop_borrowed(&mut self) {
        self.check_held();
        self.borrowed.clear();
    }

    fn close(&mut self) {
        self.drop_borrowed();
        // SAFETY: live handle, closed once.
        unsafe { srd_close(self.s) };
        self.s = null_mut();
    }

    fn reopen_with(&mut self, flags: u32, what: &str) {
        let (rc, s) = open(&self.cpath, flags);
        expect_status(rc, OK, what);
        self.s = s;
        self.flags = flags;
    }

    // --- Writes ----------------------------------------------------------

    fn note_append(&mut self, before: u64, model_before: Model, entries: usize, crafted: bool) {
        // A batch is all or nothing (FORMAT.md, "Batches"): tearing it, as
        // tearing a single write, gives the store before it. (Not the
        // store's first append: that one is written to a new file renamed
        // over the empty store.)
        self.last_single = match entries {
            0 => self.last_single.take(),
            1 => Some((before, model_before, !crafted)),
            _ if before > 0 => Some((before, model_before, !crafted)),
            _ => None,
        };
    }

    fn op_write(&mut self, by_hash: bool) {
        let (k, h) = self.key();
        let v = self.value();
        let vp = if v.bytes.is_empty() && self.inp.u8() & 1 == 0 {
            null()
        } else {
            v.bytes.as_ptr()
        };
        let before = self.file_len();
        // SAFETY: live handle; key and value readable for their lengths.
        let rc = unsafe {
            if by_hash {
                srd_write_with_hash(self.s, h, vp, v.bytes.len())
            } else {
                srd_write(self.s, k.as_ptr(), k.len(), vp, v.bytes.len())
            }
        };
        let what = if by_hash {
            "srd_write_with_hash"
        } else {
            "srd_write"
        };
        if (!by_hash && k.is_empty()) || !valid_value(&v.bytes) {
            expect_status(rc, INVALID_ARGUMENT, what);
            assert_eq!(
                self.file_len(),
                before,
                "{what}: a refused write changed the file"
            );
            return;
        }
        expect_status(rc, OK, what);
        let old = self.model.clone();
        self.model.put(h, &v.bytes);
        self.note_append(before, old, 1, v.crafted);
        self.check_key(h, "after write");
    }

    fn op_write_batch(&mut self) {
        let n = usize::from(self.inp.u8() % 6);
        let items: Vec<(Vec<u8>, u64, Value)> = (0..n)
            .map(|_| {
                let (k, h) = self.key();
                (k, h, self.value())
            })
            .collect();
        let kvs: Vec<Kv> = items
            .iter()
            .map(|(k, _, v)| Kv {
                key: k.as_ptr(),
                key_len: k.len(),
                value: v.bytes.as_ptr(),
                value_len: v.bytes.len(),
            })
            .collect();
        let ptr = if n == 0 { null() } else { kvs.as_ptr() };
        let before = self.file_len();
        // SAFETY: `n` valid items whose pointers are readable.
        let rc = unsafe { srd_write_batch(self.s, ptr, n) };
        if items
            .iter()
            .any(|(k, _, v)| k.is_empty() || !valid_value(&v.bytes))
        {
            expect_status(rc, INVALID_ARGUMENT, "srd_write_batch with an invalid item");
            assert_eq!(self.file_len(), before, "a refused batch changed the file");
            return;
        }
        expect_status(rc, OK, "srd_write_batch");
        let old = self.model.clone();
        for (_, h, v) in &items {
            self.model.put(*h, &v.bytes);
        }
        let crafted = items.iter().any(|(_, _, v)| v.crafted);
        self.note_append(before, old, n, crafted);
        for (_, h, _) in &items {
            self.check_key(*h, "after srd_write_batch");
        }
    }

    /// Writes and deletes mixed in one crash-atomic batch.
    fn op_apply_batch(&mut self) {
        let n = usize::from(self.inp.u8() % 7);
        let items: Vec<(bool, Vec<u8>, u64, Value)> = (0..n)
            .map(|_| {
                let del = self.inp.u8() % 3 == 0;
                let (k, h) = self.key();
                (del, k, h, self.value())
            })
            .collect();
        let ops: Vec<Op> = items
            .iter()
            .map(|(del, k, _, v)| Op {
                kind: if *del { 2 } else { 1 },
                key: k.as_ptr(),
                key_len: k.len(),
                value: v.bytes.as_ptr(),
                value_len: v.bytes.len(),
            })
            .collect();
        let ptr = if n == 0 { null() } else { ops.as_ptr() };
        let before = self.file_len();
        let mut deleted = u64::MAX;
        // SAFETY: `n` valid ops whose pointers are readable.
        let rc = unsafe { srd_apply_batch(self.s, ptr, n, &mut deleted) };
        if items
            .iter()
            .any(|(del, k, _, v)| k.is_empty() || (!del && !valid_value(&v.bytes)))
        {
            expect_status(rc, INVALID_ARGUMENT, "srd_apply_batch with an invalid item");
            assert_eq!(self.file_len(), before, "a refused batch changed the file");
            return;
        }
        expect_status(rc, OK, "srd_apply_batch");
        let old = self.model.clone();
        let mut entries = 0;
        let mut want_deleted = 0u64;
        for (del, _, h, v) in &items {
            if *del {
                if self.model.map.remove(h).is_some() {
                    entries += 1;
                    want_deleted += 1;
                }
            } else {
                self.model.put(*h, &v.bytes);
                entries += 1;
            }
        }
        assert_eq!(deleted, want_deleted, "srd_apply_batch: deletes applied");
        if entries == 0 {
            assert_eq!(
                self.file_len(),
                before,
                "a batch of nothing changed the file"
            );
        }
        let crafted = items.iter().any(|(_, _, _, v)| v.crafted);
        self.note_append(before, old, entries, crafted);
        for (_, _, h, _) in &items {
            self.check_key(*h, "after srd_apply_batch");
        }
    }

    /// srd_write_if_absent, or srd_write_if_version with the key's current
    /// version or a wrong one: written exactly when the model says so.
    fn op_conditional(&mut self) {
        let (k, h) = self.key();
        let v = self.value();
        let mode = self.inp.u8() % 3;
        if k.is_empty() || !valid_value(&v.bytes) {
            return;
        }
        let mut version = u64::MAX;
        // SAFETY: live handle; key readable; output writable.
        let vr = unsafe { srd_version_of(self.s, k.as_ptr(), k.len(), &mut version) };
        let present = self.model.map.contains_key(&h);
        expect_status(vr, if present { OK } else { NOT_FOUND }, "srd_version_of");
        let before = self.file_len();
        // SAFETY: live handle; key and value readable.
        let (rc, holds) = unsafe {
            match mode {
                0 => (
                    srd_write_if_absent(
                        self.s,
                        k.as_ptr(),
                        k.len(),
                        v.bytes.as_ptr(),
                        v.bytes.len(),
                    ),
                    !present,
                ),
                1 => (
                    srd_write_if_version(
                        self.s,
                        k.as_ptr(),
                        k.len(),
                        version,
                        v.bytes.as_ptr(),
                        v.bytes.len(),
                    ),
                    present,
                ),
                _ => (
                    srd_write_if_version(
                        self.s,
                        k.as_ptr(),
                        k.len(),
                        version.wrapping_add(64),
                        v.bytes.as_ptr(),
                        v.bytes.len(),
                    ),
                    false,
                ),
            }
        };
        if !holds {
            expect_status(rc, CONFLICT, "a conditional write whose condition fails");
            assert_eq!(self.file_len(), before, "a conflict changed the file");
            return;
        }
        expect_status(rc, OK, "a conditional write whose condition holds");
        let old = self.model.clone();
        self.model.put(h, &v.bytes);
        self.note_append(before, old, 1, v.crafted);
        self.check_key(h, "after a conditional write");
    }

    fn op_delete(&mut self, by_hash: bool) {
        let (k, h) = self.key();
        let before = self.file_len();
        // SAFETY: live handle; key readable.
        let rc = unsafe {
            if by_hash {
                srd_delete_with_hash(self.s, h)
            } else {
                srd_delete(self.s, k.as_ptr(), k.len())
            }
        };
        let what = if by_hash {
            "srd_delete_with_hash"
        } else {
            "srd_delete"
        };
        if !by_hash && k.is_empty() {
            return expect_status(rc, INVALID_ARGUMENT, what);
        }
        if self.model.map.contains_key(&h) {
            expect_status(rc, OK, what);
            let old = self.model.clone();
            self.model.map.remove(&h);
            self.note_append(before, old, 1, false);
        } else {
            expect_status(rc, NOT_FOUND, what);
            assert_eq!(
                self.file_len(),
                before,
                "{what} of an absent key changed the file"
            );
        }
        self.check_key(h, "after delete");
    }

    fn op_delete_batch(&mut self) {
        let n = usize::from(self.inp.u8() % 6);
        let keys: Vec<(Vec<u8>, u64)> = (0..n).map(|_| self.key()).collect();
        let ks: Vec<Key> = keys
            .iter()
            .map(|(k, _)| Key {
                key: k.as_ptr(),
                key_len: k.len(),
            })
            .collect();
        let ptr = if n == 0 { null() } else { ks.as_ptr() };
        let before = self.file_len();
        // SAFETY: `n` valid keys.
        let rc = unsafe { srd_delete_batch(self.s, ptr, n) };
        if keys.iter().any(|(k, _)| k.is_empty()) {
            expect_status(rc, INVALID_ARGUMENT, "srd_delete_batch with an empty key");
            assert_eq!(
                self.file_len(),
                before,
                "a refused delete batch changed the file"
            );
            return;
        }
        expect_status(rc, OK, "srd_delete_batch");
        let old = self.model.clone();
        let mut removed = 0;
        for (_, h) in &keys {
            if self.model.map.remove(h).is_some() {
                removed += 1;
            }
        }
        if removed == 0 {
            assert_eq!(self.file_len(), before, "deleting nothing changed the file");
        }
        self.note_append(before, old, removed, false);
        for (_, h) in &keys {
            self.check_key(*h, "after srd_delete_batch");
        }
    }

    fn op_rename(&mut self) {
        let (ok, oh) = self.key();
        let (nk, nh) = self.key();
        // SAFETY: live handle; keys readable.
        let rc = no_panic(
            unsafe { srd_rename(self.s, ok.as_ptr(), ok.len(), nk.as_ptr(), nk.len()) },
            "srd_rename",
        );
        if ok.is_empty() || nk.is_empty() {
            return expect_status(rc, INVALID_ARGUMENT, "srd_rename with an empty key");
        }
        if oh == nh {
            // Same key: refused (NOT_FOUND is as good an answer when absent).
            if !(rc == INVALID_ARGUMENT || (rc == NOT_FOUND && !self.model.map.contains_key(&oh))) {
                expect_status(rc, INVALID_ARGUMENT, "srd_rename to the same key");
            }
            return;
        }
        match self.model.get(oh).map(|v| v.to_vec()) {
            None => expect_status(rc, NOT_FOUND, "srd_rename of an absent key"),
            Some(v) => {
                expect_status(rc, OK, "srd_rename");
                self.model.map.remove(&oh);
                self.model.put(nh, &v);
                self.last_single = None;
            }
        }
        self.check_key(oh, "srd_rename old key");
        self.check_key(nh, "srd_rename new key");
    }

    fn op_stream(&mut self) {
        let (k, h) = self.key();
        let by_hash = self.inp.u8() & 1 == 1;
        let chunks = self.inp.u8() % 5;
        let variant = self.inp.u8() % 4;
        let start = self.file_len();
        let mut st: *mut SrdStream = null_mut();
        // SAFETY: live handle; key readable; writable output.
        let rc = unsafe {
            if by_hash {
                srd_stream_begin_with_hash(self.s, h, &mut st)
            } else {
                srd_stream_begin(self.s, k.as_ptr(), k.len(), &mut st)
            }
        };
        if !by_hash && k.is_empty() {
            return expect_status(rc, INVALID_ARGUMENT, "srd_stream_begin with an empty key");
        }
        expect_status(rc, OK, "srd_stream_begin");
        let before_model = self.model.clone();
        let mut value = Vec::new();
        let mut crafted = false;
        for _ in 0..chunks {
            let v = self.value();
            crafted |= v.crafted;
            // SAFETY: live stream; data readable.
            expect_status(
                unsafe { srd_stream_write(st, v.bytes.as_ptr(), v.bytes.len()) },
                OK,
                "srd_stream_write",
            );
            value.extend_from_slice(&v.bytes);
            // Readers see nothing of the stream before the commit.
            self.check_key(h, "during a stream");
        }
        match variant {
            1 => {
                // SAFETY: live stream, finished once.
                unsafe { srd_stream_abort(st) };
                self.check_key(h, "after srd_stream_abort");
                return;
            }
            2 => {
                // The stream keeps the store alive after srd_close.
                self.close();
            }
            3 => {
                // The thread that owns the stream gets SRD_BUSY, not a deadlock.
                let mut st2: *mut SrdStream = null_mut();
                // SAFETY: live handle; buffers readable.
                unsafe {
                    expect_status(
                        srd_write(self.s, b"x".as_ptr(), 1, b"y".as_ptr(), 1),
                        BUSY,
                        "srd_write during own stream",
                    );
                    let rc = srd_delete_with_hash(self.s, h);
                    if self.model.map.contains_key(&h) || rc != NOT_FOUND {
                        expect_status(rc, BUSY, "srd_delete during own stream");
                    }
                    expect_status(srd_compact(self.s), BUSY, "srd_compact during own stream");
                    expect_status(
                        srd_stream_begin_with_hash(self.s, h, &mut st2),
                        BUSY,
                        "second srd_stream_begin",
                    );
                }
            }
            _ => {}
        }
        // SAFETY: live stream, finished once.
        let rc = unsafe { srd_stream_commit(st) };
        if valid_value(&value) {
            expect_status(rc, OK, "srd_stream_commit");
            self.model.put(h, &value);
        } else {
            expect_status(
                rc,
                INVALID_ARGUMENT,
                "srd_stream_commit of an empty or tombstone value",
            );
        }
        if self.s.is_null() {
            // The writer lock went with the stream: a read-write open works.
            let flags = self.flags;
            self.reopen_with(flags, "srd_open after a stream outlived its store");
            self.last_single = None;
            self.check_full("after a stream committed past srd_close");
        } else if valid_value(&value) {
            self.note_append(start, before_model, 1, crafted);
            self.check_key(h, "after srd_stream_commit");
        }
    }

    fn op_compact(&mut self) {
        let size = file_size(self.s);
        let reclaim = reclaimable(self.s);
        self.drop_borrowed();
        // SAFETY: live handle.
        expect_status(unsafe { srd_compact(self.s) }, OK, "srd_compact");
        let after = file_size(self.s);
        assert_eq!(
            after,
            size - reclaim,
            "srd_compact freed other than srd_reclaimable_bytes said"
        );
        assert_eq!(
            reclaimable(self.s),
            0,
            "srd_reclaimable_bytes after srd_compact"
        );
        assert_eq!(
            entry_count(self.s),
            self.model.map.len() as u64,
            "srd_entry_count after srd_compact"
        );
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".compact.tmp");
        assert!(
            !PathBuf::from(tmp).exists(),
            "srd_compact left its temporary file"
        );
        self.last_single = None;
        self.check_full("after srd_compact");
    }

    fn op_reopen(&mut self) {
        let flags = [0, OPEN_SYNC, OPEN_NO_VERIFY, OPEN_NO_CREATE][usize::from(self.inp.u8() % 4)];
        self.close();
        self.reopen_with(flags, "srd_open (reopen)");
        self.check_full("after reopen");
    }

    /// Cuts the last append short (a crash in the middle of a one-entry
    /// write): the reopened store must be the one before that write.
    fn op_tear(&mut self) {
        let cut = self.inp.u16();
        let Some((before, model_before, true)) = self.last_single.clone() else {
            return;
        };
        let end = self.file_len();
        let size = end - before;
        let cut = 1 + u64::from(cut) % size;
        if trace() {
            eprintln!("  tearing the last {cut} of the {size} bytes of the last write");
        }
        // What maps the file must not read past the new end (SIGBUS by
        // design): check and release everything first.
        self.check_held();
        self.release_held();
        self.close_ro();
        self.close_snapshots();
        self.close();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .expect("open for truncation");
        f.set_len(end - cut).expect("truncate");
        drop(f);
        let flags = self.flags;
        if before == 0 && end - cut > 0 {
            // No complete entry is left: README says such a file is refused
            // with SRD_CORRUPT and left untouched. Start a new store.
            let (rc, _) = open(&self.cpath, flags);
            expect_status(rc, CORRUPT, "srd_open of a file whose only write is torn");
            assert_eq!(self.file_len(), end - cut, "a refused file was modified");
            std::fs::remove_file(&self.path).expect("remove refused store");
            // A read-only handle would now follow the file's replacement.
            self.close_ro();
        }
        self.reopen_with(flags & !OPEN_NO_CREATE, "srd_open after a torn write");
        assert_eq!(
            self.file_len(),
            before,
            "the torn write was not cut off at {before} (torn at {})",
            end - cut
        );
        self.model = model_before;
        self.last_single = None;
        self.check_full("after a torn write");
    }

    /// Zeros after the last entry (a preallocated or torn tail) are ignored by
    /// a reader and cut off by a read-write open.
    fn op_append_zeros(&mut self) {
        let n = 1 + usize::from(self.inp.u8());
        let size = self.file_len();
        self.close();
        {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&self.path)
                .expect("open for append");
            f.write_all(&vec![0u8; n]).expect("append zeros");
        }
        if size == 0 {
            // A refresh that finds the file replaced (by a compaction) reopens
            // it, and a file of zeros is refused: not what is tested here.
            self.close_ro();
        }
        if let Some((ro, m)) = &mut self.ro {
            // SAFETY: live read-only handle.
            expect_status(
                unsafe { srd_refresh(*ro) },
                OK,
                "srd_refresh with zeros at the end",
            );
            *m = self.model.clone();
            check_store(*ro, m, "read-only handle, zeros at the end");
        }
        let flags = self.flags;
        if size == 0 {
            // Only zeros: README says a file with no complete entry is
            // refused with SRD_CORRUPT and left untouched. Start a new store.
            let (rc, _) = open(&self.cpath, flags);
            expect_status(rc, CORRUPT, "srd_open of a file of zeros");
            assert_eq!(self.file_len(), n as u64, "a refused file was modified");
            std::fs::remove_file(&self.path).expect("remove refused store");
            // A read-only handle would now follow the file's replacement.
            self.close_ro();
        }
        self.reopen_with(flags & !OPEN_NO_CREATE, "srd_open with zeros at the end");
        assert_eq!(self.file_len(), size, "zeros at the end were not cut off");
        self.check_full("after zeros at the end");
    }

    // --- Reads -----------------------------------------------------------

    /// One key through every single-key read call.
    fn check_key(&mut self, h: u64, what: &str) {
        let want = self.model.get(h).map(|v| v.to_vec());
        let (mut p, mut n) = (null::<u8>(), 0usize);
        // SAFETY: live handle, writable outputs.
        let rc = unsafe { srd_read_with_hash(self.s, h, &mut p, &mut n) };
        // SAFETY: live handle.
        let ex = unsafe { srd_exists_with_hash(self.s, h) };
        match want {
            None => {
                expect_status(
                    rc,
                    NOT_FOUND,
                    &format!("{what}: srd_read_with_hash of an absent key"),
                );
                expect_status(
                    ex,
                    NOT_FOUND,
                    &format!("{what}: srd_exists_with_hash of an absent key"),
                );
            }
            Some(v) => {
                expect_status(rc, OK, &format!("{what}: srd_read_with_hash"));
                expect_status(ex, OK, &format!("{what}: srd_exists_with_hash"));
                assert_eq!(p as usize % 64, 0, "value pointer not aligned");
                // SAFETY: valid until compact or close.
                assert_eq!(
                    unsafe { copy_out(p, n) },
                    v,
                    "{what}: value of key hash {h:#x}"
                );
            }
        }
    }

    fn op_read(&mut self) {
        let (k, h) = self.key();
        let mode = self.inp.u8();
        let (mut p, mut n) = (null::<u8>(), 0usize);
        let mut e: *mut SrdEntry = null_mut();
        // SAFETY: live handle; key readable; writable outputs.
        let (rc, rce, rcx) = unsafe {
            (
                srd_read(self.s, k.as_ptr(), k.len(), &mut p, &mut n),
                srd_read_entry(self.s, k.as_ptr(), k.len(), &mut e),
                srd_exists(self.s, k.as_ptr(), k.len()),
            )
        };
        if k.is_empty() {
            expect_status(rc, INVALID_ARGUMENT, "srd_read with an empty key");
            expect_status(rce, INVALID_ARGUMENT, "srd_read_entry with an empty key");
            expect_status(rcx, INVALID_ARGUMENT, "srd_exists with an empty key");
            return;
        }
        match self.model.map.get(&h).map(|(v, _)| Rc::clone(v)) {
            None => {
                expect_status(rc, NOT_FOUND, "srd_read of an absent key");
                expect_status(rce, NOT_FOUND, "srd_read_entry of an absent key");
                expect_status(rcx, NOT_FOUND, "srd_exists of an absent key");
            }
            Some(v) => {
                expect_status(rc, OK, "srd_read");
                expect_status(rce, OK, "srd_read_entry");
                expect_status(rcx, OK, "srd_exists");
                // SAFETY: valid until compact or close.
                assert_eq!(unsafe { copy_out(p, n) }, &v[..], "srd_read value");
                // SAFETY: live entry.
                assert_eq!(unsafe { entry_bytes(e) }, &v[..], "srd_read_entry value");
                let mut eh = 0u64;
                // SAFETY: live entry.
                expect_status(
                    unsafe { srd_entry_key_hash(e, &mut eh) },
                    OK,
                    "srd_entry_key_hash",
                );
                assert_eq!(eh, h, "srd_entry_key_hash");
                // SAFETY: live entry.
                expect_status(unsafe { srd_entry_verify(e) }, OK, "srd_entry_verify");
                if mode & 1 == 1 && self.borrowed.len() < MAX_BORROWED {
                    self.borrowed.push((p, n, Rc::clone(&v)));
                }
                if mode & 2 == 2 && self.pinned.len() < MAX_PINNED {
                    self.pinned.push((e, v));
                    e = null_mut();
                }
            }
        }
        // SAFETY: NULL or a live entry, freed once.
        unsafe { srd_entry_free(e) };
    }

    fn op_read_batch(&mut self) {
        let n = 1 + usize::from(self.inp.u8() % 8);
        let keys: Vec<(Vec<u8>, u64)> = (0..n).map(|_| self.key()).collect();
        let ks: Vec<Key> = keys
            .iter()
            .map(|(k, _)| Key {
                key: k.as_ptr(),
                key_len: k.len(),
            })
            .collect();
        let sentinel = ReadResult {
            value: null(),
            value_len: 12345,
            status: -7,
        };
        let mut out = vec![sentinel; n];
        // SAFETY: `n` keys and result slots.
        let rc = unsafe { srd_read_batch(self.s, ks.as_ptr(), n, out.as_mut_ptr()) };
        if keys.iter().any(|(k, _)| k.is_empty()) {
            expect_status(rc, INVALID_ARGUMENT, "srd_read_batch with an empty key");
            assert!(
                out.iter().all(|r| r.status == -7 && r.value_len == 12345),
                "srd_read_batch wrote outputs on failure"
            );
            return;
        }
        expect_status(rc, OK, "srd_read_batch");
        for ((_, h), r) in keys.iter().zip(&out) {
            match self.model.get(*h) {
                None => {
                    expect_status(r.status, NOT_FOUND, "srd_read_batch item of an absent key");
                    assert!(
                        r.value.is_null() && r.value_len == 0,
                        "srd_read_batch: NOT_FOUND with a value"
                    );
                }
                Some(v) => {
                    expect_status(r.status, OK, "srd_read_batch item");
                    // SAFETY: valid until compact or close.
                    assert_eq!(
                        unsafe { copy_out(r.value, r.value_len) },
                        v,
                        "srd_read_batch value"
                    );
                }
            }
        }
    }

    fn op_read_last(&mut self) {
        check_read_last(self.s, &self.model, "srd_read_last");
    }

    fn op_iter_new(&mut self) {
        if self.iters.len() >= MAX_ITERS {
            return self.op_iter_drain();
        }
        let mut it: *mut SrdIter = null_mut();
        // SAFETY: live handle.
        expect_status(unsafe { srd_iter_new(self.s, &mut it) }, OK, "srd_iter_new");
        self.iters.push((it, self.model.ordered()));
    }

    /// An iterator made earlier yields the live values of that moment,
    /// whatever was written, deleted or compacted since.
    fn op_iter_drain(&mut self) {
        let Some((it, snap)) = self.iters.pop() else {
            return;
        };
        check_iter(it, &snap, "held iterator");
        // SAFETY: freed once.
        unsafe { srd_iter_free(it) };
    }

    fn release_held(&mut self) {
        while let Some((it, snap)) = self.iters.pop() {
            check_iter(it, &snap, "held iterator");
            // SAFETY: freed once.
            unsafe { srd_iter_free(it) };
        }
        for (e, _) in self.pinned.drain(..) {
            // SAFETY: freed once.
            unsafe { srd_entry_free(e) };
        }
    }

    /// A second, read-only handle on the same file: opened (and a second
    /// read-write open refused), refreshed to catch up, or closed.
    fn op_read_only_handle(&mut self) {
        match self.inp.u8() % 3 {
            0 => match &mut self.ro {
                None => {
                    let (rc, ro) = open(&self.cpath, OPEN_READ_ONLY);
                    expect_status(rc, OK, "srd_open(SRD_OPEN_READ_ONLY) beside a writer");
                    self.ro = Some((ro, self.model.clone()));
                    let (rc, _) = open(&self.cpath, 0);
                    expect_status(rc, LOCKED, "second read-write srd_open");
                }
                Some((ro, m)) => {
                    // SAFETY: live handle.
                    expect_status(unsafe { srd_refresh(*ro) }, OK, "srd_refresh");
                    *m = self.model.clone();
                }
            },
            1 => {}
            _ => self.close_ro(),
        }
        if let Some((ro, m)) = &self.ro {
            check_store(*ro, m, "read-only handle");
            // SAFETY: live handle.
            expect_status(
                unsafe { srd_delete_with_hash(*ro, 1) },
                READ_ONLY,
                "srd_delete on a read-only handle",
            );
        }
    }

    fn close_ro(&mut self) {
        if let Some((ro, _)) = self.ro.take() {
            // SAFETY: closed once.
            unsafe { srd_close(ro) };
        }
    }

    /// End of the input: check everything, close, and read the file back with
    /// the reference reader.
    fn finish(mut self) {
        self.check_full("at the end");
        self.release_held();
        self.close_ro();
        self.close_snapshots();
        self.close();
        let bytes = std::fs::read(&self.path).expect("read store file");
        // A cleanly closed store: its chain reaches 0 from the end, every
        // checksum matches, every padding byte is zero (FORMAT.md).
        let live = reference::live_values(&bytes)
            .expect("the file the library wrote does not follow FORMAT.md");
        let want: HashMap<u64, Vec<u8>> = self
            .model
            .map
            .iter()
            .map(|(&h, (v, _))| (h, v.to_vec()))
            .collect();
        assert_eq!(live.len(), want.len(), "live keys in the file vs the model");
        for (h, v) in &want {
            assert_eq!(live.get(h), Some(v), "value of key hash {h:#x} in the file");
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn check_iter(it: *mut SrdIter, snap: &[(u64, Rc<[u8]>)], what: &str) {
    // SAFETY: live iterator.
    let steps = unsafe { drain(it, snap.len() + 1) };
    assert_eq!(steps.len(), snap.len() + 1, "{what}: number of entries");
    for ((h, v), st) in snap.iter().zip(&steps) {
        match st {
            Step::Item(gh, p, n) => {
                assert_eq!(gh, h, "{what}: key hash (file order)");
                // SAFETY: valid until the iterator is freed.
                assert_eq!(unsafe { copy_out(*p, *n) }, &v[..], "{what}: value");
            }
            Step::Corrupt => panic!("{what}: SRD_CORRUPT in a healthy store"),
            Step::End => panic!("{what}: ended early"),
        }
    }
}

fn check_read_last(s: *mut SrdStore, model: &Model, what: &str) {
    let (mut h, mut p, mut n) = (0u64, null::<u8>(), 0usize);
    // SAFETY: live handle, writable outputs.
    let rc = unsafe { srd_read_last(s, &mut h, &mut p, &mut n) };
    match model.ordered().last() {
        None => expect_status(rc, NOT_FOUND, what),
        Some((wh, v)) => {
            expect_status(rc, OK, what);
            assert_eq!(h, *wh, "{what}: key hash of the newest live value");
            // SAFETY: valid until compact or close.
            assert_eq!(unsafe { copy_out(p, n) }, &v[..], "{what}: value");
        }
    }
}

/// A whole store against a model.
fn check_store(s: *mut SrdStore, model: &Model, what: &str) {
    assert_eq!(count(s), model.map.len() as u64, "{what}: srd_count");
    let ordered = model.ordered();
    let mut it: *mut SrdIter = null_mut();
    // SAFETY: live handle.
    expect_status(unsafe { srd_iter_new(s, &mut it) }, OK, "srd_iter_new");
    check_iter(it, &ordered, what);
    // SAFETY: freed once.
    unsafe { srd_iter_free(it) };
    for (h, v) in &ordered {
        let (mut p, mut n) = (null::<u8>(), 0usize);
        // SAFETY: live handle, writable outputs.
        expect_status(
            unsafe { srd_read_with_hash(s, *h, &mut p, &mut n) },
            OK,
            "srd_read_with_hash",
        );
        // SAFETY: valid until compact or close.
        assert_eq!(unsafe { copy_out(p, n) }, &v[..], "{what}: value of {h:#x}");
    }
    check_read_last(s, model, what);
    let (rc, report) = verify(s);
    expect_status(rc, OK, &format!("{what}: srd_verify"));
    assert_eq!(report.bad_entries, 0, "{what}: srd_verify bad entries");
    assert_eq!(
        report.first_bad_offset,
        u64::MAX,
        "{what}: srd_verify first bad offset"
    );
    assert_eq!(
        report.entries_checked,
        entry_count(s),
        "{what}: srd_verify entries vs srd_entry_count"
    );
    assert_eq!(
        report.file_size,
        file_size(s),
        "{what}: srd_verify file size"
    );
    assert!(
        entry_count(s) >= count(s),
        "{what}: fewer entries than live keys"
    );
    assert!(
        reclaimable(s) <= file_size(s),
        "{what}: reclaimable > file size"
    );
}
