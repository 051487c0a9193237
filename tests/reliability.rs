//! Promises that users break by deploying, copying and planting files (issue
//! 13): a stale index copy never changes an answer, side files never follow
//! planted links and get the store's mode, a FIFO at `<store>.idx` never
//! blocks an open, a write past the size limit is refused before its value
//! is read. (The fork, SIGBUS, racing-reader and first-write-crash promises
//! need real processes: `c_tests/robustness/test_reliability.c`.)

mod common;

use common::Scratch;
use simd_r_drive::persist::index_path;
use simd_r_drive::{Error, OpenOptions, Store};
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

type Model = HashMap<Vec<u8>, Option<Vec<u8>>>;

use common::{idx_opts as opts, no_idx as no_copy};

fn key(i: u32) -> Vec<u8> {
    format!("key-{i:05}").into_bytes()
}

fn val(i: u32, version: u32) -> Vec<u8> {
    format!("value {i:05} version {version:03} ........").into_bytes()
}

/// Two stores of exactly the same layout whose last 100 entries (far more
/// than 4 KiB) are the same bytes, but whose middle differs: in `a`, key 10
/// gets a second version; in `b`, key 11 does (values of the same length).
/// An index copy of `a` applied to `b` would report key 10 missing and
/// return the older version of key 11.
fn build(path: &Path, which: char, options: OpenOptions) -> Model {
    let s = Store::open(path, options).unwrap();
    let mut m = Model::new();
    for i in 0..2000 {
        s.write(&key(i), &val(i, 0)).unwrap();
        m.insert(key(i), Some(val(i, 0)));
    }
    let k = if which == 'a' { 10 } else { 11 };
    s.write(&key(k), &val(k, 1)).unwrap();
    m.insert(key(k), Some(val(k, 1)));
    // A deletion in the middle, of the same key in both.
    s.delete(&key(500)).unwrap();
    m.insert(key(500), None);
    for j in 0..100 {
        let t = format!("tail-{j:03}").into_bytes();
        s.write(&t, &[0x5a; 100]).unwrap();
        m.insert(t, Some(vec![0x5a; 100]));
    }
    m
}

fn check(s: &Store, m: &Model, what: &str) {
    for (k, v) in m {
        assert_eq!(
            s.read_to_vec(k).unwrap().as_ref(),
            v.as_ref(),
            "{what}: key {}",
            String::from_utf8_lossy(k)
        );
    }
    let live = m.values().filter(|v| v.is_some()).count() as u64;
    assert_eq!(s.len(), live, "{what}: live keys");
}

/// Builds `a` (closing it saves its index copy) and `b` elsewhere (no copy).
fn a_and_b(dir: &Scratch) -> (std::path::PathBuf, std::path::PathBuf, Model) {
    let a = dir.file("a.srd");
    let b = dir.file("b.srd");
    build(&a, 'a', opts());
    assert!(index_path(&a).exists());
    let mb = build(&b, 'b', no_copy());
    assert_eq!(
        std::fs::metadata(&a).unwrap().len(),
        std::fs::metadata(&b).unwrap().len()
    );
    (a, b, mb)
}

fn open_and_check(path: &Path, m: &Model, what: &str) {
    let s = Store::open(path, opts()).unwrap();
    assert!(
        !s.opened_with_index_file(),
        "{what}: a copy saved for another file was used"
    );
    check(&s, m, what);
    // Compaction through that handle keeps every live key.
    s.compact().unwrap();
    check(&s, m, &format!("{what}, after compaction"));
    drop(s);
    let s = Store::open(path, opts()).unwrap();
    check(&s, m, &format!("{what}, reopened"));
}

#[test]
fn a_store_renamed_over_another_is_not_read_through_the_old_index_copy() {
    let dir = Scratch::new("rel-rename");
    let (a, b, mb) = a_and_b(&dir);
    std::fs::rename(&b, &a).unwrap();
    open_and_check(&a, &mb, "renamed over");
}

#[test]
fn a_store_copied_over_another_in_place_is_not_read_through_the_old_index_copy() {
    let dir = Scratch::new("rel-copy");
    let (a, b, mb) = a_and_b(&dir);
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&a).unwrap());
    // As cp does: truncate the existing file and write the new bytes.
    std::fs::write(&a, std::fs::read(&b).unwrap()).unwrap();
    assert_eq!(
        ino,
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&a).unwrap())
    );
    open_and_check(&a, &mb, "copied over");
}

#[test]
fn a_store_rebuilt_without_closing_is_not_read_through_the_old_index_copy() {
    let dir = Scratch::new("rel-rebuild");
    let a = dir.file("a.srd");
    build(&a, 'a', opts());
    // Deleted and rebuilt by a process that exits without closing its
    // handle: no new copy is saved, the old one stays beside the new file
    // (which often gets the old inode number back).
    std::fs::remove_file(&a).unwrap();
    let b = dir.file("b.srd");
    let mb = build(&b, 'b', no_copy());
    std::fs::write(&a, std::fs::read(&b).unwrap()).unwrap();
    open_and_check(&a, &mb, "rebuilt");
}

