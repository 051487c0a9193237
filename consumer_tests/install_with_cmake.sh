#!/bin/sh
# install_with_cmake.sh CMAKE BUILD_DIR PREFIX SONAME VERSION SOURCE_DIR [READELF] [NM]
#
# `cmake --install BUILD_DIR --prefix PREFIX` into a fresh PREFIX, then check_layout.sh.
# Also installs with DESTDIR (staged install for packaging): the files land under
# DESTDIR/PREFIX2 and nothing names the staging directory. And `cmake --install --strip`:
# the libraries and srd lose their debug information but keep their symbols.
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

echo "+ $cmake --install $build --prefix $prefix.strip --strip"
rm -rf "$prefix.strip"
if "$cmake" --install "$build" --prefix "$prefix.strip" --strip >/dev/null &&
    sh "$here/check_layout.sh" "$prefix.strip" "$soname" "$version" "$srcdir" "$readelf" "$nm" >/dev/null; then
    so=lib/libsimd_r_drive.so.$version
    full=$(wc -c <"$prefix/$so")
    small=$(wc -c <"$prefix.strip/$so")
    echo "shared library: $full bytes, $small stripped"
    for f in "$so" lib/libsimd_r_drive.a bin/srd; do
        if "${readelf:-readelf}" -S "$prefix.strip/$f" 2>/dev/null | grep -q '\.debug_info'; then
            echo "FAILED: --strip left debug information in $f" >&2
            failed=$((failed + 1))
        fi
    done
    if [ "$small" -ge "$full" ] || [ "$((small * 3))" -gt "$full" ]; then
        echo "FAILED: --strip: $so is $small bytes, unstripped $full" >&2
        failed=$((failed + 1))
    fi
    if ! "${nm:-nm}" -D --defined-only "$prefix.strip/$so" | grep -q ' T srd_open$'; then
        echo "FAILED: the stripped $so does not export srd_open" >&2
        failed=$((failed + 1))
    fi
else
    sh "$here/check_layout.sh" "$prefix.strip" "$soname" "$version" "$srcdir" "$readelf" "$nm"
    echo "FAILED: cmake --install --strip" >&2
    failed=$((failed + 1))
fi
rm -rf "$prefix.strip"
echo "install_with_cmake: done, $failed failed"
[ "$failed" = 0 ]
