#!/bin/sh
# install_with_cmake.sh CMAKE BUILD_DIR PREFIX SONAME VERSION SOURCE_DIR [READELF] [NM]
#
# `cmake --install BUILD_DIR --prefix PREFIX` into a fresh PREFIX, then check_layout.sh.
# Also installs with DESTDIR (staged install for packaging): the files land under
# DESTDIR/PREFIX2 and the .pc names PREFIX2, not the staging directory.
set -u
cmake=$1
build=$2
prefix=$3
soname=$4
version=$5
srcdir=$6
readelf=${7:-}
nm=${8:-}
here=$(cd "$(dirname "$0")" && pwd)
failed=0

rm -rf "$prefix" "$prefix.destdir"
echo "+ $cmake --install $build --prefix $prefix"
if ! "$cmake" --install "$build" --prefix "$prefix"; then
    echo "FAILED: cmake --install" >&2
    echo "install_with_cmake: 0 passed, 1 failed"
    exit 1
fi
sh "$here/check_layout.sh" "$prefix" "$soname" "$version" "$srcdir" "$readelf" "$nm" || failed=$((failed + 1))

echo "+ DESTDIR=$prefix.destdir $cmake --install $build --prefix /opt/simd_r_drive"
if DESTDIR="$prefix.destdir" "$cmake" --install "$build" --prefix /opt/simd_r_drive >/dev/null; then
    sh "$here/check_layout.sh" "$prefix.destdir/opt/simd_r_drive" "$soname" "$version" "$srcdir" \
        "$readelf" "$nm" /opt/simd_r_drive || failed=$((failed + 1))
else
    echo "FAILED: DESTDIR install" >&2
    failed=$((failed + 1))
fi
rm -rf "$prefix.destdir"
echo "install_with_cmake: $((2 - failed)) passed, $failed failed"
[ "$failed" = 0 ]
