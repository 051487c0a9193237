#!/usr/bin/env bash
# Runs the Go binding's checks and tests: gofmt, go vet, go test (with the
# race detector on the per-goroutine error, CAS, snapshot and backup
# tests). Links the static library target/release/libsimd_r_drive.a,
# building it first if cargo finds it stale.
# No network: the module has no dependencies (GOPROXY=off), and Go's caches
# go under build/go (GOCACHE, GOPATH) unless set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v go >/dev/null || { echo "go not found (Debian: apt-get install golang-go)" >&2; exit 2; }
(cd "$root" && cargo build --release --lib --quiet)
export GOCACHE="${GOCACHE:-$root/build/go/cache}" GOPATH="${GOPATH:-$root/build/go/path}"
export GOPROXY=off GOFLAGS="${GOFLAGS:-}" GOTOOLCHAIN=local CGO_ENABLED=1
cd "$here"
unformatted="$(gofmt -l .)"
[ -z "$unformatted" ] || { echo "gofmt: not formatted: $unformatted" >&2; exit 1; }
go vet ./...
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! go test -count=1 -v ./... >"$log" 2>&1; then
    cat "$log"
    exit 1
fi
grep -E '^(--- |ok)|_test.go:' "$log"
go test -count=1 -race -run 'Own|ZeroCopy|CAS|Snapshot|Backup' ./... | tail -1
