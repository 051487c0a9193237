//! Build script: sets the shared library's SONAME and generates the C header
//! with cbindgen into OUT_DIR. The committed `include/simd_r_drive.h` must
//! match it; `SRD_UPDATE_HEADER=1 cargo build` (scripts/regen-header.sh)
//! rewrites the committed copy, and tests/header.rs fails on drift. The
//! generated header is compiled (tools/header_compile_check.c, as C99, C11
//! and C++11, `-Wall -Wextra -Werror -pedantic`) before anything else sees
//! it, so a header that does not compile fails the build.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let major: u32 = env::var("CARGO_PKG_VERSION_MAJOR")
        .unwrap()
        .parse()
        .unwrap();
    let minor: u32 = env::var("CARGO_PKG_VERSION_MINOR")
        .unwrap()
        .parse()
        .unwrap();
    let patch: u32 = env::var("CARGO_PKG_VERSION_PATCH")
        .unwrap()
        .parse()
        .unwrap();
    let version = env::var("CARGO_PKG_VERSION").unwrap();

    // SONAME: libsimd_r_drive.so.MAJOR, or .so.0.MINOR while the version is 0.x.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let soname = if major == 0 {
            format!("libsimd_r_drive.so.0.{minor}")
        } else {
            format!("libsimd_r_drive.so.{major}")
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }

    let version_macros = format!(
        "\n/** Major version of this header (the library's at build time). */\n\
         #define SRD_VERSION_MAJOR {major}\n\
         /** Minor version of this header. */\n\
         #define SRD_VERSION_MINOR {minor}\n\
         /** Patch version of this header. */\n\
         #define SRD_VERSION_PATCH {patch}\n\
         /** Version as MAJOR * 1000000 + MINOR * 1000 + PATCH; compare with srd_version_number(). */\n\
         #define SRD_VERSION_NUMBER {}\n\
         /** Version as text; compare with srd_version_string(). */\n\
         #define SRD_VERSION_STRING \"{version}\"\n",
        major * 1_000_000 + minor * 1_000 + patch
    );

    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(version_macros);
    config.header = Some(HEADER_PREAMBLE.to_string());
    // Every file of the C API layer, in the order the header presents them.
    const ORDER: &[&str] = &[
        "error.rs",
        "version.rs",
        "store.rs",
        "write.rs",
        "read.rs",
        "entry.rs",
        "stream.rs",
        "iter.rs",
        "keys.rs",
        "transfer.rs",
        "verify.rs",
        "nested.rs",
        "salvage.rs",
    ];
    // Files of the C API layer with nothing for the header.
    const INTERNAL: &[&str] = &["mod.rs", "args.rs", "handle.rs"];
    let mut present: Vec<String> = fs::read_dir(dir.join("src/ffi"))
        .expect("src/ffi")
        .map(|e| {
            e.expect("src/ffi entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".rs") && !INTERNAL.contains(&n.as_str()))
        .collect();
    present.sort();
    let mut listed: Vec<String> = ORDER.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        present, listed,
        "build.rs: update ORDER to list every file in src/ffi"
    );
    let sources: Vec<PathBuf> = ORDER.iter().map(|n| dir.join("src/ffi").join(n)).collect();
    let mut builder = cbindgen::Builder::new().with_config(config);
    for src in &sources {
        builder = builder.with_src(src);
    }
    let bindings = builder
        .generate()
        .expect("cbindgen failed to generate the header");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("simd_r_drive.h");
    bindings.write_to_file(&out);
    // The Rust doc comments' `# Safety` heading (which rustdoc and clippy
    // want on an `unsafe fn`) becomes what C readers know: Doxygen's
    // precondition paragraph.
    let text = fs::read_to_string(&out).unwrap();
    fs::write(&out, text.replace("\n * # Safety\n * ", "\n * @pre ")).unwrap();
    check_header_compiles(&dir.join("tools/header_compile_check.c"), &out);

    let committed = dir.join("include/simd_r_drive.h");
    let generated = fs::read(&out).unwrap();
    if env::var("SRD_UPDATE_HEADER").as_deref() == Ok("1") {
        fs::create_dir_all(dir.join("include")).unwrap();
        fs::write(&committed, &generated).unwrap();
    } else if fs::read(&committed).ok().as_deref() != Some(&generated[..]) {
        println!(
            "cargo:warning=include/simd_r_drive.h differs from the generated header; run scripts/regen-header.sh"
        );
    }

    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=include/simd_r_drive.h");
    println!("cargo:rerun-if-changed=tools/header_compile_check.c");
    println!("cargo:rerun-if-env-changed=SRD_UPDATE_HEADER");
}

/// Compiles `check` (which includes the header) against the generated
/// `header` with the C compiler `cc` finds for the target, as C99 and C11,
/// and as C++11 if a C++ compiler is found too, with every warning an error;
/// panics (failing the build) if any of them does not compile. Only the
/// syntax is checked: no object is written. Skipped with a warning if there
/// is no C compiler (or it is not GCC-like, so the flags would not apply).
fn check_header_compiles(check: &Path, header: &Path) {
    if !check.exists() {
        println!(
            "cargo:warning={} is missing: the generated header was not compile-checked",
            check.display()
        );
        return;
    }
    let include = header.parent().expect("OUT_DIR");
    let c = cc::Build::new().cargo_metadata(false).try_get_compiler();
    let cxx = cc::Build::new()
        .cpp(true)
        .cargo_metadata(false)
        .try_get_compiler();
    let runs = [
        (c.as_ref().ok(), "c", "c99"),
        (c.as_ref().ok(), "c", "c11"),
        (cxx.as_ref().ok(), "c++", "c++11"),
    ];
    for (tool, lang, std) in runs {
        let Some(tool) = tool.filter(|t| t.is_like_gnu() || t.is_like_clang()) else {
            if lang == "c" {
                println!(
                    "cargo:warning=no GCC-like C compiler found: the generated header was not compile-checked"
                );
                return;
            }
            continue; // the C++ check is a bonus
        };
        let mut cmd: Command = tool.to_command();
        cmd.args(["-x", lang, &format!("-std={std}")])
            .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"])
            .arg("-I")
            .arg(include)
            .arg(check);
        match cmd.output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "the generated header does not compile as {std} ({}):\n{}{}",
                tool.path().display(),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) if lang == "c" => {
                println!(
                    "cargo:warning=cannot run the C compiler {} ({e}): the generated header was not compile-checked",
                    tool.path().display()
                );
                return;
            }
            Err(_) => {} // no C++ compiler: the C++ check is a bonus
        }
    }
}

