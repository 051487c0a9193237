#!/usr/bin/env bash
# Builds the wheel (pip wheel bindings/python: scikit-build-core runs the repository's CMake
# project, cargo builds the library, which is bundled in the wheel), installs it into a fresh
# venv and runs the binding tests against the installed package: from a copy of tests/
# outside the source tree, with SRD_LIBRARY, PYTHONPATH and LD_LIBRARY_PATH unset, so the
# package can only load the library bundled in it.
#   PYTHON   interpreter that makes the venv (default: python3)
#   WORK     scratch directory (default: build/python-wheel at the repository root)
# Needs pip access to PyPI (scikit-build-core, and CMake if none is on PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${WORK:-$root/build/python-wheel}"
rm -rf "$work"
mkdir -p "$work/dist"
unset SRD_LIBRARY PYTHONPATH LD_LIBRARY_PATH
# The build's tools: the repository's CMake (PATH or .venv), and make unless ninja is there,
# so that scikit-build-core need not fetch either from PyPI.
PATH="$("$root/scripts/ensure-cmake.sh"):$PATH"
export PATH
command -v ninja >/dev/null 2>&1 || export CMAKE_GENERATOR="Unix Makefiles"

echo "+ pip wheel bindings/python"
"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip >/dev/null
"$work/venv/bin/python" -m pip wheel -q "$here" --no-deps -w "$work/dist"
wheel=$(ls "$work/dist"/simd_r_drive_c-*.whl)
echo "wheel: $(basename "$wheel") ($(wc -c <"$wheel") bytes)"
contents=$("$work/venv/bin/python" -m zipfile -l "$wheel")
grep -q 'simd_r_drive_c/libsimd_r_drive\.so' <<<"$contents" \
    || { echo "run_wheel_tests: the wheel has no library" >&2; exit 1; }

echo "+ pip install $(basename "$wheel") into a fresh venv"
"$work/venv/bin/python" -m pip install -q "$wheel"
cp -r "$here/tests" "$work/tests"
cd "$work"
exec env -u SRD_LIBRARY -u PYTHONPATH -u LD_LIBRARY_PATH \
    "$work/venv/bin/python" -m unittest discover -s tests -v
