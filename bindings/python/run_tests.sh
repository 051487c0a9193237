#!/usr/bin/env bash
# Runs the Python binding tests against the built library.
#   SRD_LIBRARY  path to libsimd_r_drive.so (default: target/release/libsimd_r_drive.so
#                of this repository)
#   PYTHON       interpreter to use (default: python3)
# Exits non-zero if a test fails or the library is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export SRD_LIBRARY="${SRD_LIBRARY:-$root/target/release/libsimd_r_drive.so}"
if [[ ! -f "$SRD_LIBRARY" ]]; then
    echo "run_tests.sh: library not found: $SRD_LIBRARY (build it with cargo build --release or set SRD_LIBRARY)" >&2
    exit 2
fi
case "$SRD_LIBRARY" in /*) ;; *) SRD_LIBRARY="$PWD/$SRD_LIBRARY" ;; esac
cd "$root"
exec "${PYTHON:-python3}" -m unittest discover -s bindings/python/tests -v
