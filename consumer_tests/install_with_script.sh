#!/bin/sh
# install_with_script.sh INSTALL_SH CARGO_TARGET_DIR PREFIX CMAKE_PREFIX SONAME VERSION SOURCE_DIR [READELF] [NM]
#
# scripts/install.sh --no-build PREFIX (using the libraries the CMake build just made with
# cargo), then check_layout.sh, then: the same files as `cmake --install` put into
# CMAKE_PREFIX, and the same .pc apart from the prefix line.
set -u
install_sh=$1
target_dir=$2
prefix=$3
cmake_prefix=$4
soname=$5
version=$6
srcdir=$7
readelf=${8:-}
nm=${9:-}
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0

rm -rf "$prefix"
echo "+ CARGO_TARGET_DIR=$target_dir sh $install_sh --no-build $prefix"
if ! CARGO_TARGET_DIR="$target_dir" sh "$install_sh" --no-build "$prefix"; then
    echo "FAILED: scripts/install.sh" >&2
    echo "install_with_script: 0 passed, 1 failed"
    exit 1
fi
if sh "$here/check_layout.sh" "$prefix" "$soname" "$version" "$srcdir" "$readelf" "$nm"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

# The same files (bin/srd, include/, lib/).
list() { (cd "$1" && find bin include lib | LC_ALL=C sort); }
if [ "$(list "$prefix")" = "$(list "$cmake_prefix")" ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAILED: scripts/install.sh and cmake --install installed different files:" >&2
    list "$cmake_prefix" >"$prefix.cmake-files"
    list "$prefix" | diff "$prefix.cmake-files" - >&2
    rm -f "$prefix.cmake-files"
fi
for f in "lib/libsimd_r_drive.so.$version" lib/libsimd_r_drive.a; do
    if cmp -s "$prefix/$f" "$cmake_prefix/$f"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $f differs between the two installations" >&2
    fi
done
pc=lib/pkgconfig/simd_r_drive.pc
if cmp -s "$prefix/$pc" "$cmake_prefix/$pc"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAILED: the two simd_r_drive.pc differ:" >&2
    diff "$cmake_prefix/$pc" "$prefix/$pc" >&2
fi
# DESTDIR: files under DESTDIR/PREFIX2, the .pc naming PREFIX2.
rm -rf "$prefix.destdir"
if DESTDIR="$prefix.destdir" CARGO_TARGET_DIR="$target_dir" sh "$install_sh" --no-build /opt/simd_r_drive >/dev/null &&
    sh "$here/check_layout.sh" "$prefix.destdir/opt/simd_r_drive" "$soname" "$version" "$srcdir" \
        "$readelf" "$nm" /opt/simd_r_drive; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAILED: scripts/install.sh with DESTDIR" >&2
fi
rm -rf "$prefix.destdir"
echo "install_with_script: $passed passed, $failed failed"
[ "$failed" = 0 ]
