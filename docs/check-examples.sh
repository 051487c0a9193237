#!/bin/sh
# docs/check-examples.sh INCLUDE_DIR LIB_DIR WORK_DIR [CC] [CXX]
#
# Extracts the complete programs (the fenced blocks with a main function, or the Python one
# that imports simd_r_drive) from getting-started-c.md, getting-started-cpp.md and
# getting-started-python.md, compiles the C and C++ ones with -Wall -Wextra -Werror -pedantic
# against INCLUDE_DIR and LIB_DIR, and runs all of them in WORK_DIR: the documentation's
# examples must work as printed. The Python one is skipped if python3 is missing.
set -u
incdir=$1
libdir=$2
work=$3
CC=${4:-cc}
CXX=${5:-c++}
incdir=$(cd "$incdir" && pwd)
libdir=$(cd "$libdir" && pwd)
docs=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$docs/.." && pwd)
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }

# extract FILE LANG PATTERN: the first ```LANG block containing PATTERN
extract() {
    awk -v lang="$2" -v pat="$3" '
        !inside && $0 == "```" lang { inside = 1; block = ""; next }
        inside && $0 == "```" { inside = 0; if (!done && index(block, pat)) { printf "%s", block; done = 1 }; next }
        inside { block = block $0 "\n" }' "$1"
}

rm -rf "$work"
mkdir -p "$work"
extract "$docs/getting-started-c.md" c "int main" >"$work/first.c"
extract "$docs/getting-started-cpp.md" cpp "int main" >"$work/first.cpp"
extract "$docs/getting-started-python.md" python "import simd_r_drive" >"$work/first.py"
for f in first.c first.cpp first.py; do
    if [ -s "$work/$f" ]; then ok; else bad "no complete example found for $f"; fi
done

run() { # name, program...
    name=$1
    shift
    echo "--- $name"
    if (cd "$work" && "$@"); then ok; else bad "$name failed"; fi
}
flags="-Wall -Wextra -Werror -pedantic -I$incdir"
link="-L$libdir -lsimd_r_drive -Wl,-rpath,$libdir"
# shellcheck disable=SC2086
if "$CC" -std=c11 $flags "$work/first.c" -o "$work/first_c" $link; then
    ok
    run "getting-started-c.md" ./first_c
else
    bad "getting-started-c.md: the example does not compile"
fi
# shellcheck disable=SC2086
if "$CXX" -std=c++17 $flags "$work/first.cpp" -o "$work/first_cpp" $link; then
    ok
    run "getting-started-cpp.md" ./first_cpp
else
    bad "getting-started-cpp.md: the example does not compile"
fi
if command -v python3 >/dev/null 2>&1; then
    lib=$libdir/libsimd_r_drive.so
    run "getting-started-python.md" env PYTHONPATH="$root/bindings/python" SRD_LIBRARY="$lib" \
        python3 first.py
else
    echo "note: python3 is not installed; the Python example was not run"
fi
echo "check-examples: $passed passed, $failed failed"
[ "$failed" = 0 ]
