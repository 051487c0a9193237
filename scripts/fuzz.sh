#!/usr/bin/env bash
# Coverage-guided fuzzing of the C API with libFuzzer (see fuzz/README.md).
#
#   scripts/fuzz.sh --replay             build the targets and run each once over
#                                        its corpus (fuzz/corpus/<target>/)
#   scripts/fuzz.sh --run [SECONDS]      fuzz each target for SECONDS (default 60),
#                                        adding new interesting inputs to its corpus
#                                        (not with SRD_FUZZ_NO_SAVE=1, as the test
#                                        command runs it)
#   scripts/fuzz.sh --minimize           shrink each corpus to the inputs that cover
#                                        new edges (libFuzzer -merge=1), seeds kept
#
# Targets can be named after the mode (default: all of them). Builds on stable
# Rust with SanitizerCoverage passes (no nightly, no sanitizers) into
# fuzz/target/, away from the normal build. libFuzzer itself comes from the
# libfuzzer-sys crate (crates.io), compiled with the system C++ compiler.
# Installs nothing. Exits non-zero if a target crashes, hangs or fails to
# build; the input that did it is saved under fuzz/artifacts/<target>/.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/fuzz"
all_targets=(open_bytes api_sequence)

usage() {
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
}

mode="${1:-}"
shift || true
seconds=60
case "$mode" in
--replay | --minimize) ;;
--run)
    if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
        seconds="$1"
        shift
    fi
    ;;
*) usage ;;
esac
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    [ -f "$fuzz/fuzz_targets/$t.rs" ] || { echo "unknown target: $t (have: ${all_targets[*]})"; exit 2; }
done

# --- Prerequisites: report, never install ------------------------------------
missing=()
command -v cargo >/dev/null || missing+=("cargo (the Rust toolchain, via rustup)")
cxx="${CXX:-}"
if [ -z "$cxx" ]; then
    for c in c++ g++ clang++; do
        if command -v "$c" >/dev/null; then
            cxx="$c"
            break
        fi
    done
fi
[ -n "$cxx" ] && command -v "$cxx" >/dev/null || missing+=("a C++17 compiler: apt-get install -y g++")
if [ ${#missing[@]} -ne 0 ]; then
    echo "fuzz.sh: missing prerequisites:"
    printf '  - %s\n' "${missing[@]}"
    exit 2
fi

# --- Build ----------------------------------------------------------------------
# The flags cargo-fuzz passes, minus the sanitizer (which needs nightly):
# edge coverage with inline 8-bit counters and a PC table (what libFuzzer's
# guidance and `cov:` read), comparison tracing (to solve magic values and
# lengths), and cfg(fuzzing). --target keeps them off build scripts.
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cforce-frame-pointers=yes --cfg fuzzing"
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS
export CXX="$cxx"
t0=$SECONDS
echo "=== fuzz.sh: building ${targets[*]} (fuzz/target, $host)"
# No --locked: fuzz/Cargo.lock pins what it lists, and a dependency the
# library adds later is resolved instead of failing the build.
if ! cargo build --manifest-path "$fuzz/Cargo.toml" --release \
    --target "$host" --target-dir "$fuzz/target" \
    $(printf -- '--bin %s ' "${targets[@]}"); then
    echo "fuzz.sh: build FAILED"
    exit 1
fi
echo "=== fuzz.sh: built in $((SECONDS - t0)) s"
bin="$fuzz/target/$host/release"

# Per-target limits: inputs up to max_len bytes; a single input running
# longer than `timeout` seconds is a hang.
max_len() {
    case "$1" in
    open_bytes) echo 16384 ;;
    *) echo 4096 ;;
    esac
}
timeout_s=30
logs="$fuzz/target/logs"
mkdir -p "$logs"

