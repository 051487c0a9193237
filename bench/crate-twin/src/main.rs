//! srd-crate-twin: the workloads of bench/src/main.c run against the crate
//! `simd-r-drive` 0.17.5-alpha through its native Rust API, with the same
//! generators (splitmix64, the same seeds), so both programs read and write
//! the same keys and values and print the same checksums.
//!
//!   srd-crate-twin --dir DIR [--run N] [--quick]
//!   srd-crate-twin --dir DIR [--run N] [--quick] --scale KEYS
//!
//! `--scale KEYS` runs only the scale section at one store size, as
//! bench/src/scale.c does (its comment lists the metrics).
//!
//! Output: `R,crate,run,metric,value,check` lines, as srd_bench prints them.
//! The crate has no sync call, so a durable put is `write` followed by
//! `File::sync_data` on a second handle to the store file.

use simd_r_drive::traits::{DataStoreReader, DataStoreWriter};
use simd_r_drive::DataStore;
use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Instant;

const KEY_LEN: usize = 16;
const VALUE_POOL: usize = 16 << 20;
const NAME: &str = "crate";

struct Cfg {
    n: u64,
    vlen: usize,
    batch: usize,
    puts: u64,
    reads: u64,
    large_n: u64,
    large_len: usize,
    durable: u64,
    tiny_n: u64,
    tiny_len: usize,
    read_batch: usize,
}

const FULL: Cfg = Cfg {
    n: 1_000_000,
    vlen: 100,
    batch: 1000,
    puts: 100_000,
    reads: 1_000_000,
    large_n: 1000,
    large_len: 1 << 20,
    durable: 2000,
    tiny_n: 1_000_000,
    tiny_len: 8,
    read_batch: 64,
};
const QUICK: Cfg = Cfg {
    n: 50_000,
    vlen: 100,
    batch: 1000,
    puts: 5000,
    reads: 50_000,
    large_n: 50,
    large_len: 1 << 20,
    durable: 100,
    tiny_n: 50_000,
    tiny_len: 8,
    read_batch: 64,
};

// ---- the generators (same as bench/src/common.c) ---------------------------

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn mix64(x: u64) -> u64 {
    let mut s = x;
    splitmix64(&mut s)
}

fn key_table(n: u64) -> Vec<u8> {
    let mut t = vec![0u8; n as usize * KEY_LEN];
    for i in 0..n {
        let mut x = i;
        for d in (0..KEY_LEN).rev() {
            t[i as usize * KEY_LEN + d] = b'0' + (x % 10) as u8;
            x /= 10;
        }
    }
    t
}

fn shuffled(n: u64, seed: u64) -> Vec<u32> {
    let mut p: Vec<u32> = (0..n as u32).collect();
    let mut s = seed;
    let mut i = n;
    while i > 1 {
        let j = (splitmix64(&mut s) % i) as usize;
        p.swap(i as usize - 1, j);
        i -= 1;
    }
    p
}

fn uniform(count: u64, n: u64, base: u64, seed: u64) -> Vec<u32> {
    let mut s = seed;
    (0..count).map(|_| (base + splitmix64(&mut s) % n) as u32).collect()
}

fn value_pool() -> Vec<u8> {
    let mut p = vec![0u8; VALUE_POOL];
    let mut s = 7u64;
    for chunk in p.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut s).to_le_bytes());
    }
    p
}

/// Sum of every byte: "touching every value byte".
#[inline]
fn touch(v: &[u8]) -> u64 {
    v.iter().map(|&b| b as u64).sum()
}

struct Data {
    keys: Vec<u8>,
    pool: Vec<u8>,
}

impl Data {
    #[inline]
    fn key(&self, i: u64) -> &[u8] {
        &self.keys[i as usize * KEY_LEN..(i as usize + 1) * KEY_LEN]
    }
    #[inline]
    fn value(&self, i: u64, len: usize) -> &[u8] {
        let off = (mix64(i) % (VALUE_POOL - len) as u64) as usize;
        &self.pool[off..off + len]
    }
}

