//! Online backup (`Store::backup`): consistent copies that open on their
//! own, extended in place when the destination is an earlier backup,
//! replaced atomically otherwise; crashes at every point leave the earlier
//! backup usable.

mod common;

use common::{ro, Rng, Scratch};
use simd_r_drive::{Error, OpenOptions, Store};
use std::collections::HashMap;
use std::path::Path;

fn fill(s: &Store, rng: &mut Rng, n: usize, model: &mut HashMap<Vec<u8>, Vec<u8>>) {
    for _ in 0..n {
        let k = format!("k{}", rng.below(500)).into_bytes();
        let len = 1 + rng.below(3000) as usize;
        let v = rng.bytes(len);
        s.write(&k, &v).unwrap();
        model.insert(k, v);
    }
}

fn same(path: &Path, model: &HashMap<Vec<u8>, Vec<u8>>) {
    let b = ro(path);
    assert_eq!(b.len(), model.len() as u64);
    for (k, v) in model {
        assert_eq!(b.read_to_vec(k).unwrap().as_ref(), Some(v));
    }
}

#[test]
fn backups_are_full_then_incremental_then_full_after_compaction() {
    let dir = Scratch::new("backup-basic");
    let (src, dst) = (dir.file("s.srd"), dir.file("b.srd"));
    let s = Store::open(&src, OpenOptions::default()).unwrap();
    let mut rng = Rng::new(1);
    let mut model = HashMap::new();
    fill(&s, &mut rng, 400, &mut model);
    let mut calls = Vec::new();
    let r = s.backup(&dst, &mut |d, t| calls.push((d, t))).unwrap();
    assert!(!r.incremental);
    assert_eq!(r.size, s.file_size());
    assert_eq!(r.bytes_copied, r.size);
    assert_eq!(calls.first(), Some(&(0, r.size)));
    assert_eq!(calls.last(), Some(&(r.size, r.size)));
    assert_eq!(std::fs::read(&dst).unwrap(), std::fs::read(&src).unwrap());
    same(&dst, &model);
    assert!(!simd_r_drive::engine::compaction_temp_path(&dst).exists());

    let before = r.size;
    fill(&s, &mut rng, 200, &mut model);
    let r = s.backup(&dst, &mut |_, _| {}).unwrap();
    assert!(r.incremental, "{r:?}");
    assert_eq!(r.bytes_copied, s.file_size() - before);
    same(&dst, &model);
    // Nothing new: nothing copied.
    let r = s.backup(&dst, &mut |_, _| {}).unwrap();
    assert!(r.incremental && r.bytes_copied == 0, "{r:?}");

    s.compact().unwrap();
    fill(&s, &mut rng, 10, &mut model);
    let r = s.backup(&dst, &mut |_, _| {}).unwrap();
    assert!(!r.incremental, "a compacted store is copied whole: {r:?}");
    same(&dst, &model);
    assert_eq!(std::fs::read(&dst).unwrap(), std::fs::read(&src).unwrap());
}

#[test]
fn a_backup_is_the_moment_it_began_while_writers_go_on() {
    let dir = Scratch::new("backup-live");
    let (src, dst) = (dir.file("s.srd"), dir.file("b.srd"));
    let s = Store::open(&src, OpenOptions::default()).unwrap();
    let mut rng = Rng::new(2);
    let mut model = HashMap::new();
    fill(&s, &mut rng, 3000, &mut model);
    let frozen = model.clone();
    // The progress callback writes into the store while the copy runs.
    let r = s
        .backup(&dst, &mut |_, _| {
            s.write(b"during", b"the backup").unwrap();
        })
        .unwrap();
    assert!(s.read_to_vec(b"during").unwrap().is_some());
    same(&dst, &frozen);
    assert_eq!(r.size, std::fs::metadata(&dst).unwrap().len());
}

