#!/usr/bin/env bash
# Prints the directory holding cmake and ctest (3.16 or newer). Uses the ones
# on PATH if they are recent enough; otherwise installs PyPI's `cmake` package
# into .venv at the repository root (no root access needed) and uses that.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

version_ok() {
    local v
    v="$("$1" --version 2>/dev/null | head -n1 | sed -n 's/^cmake version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')"
    [ -n "$v" ] || return 1
    set -- $v
    [ "$1" -gt 3 ] || { [ "$1" -eq 3 ] && [ "$2" -ge 16 ]; }
}

if command -v cmake >/dev/null 2>&1 && command -v ctest >/dev/null 2>&1 && version_ok cmake; then
    dirname "$(command -v cmake)"
    exit 0
fi
venv="$root/.venv"
if ! [ -x "$venv/bin/cmake" ] || ! version_ok "$venv/bin/cmake"; then
    echo "ensure-cmake: installing CMake from PyPI into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "cmake>=3.16" >&2
fi
echo "$venv/bin"
