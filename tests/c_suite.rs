//! The C test suite (`c_tests/`) under plain `cargo test`, without CMake.
//!
//! CMake (`cmake/SrdTests.cmake`) stays the way consumers and `scripts/test.sh` build and
//! run the C suite (release library, sanitizers, valgrind). This driver gives a Rust
//! contributor the same programs through `cargo test`:
//!
//! 1. The library. `cargo test` builds the crate's lib target with every crate type of
//!    `[lib]` (rlib, cdylib, staticlib) before it builds this test, and leaves
//!    `libsimd_r_drive.so` and `libsimd_r_drive.a` in `<profile>/deps/` (it copies them up
//!    to `<profile>/` only for `cargo build`, so the copies there may be stale: they are not
//!    used). `<profile>/deps/` is this test's own directory (`target/<profile>/deps/`, also
//!    under `$CARGO_TARGET_DIR` or `target/<triple>/`), so the library is always the one
//!    built from the same sources, profile and target dir as this test: no nested
//!    `cargo build`, no second build lock. The programs link the `.so` (copied under its
//!    SONAME into `<profile>/c_suite/lib/`, found through an rpath), as under CMake;
//!    `test_static_link` links the `.a`.
//! 2. The harness. `c_tests/lib/*.c` is compiled once with the `cc` crate into
//!    `libtst_harness.a`; `cc::Build::get_compiler()` then gives the compiler and flags to
//!    compile and link each program (`c_tests/{api,robustness,concurrency,safety}/test_*.c`,
//!    found by listing the folders, plus `link/`), with `-Wall -Wextra -Werror`.
//! 3. The run. Each program gets its own scratch directory under
//!    `<profile>/c_suite/scratch/` and runs with `SRD_TEST_SCALE=0.05` unless
//!    `SRD_TEST_SCALE` is set: the smallest scale the suite supports (the valgrind
//!    configuration's), which keeps every check but shrinks iteration counts, kill points
//!    and large values, so the whole suite takes about a minute on 2 cores. Programs
//!    compile and run on `available_parallelism()` threads. The test fails if any program
//!    fails to build, exits non-zero, or runs past 15 minutes; the output of every failing
//!    program is printed.
//!
//! Environment: `SRD_TEST_SCALE=1` runs the suite at the CMake default scale;
//! `SRD_C_SUITE_ONLY=<substring>` runs only the programs whose name contains it (the
//! other variables of `c_tests/README.md`, such as `SRD_RELIABILITY_ONLY` or
//! `SRD_LONG_TESTS`, are passed through to the programs); `CC`/`CFLAGS` are honoured
//! by `cc`.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const DEFAULT_SCALE: &str = "0.05";
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The folders whose `test_*.c` files are test programs linked with the harness and the
/// shared library (`link/` is handled apart).
const PROGRAM_DIRS: &[&str] = &["api", "robustness", "concurrency", "safety"];
/// The slowest programs (at the default scale, with the debug library) start first, so
/// that the others fill the remaining jobs around them.
const SLOW_FIRST: &[&str] = &[
    "test_recovery",
    "test_power_loss",
    "test_reliability",
    "test_crash",
];

struct Paths {
    manifest: PathBuf,
    c_tests: PathBuf,
    include: PathBuf,
    /// `<profile>/deps`: where `cargo test` leaves the cdylib and the staticlib.
    deps: PathBuf,
    work: PathBuf,
    lib: PathBuf,
}