#[test]
fn what_is_not_a_backup_of_a_store_is_refused_and_left_alone() {
    let dir = Scratch::new("backup-refuse");
    let src = dir.file("s.srd");
    let s = Store::open(&src, OpenOptions::default()).unwrap();
    s.write(b"k", b"v").unwrap();
    let text = dir.file("notes.txt");
    std::fs::write(&text, b"my notes, not a store\n").unwrap();
    let r = s.backup(&text, &mut |_, _| {});
    assert!(
        matches!(&r, Err(Error::InvalidArgument(m)) if m.contains("not a store")),
        "{r:?}"
    );
    assert_eq!(std::fs::read(&text).unwrap(), b"my notes, not a store\n");
    let r = s.backup(&src, &mut |_, _| {});
    assert!(
        matches!(&r, Err(Error::InvalidArgument(m)) if m.contains("store itself")),
        "{r:?}"
    );
    let r = s.backup(&dir.0, &mut |_, _| {});
    assert!(matches!(r, Err(Error::InvalidArgument(_))), "{r:?}");
    // A store open for writing is not written under its writer.
    let other = dir.file("other.srd");
    let o = Store::open(&other, OpenOptions::default()).unwrap();
    o.write(b"x", b"y").unwrap();
    let r = s.backup(&other, &mut |_, _| {});
    assert!(matches!(r, Err(Error::Locked(_))), "{r:?}");
    drop(o);
    // Closed, another store is replaced by the backup.
    s.backup(&other, &mut |_, _| {}).unwrap();
    let b = ro(&other);
    assert!(b.read_to_vec(b"x").unwrap().is_none());
    assert_eq!(b.read_to_vec(b"k").unwrap().unwrap(), b"v");
}

#[test]
fn a_crash_at_any_byte_of_an_incremental_backup_leaves_a_usable_backup() {
    // An incremental backup appends the new bytes to the old backup and
    // then syncs: a crash leaves the old backup followed by any prefix of
    // the new bytes. Every such file opens to the old backup or a later
    // state of the store, never to anything else.
    let dir = Scratch::new("backup-crash");
    let (src, dst) = (dir.file("s.srd"), dir.file("b.srd"));
    let s = Store::open(&src, OpenOptions::default()).unwrap();
    let mut rng = Rng::new(3);
    let mut model = HashMap::new();
    for i in 0..50 {
        let k = format!("k{}", i % 60).into_bytes();
        let v = rng.bytes(1 + i * 7);
        s.write(&k, &v).unwrap();
        model.insert(k, v);
    }
    s.backup(&dst, &mut |_, _| {}).unwrap();
    let old = std::fs::read(&dst).unwrap();
    // States of the store after each later write, by file size.
    let mut states = vec![(s.file_size(), model.clone())];
    for i in 0..12 {
        let k = format!("k{}", rng.below(60)).into_bytes();
        let v = rng.bytes(1 + (i * 37) % 200);
        s.write(&k, &v).unwrap();
        model.insert(k, v);
        states.push((s.file_size(), model.clone()));
    }
    let all = std::fs::read(&src).unwrap();
    let cut = dir.file("cut.srd");
    // Every byte of the first two new entries and of the last one, and
    // every 61st byte between.
    let first_two = states[2].0 as usize;
    let last = states[states.len() - 2].0 as usize;
    let ends = (old.len()..=all.len())
        .filter(|&e| e <= first_two || e >= last || (e - old.len()) % 61 == 0);
    for (n, end) in ends.enumerate() {
        std::fs::write(&cut, &all[..end]).unwrap();
        let b = ro(&cut);
        let (_, want) = states
            .iter()
            .rev()
            .find(|(size, _)| *size <= end as u64)
            .unwrap();
        assert_eq!(b.len(), want.len() as u64, "cut at {end}");
        for (k, v) in want {
            assert_eq!(b.read_to_vec(k).unwrap().as_ref(), Some(v), "cut at {end}");
        }
        drop(b);
        // A backup into the torn file finishes it (checked for some: each
        // backup syncs).
        if n % 40 == 0 {
            s.backup(&cut, &mut |_, _| {}).unwrap();
            assert_eq!(std::fs::read(&cut).unwrap(), all, "cut at {end}");
        }
    }
}

