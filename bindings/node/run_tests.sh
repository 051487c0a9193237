#!/usr/bin/env bash
# Builds the Node-API addon (build.sh: the C compiler and the installed
# Node's headers, no node-gyp, no download) against this repository's
# static library, then runs the tests with `node --test`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v node >/dev/null || { echo "node not found (Debian: apt-get install nodejs libnode-dev)" >&2; exit 2; }
(cd "$root" && cargo build --release --lib --quiet)
sh "$here/build.sh"
cd "$here"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! node --test test/*.test.js >"$log" 2>&1; then
    cat "$log"
    exit 1
fi
grep -E '^(ok|not ok) |^# [0-9]|^# (pass|fail|duration_ms)' "$log"
