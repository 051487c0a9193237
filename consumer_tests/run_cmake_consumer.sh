#!/bin/sh
# run_cmake_consumer.sh CMAKE GENERATOR CC CXX PREFIX WORKDIR SONAME VERSION BUILD_TREE [READELF]
#
# Configures consumer_tests/cmake (a separate project) against the installed PREFIX with
# find_package(simd_r_drive CONFIG REQUIRED), builds it (C and C++, shared and static) and runs
# every program. Checks that the shared programs need the library by its SONAME and find it
# through their RUNPATH (PREFIX/lib, never the build tree), without LD_LIBRARY_PATH; that the
# static ones do not need it; that find_package accepts the versions of this ABI series and
# refuses the others; and that a copy of the prefix moved elsewhere is found there.
set -u
cmake=$1
generator=$2
cc=$3
cxx=$4
prefix=$5
work=$6
soname=$7
version=$8
build_tree=$9
READELF=${10:-readelf}
[ -n "$READELF" ] || READELF=readelf
here=$(cd "$(dirname "$0")" && pwd)
. "$here/elf_checks.sh"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
finish() { echo "run_cmake_consumer: $passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

rm -rf "$work"
mkdir -p "$work/scratch"
echo "+ cmake -S consumer_tests/cmake -B $work/build -DCMAKE_PREFIX_PATH=$prefix"
if "$cmake" -S "$here/cmake" -B "$work/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
        >"$work/configure.log" 2>&1; then
    ok
else
    cat "$work/configure.log"
    bad "configuring the consumer project failed"
    finish
fi
grep 'SRD_PROBE' "$work/configure.log"
if "$cmake" --build "$work/build" >"$work/build.log" 2>&1; then
    ok
else
    cat "$work/build.log"
    bad "building the consumer project failed"
    finish
fi

for p in consumer_c_shared consumer_cxx_shared; do
    prog=$work/build/$p
    check_shared_program "$prog" "$soname" "$prefix/lib" "$build_tree"
    if runpath "$prog" | grep -qx "$prefix/lib"; then ok; else bad "$p: RUNPATH does not name $prefix/lib"; fi
    # No LD_LIBRARY_PATH: the RUNPATH alone must lead to the prefix.
    got=$(unset LD_LIBRARY_PATH; resolved "$prog" "$soname")
    if [ "$got" = "$prefix/lib/$soname" ]; then ok; else bad "$p loads '$got', expected $prefix/lib/$soname"; fi
    if (unset LD_LIBRARY_PATH; "$prog" "$work/scratch"); then ok; else bad "$p failed"; fi
done
for p in consumer_c_static consumer_cxx_static; do
    prog=$work/build/$p
    check_static_program "$prog"
    if "$prog" "$work/scratch"; then ok; else bad "$p failed"; fi
done

# Version requests: this series is accepted, others are refused.
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
accept="- $major.$minor $version"
reject="$((major + 1)).0 $major.$((minor + 1))"
if [ "$major" = 0 ] && [ "$minor" -gt 0 ]; then reject="$reject 0.$((minor - 1))"; fi
probe() { # version ("-" for none), prefix
    v=$1
    [ "$v" = "-" ] && v=""
    "$cmake" -S "$here/cmake" -B "$work/probe" -G "$generator" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$2" -DSRD_CONSUMER_PROBE_ONLY=ON \
        -DSRD_REQUIRE_VERSION="$v" -Dsimd_r_drive_DIR= >"$work/probe.log" 2>&1
}
for v in $accept; do
    if probe "$v" "$prefix" && grep -q "SRD_PROBE_VERSION=$version\$" "$work/probe.log"; then
        ok
    else
        cat "$work/probe.log"
        bad "find_package(simd_r_drive $v) refused version $version"
    fi
done
for v in $reject; do
    if probe "$v" "$prefix"; then
        bad "find_package(simd_r_drive $v) accepted version $version"
    else
        ok
    fi
done

# The installed package is relocatable: move a copy and find it there.
moved=$work/moved-prefix
cp -a "$prefix" "$moved"
if probe "$major.$minor" "$moved" &&
    grep -q "SRD_PROBE_LOCATION=$moved/lib/libsimd_r_drive.so.$version\$" "$work/probe.log"; then
    ok
else
    cat "$work/probe.log"
    bad "a moved copy of the prefix is not found where it is"
fi
rm -rf "$moved"
finish
