#!/bin/sh
# scripts/install.sh [--no-build] PREFIX
#
# Installs simd_r_drive into PREFIX without CMake, for projects that only have cargo:
#
#   cargo build --release --lib          (skipped with --no-build)
#   PREFIX/include/simd_r_drive.h, simd_r_drive.hpp
#   PREFIX/lib/libsimd_r_drive.so.VERSION, the SONAME symlink (libsimd_r_drive.so.0.MINOR while
#       0.x, .so.MAJOR from 1.0) and libsimd_r_drive.so -> SONAME
#   PREFIX/lib/libsimd_r_drive.a
#   PREFIX/lib/pkgconfig/simd_r_drive.pc
#   PREFIX/lib/cmake/simd_r_drive/  (find_package(simd_r_drive CONFIG) works on this prefix too)
#   PREFIX/bin/srd                   the command-line tool (tools/srd), compiled with $CC (default
#                                    cc) against the installed library, RUNPATH $ORIGIN/../lib
#
# The same layout as `cmake --install` (a ctest test compares the two). The libraries are taken
# from $CARGO_TARGET_DIR/release (default: target/release of this repository). DESTDIR is
# honoured as usual: files go to $DESTDIR$PREFIX. The .pc and CMake files name no absolute
# path (the .pc's prefix is ${pcfiledir}/../..), so the prefix can be moved.
set -eu

usage() { echo "usage: $0 [--no-build] PREFIX" >&2; exit 2; }
build=1
prefix=""
while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) build=0 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) usage ;;
    *) [ -z "$prefix" ] || usage; prefix=$1 ;;
    esac
    shift