# Prints the summary of one libFuzzer log; returns non-zero on a crash.
report() { # target, log, exit code
    local t="$1" log="$2" rc="$3"
    local first last execs secs rate new
    if [ "$mode" = --minimize ] && [ "$rc" -eq 0 ]; then
        echo "--- $t: $(grep -oE '[0-9]+ new files with [0-9]+ new features added; [0-9]+ new coverage edges' "$log" | tail -1)"
        return 0
    fi
    first="$(grep -m1 -oE 'INITED cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | sed 's/INITED //')"
    last="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    new="$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)"
    secs="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
    echo "--- $t: executions: ${execs:-?} in ${secs:-?} s (${rate:-?}/s), new corpus inputs: ${new:-0}"
    echo "--- $t: coverage at start: ${first:-?}"
    echo "--- $t: coverage at end:   ${last:-?}"
    if [ "$rc" -ne 0 ]; then
        echo "--- $t: FAILED (libFuzzer exit code $rc); log: $log"
        grep -E '^(==[0-9]+==|thread .* panicked|SUMMARY|ERROR: libFuzzer|ALARM|artifact_prefix)' "$log" | head -20
        grep -A4 -E "panicked at" "$log" | head -12
        grep -oE 'Test unit written to [^ ]+' "$log" | sed 's/Test unit written to /--- crash input: /'
        echo "--- reproduce: $bin/$t <crash input>   (SRD_FUZZ_TRACE=1 prints the decoded operations of api_sequence)"
        return 1
    fi
    return 0
}

corpus_size() {
    echo "$(find "$1" -type f | wc -l) files, $(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}') bytes"
}

failed=0
for t in "${targets[@]}"; do
    corpus="$fuzz/corpus/$t"
    artifacts="$fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    log="$logs/$t.log"
    common=(-max_len="$(max_len "$t")" -timeout="$timeout_s" -rss_limit_mb=2048
        -artifact_prefix="$artifacts/" -print_final_stats=1)
    t0=$SECONDS
    case "$mode" in
    --replay)
        n="$(find "$corpus" -type f | wc -l)"
        echo "=== $t: replaying $n corpus inputs"
        "$bin/$t" "${common[@]}" -runs=0 "$corpus" >"$log" 2>&1
        rc=$?
        ;;
    --run)
        echo "=== $t: fuzzing for $seconds s (corpus: fuzz/corpus/$t)"
        dirs=("$corpus")
        if [ -n "${SRD_FUZZ_NO_SAVE:-}" ]; then
            # New inputs go to a scratch directory, not the committed corpus.
            dirs=("$(mktemp -d "$fuzz/target/run-$t.XXXXXX")" "$corpus")
        fi
        "$bin/$t" "${common[@]}" -max_total_time="$seconds" "${dirs[@]}" >"$log" 2>&1
        rc=$?
        [ -z "${SRD_FUZZ_NO_SAVE:-}" ] || rm -rf "${dirs[0]}"
        ;;
    --minimize)
        before="$(corpus_size "$corpus")"
        tmp="$(mktemp -d "$fuzz/target/min-$t.XXXXXX")"
        # Edge coverage only (-use_counters=0): one input per newly covered
        # edge, not per hit-count bucket; a fuzzing run regains those fast.
        "$bin/$t" "${common[@]}" -merge=1 -use_counters=0 "$tmp" "$corpus" >"$log" 2>&1
        rc=$?
        if [ "$rc" -eq 0 ]; then
            # Keep the hand-made seeds (named seed-*) whatever they cover;
            # libFuzzer names the others by the SHA-1 of their content.
            seeds="$(find "$corpus" -type f -name 'seed-*' -exec sha1sum {} + | cut -d' ' -f1)"
            find "$corpus" -type f ! -name 'seed-*' -delete
            for f in "$tmp"/*; do
                [ -e "$f" ] || continue
                grep -qx "$(basename "$f")" <<<"$seeds" || cp "$f" "$corpus/"
            done
        fi
        rm -rf "$tmp"
        echo "=== $t: corpus $before -> $(corpus_size "$corpus")"
        ;;
    esac
    report "$t" "$log" "$rc" || failed=$((failed + 1))
    echo "=== $t: $((SECONDS - t0)) s"
done

passed=$((${#targets[@]} - failed))
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
