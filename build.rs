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
        "\n/** Major version of this header (the library's at build time). @ingroup version */\n\
         #define SRD_VERSION_MAJOR {major}\n\
         /** Minor version of this header. @ingroup version */\n\
         #define SRD_VERSION_MINOR {minor}\n\
         /** Patch version of this header. @ingroup version */\n\
         #define SRD_VERSION_PATCH {patch}\n\
         /** Version as MAJOR * 1000000 + MINOR * 1000 + PATCH; compare with srd_version_number(). @ingroup version */\n\
         #define SRD_VERSION_NUMBER {}\n\
         /** Version as text; compare with srd_version_string(). @ingroup version */\n\
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
        "backup.rs",
        "write.rs",
        "read.rs",
        "conditional.rs",
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
    let text = fs::read_to_string(&out).unwrap();
    fs::write(&out, status_tag_apart(&c_doc_text(&text))).unwrap();
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

/// Turns the Rust doc text in the generated header into Doxygen's: the
/// `# Safety` heading (which rustdoc and clippy want on an `unsafe fn`)
/// becomes the precondition paragraph, `@pre`, joined with the line after
/// it. Panics if any other Markdown heading (`# Errors`, `## Panics`, ...)
/// is left in a comment: C readers get Doxygen commands, not Rust headings.
fn c_doc_text(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut pre = false;
    for line in text.lines() {
        if line == " * # Safety" {
            pre = true;
            continue;
        }
        if pre {
            let rest = line.strip_prefix(" * ").unwrap_or_else(|| {
                panic!("build.rs: `# Safety` must be followed by its text, not {line:?}")
            });
            out.push(format!(" * @pre {rest}"));
            pre = false;
            continue;
        }
        let body = line.trim_start().strip_prefix('*').map(str::trim_start);
        if let Some(b) = body {
            let hashes = b.len() - b.trim_start_matches('#').len();
            assert!(
                !(hashes > 0 && b[hashes..].starts_with(' ')),
                "build.rs: a Markdown heading would reach the C header: {line:?}"
            );
        }
        out.push(line.to_string());
    }
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    joined
}

/// Compiles `check` (which includes the header) against the generated
/// `header` with the C compiler `cc` finds for the target, as C99 and C11,
/// and as C++11 if a C++ compiler is found too, with every warning an error;
/// panics (failing the build) if any of them does not compile. Only the
/// syntax is checked: no object is written. Skipped with a warning if there
/// is no C compiler (or it is not GCC-like, so the flags would not apply).
/// cbindgen declares `enum srd_status` and, for C before C23 (where an
/// enum cannot have a fixed type), `typedef int32_t srd_status`: a tag and a
/// typedef of one name but different types, which `-Wc++-compat` rejects
/// (and C++ would). The tag becomes `srd_status_code`; `srd_status` stays
/// the name every function uses: `int32_t` before C23, the enum in C23 and
/// C++. Panics if cbindgen's output no longer has the expected shape.
fn status_tag_apart(text: &str) -> String {
    const TAG: &str = "\nenum srd_status\n";
    const TYPEDEFS: &str = "#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum srd_status srd_status;
#else
typedef int32_t srd_status;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus
";
    const NEW_TYPEDEFS: &str = "/**
 * @brief The type every fallible function returns: `int32_t` before C23, the
 * enumeration ::srd_status_code in C23 and C++; its values are the `SRD_*` codes
 * listed there (rule E1 in @ref conventions).
 * @ingroup errors
 */
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
typedef enum srd_status_code srd_status;
#else
typedef int32_t srd_status;
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
";
    assert!(
        text.matches(TAG).count() == 1 && text.matches(TYPEDEFS).count() == 1,
        "build.rs: cbindgen's declaration of srd_status changed shape; update status_tag_apart"
    );
    text.replace(TAG, "\nenum srd_status_code\n")
        .replace(TYPEDEFS, NEW_TYPEDEFS)
}

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
        cmd.args(["-x", lang, &format!("-std={std}")]).args([
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-fsyntax-only",
        ]);
        if lang == "c" {
            // The header is meant to be includable from code that is also
            // compiled as C++.
            cmd.arg("-Wc++-compat");
        }
        cmd.arg("-I").arg(include).arg(check);
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
 * The rules every declaration follows (errors, buffers, ownership, pointer
 * lifetimes, threads, fork() and other processes) are stated once, on the
 * page @ref conventions; declarations refer to them by their labels (E1, B1,
 * L1, T1, P1, ...). The functions are grouped by topic (see Modules).
 */