done
[ -n "$prefix" ] || usage
case "$prefix" in
/*) ;;
*) prefix=$(pwd)/$prefix ;;
esac
prefix=${prefix%/}
[ -n "$prefix" ] || prefix=/

root=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$target_dir" in
/*) ;;
*) target_dir=$root/$target_dir ;;
esac

if [ "$build" = 1 ]; then
    echo "+ cargo build --release --lib"
    (cd "$root" && cargo build --release --lib)
fi

# The version: [package] version in Cargo.toml.
version=$(awk '
    /^[ \t]*\[/ { section = $0; gsub(/[][ \t]/, "", section); next }
    section == "package" && /^[ \t]*version[ \t]*=/ {
        sub(/^[^"]*"/, ""); sub(/".*$/, ""); print; exit
    }' "$root/Cargo.toml")
case "$version" in
[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "install.sh: no version = \"x.y.z\" in [package] of $root/Cargo.toml" >&2; exit 1 ;;
esac
numeric=$(printf '%s\n' "$version" | sed 's/^\([0-9]*\.[0-9]*\.[0-9]*\).*/\1/')
major=${numeric%%.*}
rest=${numeric#*.}
minor=${rest%%.*}
if [ "$major" = 0 ]; then
    soname=libsimd_r_drive.so.0.$minor
    compat=SameMinorVersion
else
    soname=libsimd_r_drive.so.$major
    compat=SameMajorVersion
fi
real=libsimd_r_drive.so.$numeric
# System libraries the static library needs, as rustc reports them (`--print native-static-libs`);
# the same list as _srd_native_libs in CMakeLists.txt.
native_libs="gcc_s util rt pthread m dl c"

shared=$target_dir/release/libsimd_r_drive.so
static=$target_dir/release/libsimd_r_drive.a
for f in "$shared" "$static" "$root/include/simd_r_drive.h" "$root/include/simd_r_drive.hpp"; do
    [ -f "$f" ] || { echo "install.sh: $f is missing (run without --no-build?)" >&2; exit 1; }
done

dest=${DESTDIR:-}$prefix
libdir=$dest/lib
echo "install.sh: simd_r_drive $version (SONAME $soname) into ${DESTDIR:-}$prefix"
mkdir -p "$dest/include" "$libdir/pkgconfig" "$libdir/cmake/simd_r_drive"

cp "$root/include/simd_r_drive.h" "$root/include/simd_r_drive.hpp" "$dest/include/"
chmod 644 "$dest/include/simd_r_drive.h" "$dest/include/simd_r_drive.hpp"
rm -f "$libdir/$real" "$libdir/$soname" "$libdir/libsimd_r_drive.so" "$libdir/libsimd_r_drive.a"
cp "$shared" "$libdir/$real"
chmod 755 "$libdir/$real"
ln -s "$real" "$libdir/$soname"
ln -s "$soname" "$libdir/libsimd_r_drive.so"
cp "$static" "$libdir/libsimd_r_drive.a"
chmod 644 "$libdir/libsimd_r_drive.a"

# pkg-config, from the same template as cmake --install.
libs_private=$(for l in $native_libs; do printf -- '-l%s ' "$l"; done | sed 's/ $//')
sed -e 's|@SRD_PC_PREFIX@|${pcfiledir}/../..|' \
    -e 's|@SRD_PC_LIBDIR@|${exec_prefix}/lib|' \
    -e 's|@SRD_PC_INCLUDEDIR@|${prefix}/include|' \
    -e "s|@SRD_PC_VERSION@|$numeric|" \
    -e "s|@SRD_PC_LIBS_PRIVATE@|$libs_private|" \
    "$root/cmake/simd_r_drive.pc.in" >"$libdir/pkgconfig/simd_r_drive.pc"

# The CMake package, from the same template as cmake --install; @PACKAGE_INIT@ expands to what
# configure_package_config_file writes (the prefix is found relative to the file).
cmake_libs=$(printf '%s\n' $native_libs | paste -sd';' -)
awk '
    $0 == "@PACKAGE_INIT@" {
        print "####### Expanded from @PACKAGE_INIT@ by scripts/install.sh #######"
        print ""
        print "get_filename_component(PACKAGE_PREFIX_DIR \"${CMAKE_CURRENT_LIST_DIR}/../../../\" ABSOLUTE)"
        print ""
        print "macro(set_and_check _var _file)"
        print "  set(${_var} \"${_file}\")"
        print "  if(NOT EXISTS \"${_file}\")"
        print "    message(FATAL_ERROR \"File or directory ${_file} referenced by variable ${_var} does not exist !\")"
        print "  endif()"
        print "endmacro()"
        print ""
        print "macro(check_required_components _NAME)"
        print "  foreach(comp ${${_NAME}_FIND_COMPONENTS})"
        print "    if(NOT ${_NAME}_${comp}_FOUND)"
        print "      if(${_NAME}_FIND_REQUIRED_${comp})"
        print "        set(${_NAME}_FOUND FALSE)"
        print "      endif()"
        print "    endif()"
        print "  endforeach()"
        print "endmacro()"
        print ""
        print "####################################################################################"
        next
    }
    { print }' "$root/cmake/simd_r_driveConfig.cmake.in" |
    sed -e 's|@PACKAGE_SRD_INSTALL_INCLUDEDIR@|${PACKAGE_PREFIX_DIR}/include|' \
        -e 's|@PACKAGE_SRD_INSTALL_LIBDIR@|${PACKAGE_PREFIX_DIR}/lib|' \
        -e "s|@SRD_SONAME@|$soname|g" \
        -e "s|@SRD_SHARED_REAL_NAME@|$real|g" \
        -e "s|@SRD_NATIVE_LIBS_CMAKE@|$cmake_libs|g" \
        >"$libdir/cmake/simd_r_drive/simd_r_driveConfig.cmake"
sed -e "s|@SRD_VERSION@|$numeric|g" \
    -e "s|@SRD_VERSION_MAJOR@|$major|g" \
    -e "s|@SRD_VERSION_MINOR@|$minor|g" \
    -e "s|@SRD_VERSION_COMPATIBILITY@|$compat|g" \
    -e "s|@SRD_SIZEOF_VOID_P@|$(getconf LONG_BIT | awk '{ print $1 / 8 }')|g" \
    "$root/cmake/simd_r_driveConfigVersion.cmake.in" \
    >"$libdir/cmake/simd_r_drive/simd_r_driveConfigVersion.cmake"
chmod 644 "$libdir/pkgconfig/simd_r_drive.pc" "$libdir/cmake/simd_r_drive/"*.cmake

# The srd tool: the sources CMake builds (tools/srd/*.c), C11, linked to the installed library.
cc=${CC:-cc}
mkdir -p "$dest/bin"
rm -f "$dest/bin/srd"
echo "+ $cc -std=c11 -O2 tools/srd/*.c -o ${DESTDIR:-}$prefix/bin/srd -lsimd_r_drive"
# shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker
"$cc" -std=c11 -O2 -I"$dest/include" "$root"/tools/srd/*.c -o "$dest/bin/srd" \
    -L"$libdir" -lsimd_r_drive -Wl,-rpath,'$ORIGIN/../lib'
chmod 755 "$dest/bin/srd"

echo "install.sh: installed"
(cd "$dest" && find bin/srd include lib -name 'simd_r_drive*' -o -name 'libsimd_r_drive*' -o -name srd |
    LC_ALL=C sort | sed 's/^/    /')
cat <<MSG
Use it with:
    $prefix/bin/srd --help
    cc app.c \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs simd_r_drive)
    cmake -DCMAKE_PREFIX_PATH=$prefix ...   # find_package(simd_r_drive CONFIG REQUIRED)
MSG
