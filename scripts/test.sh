#!/usr/bin/env bash
# The whole test suite: formatting and lints, the Rust tests (engine, format
# compatibility with the simd-r-drive crate, header drift, and the C suite at
# SRD_TEST_SCALE=0.05 through tests/c_suite.rs, which proves that path works),
# the C suite through CMake/ctest, the Rust tests and the C suite (tests/c_suite.rs)
# again through the generic Unix path (forced on Linux with --cfg
# srd_generic_unix; CMake can build it too: -DSRD_GENERIC_UNIX=ON), the C
# suite under AddressSanitizer+UBSan and valgrind; the Python, Go and Node
# bindings' tests; first, that docs/diagrams/engine.svg is what its script draws.
# Installs CMake into .venv if it is missing. Exits non-zero if anything fails.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="${SRD_JOBS:-2}"

passed=0
failed=0
failures=()
step() {
    local name="$1"
    shift
    echo
    echo "=== $name: $*"
    local t0=$SECONDS
    if "$@"; then
        passed=$((passed + 1))
        echo "=== $name: ok ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== $name: FAILED ($((SECONDS - t0)) s)"
    fi
}

cmake_bin="$(scripts/ensure-cmake.sh)" || { echo "could not get CMake"; exit 1; }
export PATH="$cmake_bin:$PATH"

c_suite() { # build dir, extra cmake args...
    local dir="$1"
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.configure.log" 2>&1 \
        || { cat "$dir.configure.log"; return 1; }
    cmake --build "$dir" -j"$jobs" || return 1
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
}

mkdir -p build
# The README's engine diagram is generated (standard library only, well under a second).
step engine-diagram python3 docs/diagrams/engine.py --check
step rustfmt cargo fmt --all -- --check
step clippy cargo clippy --all-targets --quiet -- -D warnings
step rust-tests cargo test --quiet
# The generic Unix path (src/os/generic.rs), forced on Linux: the Rust
# tests, then the C suite below.
step rust-tests-generic-unix env RUSTFLAGS="--cfg srd_generic_unix" \
    CARGO_TARGET_DIR=target/generic cargo test --quiet
step c-tests c_suite build
step python-bindings bindings/python/run_tests.sh
# The wheel (pyproject.toml, scikit-build-core) installed into a fresh venv, tested with
# no SRD_LIBRARY: the package must load the library bundled in it.
step python-wheel bindings/python/run_wheel_tests.sh
step go-bindings bindings/go/run_tests.sh
step node-bindings bindings/node/run_tests.sh
step fuzz-corpus-replay scripts/fuzz.sh --replay
step fuzz-short-session env SRD_FUZZ_NO_SAVE=1 scripts/fuzz.sh --run "${SRD_FUZZ_SECONDS:-15}"
step c-tests-asan-ubsan c_suite build-asan -DSRD_SANITIZE=ON
step c-tests-valgrind c_suite build-valgrind -DSRD_VALGRIND=ON

echo
if [ "$failed" -ne 0 ]; then
    echo "failed steps: ${failures[*]}"
fi
echo "test-steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