#[test]
fn a_store_edited_in_place_is_not_read_through_the_old_index_copy() {
    let dir = Scratch::new("rel-edit");
    let a = dir.file("a.srd");
    let mut m = build(&a, 'a', opts());
    // Turn the tombstone of key 500 into one of key 501 (another program
    // editing one metadata field in place; the chain stays valid): now key
    // 500 is live and key 501 deleted.
    let mut bytes = std::fs::read(&a).unwrap();
    let h500 = simd_r_drive::format::key_hash(&key(500)).to_le_bytes();
    let h501 = simd_r_drive::format::key_hash(&key(501)).to_le_bytes();
    let at = bytes
        .windows(8)
        .rposition(|w| w == h500)
        .expect("the tombstone's key hash");
    assert_eq!(bytes[at - 1], 0, "a tombstone's payload");
    let f = std::fs::OpenOptions::new().write(true).open(&a).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &h501, at as u64).unwrap();
    bytes[at..at + 8].copy_from_slice(&h501);
    drop(f);
    m.insert(key(500), Some(val(500, 0)));
    m.insert(key(501), None);
    open_and_check(&a, &m, "edited in place");
}

#[test]
fn a_store_truncated_and_appended_again_is_not_read_through_the_old_index_copy() {
    let dir = Scratch::new("rel-trunc");
    let (a, b, mb) = a_and_b(&dir);
    let f = std::fs::OpenOptions::new().write(true).open(&a).unwrap();
    let b_bytes = std::fs::read(&b).unwrap();
    f.set_len(4096).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &b_bytes[4096..], 4096).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &b_bytes[..4096], 0).unwrap();
    drop(f);
    open_and_check(&a, &mb, "truncated and appended");
}

#[test]
fn the_index_copy_is_still_used_for_the_unchanged_file() {
    let dir = Scratch::new("rel-same");
    let a = dir.file("a.srd");
    let m = build(&a, 'a', opts());
    let s = Store::open(&a, opts()).unwrap();
    assert!(s.opened_with_index_file());
    check(&s, &m, "unchanged");
    drop(s);
    // Read-only opens too, and a read-write open that changes nothing keeps
    // it valid.
    let s = common::open_ro(&a, opts());
    assert!(s.opened_with_index_file());
    drop(s);
    let s = Store::open(&a, opts()).unwrap();
    assert!(s.opened_with_index_file());
}

#[test]
fn side_files_never_follow_planted_links_and_get_the_stores_mode() {
    let dir = Scratch::new("rel-side");
    let a = dir.file("a.srd");
    std::fs::write(&a, b"").unwrap();
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o600)).unwrap();
    let victim = dir.file("victim");
    std::fs::write(&victim, b"precious").unwrap();
    for suffix in [".idx.tmp", ".compact.tmp", ".new.tmp", ".stream.tmp"] {
        let mut link = a.as_os_str().to_os_string();
        link.push(suffix);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&victim, &link).unwrap();
    }
    let s = std::sync::Arc::new(Store::open(&a, opts()).unwrap());
    // The first write (a stream into the empty store, spooled), then more.
    let mut st = s
        .begin_stream(simd_r_drive::format::key_hash(b"streamed"))
        .unwrap();
    st.write(&[7u8; 10_000]).unwrap();
    st.commit().unwrap();
    for i in 0..100 {
        s.write(&key(i), &val(i, 0)).unwrap();
    }
    s.compact().unwrap();
    s.write(b"after", b"compaction").unwrap();
    drop(s);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&a), 0o600, "the store keeps its mode");
    assert!(std::fs::symlink_metadata(index_path(&a))
        .unwrap()
        .file_type()
        .is_file());
    assert_eq!(
        mode(&index_path(&a)),
        0o600,
        "the index copy has the store's mode"
    );
    let s = Store::open(&a, opts()).unwrap();
    assert!(s.opened_with_index_file());
    assert_eq!(s.read_to_vec(b"after").unwrap().unwrap(), b"compaction");
}

/// Runs `f` on a thread; fails if it takes longer than `secs`.
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("{what} did not return within {secs} s"))
}