#[derive(Clone)]
enum Kind {
    /// A test program: harness + shared library.
    Shared,
    /// `link/test_static_link.c`: harness + static library.
    Static,
    /// `link/header_check.c(pp)`: the header alone, strict dialect.
    Header { cxx: bool, std: &'static str },
}

#[derive(Clone)]
struct Program {
    name: String,
    source: PathBuf,
    kind: Kind,
}

struct Outcome {
    ok: bool,
    summary: String,
    output: String,
}

fn paths() -> Paths {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = std::env::current_exe().expect("current_exe");
    // <profile>/deps/c_suite-<hash>
    let deps = exe
        .parent()
        .expect("the test binary lives in <profile>/deps")
        .to_path_buf();
    let work = deps
        .parent()
        .expect("the test binary lives in <profile>/deps")
        .join("c_suite");
    Paths {
        c_tests: manifest.join("c_tests"),
        include: manifest.join("include"),
        lib: work.join("lib"),
        manifest,
        deps,
        work,
    }
}

/// The SONAME build.rs gives the shared library.
fn soname() -> String {
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    if major == 0 {
        format!("libsimd_r_drive.so.0.{minor}")
    } else {
        format!("libsimd_r_drive.so.{major}")
    }
}

fn target_triple() -> String {
    let env = if cfg!(target_env = "musl") {
        "musl"
    } else {
        "gnu"
    };
    format!("{}-unknown-linux-{env}", std::env::consts::ARCH)
}

fn base_build(p: &Paths, cxx: bool) -> cc::Build {
    let triple = target_triple();
    let mut b = cc::Build::new();
    b.cpp(cxx)
        .target(&triple)
        .host(&triple)
        .opt_level(2)
        .debug(true)
        .out_dir(p.work.join("obj"))
        .cargo_metadata(false)
        .emit_rerun_if_env_changed(false)
        .warnings(false) // -Wall -Wextra -Werror are added explicitly, as CMake does
        .flag("-Wall")
        .flag("-Wextra")
        .flag("-Werror")
        .include(&p.include)
        .include(p.c_tests.join("lib"));
    if cfg!(srd_generic_unix) {
        // The library was built for the generic Unix path: the tests of
        // Linux-only behaviour check the generic path's instead (as CMake
        // does with -DSRD_GENERIC_UNIX=ON).
        b.define("TST_GENERIC_UNIX", "1");
    }
    b
}

/// Copies the cargo-built shared library under its SONAME (and the unversioned name).
fn stage_shared_library(p: &Paths) -> PathBuf {
    let built = p.deps.join("libsimd_r_drive.so");
    assert!(
        built.exists(),
        "{} is missing: cargo builds it with the lib target (crate-type cdylib)",
        built.display()
    );
    std::fs::create_dir_all(&p.lib).unwrap();
    let versioned = p.lib.join(soname());
    let tmp = p.lib.join(format!("{}.tmp", soname()));
    std::fs::copy(&built, &tmp).unwrap();
    std::fs::rename(&tmp, &versioned).unwrap();
    let link = p.lib.join("libsimd_r_drive.so");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(soname(), &link).unwrap();
    link
}

fn discover(p: &Paths) -> Vec<Program> {
    let mut programs = Vec::new();
    for dir in PROGRAM_DIRS {
        let mut names: Vec<PathBuf> = std::fs::read_dir(p.c_tests.join(dir))
            .unwrap_or_else(|e| panic!("c_tests/{dir}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|f| {
                let n = f.file_name().unwrap().to_string_lossy();
                n.starts_with("test_") && n.ends_with(".c")
            })
            .collect();
        names.sort();
        for source in names {
            let name = source.file_stem().unwrap().to_string_lossy().into_owned();
            programs.push(Program {
                name,
                source,
                kind: Kind::Shared,
            });
        }
    }
    let link = p.c_tests.join("link");
    programs.push(Program {
        name: "test_static_link".into(),
        source: link.join("test_static_link.c"),
        kind: Kind::Static,
    });
    for (std, cxx) in [
        ("c99", false),
        ("c11", false),
        ("c++11", true),
        ("c++17", true),
    ] {
        let tag = std.replace("++", "xx");
        programs.push(Program {
            name: format!("header_check_{tag}"),
            source: link.join(if cxx {
                "header_check.cpp"
            } else {
                "header_check.c"
            }),
            kind: Kind::Header { cxx, std },
        });
    }
    programs
}

/// Every test program the driver finds must also be registered in CMake, so the two
/// runners cannot drift apart.
fn check_cmake_registers(p: &Paths, programs: &[Program]) {
    let cmake = std::fs::read_to_string(p.manifest.join("cmake/SrdTests.cmake")).unwrap();
    let missing: Vec<String> = programs
        .iter()
        .map(|pr| {
            pr.source
                .strip_prefix(&p.c_tests)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|rel| !cmake.contains(&format!("${{SRD_TEST_DIR}}/{rel}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "c_tests programs not registered in cmake/SrdTests.cmake: {missing:?}"
    );
}

fn run_to_string(mut cmd: Command) -> Result<(), String> {
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn link_program(p: &Paths, pr: &Program, harness: &Path) -> Result<PathBuf, String> {
    let bin = p.work.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join(&pr.name);
    let version_define = format!("-DSRD_CARGO_VERSION=\"{}\"", env!("CARGO_PKG_VERSION"));
    let mut cmd = match &pr.kind {
        Kind::Header { cxx, std } => {
            let mut b = base_build(p, *cxx);
            b.flag("-pedantic").std(std);
            let mut c = b
                .try_get_compiler()
                .map_err(|e| e.to_string())?
                .to_command();
            let dialect = std.to_uppercase();
            c.arg(format!("-DHEADER_CHECK_DIALECT=\"{dialect}\""));
            c.arg(&version_define).arg(&pr.source);
            c
        }
        _ => {
            let mut b = base_build(p, false);
            b.std("c11");
            let mut c = b
                .try_get_compiler()
                .map_err(|e| e.to_string())?
                .to_command();
            c.arg(&version_define).arg(&pr.source).arg(harness);
            c
        }
    };
    cmd.arg("-o").arg(&exe);
    match pr.kind {
        Kind::Static => {
            cmd.arg(p.deps.join("libsimd_r_drive.a"));
            // what `cargo rustc -- --print native-static-libs` reports (as in CMakeLists.txt)
            for l in ["gcc_s", "util", "rt", "pthread", "m", "dl", "c"] {
                cmd.arg(format!("-l{l}"));
            }
        }
        _ => {
            cmd.arg(format!("-L{}", p.lib.display()))
                .arg("-lsimd_r_drive")
                .arg(format!("-Wl,-rpath,{}", p.lib.display()))
                .args(["-lpthread", "-lm", "-ldl"]);
        }
    }
    run_to_string(cmd)?;
    Ok(exe)
}

fn run_program(p: &Paths, pr: &Program, exe: &Path, scale: &str) -> Outcome {
    let scratch = p.work.join("scratch").join(&pr.name);
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let log_path = p.work.join("logs").join(format!("{}.log", pr.name));
    std::fs::create_dir_all(log_path.parent().unwrap()).unwrap();
    let log = std::fs::File::create(&log_path).unwrap();
    let t0 = Instant::now();
    let mut child = Command::new(exe)
        .arg(&scratch)
        .env("SRD_TEST_SCALE", scale)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if t0.elapsed() > PROGRAM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let secs = t0.elapsed().as_secs_f64();
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    // the harness's last line: "<name>: N passed, N failed"
    let counts = output
        .lines()
        .rev()
        .find(|l| l.contains(" passed, ") && l.ends_with(" failed"))
        .unwrap_or("(no totals printed)")
        .to_string();
    let (ok, how) = match status {
        Some(st) if st.success() => (true, "ok".to_string()),
        Some(st) => (false, format!("FAILED ({st})")),
        None => (
            false,
            format!("FAILED (timed out after {PROGRAM_TIMEOUT:?})"),
        ),
    };
    Outcome {
        ok,
        summary: format!("{:<22} {how:<6} {secs:6.1} s  {counts}", pr.name),
        output,
    }
}

/// Runs `f` on every item with `jobs` threads; results in item order.
fn parallel<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                results.lock().unwrap()[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

#[test]
fn c_test_programs_build_and_pass() {
    let t0 = Instant::now();
    let p = paths();
    std::fs::create_dir_all(p.work.join("obj")).unwrap();
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let scale = std::env::var("SRD_TEST_SCALE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_SCALE.to_string());
    let only = std::env::var("SRD_C_SUITE_ONLY").unwrap_or_default();

    let mut programs = discover(&p);
    check_cmake_registers(&p, &programs);
    programs.retain(|pr| pr.name.contains(&only));
    assert!(
        !programs.is_empty(),
        "SRD_C_SUITE_ONLY={only} matches no program"
    );

    stage_shared_library(&p);
    let mut harness_build = base_build(&p, false);
    harness_build.std("c11");
    let mut harness_sources: Vec<PathBuf> = std::fs::read_dir(p.c_tests.join("lib"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| f.extension().is_some_and(|x| x == "c"))
        .collect();
    harness_sources.sort();
    harness_build.files(&harness_sources);
    if let Err(e) = harness_build.try_compile("tst_harness") {
        panic!("compiling c_tests/lib failed: {e}");
    }
    let harness = p.work.join("obj").join("libtst_harness.a");

    let built = parallel(&programs, jobs, |pr| link_program(&p, pr, &harness));
    let mut failures = Vec::new();
    let mut runnable = Vec::new();
    for (pr, r) in programs.iter().zip(built) {
        match r {
            Ok(exe) => runnable.push((pr.clone(), exe)),
            Err(e) => failures.push(format!("{}: build failed\n{e}", pr.name)),
        }
    }
    let built_secs = t0.elapsed().as_secs_f64();

    runnable.sort_by_key(|(pr, _)| {
        SLOW_FIRST
            .iter()
            .position(|n| *n == pr.name)
            .unwrap_or(SLOW_FIRST.len())
    });
    let outcomes = parallel(&runnable, jobs, |(pr, exe)| {
        let o = run_program(&p, pr, exe, &scale);
        eprintln!("c_suite: {}", o.summary);
        o
    });
    let mut passed_checks: u64 = 0;
    for o in &outcomes {
        if let Some(n) = o
            .summary
            .rsplit(": ")
            .next()
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<u64>().ok())
        {
            passed_checks += n;
        }
        if !o.ok {
            failures.push(format!("{}\n{}", o.summary, o.output));
        }
    }

    // The shared-library and static-executable checks of link/, when the binutils exist.
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if only.is_empty() || "check_shared_library check_static_executable".contains(&only) {
        if have("nm") && have("readelf") && have("objdump") {
            let mut c = Command::new("sh");
            c.arg(p.c_tests.join("link/check_shared_library.sh"))
                .arg(p.lib.join("libsimd_r_drive.so"))
                .arg(soname());
            match run_to_string(c) {
                Ok(()) => eprintln!("c_suite: link/check_shared_library.sh ok"),
                Err(e) => failures.push(format!("check_shared_library.sh\n{e}")),
            }
            if let Some((_, exe)) = runnable
                .iter()
                .find(|(pr, _)| pr.name == "test_static_link")
            {
                let mut c = Command::new("sh");
                c.arg(p.c_tests.join("link/check_static_executable.sh"))
                    .arg(exe);
                match run_to_string(c) {
                    Ok(()) => eprintln!("c_suite: link/check_static_executable.sh ok"),
                    Err(e) => failures.push(format!("check_static_executable.sh\n{e}")),
                }
            }
        } else {
            eprintln!("c_suite: nm/readelf/objdump missing: link/check_*.sh skipped");
        }
    }

    eprintln!(
        "c_suite: {} programs, {} passed checks, SRD_TEST_SCALE={scale}, {jobs} jobs; \
         built in {built_secs:.1} s, total {:.1} s",
        outcomes.len(),
        passed_checks,
        t0.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} C test program(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
