#!/bin/sh
# run_make_consumer.sh PREFIX WORKDIR SONAME CC CXX BUILD_TREE [READELF]
#
# Builds consumer_tests/make/Makefile with pkg-config (PKG_CONFIG_PATH=PREFIX/lib/pkgconfig):
# app_shared and app_cxx with `pkg-config --cflags --libs simd_r_drive`, app_static with
# `pkg-config --static --libs simd_r_drive`. Runs them (the shared ones with
# LD_LIBRARY_PATH=PREFIX/lib, since plain -L adds no RUNPATH) and checks they need the
# library by its SONAME, load it from PREFIX/lib, and that app_static does not need it.
# Then `make fully-static` (-static, libgcc_eh for libgcc_s): C and C++ programs with no
# dynamic section at all, which run (app.cpp throws and catches srd::error: the static
# unwinder works); skipped with a note when the C library has no static archive.
# Exits 77 (skipped) if pkg-config or make is missing.
set -u
prefix=$1
work=$2
soname=$3
cc=$4
cxx=$5
build_tree=$6
READELF=${7:-readelf}
[ -n "$READELF" ] || READELF=readelf
here=$(cd "$(dirname "$0")" && pwd)
. "$here/elf_checks.sh"

for tool in pkg-config make; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIPPED: $tool is not installed; on Debian/Ubuntu: apt-get install -y $tool"
        exit 77
    fi
done

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
finish() { echo "run_make_consumer: $passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

rm -rf "$work"
mkdir -p "$work/scratch"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
echo "+ PKG_CONFIG_PATH=$PKG_CONFIG_PATH make -f consumer_tests/make/Makefile"
if make -C "$work" -f "$here/make/Makefile" SRCDIR="$here/make" CC="$cc" CXX="$cxx"; then
    ok
else
    bad "make failed"
    finish
fi

for p in app_shared app_cxx; do
    prog=$work/$p
    check_shared_program "$prog" "$soname" "$prefix/lib" "$build_tree"
    got=$(LD_LIBRARY_PATH="$prefix/lib" resolved "$prog" "$soname")
    if [ "$got" = "$prefix/lib/$soname" ]; then ok; else bad "$p loads '$got', expected $prefix/lib/$soname"; fi
    if LD_LIBRARY_PATH="$prefix/lib" "$prog" "$work/scratch"; then ok; else bad "$p failed"; fi
done
check_static_program "$work/app_static"
if (unset LD_LIBRARY_PATH; "$work/app_static" "$work/scratch"); then ok; else bad "app_static failed"; fi

if ! printf 'int main(void){return 0;}\n' | "$cc" -static -x c - -o "$work/probe-static" 2>/dev/null; then
    echo "note: $cc -static does not link here (no libc.a); fully static programs not checked"
    finish
fi
if make -C "$work" -f "$here/make/Makefile" SRCDIR="$here/make" CC="$cc" CXX="$cxx" fully-static \
        >"$work/fully-static.log" 2>&1; then
    ok
else
    cat "$work/fully-static.log"
    bad "make fully-static failed"
    finish
fi
for p in app_fully_static app_cxx_fully_static; do
    if "$READELF" -l "$work/$p" | grep -q 'INTERP\|DYNAMIC'; then bad "$p has a dynamic section"; else ok; fi
    if (unset LD_LIBRARY_PATH; "$work/$p" "$work/scratch"); then ok; else bad "$p failed"; fi
done
finish