/// Runs in a child process (see the test below): backs `src` up to `dst`
/// and kills itself with SIGKILL inside the progress callback after `after`
/// reports.
#[test]
fn backup_child() {
    let (Ok(src), Ok(dst), Ok(after)) = (
        std::env::var("SRD_BACKUP_CHILD_SRC"),
        std::env::var("SRD_BACKUP_CHILD_DST"),
        std::env::var("SRD_BACKUP_CHILD_AFTER"),
    ) else {
        return; // not a child
    };
    let after: usize = after.parse().unwrap();
    let s = Store::open(&src, OpenOptions::default()).unwrap();
    let mut n = 0;
    let r = s.backup(Path::new(&dst), &mut |_, _| {
        n += 1;
        if n > after {
            // SAFETY: plain signal to this process.
            unsafe { libc_kill_self() };
        }
    });
    eprintln!("backup_child: the backup ended before the kill point: {r:?}");
    std::process::exit(3);
}

/// SIGKILL to this process (no unwinding, no destructors, no sync).
unsafe fn libc_kill_self() {
    extern "C" {
        fn getpid() -> i32;
        fn kill(pid: i32, sig: i32) -> i32;
    }
    // SAFETY: plain system calls.
    unsafe {
        kill(getpid(), 9);
    }
}

#[test]
fn a_backup_process_killed_midway_leaves_the_earlier_backup_usable() {
    let dir = Scratch::new("backup-kill");
    let (src, dst) = (dir.file("s.srd"), dir.file("b.srd"));
    let mut rng = Rng::new(4);
    let mut model = HashMap::new();
    {
        let s = Store::open(&src, OpenOptions::default()).unwrap();
        fill(&s, &mut rng, 100, &mut model);
        s.backup(&dst, &mut |_, _| {}).unwrap();
    }
    let first = model.clone();
    let first_backup = std::fs::read(&dst).unwrap();
    {
        // 40 MiB more: several 8 MiB chunks to be killed between.
        let s = Store::open(&src, OpenOptions::default()).unwrap();
        let big = rng.bytes(1 << 20);
        for i in 0..40 {
            s.write(format!("big{i}").as_bytes(), &big).unwrap();
            model.insert(format!("big{i}").into_bytes(), big.clone());
        }
    }
    for (after, whole) in [(1usize, false), (2, false), (1, true)] {
        if !whole {
            std::fs::write(&dst, &first_backup).unwrap();
        } else {
            // A destination that is not a prefix (another store) is
            // replaced through a temporary file: killed midway, the file
            // at `dst` is untouched.
            std::fs::remove_file(&dst).unwrap();
            let s = Store::open(&dst, OpenOptions::default()).unwrap();
            s.write(b"other", b"store").unwrap();
        }
        let before = std::fs::read(&dst).unwrap();
        let st = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "backup_child", "--nocapture", "--test-threads=1"])
            .env("SRD_BACKUP_CHILD_SRC", &src)
            .env("SRD_BACKUP_CHILD_DST", &dst)
            .env("SRD_BACKUP_CHILD_AFTER", after.to_string())
            .status()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            st.signal(),
            Some(9),
            "the child was to be killed midway: {st:?}"
        );
        let now = std::fs::read(&dst).unwrap();
        if whole {
            assert_eq!(
                now, before,
                "a full backup changed the destination before its rename"
            );
            assert_eq!(ro(&dst).read_to_vec(b"other").unwrap().unwrap(), b"store");
        } else {
            assert!(
                now.len() > before.len(),
                "the kill came after some bytes were appended"
            );
            assert_eq!(&now[..before.len()], &before[..]);
            // Opens to the first backup's state or a later one (a prefix).
            let b = ro(&dst);
            for (k, v) in &first {
                assert_eq!(b.read_to_vec(k).unwrap().as_ref(), Some(v));
            }
        }
        // The next backup completes it.
        let s = Store::open(&src, OpenOptions::default()).unwrap();
        s.backup(&dst, &mut |_, _| {}).unwrap();
        drop(s);
        same(&dst, &model);
    }
}

