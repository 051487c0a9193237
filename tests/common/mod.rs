//! Helpers shared by the integration tests.
#![allow(dead_code)]

use simd_r_drive::{OpenOptions, Store};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A scratch directory under the target directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small deterministic PRNG (xorshift64*), so failures replay from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut v: Vec<u8> = (0..len).map(|_| self.next() as u8).collect();
        if v == [0] {
            v[0] = 1;
        }
        v
    }
}

/// Opens `path` read-only, with `options` otherwise.
pub fn open_ro(path: &Path, options: OpenOptions) -> Store {
    Store::open(
        path,
        OpenOptions {
            read_only: true,
            ..options
        },
    )
    .unwrap()
}

/// Opens `path` read-only with default options.
pub fn ro(path: &Path) -> Store {
    open_ro(path, OpenOptions::default())
}

/// Options that save the index copy for any store (the default waits for
/// 65,536 entries).
pub fn idx_opts() -> OpenOptions {
    OpenOptions {
        index_file_min_entries: 1,
        ..Default::default()
    }
}

/// Options that neither use nor save the index copy.
pub fn no_idx() -> OpenOptions {
    OpenOptions {
        index_file: false,
        ..Default::default()
    }
}