// ---- measurement helpers ---------------------------------------------------

fn emit(run: u32, metric: &str, value: f64, check: u64) {
    println!("R,{NAME},{run},{metric},{value},{check}");
}

fn rss_anon() -> u64 {
    let s = fs::read_to_string("/proc/self/status").unwrap_or_default();
    for line in s.lines() {
        if let Some(rest) = line.strip_prefix("RssAnon:") {
            let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
            return kb * 1024;
        }
    }
    0
}

fn disk_usage(p: &Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = fs::read_dir(p) {
        for e in rd.flatten() {
            if let Ok(m) = e.metadata() {
                if m.is_dir() {
                    total += disk_usage(&e.path());
                } else {
                    total += m.blocks() * 512;
                }
            }
        }
    }
    total
}

fn fresh(base: &Path, what: &str) -> PathBuf {
    let dir = base.join(NAME).join(what);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn fail(what: &str) -> ! {
    eprintln!("srd-crate-twin: {what} failed");
    std::process::exit(1)
}

fn open(dir: &Path) -> DataStore {
    DataStore::open(&dir.join("store.srd")).unwrap_or_else(|e| fail(&format!("open: {e}")))
}

fn load(db: &DataStore, d: &Data, order: &[u32], vlen: usize, batch: usize) {
    let mut items: Vec<(&[u8], &[u8])> = Vec::with_capacity(batch);
    for chunk in order.chunks(batch) {
        items.clear();
        for &i in chunk {
            items.push((d.key(i as u64), d.value(i as u64, vlen)));
        }
        db.batch_write(&items).unwrap_or_else(|e| fail(&format!("batch_write: {e}")));
    }
}

/// Reads keys `idx`; returns (found, sum of the bytes).
fn read_seq(db: &DataStore, d: &Data, idx: &[u32]) -> (u64, u64) {
    read_each(db, idx.iter().map(|&i| d.key(i as u64)))
}

/// Reads each key; returns (found, sum of the bytes).
fn read_each<'a>(db: &DataStore, keys: impl Iterator<Item = &'a [u8]>) -> (u64, u64) {
    let (mut found, mut sum) = (0u64, 0u64);
    for k in keys {
        match db.read(k) {
            Ok(Some(h)) => {
                sum += touch(h.as_slice());
                found += 1;
            }
            Ok(None) => {}
            Err(e) => fail(&format!("read: {e}")),
        }
    }
    (found, sum)
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

// ---- the workloads ---------------------------------------------------------

fn w_main(c: &Cfg, d: &Data, base: &Path, run: u32) {
    let dir = fresh(base, "main");
    let order = shuffled(c.n, 42);
    let hits = uniform(c.reads, c.n, 0, 1001);
    let misses = uniform(c.reads, c.n, c.n, 1002);

    let db = open(&dir);
    let t = Instant::now();
    load(&db, d, &order, c.vlen, c.batch);
    emit(run, "bulk_load", c.n as f64 / secs(t), c.n);
    drop(db);

    let disk = disk_usage(&dir);
    emit(run, "disk_per_key", disk as f64 / c.n as f64, disk);

    unsafe { libc::malloc_trim(0) };
    let rss0 = rss_anon();
    let t = Instant::now();
    let db = open(&dir);
    let s = match db.read(d.key(order[0] as u64)) {
        Ok(Some(h)) => touch(h.as_slice()),
        _ => fail("read after reopen"),
    };
    emit(run, "reopen_ms", secs(t) * 1e3, s);

    let t = Instant::now();
    let (found, s) = read_seq(&db, d, &hits);
    let dt = secs(t);
    if found != c.reads {
        fail("random hits (a key was not found)");
    }
    emit(run, "hit_1t", c.reads as f64 / dt, s);

    let rss1 = rss_anon();
    emit(run, "mem_per_key", rss1.saturating_sub(rss0) as f64 / c.n as f64, rss1.saturating_sub(rss0));

    let t = Instant::now();
    let (found, s) = read_seq(&db, d, &misses);
    let dt = secs(t);
    if found != 0 {
        fail("random misses (an absent key was found)");
    }
    emit(run, "miss", c.reads as f64 / dt, s);

    // extra: the crate's batch_read, read_batch keys at a time
    let t = Instant::now();
    let (mut found, mut s) = (0u64, 0u64);
    let mut keys: Vec<&[u8]> = Vec::with_capacity(c.read_batch);
    for chunk in hits.chunks(c.read_batch) {
        keys.clear();
        keys.extend(chunk.iter().map(|&i| d.key(i as u64)));
        for h in db.batch_read(&keys).unwrap_or_else(|e| fail(&format!("batch_read: {e}"))).into_iter().flatten() {
            s += touch(h.as_slice());
            found += 1;
        }
    }
    let dt = secs(t);
    if found != c.reads {
        fail("batch read (a key was not found)");
    }
    emit(run, "batch_read", c.reads as f64 / dt, s);

    // 2 threads, each half of the same sequence
    let half = (c.reads / 2) as usize;
    let bar = Barrier::new(3);
    let (dt, res) = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..2)
            .map(|i| {
                let (db, bar, idx) = (&db, &bar, &hits[i * half..(i + 1) * half]);
                sc.spawn(move || {
                    bar.wait();
                    let r = read_seq(db, d, idx);
                    bar.wait();
                    r
                })
            })
            .collect();
        bar.wait();
        let t = Instant::now();
        bar.wait();
        let dt = secs(t);
        (dt, hs.into_iter().map(|h| h.join().expect("thread")).collect::<Vec<_>>())
    });
    let found: u64 = res.iter().map(|r| r.0).sum();
    if found != 2 * half as u64 {
        fail("random hits, 2 threads");
    }
    emit(run, "hit_2t", (2 * half) as f64 / dt, res.iter().map(|r| r.1).sum());

    let t = Instant::now();
    let (mut n, mut s) = (0u64, 0u64);
    for h in db.iter_entries() {
        s += touch(h.as_slice());
        n += 1;
    }
    let dt = secs(t);
    if n != c.n {
        eprintln!("srd-crate-twin: scan saw {n} entries, expected {}", c.n);
        fail("scan");
    }
    emit(run, "scan", n as f64 / dt, s);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

