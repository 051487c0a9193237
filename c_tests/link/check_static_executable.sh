#!/bin/sh
# check_static_executable.sh <program> [readelf]
#
# Proves the program linked against libsimd_r_drive.a really is self-contained: it has no
# DT_NEEDED entry for libsimd_r_drive and it defines the srd_ functions itself.
set -u
exe=$1
READELF=${2:-readelf}
[ -n "$READELF" ] || READELF=readelf
failed=0
needed=$("$READELF" -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p')
echo "NEEDED by $exe:"
printf '%s\n' "$needed" | sed 's/^/    /'
if printf '%s\n' "$needed" | grep -q simd_r_drive; then
    echo "FAILED: $exe needs the shared library" >&2
    failed=$((failed + 1))
fi
if ! "$READELF" -sW "$exe" | awk '$4 == "FUNC" && $7 != "UND" && $8 == "srd_open" { found = 1 } END { exit !found }'; then
    echo "FAILED: $exe does not define srd_open itself" >&2
    failed=$((failed + 1))
fi
echo "check_static_executable: $((2 - failed)) passed, $failed failed"
[ "$failed" = 0 ]