/**
 * @page conventions Conventions of the C API
 *
 * @section conventions_errors Errors (E)
 * - **E1** Every fallible function returns an srd_status; `SRD_OK` (0) is
 *   success. Outputs (the `out_` parameters) are written only on success,
 *   unless the function says otherwise (srd_verify()).
 * - **E2** On failure srd_last_error_message() describes what went wrong, and
 *   srd_last_error_os_errno() gives the operating-system error number (0 if
 *   none), on the calling thread; successful calls do not change them.
 * - **E3** Any function returning srd_status may return `SRD_PANIC`: a bug
 *   inside the library, caught at the C boundary; the call had no effect that
 *   can be relied on. Functions returning something else return a fixed
 *   fallback instead (NULL, the empty string or nothing).
 * - **E4** A NULL handle, a NULL output pointer or a NULL buffer with a
 *   non-zero length gives `SRD_INVALID_ARGUMENT` before anything is changed.
 *   Functions that release a handle accept NULL as a no-op.
 * - **E5** The detail of E2 is kept per OS thread and describes the last
 *   failing call on that thread. Read it on the same OS thread, right after
 *   the failing call and before any other `srd_` call there. Runtimes that
 *   move calls between OS threads or make them on worker threads (Go's
 *   goroutines, Node's async work and worker threads, async FFI calls such
 *   as koffi's) must make the call and read its detail inside one native
 *   function, on one thread, and hand the copies back with the status: the
 *   Go binding (bindings/go) and the Node binding (bindings/node) do so, and
 *   every caller gets the detail of its own call.
 *
 * @section conventions_buffers Buffers, keys and ownership (B)
 * - **B1** Buffers are passed as a pointer followed by a length; a length of 0
 *   allows a NULL pointer. The library reads caller buffers (keys, values,
 *   arrays, paths) only during the call and never keeps them.
 * - **B2** A key has at least 1 byte. A value has at least 1 byte and is not
 *   the single byte 0x00 (the format's deletion marker).
 * - **B3** Only the 64-bit XXH3 hash of a key is stored: keys cannot be
 *   listed, and two keys with the same hash are the same key. srd_hash_key()
 *   gives the hash the `_with_hash` functions take.
 * - **B4** Handles (srd_store, srd_entry, srd_iter, srd_stream) belong to the
 *   caller from the call that makes them until the one that releases them:
 *   srd_close(), srd_entry_free(), srd_iter_free(), and srd_stream_commit()
 *   or srd_stream_abort(). A released handle must not be used again.
 *
 * @section conventions_lifetime Lifetimes of returned pointers (L)
 * - **L1** Borrowed values (from srd_read(), srd_read_with_hash(),
 *   srd_read_batch(), srd_read_batch_with_hash() and srd_read_last()) stay
 *   valid and unchanged until srd_compact() (or srd_compact_progress()) or
 *   srd_close() on that store handle, or an srd_refresh() on it that takes in
 *   a compaction made by another process; overwriting or deleting the key and
 *   the file growing do not end them. A thread that may run concurrently
 *   with a compaction must use pinned entries (L2) instead.
 * - **L2** A pinned entry (from srd_read_entry() or
 *   srd_read_entry_with_hash()) and the pointer from srd_entry_data() stay
 *   valid, with unchanged bytes, until srd_entry_free(), even after
 *   srd_compact(), srd_refresh() and srd_close() on the store.
 * - **L3** The values an iterator returns (srd_iter_next()) stay valid until
 *   srd_iter_free(), not only until the next call, even after srd_compact()
 *   and srd_close() on the store.
 * - **L4** srd_status_str() and srd_version_string() return static strings.
 *   srd_last_error_message() returns a string valid until the next failing
 *   call on the same thread. Never free any of them.
 * - **L5** A store opened over caller memory (srd_open_bytes()) reads that
 *   memory in place: it must stay valid and unchanged until the store is
 *   closed and every entry and iterator from it is freed. A store opened
 *   over an entry (srd_open_entry()) keeps the entry's bytes alive itself.
 * - **L6** Value pointers point into the memory map (or the caller's memory,
 *   L5) and are read-only: never write through or free them. Values start at
 *   multiples of 64 in the file, so every value pointer is 64-byte aligned
 *   (for srd_open_bytes(), when the memory is).
 *
 * @section conventions_threads Threads (T)
 * - **T1** A store handle may be used from any number of threads at once,
 *   except srd_close(), which must be the last call on it, with no other
 *   call running. Reads run in parallel and are not blocked by a writer's
 *   I/O; writes, deletes, batches and compaction are serialized.
 * - **T2** An open stream (srd_stream_begin()) owns the store's writer until
 *   it is committed or aborted: writes, deletes, compactions and streams from
 *   other threads wait; from the thread that began it they fail at once with
 *   `SRD_BUSY` (they would wait for themselves).
 * - **T3** An entry may be read from several threads at once. An iterator or
 *   a stream is used by one thread at a time (any thread). Free each handle
 *   once, when no thread uses it.
 * - **T4** Functions that take no handle (srd_status_str(),
 *   srd_last_error_message(), the version functions, srd_hash_key(),
 *   srd_namespace_key(), srd_salvage()) may be called from any thread at any
 *   time. Progress callbacks run on the calling thread and must not call
 *   back into the library on the same store.
 *
 * @section conventions_processes fork() and other processes (P)
 * - **P1** fork(): a store handle belongs to the process that opened it. A
 *   child made by fork() may read through an inherited handle and may close
 *   it (srd_close() there releases the child's memory only: never the
 *   parent's writer lock, and it saves no index file), but every write,
 *   delete, stream, sync or compaction through it returns `SRD_BROKEN`. The
 *   parent's srd_close() releases the lock even while such a child lives. To
 *   write in the child, open the store there after the parent has closed it.
 *   Pinned entries, iterators and pointers stay readable in the child. As
 *   with LMDB, do not keep using a store across exec() (descriptors are
 *   close-on-exec).
 * - **P2** Other processes: a read-write open takes an exclusive lock on the
 *   file, so a second read-write open, from this process or another, fails
 *   with `SRD_LOCKED`. Read-only handles (`SRD_OPEN_READ_ONLY`) in other
 *   processes may open and srd_refresh() a store while one process writes. A
 *   writer marks the range it has not published (an open stream, an append
 *   over 64 KiB, a torn tail being cut) with an `F_OFD_SETLK` lock, and
 *   readers stay below it (a stream whose range cannot be marked is spooled
 *   beside the store until its commit); other bytes not yet known to be
 *   complete entries are read with pread, never through the memory map. So
 *   the library's own truncations (aborted streams, failed appends, torn-tail
 *   recovery, preallocated space cut at a read-write open) do not make
 *   readers fault. Exception: a torn tail of more than 1 GiB left by a
 *   crashed writer is checked through the map beyond its last 64 KiB, and
 *   faults a reader scanning it if a read-write open cuts it at that moment.
 *   A program that truncates the file by other means can make readers fault
 *   (SIGBUS), as with any memory-mapped store.
 */

