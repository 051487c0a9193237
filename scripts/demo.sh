#!/usr/bin/env bash
# The main job: builds the library and the `srd` command-line tool with CMake
# (installing CMake into .venv if it is missing), then runs a short `srd`
# session on a fresh demo store, build/demo.srd, printing each command and
# what it answered.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake_bin="$(scripts/ensure-cmake.sh)"
"$cmake_bin/cmake" -S . -B build -DCMAKE_BUILD_TYPE=Release >build.configure.log 2>&1 \
    || { cat build.configure.log; exit 1; }
"$cmake_bin/cmake" --build build -j"${SRD_JOBS:-2}" --target srd srd_demo >build.demo.log 2>&1 \
    || { cat build.demo.log; exit 1; }

srd_bin="$root/build/bin/srd"
work="$root/build/demo"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
run() { # prints the command, runs it, prints its exit status if not 0
    local shown="" a
    for a in "$@"; do
        if [[ "$a" =~ [^A-Za-z0-9_./=:-] ]]; then shown+=" \"$a\""; else shown+=" $a"; fi
    done
    echo "\$${shown}"
    local rc=0
    "$@" || rc=$?
    [ "$rc" -eq 0 ] || echo "(exit status $rc)"
}
srd() { "$srd_bin" "$@"; }

echo "== srd session on build/demo/demo.srd"
run srd demo.srd write greeting "hello, world"
echo "\$ head -c 3000000 /dev/urandom | srd demo.srd write blob      # streamed from stdin"
head -c 3000000 /dev/urandom | srd demo.srd write blob
run srd demo.srd read greeting
echo
run srd demo.srd metadata blob
run srd demo.srd list
run srd demo.srd write greeting "hello again"
run srd demo.srd delete blob
run srd demo.srd exists blob
run srd demo.srd info
run srd demo.srd compact
mkdir -p docs/sub && printf 'first file\n' >docs/a.txt && printf '\0\1\2binary' >docs/sub/b.bin
run srd demo.srd import docs
run srd demo.srd export restored
run diff -r --exclude=by-hash docs restored   # by-hash/ holds the values not imported by path
run srd demo.srd verify
echo
echo "== the same store from C (examples/demo.c)"
"$root/build/examples/srd_demo" "$work/c-demo.srd"
