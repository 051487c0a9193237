#!/bin/sh
# scripts/check-abi.sh [--update] [--lib LIBRARY] [--nm NM] [--list FILE]
#
# Compares the symbols the shared library exports (nm -D --defined-only) with the committed
# list abi/exported-symbols.txt, whose first line records the version it was made for:
#
#     # simd_r_drive 0.1.0 ...
#
# - same symbols: passes.
# - different symbols, and Cargo.toml still has the recorded version: FAILS. Changing the
#   ABI (adding, removing or renaming a function) needs a new version: bump `version` in
#   Cargo.toml (the SONAME follows), then run `scripts/check-abi.sh --update` and commit the list.
# - different symbols, but the version in Cargo.toml is not the recorded one: passes with a
#   reminder to run --update.
#
# --update rewrites the list from the library, recording the version in Cargo.toml.
# LIBRARY defaults to target/release/libsimd_r_drive.so (build it first).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
update=0
lib=""
NM=nm
list=$root/abi/exported-symbols.txt
while [ $# -gt 0 ]; do
    case "$1" in
    --update) update=1 ;;
    --lib) lib=$2; shift ;;
    --nm) [ -n "$2" ] && NM=$2; shift ;;
    --list) list=$2; shift ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--update] [--lib LIBRARY] [--nm NM] [--list FILE]" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$lib" ]; then
    lib=${CARGO_TARGET_DIR:-$root/target}/release/libsimd_r_drive.so
fi
if [ ! -e "$lib" ]; then
    echo "check-abi: $lib does not exist (build the library first, or pass --lib)" >&2
    exit 1
fi

version=$(awk '
    /^[ \t]*\[/ { section = $0; gsub(/[][ \t]/, "", section); next }
    section == "package" && /^[ \t]*version[ \t]*=/ {
        sub(/^[^"]*"/, ""); sub(/".*$/, ""); print; exit
    }' "$root/Cargo.toml")
if [ -z "$version" ]; then
    echo "check-abi: no version in [package] of $root/Cargo.toml" >&2
    exit 1
fi

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.old"' EXIT
if ! "$NM" -D --defined-only "$lib" >"$tmp.nm"; then
    rm -f "$tmp.nm"
    echo "check-abi: $NM -D --defined-only $lib failed" >&2
    exit 1
fi
awk 'NF { print $NF }' "$tmp.nm" | LC_ALL=C sort -u >"$tmp"
rm -f "$tmp.nm"

if [ "$update" = 1 ]; then
    {
        echo "# simd_r_drive $version: the symbols libsimd_r_drive.so exports (nm -D --defined-only), sorted."
        echo "# Changing them needs a new version in Cargo.toml; then run scripts/check-abi.sh --update."
        cat "$tmp"
    } >"$list"
    echo "check-abi: wrote $(wc -l <"$tmp" | tr -d ' ') symbols for version $version to $list"
    exit 0
fi

if [ ! -f "$list" ]; then
    echo "check-abi: FAILED: $list does not exist; run scripts/check-abi.sh --update" >&2
    exit 1
fi
recorded=$(sed -n '1s/^# simd_r_drive \([^ :]*\).*/\1/p' "$list")
grep -v '^#' "$list" | sed '/^[ \t]*$/d' >"$tmp.old"

if cmp -s "$tmp.old" "$tmp"; then
    echo "check-abi: the $(wc -l <"$tmp" | tr -d ' ') exported symbols match $list (version $recorded)"
    if [ "$recorded" != "$version" ]; then
        echo "check-abi: note: the list records version '$recorded' but Cargo.toml has $version;" \
             "run scripts/check-abi.sh --update to record it"
    fi
    echo "check-abi: 1 passed, 0 failed"
    exit 0
fi

echo "check-abi: the exported symbols differ from $list:"
LC_ALL=C comm -13 "$tmp.old" "$tmp" | sed 's/^/    added:   /'
LC_ALL=C comm -23 "$tmp.old" "$tmp" | sed 's/^/    removed: /'
if [ "$recorded" = "$version" ]; then
    echo "check-abi: FAILED: the ABI changed but Cargo.toml still says $version (the version" \
         "recorded in the list). Bump the version in Cargo.toml, then run" \
         "scripts/check-abi.sh --update and commit abi/exported-symbols.txt." >&2
    echo "check-abi: 0 passed, 1 failed"
    exit 1
fi
echo "check-abi: the version changed ($recorded -> $version), so the change is allowed;" \
     "run scripts/check-abi.sh --update and commit abi/exported-symbols.txt"
echo "check-abi: 1 passed, 0 failed"
exit 0
