#!/bin/sh
# check_layout.sh PREFIX SONAME VERSION SOURCE_DIR [READELF] [NM] [PC_PREFIX]
#
# Proves that PREFIX holds a complete simd_r_drive installation:
#   lib/libsimd_r_drive.so.VERSION (a regular, executable file whose SONAME is SONAME),
#   lib/SONAME -> libsimd_r_drive.so.VERSION, lib/libsimd_r_drive.so -> SONAME,
#   lib/libsimd_r_drive.a, include/simd_r_drive.h and .hpp (identical to SOURCE_DIR/include),
#   lib/pkgconfig/simd_r_drive.pc (prefix=${pcfiledir}/../..; checked with pkg-config when it
#   is installed, also on a moved copy of the prefix), lib/cmake/simd_r_drive/ (config and
#   version files that name no absolute path, so the prefix can be moved), bin/srd (RUNPATH
#   $ORIGIN/../lib: runs from the prefix, or a moved copy, without LD_LIBRARY_PATH).
# PC_PREFIX (the prefix a DESTDIR install was made for) is accepted for compatibility; the
# .pc names no absolute prefix any more.
set -u
prefix=$1
soname=$2
version=$3
srcdir=$4
READELF=${5:-readelf}
NM=${6:-nm}
pc_prefix=${7:-$1}
[ -n "$READELF" ] || READELF=readelf
[ -n "$NM" ] || NM=nm

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
check() { # description, command...
    what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}

lib=$prefix/lib
real=libsimd_r_drive.so.$version

check "$lib/$real is a regular file" test -f "$lib/$real" -a ! -L "$lib/$real"
check "$lib/$real is executable (mode 755)" test -x "$lib/$real"
check "$lib/$soname is a symlink to $real" test -L "$lib/$soname" -a "$(readlink "$lib/$soname" 2>/dev/null)" = "$real"
check "$lib/libsimd_r_drive.so is a symlink to $soname" \
    test -L "$lib/libsimd_r_drive.so" -a "$(readlink "$lib/libsimd_r_drive.so" 2>/dev/null)" = "$soname"
got=$("$READELF" -d "$lib/$real" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
check "the SONAME of $lib/$real is '$got', expected '$soname'" test "$got" = "$soname"
check "$lib/libsimd_r_drive.a is a regular file" test -f "$lib/libsimd_r_drive.a" -a ! -L "$lib/libsimd_r_drive.a"
if "$NM" -g --defined-only "$lib/libsimd_r_drive.a" 2>/dev/null | awk '$2 == "T" && $3 == "srd_open" { f = 1 } END { exit !f }'; then
    ok
else
    bad "$lib/libsimd_r_drive.a does not define srd_open"
fi

for h in simd_r_drive.h simd_r_drive.hpp; do
    check "$prefix/include/$h differs from $srcdir/include/$h" cmp -s "$prefix/include/$h" "$srcdir/include/$h"
done

pc=$lib/pkgconfig/simd_r_drive.pc
check "$pc exists" test -f "$pc"
check "$pc: prefix=\${pcfiledir}/../.." grep -qx 'prefix=${pcfiledir}/../..' "$pc"
check "$pc: Version: $version" grep -qx "Version: $version" "$pc"
check "$pc: Libs: -L\${libdir} -lsimd_r_drive" grep -qx 'Libs: -L${libdir} -lsimd_r_drive' "$pc"
check "$pc: Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc" \
    grep -qx 'Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc' "$pc"
# pkg-config's answers, with -I/-L paths resolved (they read PREFIX/lib/pkgconfig/../../include).
pc_norm() {
    for w in $*; do
        case $w in
        -I* | -L*) d=$(cd "${w#-?}" 2>/dev/null && pwd -P) || d="${w#-?}(missing)"
                   printf '%s%s ' "$(printf '%s' "$w" | cut -c1-2)" "$d" ;;
        *) printf '%s ' "$w" ;;
        esac
    done | sed 's/ *$//'
}
pc_checks() { # prefix to query (the installed one or a moved copy)
    q=$1
    qr=$(cd "$q" && pwd -P)
    pc_q() { PKG_CONFIG_PATH=$q/lib/pkgconfig PKG_CONFIG_LIBDIR= pkg-config "$@" simd_r_drive 2>&1; }
    got=$(pc_q --modversion)
    check "pkg-config --modversion gives '$got', expected '$version'" test "$got" = "$version"
    got=$(pc_norm $(pc_q --cflags))
    check "pkg-config --cflags in $q gives '$got', expected '-I$qr/include'" test "$got" = "-I$qr/include"
    got=$(pc_norm $(pc_q --libs))
    check "pkg-config --libs in $q gives '$got', expected '-L$qr/lib -lsimd_r_drive'" \
        test "$got" = "-L$qr/lib -lsimd_r_drive"
    got=$(pc_norm $(pc_q --static --libs))
    check "pkg-config --static --libs in $q gives '$got'" \
        test "$got" = "-L$qr/lib -lsimd_r_drive -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
}
moved=$(mktemp -d "${TMPDIR:-/tmp}/srd-moved-prefix.XXXXXX")
cp -a "$prefix/." "$moved/"
if command -v pkg-config >/dev/null 2>&1; then
    pc_checks "$prefix"
    pc_checks "$moved"
else
    echo "note: pkg-config is not installed (apt-get install -y pkg-config); .pc checked as text only"
fi

# bin/srd: runs from the prefix and from a moved copy, finding the library through $ORIGIN.
srd=$prefix/bin/srd
check "$srd is an executable file" test -f "$srd" -a -x "$srd"
got=$("$READELF" -d "$srd" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\].*/\1/p')
check "the RUNPATH of $srd is '$got', expected '\$ORIGIN/../lib'" test "$got" = '$ORIGIN/../lib'
for p in "$srd" "$moved/bin/srd"; do
    got=$(unset LD_LIBRARY_PATH; "$p" --version 2>&1)
    check "$p --version printed '$got', expected it to name $version" \
        sh -c 'printf "%s" "$1" | grep -q "$2"' sh "$got" "$version"
done
rm -rf "$moved"

cm=$lib/cmake/simd_r_drive
check "$cm/simd_r_driveConfig.cmake exists" test -f "$cm/simd_r_driveConfig.cmake"
check "$cm/simd_r_driveConfigVersion.cmake exists" test -f "$cm/simd_r_driveConfigVersion.cmake"
# Relocatable: the CMake files name neither the prefix nor the source or build tree.
for f in "$cm"/*.cmake; do
    if grep -qF -e "$prefix" -e "$srcdir" "$f"; then bad "$f contains an absolute path"; else ok; fi
done

echo "installed files:"
(cd "$prefix" && find bin include lib | LC_ALL=C sort | sed 's/^/    /')
echo "check_layout: $passed passed, $failed failed"
[ "$failed" = 0 ]