const HEADER_PREAMBLE: &str = "/**
 * @file simd_r_drive.h
 * @brief simd-r-drive: an append-only, single-file key/value store with
 * zero-copy, 64-byte aligned reads.
 *
 * Conventions:
 * - Every fallible function returns an srd_status; SRD_OK (0) is success.
 *   On failure srd_last_error_message() describes what went wrong, on the
 *   calling thread. Outputs are written only on success.
 * - Buffers are passed as a pointer followed by a length. The library reads
 *   caller buffers only during the call and never keeps them.
 * - Handles (srd_store, srd_entry) are owned by the caller and released with
 *   srd_close / srd_entry_free, which accept NULL.
 * - Pointers from srd_read are borrowed: valid until srd_compact or srd_close
 *   on that store. Entries from srd_read_entry are pinned: valid until
 *   srd_entry_free.
 * - A store handle may be used from many threads at once (not srd_close).
 * - Only the 64-bit XXH3 hash of a key is stored: keys cannot be listed, and
 *   two keys with the same hash are the same key.
 * - fork(): a store handle belongs to the process that opened it. A child
 *   made by fork() may read through an inherited handle and may close it
 *   (srd_close there releases the child's memory only: never the parent's
 *   writer lock, and it saves no index file), but every write, delete,
 *   stream, sync or compaction through it returns SRD_BROKEN. The parent's
 *   srd_close releases the lock even while such a child lives. To write in
 *   the child, open the store there after the parent has closed it. Pinned
 *   entries, iterators and pointers stay readable in the child. As with
 *   LMDB, do not keep using a store across exec() (descriptors are
 *   close-on-exec).
 * - Other processes: read-only handles (SRD_OPEN_READ_ONLY) in other
 *   processes may open and srd_refresh a store while one process writes. A
 *   writer marks the range it has not published (an open stream, an append
 *   over 64 KiB, a torn tail being cut) with an F_OFD_SETLK lock, and
 *   readers stay below it (a stream whose range cannot be marked is spooled
 *   beside the store until its commit); other bytes not yet known to be complete entries
 *   are read with pread, never through the memory map. So the library's own
 *   truncations (aborted streams, failed appends, torn-tail recovery,
 *   preallocated space cut at a read-write open) do not make readers fault.
 *   Exception: a torn tail of more than 1 GiB left by a crashed writer is
 *   checked through the map beyond its last 64 KiB, and faults a reader
 *   scanning it if a read-write open cuts it at that moment. A program that
 *   truncates the file by other means can make readers fault (SIGBUS), as
 *   with any memory-mapped store.
 */";
