#!/bin/sh
# check_shared_library.sh <libsimd_r_drive.so> <expected SONAME> [nm] [readelf] [objdump]
#
# Proves that the shared library
#   - exports only srd_-prefixed symbols (nm -D --defined-only; nothing is ignored),
#   - exports every function of the C API,
#   - carries the expected SONAME (readelf -d and objdump -p),
#   - is reachable through the unversioned symlink.
set -u
lib=$1
want_soname=$2
NM=${3:-nm}
READELF=${4:-readelf}
OBJDUMP=${5:-objdump}
[ -n "$NM" ] || NM=nm
[ -n "$READELF" ] || READELF=readelf
[ -n "$OBJDUMP" ] || OBJDUMP=objdump

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }

if [ ! -e "$lib" ]; then
    echo "FAILED: $lib does not exist" >&2
    echo "check_shared_library: 0 passed, 1 failed"
    exit 1
fi

# --- exported symbols ---------------------------------------------------------
syms=$("$NM" -D --defined-only "$lib") || { fail "$NM -D --defined-only $lib failed"; syms=""; }
names=$(printf '%s\n' "$syms" | awk 'NF { print $NF }')
count=$(printf '%s\n' "$names" | awk 'NF' | wc -l)
bad=$(printf '%s\n' "$names" | awk 'NF && $0 !~ /^srd_/')
if [ -n "$bad" ]; then
    fail "symbols without the srd_ prefix are exported:"
    printf '%s\n' "$bad" | sed 's/^/    /' >&2
else
    pass
fi
echo "exported defined symbols: $count"
printf '%s\n' "$names" | sed 's/^/    /'

for f in srd_open srd_close srd_write srd_write_batch srd_read srd_read_entry srd_entry_data \
         srd_entry_free srd_exists srd_delete srd_delete_batch srd_compact srd_sync srd_count \
         srd_file_size srd_status_str srd_last_error_message srd_version_number \
         srd_version_string; do
    if printf '%s\n' "$syms" | awk -v f="$f" '$NF == f || $NF ~ ("^" f "@") { found = 1; if ($2 != "T") bad = 1 }
                                              END { exit !(found && !bad) }'; then
        pass
    else
        fail "$f is not exported as a defined function (T)"
    fi
done

# --- SONAME ---------------------------------------------------------------------
checked=0
if command -v "$READELF" >/dev/null 2>&1; then
    checked=1
    got=$("$READELF" -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
    if [ "$got" = "$want_soname" ]; then pass; else fail "readelf -d: SONAME is '$got', expected '$want_soname'"; fi
fi
if command -v "$OBJDUMP" >/dev/null 2>&1; then
    checked=1
    got=$("$OBJDUMP" -p "$lib" | awk '$1 == "SONAME" { print $2 }')
    if [ "$got" = "$want_soname" ]; then pass; else fail "objdump -p: SONAME is '$got', expected '$want_soname'"; fi
fi
[ "$checked" = 1 ] || fail "neither readelf nor objdump is available to read the SONAME"

# --- file layout: libsimd_r_drive.so -> <SONAME> next to it ---------------------
dir=$(dirname "$lib")
if [ -f "$dir/$want_soname" ] && [ ! -L "$dir/$want_soname" ]; then pass; else fail "$dir/$want_soname is not a regular file"; fi
if [ -L "$lib" ] && [ "$(readlink "$lib")" = "$want_soname" ]; then pass; else fail "$lib is not a symlink to $want_soname"; fi

echo "check_shared_library: $passed passed, $failed failed"
[ "$failed" = 0 ]