fn w_single_puts(c: &Cfg, d: &Data, base: &Path, run: u32) {
    let dir = fresh(base, "puts");
    let order = shuffled(c.puts, 43);
    let db = open(&dir);
    let t = Instant::now();
    for &i in &order {
        db.write(d.key(i as u64), d.value(i as u64, c.vlen)).unwrap_or_else(|e| fail(&format!("write: {e}")));
    }
    emit(run, "single_put", c.puts as f64 / secs(t), c.puts);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

fn w_large(c: &Cfg, d: &Data, base: &Path, run: u32) {
    let dir = fresh(base, "large");
    let order = shuffled(c.large_n, 44);
    let mb = c.large_n as f64 * c.large_len as f64 / 1e6;
    let db = open(&dir);
    let t = Instant::now();
    for i in 0..c.large_n {
        db.write(d.key(i), d.value(i, c.large_len)).unwrap_or_else(|e| fail(&format!("write: {e}")));
    }
    emit(run, "large_write", mb / secs(t), c.large_n);
    // Read back in the writing process, then again right after a reopen.
    let large_reads = |db: &DataStore, metric: &str| {
        let t = Instant::now();
        let (found, s) = read_seq(db, d, &order);
        let dt = secs(t);
        if found != c.large_n {
            fail(&format!("{metric} (a key was not found)"));
        }
        emit(run, metric, mb / dt, s);
    };
    large_reads(&db, "large_read");
    drop(db);
    let db = open(&dir);
    large_reads(&db, "large_reopen_read");
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

fn durable_puts(db: &DataStore, sync: &File, d: &Data, first: u64, step: u64, count: u64, vlen: usize) {
    for j in 0..count {
        let i = first + j * step;
        db.write(d.key(i), d.value(i, vlen)).unwrap_or_else(|e| fail(&format!("write: {e}")));
        sync.sync_data().unwrap_or_else(|e| fail(&format!("sync_data: {e}")));
    }
}

fn w_durable(c: &Cfg, d: &Data, base: &Path, run: u32) {
    let dir = fresh(base, "durable");
    let db = Arc::new(open(&dir));
    let sync = File::options().read(true).open(dir.join("store.srd")).expect("open for sync");
    let t = Instant::now();
    durable_puts(&db, &sync, d, 0, 1, c.durable, c.vlen);
    emit(run, "durable_1t", c.durable as f64 / secs(t), c.durable);
    let half = c.durable / 2;
    let bar = Barrier::new(3);
    let dt = std::thread::scope(|sc| {
        for i in 0..2u64 {
            let (db, sync, bar) = (&db, &sync, &bar);
            sc.spawn(move || {
                bar.wait();
                durable_puts(db, sync, d, c.durable + i, 2, half, c.vlen);
                bar.wait();
            });
        }
        bar.wait();
        let t = Instant::now();
        bar.wait();
        secs(t)
    });
    emit(run, "durable_2t", (2 * half) as f64 / dt, c.durable);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

fn w_tiny(c: &Cfg, d: &Data, base: &Path, run: u32) {
    let dir = fresh(base, "tiny");
    let order = shuffled(c.tiny_n, 45);
    let reads = uniform(c.reads, c.tiny_n, 0, 1003);
    let db = open(&dir);
    let t = Instant::now();
    load(&db, d, &order, c.tiny_len, c.batch);
    emit(run, "tiny_load", c.tiny_n as f64 / secs(t), c.tiny_n);
    let t = Instant::now();
    let (found, s) = read_seq(&db, d, &reads);
    let dt = secs(t);
    if found != c.reads {
        fail("tiny reads (a key was not found)");
    }
    emit(run, "tiny_read", c.reads as f64 / dt, s);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

// ---- the scale section (bench/src/scale.c) ---------------------------------

const S_VLEN: usize = 100;
const S_BATCH: usize = 1000;
const S_READS: u64 = 1_000_000;
const S_CYCLES: usize = 5;

/// The keys of `idx`, one after the other (as scale.c's key_seq).
fn key_seq(idx: &[u32]) -> Vec<u8> {
    let mut t = vec![0u8; idx.len() * KEY_LEN];
    for (slot, &i) in t.chunks_exact_mut(KEY_LEN).zip(idx) {
        make_key(i as u64, slot);
    }
    t
}

fn make_key(i: u64, out: &mut [u8]) {
    let mut x = i;
    for d in (0..KEY_LEN).rev() {
        out[d] = b'0' + (x % 10) as u8;
        x /= 10;
    }
}

/// Reads the keys of a table laid out in read order.
fn read_keys(db: &DataStore, keys: &[u8]) -> (u64, u64) {
    read_each(db, keys.chunks_exact(KEY_LEN))
}

fn w_scale(n: u64, quick: bool, pool: &[u8], base: &Path, run: u32) {
    if !(1000..=0xFFFF_FFFF / 2).contains(&n) {
        fail("--scale KEYS: between 1000 and 2^31");
    }
    let emit_at = |metric: &str, v: f64, check: u64| emit(run, &format!("scale_{metric}@{n}"), v, check);
    let reads = if quick { S_READS / 20 } else { S_READS };
    let dir = base.join(NAME).join("scale");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");

    let order = shuffled(n, 42);
    let hits = key_seq(&uniform(reads, n, 0, 1001));
    let misses = key_seq(&uniform(reads, n, n, 1002));
    let value = |i: u64| {
        let off = (mix64(i) % (VALUE_POOL - S_VLEN) as u64) as usize;
        &pool[off..off + S_VLEN]
    };

    // the load: setup, its rate reported
    let db = open(&dir);
    let mut bkeys = vec![0u8; S_BATCH * KEY_LEN];
    let t = Instant::now();
    for chunk in order.chunks(S_BATCH) {
        for (slot, &i) in bkeys.chunks_exact_mut(KEY_LEN).zip(chunk) {
            make_key(i as u64, slot);
        }
        let items: Vec<(&[u8], &[u8])> =
            bkeys.chunks_exact(KEY_LEN).zip(chunk).map(|(k, &i)| (k, value(i as u64))).collect();
        db.batch_write(&items).unwrap_or_else(|e| fail(&format!("batch_write: {e}")));
    }
    emit_at("load", n as f64 / secs(t), n);
    drop(db);

    let disk = disk_usage(&dir);
    emit_at("disk_per_key", disk as f64 / n as f64, disk);

    // (a) reopen + 1 read, S_CYCLES times; the median
    let mut ms = Vec::with_capacity(S_CYCLES);
    let mut s = 0u64;
    for &i in &order[..S_CYCLES] {
        let mut k = [0u8; KEY_LEN];
        make_key(i as u64, &mut k);
        let t = Instant::now();
        let db = open(&dir);
        match db.read(&k) {
            Ok(Some(h)) => s += touch(h.as_slice()),
            _ => fail("read after reopen"),
        }
        ms.push(secs(t) * 1e3);
        drop(db);
    }
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    emit_at("reopen_ms", ms[S_CYCLES / 2], s);

    // (b) memory after a fresh open
    unsafe { libc::malloc_trim(0) };
    let rss0 = rss_anon();
    let db = open(&dir);
    let rss1 = rss_anon().saturating_sub(rss0);
    emit_at("mem_open", rss1 as f64 / n as f64, rss1);

    // (c) first hits, (d) the same hits again
    for name in ["first_hit", "repeat_hit"] {
        let t = Instant::now();
        let (found, s) = read_keys(&db, &hits);
        let dt = secs(t);
        if found != reads {
            fail("random hits (a key was not found)");
        }
        emit_at(name, reads as f64 / dt, s);
    }
    let rss2 = rss_anon().saturating_sub(rss0);
    emit_at("mem_hits", rss2 as f64 / n as f64, rss2);

    // (e) misses
    let t = Instant::now();
    let (found, s) = read_keys(&db, &misses);
    let dt = secs(t);
    if found != 0 {
        fail("random misses (an absent key was found)");
    }
    emit_at("miss", reads as f64 / dt, s);

    // (f) full scan
    let t = Instant::now();
    let (mut cnt, mut s) = (0u64, 0u64);
    for h in db.iter_entries() {
        s += touch(h.as_slice());
        cnt += 1;
    }
    let dt = secs(t);
    if cnt != n {
        eprintln!("srd-crate-twin: scan saw {cnt} entries, expected {n}");
        fail("scan");
    }
    emit_at("scan", cnt as f64 / dt, s);
    drop(db);
    let _ = fs::remove_dir_all(&dir);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut run, mut quick, mut scale) = (None, 0u32, false, 0u64);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "--run" => run = args.next().and_then(|s| s.parse().ok()).unwrap_or(0),
            "--quick" => quick = true,
            "--scale" => scale = args.next().and_then(|s| s.parse().ok()).unwrap_or(0),
            _ => {
                eprintln!("usage: srd-crate-twin --dir DIR [--run N] [--quick] [--scale KEYS]");
                std::process::exit(2);
            }
        }
    }
    let Some(base) = dir else {
        eprintln!("usage: srd-crate-twin --dir DIR [--run N] [--quick]");
        std::process::exit(2);
    };
    if scale > 0 {
        println!("M,{NAME},version,simd-r-drive crate 0.17.5-alpha");
        w_scale(scale, quick, &value_pool(), &base, run);
        return;
    }
    let c = if quick { &QUICK } else { &FULL };
    let nkeys = (2 * c.n).max(c.tiny_n).max(2 * c.durable);
    let d = Data { keys: key_table(nkeys), pool: value_pool() };
    println!("M,{NAME},version,simd-r-drive crate 0.17.5-alpha");
    w_main(c, &d, &base, run);
    w_single_puts(c, &d, &base, run);
    w_large(c, &d, &base, run);
    w_durable(c, &d, &base, run);
    w_tiny(c, &d, &base, run);
}