#[test]
fn concurrent_backups_to_one_destination_never_leave_a_partial_copy() {
    // Each backup either completes or is refused as Locked (another one
    // holds the destination or its temporary file); the destination is
    // always a complete copy, never one backup's half-written file.
    let dir = Scratch::new("backup-concurrent");
    let (src, dst) = (dir.file("s.srd"), dir.file("b.srd"));
    let s = std::sync::Arc::new(Store::open(&src, OpenOptions::default()).unwrap());
    let mut rng = Rng::new(5);
    let big = rng.bytes(1 << 20);
    for i in 0..12 {
        s.write(format!("big{i}").as_bytes(), &big).unwrap();
    }
    let size = s.file_size();
    let (mut ok, mut locked) = (0, 0);
    for _round in 0..4 {
        let _ = std::fs::remove_file(&dst);
        let results: Vec<_> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    let s = std::sync::Arc::clone(&s);
                    let dst = dst.clone();
                    sc.spawn(move || s.backup(&dst, &mut |_, _| {}))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for r in results {
            match r {
                Ok(r) => {
                    assert_eq!(r.size, size);
                    ok += 1;
                }
                Err(Error::Locked(_)) => locked += 1,
                Err(e) => panic!("a concurrent backup failed otherwise: {e}"),
            }
        }
        assert_eq!(std::fs::read(&dst).unwrap(), std::fs::read(&src).unwrap());
        assert!(!dir.file("b.srd.backup.tmp").exists());
    }
    assert!(
        ok >= 4,
        "at least one backup per round completed ({ok} ok, {locked} locked)"
    );
}

#[test]
fn a_stale_handle_never_backs_up_over_the_live_store() {
    // A snapshot (or a read-only handle) shows the file of its moment; after
    // a compaction the store's path holds another file. A backup through it
    // onto the store's own path (or a hard link to it) must be refused, not
    // replace the live store with the old moment.
    let dir = Scratch::new("backup-self");
    let path = dir.file("s.srd");
    let w = Store::open(&path, OpenOptions::default()).unwrap();
    for i in 0..50 {
        w.write(format!("k{i}").as_bytes(), b"v").unwrap();
    }
    let snap = w.snapshot().unwrap();
    let r = ro(&path);
    w.compact().unwrap();
    w.write(b"precious", b"written after the snapshot").unwrap();
    drop(w);
    let link = dir.file("hard.srd");
    std::fs::hard_link(&path, &link).unwrap();
    let before = std::fs::read(&path).unwrap();
    for h in [&snap, &r] {
        for dst in [&path, &link] {
            let res = h.backup(dst, &mut |_, _| {});
            assert!(
                matches!(&res, Err(Error::InvalidArgument(m)) if m.contains("store itself")),
                "{res:?}"
            );
        }
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(ro(&path).read_to_vec(b"precious").unwrap().is_some());
}

#[test]
fn another_store_sharing_both_ends_is_replaced_not_extended() {
    // Stores of fixed-size records in the same order share their first and
    // last bytes; one that differs only in the middle is not an earlier
    // backup and must be copied whole.
    let dir = Scratch::new("backup-middle");
    let (a, b, d) = (dir.file("a.srd"), dir.file("b.srd"), dir.file("d.srd"));
    for (path, mid) in [(&a, b'A'), (&b, b'B')] {
        let s = Store::open(path, OpenOptions::default()).unwrap();
        for i in 0..1000 {
            let v = if i == 500 {
                vec![mid; 4096]
            } else {
                vec![b'x'; 4096]
            };
            s.write(format!("rec{i}").as_bytes(), &v).unwrap();
        }
    }
    Store::open(&a, OpenOptions::default())
        .unwrap()
        .backup(&d, &mut |_, _| {})
        .unwrap();
    let sb = Store::open(&b, OpenOptions::default()).unwrap();
    sb.write(b"one more", b"x").unwrap();
    let r = sb.backup(&d, &mut |_, _| {}).unwrap();
    assert!(!r.incremental, "{r:?}");
    assert_eq!(
        ro(&d).read_to_vec(b"rec500").unwrap().unwrap(),
        vec![b'B'; 4096]
    );
    assert_eq!(std::fs::read(&d).unwrap(), std::fs::read(&b).unwrap());
}