#[test]
fn a_fifo_at_the_index_path_is_ignored_without_blocking() {
    let dir = Scratch::new("rel-fifo");
    let a = dir.file("a.srd");
    let m = build(&a, 'a', opts());
    std::fs::remove_file(index_path(&a)).unwrap();
    let fifo =
        std::ffi::CString::new(index_path(&a).into_os_string().into_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    for read_only in [true, false] {
        let p = a.clone();
        let s = within(10, "srd_open with a FIFO at <store>.idx", move || {
            Store::open(
                &p,
                OpenOptions {
                    read_only,
                    ..opts()
                },
            )
        })
        .unwrap();
        assert!(!s.opened_with_index_file());
        check(&s, &m, "with a FIFO at .idx");
    }
}

#[test]
fn a_write_past_the_size_limit_is_refused_before_its_value_is_read() {
    let len = (1usize << 44) + 4096;
    // SAFETY: a fresh anonymous mapping, never written; unmapped below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        eprintln!("skipped: cannot reserve 16 TiB of address space here");
        return;
    }
    let addr = p as usize;
    let dir = Scratch::new("rel-limit");
    let a = dir.file("a.srd");
    let path = a.clone();
    let r = within(20, "a 16 TiB write", move || {
        // SAFETY: the mapping is `len` readable bytes (zeros on touch) and
        // lives until unmapped below, after this thread has returned.
        let v = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
        let s = Store::open(&path, no_copy()).unwrap();
        let r = s.write(b"huge", v).map_err(|e| e.to_string());
        (r, s.len(), s.file_size())
    });
    // SAFETY: unmaps the mapping made above; nothing refers to it now.
    unsafe { libc::munmap(p, len) };
    let (r, n, size) = r;
    let e = r.expect_err("a write past 16 TiB");
    assert!(e.contains("16 TiB"), "{e}");
    assert_eq!((n, size), (0, 0));
    assert!(matches!(
        Store::open(&a, no_copy())
            .unwrap()
            .write(b"huge", &[1u8; 0][..]),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn a_failed_commit_of_a_stream_into_an_empty_store_returns_and_removes_its_spool() {
    // Found by the fuzzer: the failed commit's cleanup took the writer's
    // lock a second time and hung.
    let dir = Scratch::new("rel-spool-fail");
    let a = dir.file("a.srd");
    let s = std::sync::Arc::new(Store::open(&a, no_copy()).unwrap());
    let s2 = std::sync::Arc::clone(&s);
    let r = within(10, "a failed stream commit", move || {
        let st = s2
            .begin_stream(simd_r_drive::format::key_hash(b"k"))
            .unwrap();
        st.commit().map_err(|e| e.to_string())
    });
    assert!(r.unwrap_err().contains("empty"));
    let mut spool = a.as_os_str().to_os_string();
    spool.push(".stream.tmp");
    assert!(!Path::new(&spool).exists());
    s.write(b"k", b"v").unwrap();
    assert_eq!(s.read_to_vec(b"k").unwrap().unwrap(), b"v");
}

/// A read-only handle that checked a value, then takes in a file rewritten
/// in place (as `cp other.srd store.srd` does: same inode) with the same
/// layout but damaged bytes under that value: the refresh must not carry
/// "found good" over to the new bytes. `filler` values of `filler_len`
/// bytes follow in the new file: 12 of 1 MiB take it past the reader's
/// first mapping (8 MiB; found by review: a grown mapping kept the old
/// mapping's record), 3 small ones leave the mapping as it was (the bits
/// then stayed in place; now the refresh sees the metadata at its old end
/// changed and opens the file afresh).
fn refresh_over_a_file_rewritten_in_place(name: &str, filler: u32, filler_len: usize) {
    let dir = Scratch::new(name);
    let a = dir.file("a.srd");
    let b = dir.file("b.srd");
    let fill = |path: &Path, byte: u8, extra: u32| {
        let s = Store::open(path, no_copy()).unwrap();
        for i in 0..10 {
            s.write(&key(i), &[byte; 1000]).unwrap();
        }
        for i in 0..extra {
            s.write(&key(100 + i), &vec![b'F'; filler_len]).unwrap();
        }
        let off = s.get(&key(3)).unwrap().unwrap().offset();
        drop(s);
        off
    };
    let off_a = fill(&a, b'A', 0);
    // Same keys and sizes first, so key 3's value lies at the same offset.
    let off_b = fill(&b, b'B', filler);
    assert_eq!(off_a, off_b);
    let mut bytes = std::fs::read(&b).unwrap();
    bytes[off_b as usize + 100] ^= 0x55;

    let ro = OpenOptions {
        read_only: true,
        ..no_copy()
    };
    let r = Store::open(&a, ro.clone()).unwrap();
    assert_eq!(r.read_to_vec(&key(3)).unwrap().unwrap(), vec![b'A'; 1000]);
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&a).unwrap());
    std::fs::write(&a, &bytes).unwrap();
    assert_eq!(
        ino,
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&a).unwrap())
    );
    r.refresh().unwrap();
    assert!(
        matches!(r.read_to_vec(&key(3)), Err(Error::Corrupt { .. })),
        "the damaged value read through the refreshed handle: {:?}",
        r.read_to_vec(&key(3)).map(|v| v.map(|v| v[..8].to_vec()))
    );
    // Every other key reads the new file's bytes, as a fresh open does.
    for i in (0..10).filter(|&i| i != 3) {
        assert_eq!(r.read_to_vec(&key(i)).unwrap().unwrap(), vec![b'B'; 1000]);
    }
    let f = Store::open(&a, ro).unwrap();
    assert!(matches!(f.read_to_vec(&key(3)), Err(Error::Corrupt { .. })));
}

#[test]
fn a_refresh_over_a_file_rewritten_in_place_and_grown_checks_values_again() {
    refresh_over_a_file_rewritten_in_place("rel-inplace-grown", 12, 1 << 20);
}

#[test]
fn a_refresh_over_a_file_rewritten_in_place_within_its_mapping_checks_values_again() {
    refresh_over_a_file_rewritten_in_place("rel-inplace-small", 3, 1000);
}
