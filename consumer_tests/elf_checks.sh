# elf_checks.sh - shell functions shared by the consumer tests (sourced, not run).
# Expect: READELF set; ok/bad counters functions defined by the caller.

# needed PROGRAM: the DT_NEEDED entries, one a line
needed() { "$READELF" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
# runpath PROGRAM: the DT_RUNPATH / DT_RPATH entries, one a line
runpath() { "$READELF" -d "$1" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\].*/\1/p' | tr ':' '\n' | sed '/^$/d'; }
# resolved PROGRAM: the path the dynamic loader picks for the SONAME (as ldd shows it),
# with the environment the caller gives
resolved() { LD_TRACE_LOADED_OBJECTS=1 "$1" 2>/dev/null | awk -v s="$2" '$1 == s { print $3 }'; }

# check_shared_program PROGRAM SONAME LIBDIR BUILD_TREE: links the library by its SONAME only
check_shared_program() {
    prog=$1 soname=$2 libdir=$3 build_tree=$4
    n=$(needed "$prog")
    echo "$prog: NEEDED $(echo $n)"
    if printf '%s\n' "$n" | grep -qx "$soname"; then ok; else bad "$prog does not need $soname"; fi
    if printf '%s\n' "$n" | grep -v -x "$soname" | grep -q simd_r_drive; then
        bad "$prog needs another name of the library: $(echo $n)"
    else
        ok
    fi
    for p in $(runpath "$prog"); do
        case "$p" in
        "$libdir") ;;
        "$build_tree"/lib | */target/release | */target/release/*)
            bad "$prog has a RUNPATH into the build tree: $p" ;;
        esac
    done
}

# check_static_program PROGRAM: does not need the shared library
check_static_program() {
    if needed "$1" | grep -q simd_r_drive; then
        bad "$1 (static) needs the shared library: $(needed "$1" | tr '\n' ' ')"
    else
        ok
    fi
}
