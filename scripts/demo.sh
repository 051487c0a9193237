#!/usr/bin/env bash
# The main job: builds the library and examples/demo.c with CMake (installing
# CMake into .venv if it is missing) and runs the demo against a fresh demo
# store, build/demo.srd, printing what it does.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake_bin="$(scripts/ensure-cmake.sh)"
"$cmake_bin/cmake" -S . -B build -DCMAKE_BUILD_TYPE=Release >build.configure.log 2>&1 \
    || { cat build.configure.log; exit 1; }
"$cmake_bin/cmake" --build build -j"${SRD_JOBS:-2}" --target srd_demo
rm -f build/demo.srd build/demo.srd.compact.tmp
echo
./build/examples/srd_demo build/demo.srd
