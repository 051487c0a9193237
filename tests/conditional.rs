//! Conditional writes: `write_if(Expect::Absent)`, `write_if(Expect::Version)`
//! and `delete_if`, checked under the writer lock against the index.

mod common;

use common::Scratch;
use simd_r_drive::{Error, Expect, OpenOptions, Store};

fn conflict<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert!(matches!(r, Err(Error::Conflict { .. })), "{r:?}");
}

#[test]
fn a_failed_condition_writes_nothing_and_a_held_one_writes() {
    let dir = Scratch::new("cond-basic");
    let s = Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap();
    assert_eq!(s.version_of(b"k").unwrap(), None);
    s.write_if(b"k", b"one", Expect::Absent).unwrap();
    let size = s.file_size();
    let v1 = s.version_of(b"k").unwrap().unwrap();
    assert_eq!(s.get(b"k").unwrap().unwrap().offset(), v1);
    conflict(s.write_if(b"k", b"two", Expect::Absent));
    conflict(s.write_if(b"k", b"two", Expect::Version(v1 + 64)));
    conflict(s.delete_if(b"k", v1 + 64));
    assert_eq!(s.file_size(), size, "a failed condition wrote");
    s.write_if(b"k", b"three", Expect::Version(v1)).unwrap();
    conflict(s.write_if(b"k", b"stale", Expect::Version(v1)));
    let v2 = s.version_of(b"k").unwrap().unwrap();
    assert!(v2 > v1);
    assert_eq!(s.read_to_vec(b"k").unwrap().unwrap(), b"three");
    s.delete_if(b"k", v2).unwrap();
    assert_eq!(s.version_of(b"k").unwrap(), None);
    conflict(s.write_if(b"k", b"x", Expect::Version(v2)));
    conflict(s.delete_if(b"k", v2));
    s.write_if(b"k", b"again", Expect::Absent).unwrap();
    // The message says what was expected and found.
    let e = s.write_if(b"k", b"x", Expect::Absent).unwrap_err();
    assert!(e.to_string().contains("conflict"), "{e}");
    assert!(e.to_string().contains("nothing was written"), "{e}");
}

#[test]
fn compaction_moves_every_version() {
    let dir = Scratch::new("cond-compact");
    let s = Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap();
    s.write(b"a", b"1").unwrap();
    s.write(b"b", b"2").unwrap();
    s.write(b"a", b"3").unwrap();
    let before = s.version_of(b"b").unwrap().unwrap();
    s.compact().unwrap();
    let after = s.version_of(b"b").unwrap().unwrap();
    assert_ne!(before, after);
    conflict(s.write_if(b"b", b"x", Expect::Version(before)));
    s.write_if(b"b", b"x", Expect::Version(after)).unwrap();
}

#[test]
fn versions_survive_reopen_and_read_only_handles_give_them() {
    let dir = Scratch::new("cond-reopen");
    let path = dir.file("s.srd");
    let v = {
        let s = Store::open(&path, OpenOptions::default()).unwrap();
        s.write(b"k", b"v").unwrap();
        s.version_of(b"k").unwrap().unwrap()
    };
    let ro = Store::open(
        &path,
        OpenOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ro.version_of(b"k").unwrap(), Some(v));
    assert!(matches!(
        ro.write_if(b"k", b"x", Expect::Version(v)),
        Err(Error::ReadOnly(_))
    ));
    drop(ro);
    let s = Store::open(&path, OpenOptions::default()).unwrap();
    s.write_if(b"k", b"w", Expect::Version(v)).unwrap();
}

#[test]
fn compare_and_swap_from_threads_loses_no_increment() {
    let dir = Scratch::new("cond-threads");
    let s = Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap();
    s.write(b"n", b"0").unwrap();
    let (threads, per) = (4, 500);
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                for _ in 0..per {
                    loop {
                        let v = s.version_of(b"n").unwrap().unwrap();
                        let n: u64 = String::from_utf8(s.read_to_vec(b"n").unwrap().unwrap())
                            .unwrap()
                            .parse()
                            .unwrap();
                        match s.write_if(b"n", (n + 1).to_string().as_bytes(), Expect::Version(v)) {
                            Ok(()) => break,
                            Err(Error::Conflict { .. }) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    let n = String::from_utf8(s.read_to_vec(b"n").unwrap().unwrap()).unwrap();
    assert_eq!(n, (threads * per).to_string());
}

#[test]
fn a_thread_with_an_open_stream_is_busy() {
    let dir = Scratch::new("cond-busy");
    let s = std::sync::Arc::new(Store::open(dir.file("s.srd"), OpenOptions::default()).unwrap());
    s.write(b"k", b"v").unwrap();
    let st = s
        .begin_stream(simd_r_drive::format::key_hash(b"big"))
        .unwrap();
    assert!(matches!(
        s.write_if(b"k", b"x", Expect::Absent),
        Err(Error::Busy(_))
    ));
    st.abort();
    conflict(s.write_if(b"k", b"x", Expect::Absent));
}
