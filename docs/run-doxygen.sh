#!/bin/sh
# docs/run-doxygen.sh [OUTPUT_DIR]: renders docs/Doxyfile (the two headers and these pages)
# with every warning an error. Run at the repository root. Exits 77 (skipped) if doxygen is
# not installed.
set -u
out=${1:-build/doxygen}
if ! command -v doxygen >/dev/null 2>&1; then
    echo "SKIPPED: doxygen is not installed; on Debian/Ubuntu: apt-get install -y doxygen"
    exit 77
fi
doxygen --version
rm -rf "$out"
mkdir -p "$out"
if (cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = $out") | doxygen - >"$out/doxygen.log" 2>&1 &&
    ! grep -qi 'warning\|error' "$out/doxygen.log"; then
    echo "doxygen: no warnings; $out/html/index.html"
    echo "run-doxygen: 1 passed, 0 failed"
    exit 0
fi
cat "$out/doxygen.log" >&2
echo "run-doxygen: 0 passed, 1 failed"
exit 1
