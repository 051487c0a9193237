#!/bin/sh
# compile_and_run.sh [--expect-error TEXT] COMPILER STD SOURCE OUTDIR INCLUDE_DIR LIB_DIR
#                    [--run-arg ARG]... -- FLAGS...
#
# Compiles SOURCE as a consumer would, with COMPILER (gcc or clang; g++ / clang++ for a c++
# STD) and -std=STD plus FLAGS, links it with -lsimd_r_drive from LIB_DIR, and runs it with
# the ARGs. With --expect-error, the compilation must fail with TEXT in its diagnostics, and
# with that one error only (no cascade of errors after it).
# Exits 77 (skipped) when the compiler is not installed.
set -u
expect=""
if [ "$1" = "--expect-error" ]; then
    expect=$2
    shift 2
fi
compiler=$1
std=$2
src=$3
out=$4
incdir=$5
libdir=$6
shift 6
run_args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case "$1" in
    --run-arg) run_args="$run_args $2"; shift 2 ;;
    *) echo "compile_and_run: unexpected argument $1" >&2; exit 2 ;;
    esac
done
[ $# -gt 0 ] && shift

case "$std" in
c++*) case "$compiler" in gcc) cc=g++ ;; clang) cc=clang++ ;; *) cc=$compiler ;; esac ;;
*) cc=$compiler ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "SKIPPED: $cc is not installed; on Debian/Ubuntu: apt-get install -y $compiler"
    exit 77
fi

mkdir -p "$out"
prog=$out/program
echo "+ $cc -std=$std $* -I$incdir $src -o $prog -L$libdir -lsimd_r_drive"
"$cc" --version | head -n 1
if [ -n "$expect" ]; then
    if "$cc" -std="$std" "$@" -I"$incdir" -c "$src" -o "$prog.o" >"$out/diagnostics.txt" 2>&1; then
        echo "FAILED: compiling as $std succeeded, expected an error containing '$expect'" >&2
        exit 1
    fi
    if grep -qF -e "$expect" "$out/diagnostics.txt"; then
        head -n 5 "$out/diagnostics.txt"
        errors=$(grep -c 'error:' "$out/diagnostics.txt")
        if [ "$errors" != 1 ]; then
            cat "$out/diagnostics.txt" >&2
            echo "FAILED: $errors errors, expected only the one containing '$expect'" >&2
            exit 1
        fi
        echo "compile_and_run: 1 passed, 0 failed"
        exit 0
    fi
    cat "$out/diagnostics.txt" >&2
    echo "FAILED: the error does not contain '$expect'" >&2
    exit 1
fi
if ! "$cc" -std="$std" "$@" -I"$incdir" "$src" -o "$prog" -L"$libdir" -lsimd_r_drive \
        -Wl,-rpath,"$libdir"; then
    echo "FAILED: $cc -std=$std" >&2
    exit 1
fi
# shellcheck disable=SC2086
"$prog" $run_args
