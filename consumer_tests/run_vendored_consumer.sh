#!/bin/sh
# run_vendored_consumer.sh MODE CMAKE GENERATOR CC CXX SRCDIR WORKDIR [CARGO_TARGET_DIR]
#
# Vendors this project into a fresh parent project (consumer_tests/vendor) and builds it:
#   MODE add_subdirectory  a copy at <parent>/third_party/simd-r-drive-c, add_subdirectory()
#   MODE fetch_git         FetchContent from file://<copy> (a git repository)
#   MODE fetch_path        FetchContent from SOURCE_DIR <copy>
# The copy is made of this tree's files (git ls-files: tracked plus untracked, not ignored) and
# committed, and the parent is a git repository too, so `git status --ignored` proves that
# configuring and building wrote nothing into either source tree (no include/, no target/).
# Checks that cargo ran on the vendored Cargo.toml, that without CARGO_TARGET_DIR cargo's
# target directory is inside the parent's build tree, that the parent gets no tests, tools or
# install rules from us, and runs the programs (shared and static).
# CARGO_TARGET_DIR (optional) is passed as SRD_CARGO_TARGET_DIR to reuse a built crate.
# Exit 77 (skip) without git.
set -u
mode=$1
cmake=$2
generator=$3
cc=$4
cxx=$5
srcdir=$6
work=$7
cargo_target=${8:-}
here=$(cd "$(dirname "$0")" && pwd)

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
finish() { echo "run_vendored_consumer ($mode): $passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }
command -v git >/dev/null 2>&1 || { echo "git not found: skipped"; exit 77; }
export GIT_AUTHOR_NAME=srd GIT_AUTHOR_EMAIL=srd@localhost GIT_COMMITTER_NAME=srd \
       GIT_COMMITTER_EMAIL=srd@localhost GIT_CONFIG_NOSYSTEM=1 HOME="${HOME:-/tmp}"

rm -rf "$work"
mkdir -p "$work/parent" "$work/scratch"
parent=$work/parent
cp "$here/vendor/CMakeLists.txt" "$here/app.c" "$parent/"

# copy_tree DEST: this project's files (no build trees, no target/), as a git repository.
copy_tree() {
    mkdir -p "$1"
    (cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | (cd "$1" && tar -xf -)
}
git_commit() { # dir
    git -C "$1" init -q -b main && git -C "$1" add -A && git -C "$1" commit -q -m snapshot
}

case $mode in
    add_subdirectory)
        copy_tree "$parent/third_party/simd-r-drive-c"
        vendored=$parent/third_party/simd-r-drive-c
        bindir=$work/build/third_party/simd-r-drive-c
        extra=""
        ;;
    fetch_git)
        copy_tree "$work/upstream"
        git_commit "$work/upstream" || { bad "making the upstream repository"; finish; }
        vendored=$work/build/_deps/simd_r_drive-src
        bindir=$work/build/_deps/simd_r_drive-build
        extra="-DVENDOR_URL=file://$work/upstream"
        ;;
    fetch_path)
        copy_tree "$work/upstream"
        git_commit "$work/upstream" || { bad "making the upstream repository"; finish; }
        vendored=$work/upstream
        bindir=$work/build/_deps/simd_r_drive-build
        extra="-DVENDOR_PATH=$work/upstream"
        ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
git_commit "$parent" || { bad "making the parent repository"; finish; }

set -- -DVENDOR_MODE="$mode"
[ -n "$extra" ] && set -- "$@" "$extra"
[ -n "$cargo_target" ] && set -- "$@" -DSRD_CARGO_TARGET_DIR="$cargo_target"
echo "+ cmake -S <parent> -B $work/build -DVENDOR_MODE=$mode"
if (cd "$parent" && "$cmake" -S . -B "$work/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" "$@") >"$work/configure.log" 2>&1; then
    ok
else
    cat "$work/configure.log"
    bad "configuring the parent project failed"
    finish
fi
if (cd "$parent" && "$cmake" --build "$work/build" --verbose) >"$work/build.log" 2>&1; then
    ok
else
    tail -50 "$work/build.log"
    bad "building the parent project failed"
    finish
fi

# cargo ran on the vendored crate: its Cargo.toml, from its directory.
if grep -q -- "--manifest-path $vendored/Cargo.toml" "$work/build.log"; then ok; else
    grep -n cargo "$work/build.log" | head -5
    bad "cargo was not run with --manifest-path $vendored/Cargo.toml"
fi
if grep -q "could not find .Cargo.toml" "$work/build.log"; then bad "cargo looked for Cargo.toml elsewhere"; else ok; fi
if [ -z "$cargo_target" ]; then
    if [ -f "$bindir/cargo-target/release/libsimd_r_drive.a" ]; then ok; else
        bad "cargo's target directory is not $bindir/cargo-target"
    fi
fi

# Nothing written into the parent's source tree (nor into the vendored one).
for tree in "$parent" "$work/upstream"; do
    [ -d "$tree" ] || continue
    dirty=$(git -C "$tree" status --porcelain --ignored --untracked-files=all)
    if [ -z "$dirty" ]; then ok; else
        echo "$dirty" | head -20
        bad "the build wrote into the source tree $tree"
    fi
done
[ -d "$parent/include" ] && bad "$parent/include appeared"

# The parent gets no tests and no install rules from us: its install is its own program only.
ctest=$(dirname "$cmake")/ctest
[ -x "$ctest" ] || ctest=ctest
if (cd "$work/build" && "$ctest" -N 2>/dev/null | grep -q "Total Tests: [1-9]"); then
    bad "the parent build has tests from simd_r_drive"
else
    ok
fi
if "$cmake" --install "$work/build" --prefix "$work/prefix" >"$work/install.log" 2>&1; then
    got=$(cd "$work/prefix" && find . -type f -o -type l | sort | tr '\n' ' ')
    if [ "$got" = "./bin/vendored_c_shared " ]; then ok; else bad "cmake --install installed: $got"; fi
else
    cat "$work/install.log"
    bad "cmake --install of the parent failed"
fi

for p in vendored_c_shared vendored_c_static; do
    if (unset LD_LIBRARY_PATH; "$work/build/$p" "$work/scratch"); then ok; else bad "$p failed"; fi
done
# cargo's intermediate files are ~200 MB: keep them only when something failed.
[ "$failed" = 0 ] && [ -z "$cargo_target" ] && rm -rf "$bindir/cargo-target"
finish
