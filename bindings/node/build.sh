#!/bin/sh
# Builds the Node-API addon build/simd_r_drive.node with the C compiler, with
# no node-gyp and no download: Node's headers come from the installed Node
# (PREFIX/include/node, e.g. /usr/include/node; Debian: package libnode-dev),
# or NODE_INCLUDE.
#
# Library: by default the static library of this repository,
# ../../target/release/libsimd_r_drive.a (cargo build --release --lib), is
# linked in, so the addon needs nothing at run time. Set SRD_PREFIX to link
# an installed shared library instead (PREFIX/include, PREFIX/lib, with an
# rpath to PREFIX/lib).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CC=${CC:-cc}
if [ -z "${NODE_INCLUDE:-}" ]; then
    node_bin=$(command -v node) || { echo "build.sh: node not found" >&2; exit 2; }
    node_prefix=$(dirname "$(dirname "$(readlink -f "$node_bin")")")
    NODE_INCLUDE=$node_prefix/include/node
fi
[ -f "$NODE_INCLUDE/node_api.h" ] || {
    echo "build.sh: $NODE_INCLUDE/node_api.h not found (Debian: apt-get install libnode-dev; or set NODE_INCLUDE)" >&2
    exit 2
}
if [ -n "${SRD_PREFIX:-}" ]; then
    inc=$SRD_PREFIX/include
    libs="-L$SRD_PREFIX/lib -lsimd_r_drive -Wl,-rpath,$SRD_PREFIX/lib"
else
    inc=$root/include
    lib=$root/target/release/libsimd_r_drive.a
    [ -f "$lib" ] || { echo "build.sh: $lib not found (cargo build --release --lib)" >&2; exit 2; }
    libs="$lib -Wl,--exclude-libs,ALL -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
fi
mkdir -p "$here/build"
# shellcheck disable=SC2086
$CC -std=c11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror \
    -DNODE_GYP_MODULE_NAME=simd_r_drive -I"$NODE_INCLUDE" -I"$inc" \
    "$here/src/addon.c" -o "$here/build/simd_r_drive.node.tmp" $libs
mv "$here/build/simd_r_drive.node.tmp" "$here/build/simd_r_drive.node"