/** @defgroup errors Status codes and error messages
 *  @brief srd_status, its text, and the per-thread message and OS error number of the last failure (rules E1 to E5). */
/** @defgroup version Version
 *  @brief The header's version macros and the loaded library's version. */
/** @defgroup lifecycle Opening, closing and maintaining a store
 *  @brief Open flags, srd_open(), srd_close(), compaction, sync, sizes and srd_refresh(). */
/** @defgroup writes Writing and deleting
 *  @brief Single keys, batches and prehashed keys; all serialized per store (rule T1). */
/** @defgroup conditional Conditional writes
 *  @brief Write only if a key is absent, or only if its version is the one read (compare-and-swap). */
/** @defgroup reads Reading
 *  @brief Borrowed values (rule L1), pinned entries (rule L2), batches and prehashed keys. */
/** @defgroup entries Pinned entries
 *  @brief Values that outlive compaction and the store handle (rule L2). */
/** @defgroup streams Streaming writes
 *  @brief Values too large to hold in memory, written piece by piece (rule T2). */
/** @defgroup iteration Iteration
 *  @brief Snapshots of the live entries, whole or in parts (rule L3). */
/** @defgroup keys Key hashes and namespaces
 *  @brief The hash a key is stored under (rule B3), and namespaced keys. */
/** @defgroup transfers Rename, copy and move
 *  @brief Moving values between keys and between stores. */
/** @defgroup verify Verification, compaction progress and space
 *  @brief Checking every checksum, progress callbacks, reclaimable bytes. */
/** @defgroup nested Stores over memory
 *  @brief Read-only stores opened in place over bytes or a pinned entry (rule L5). */
/** @defgroup salvage Salvage
 *  @brief Recovering the intact entries of a damaged store file. */";
