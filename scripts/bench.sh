#!/usr/bin/env bash
# scripts/bench.sh [--quick] [--runs N] [--engines "floor srd crate ..."] [--build-lib]
#                  [--scale | --scale-long | --scale-sizes "KEYS ..."]
#
# The side-by-side benchmark (bench/README.md): installs the Debian -dev
# packages of the other engines if missing, builds bench/ and the crate twin,
# runs every engine one after the other (each in its own process, the whole
# set N times, interleaved), then prints the table of medians and writes
# bench/results/{raw,summary}.csv, table.md, machine.txt and chart.png
# (bench/results/quick/ for --quick, which scales every workload down 20x).
#
# --scale runs only the scale section (reopen, hits, misses, scan and memory
# at 1M and 10M keys; srd, crate, lmdb, tkrzw) into bench/results/scale/;
# --scale-long adds 20M keys; --scale-sizes "KEYS ..." picks the sizes;
# with --quick the sizes are 50k and 500k (bench/results/quick/scale/).
#
# A benchmark, not a test: it never fails on speed. It exits non-zero only if
# it cannot build; an engine that fails is reported in the table and skipped.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
QUICK=""
RUNS=3
ENGINES=""
BUILD_LIB=0
SCALE=0
SCALE_SIZES=""

while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=--quick ;;
        --runs) RUNS=$2; shift ;;
        --engines) ENGINES=$2; shift ;;
        --build-lib) BUILD_LIB=1 ;;
        --scale) SCALE=1 ;;
        --scale-long) SCALE=2 ;;
        --scale-sizes) SCALE=1; SCALE_SIZES=$2; shift ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '\n== %s\n' "$*" >&2; }

if [ $SCALE = 0 ]; then
    : "${ENGINES:=floor srd srd-prealloc crate lmdb rocksdb leveldb sqlite tkrzw}"
else
    # The scale section: srd against the engines whose open does not grow with the store.
    : "${ENGINES:=srd crate lmdb tkrzw}"
    if [ -z "$SCALE_SIZES" ]; then
        if [ -n "$QUICK" ]; then SCALE_SIZES="50000 500000"
        elif [ $SCALE = 2 ]; then SCALE_SIZES="1000000 10000000 20000000"
        else SCALE_SIZES="1000000 10000000"
        fi
    fi
    for n in $SCALE_SIZES; do
        [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1000 ] || { echo "bench.sh: --scale-sizes: $n is not a number of keys >= 1000" >&2; exit 2; }
    done
fi

# ---- 1. Debian packages of the other engines -------------------------------
PKGS="liblmdb-dev librocksdb-dev libleveldb-dev libsqlite3-dev libtkrzw-dev make gcc binutils pkg-config"
missing=()
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || echo "bench.sh: apt-get failed; engines whose headers are missing are left out" >&2
fi

# ---- 2. our library, the C benchmark, the crate twin -----------------------
LIB=$ROOT/target/release/libsimd_r_drive.so
if [ ! -e "$LIB" ] || [ $BUILD_LIB = 1 ]; then
    say "cargo build --release --lib"
    (cd "$ROOT" && cargo build --release --lib) || { echo "bench.sh: building the library failed" >&2; exit 1; }
fi
say "building bench/ (library: $LIB, $(date -r "$LIB" '+%F %T'))"
make -s -C "$BENCH" || { echo "bench.sh: building srd_bench failed" >&2; exit 1; }
(cd "$BENCH/crate-twin" && cargo build --release -q) || { echo "bench.sh: building the crate twin failed" >&2; exit 1; }
SRD_BENCH=$BENCH/build/srd_bench
TWIN=$BENCH/crate-twin/target/release/srd-crate-twin
COMPILED=" $($SRD_BENCH --list | tr '\n' ' ') crate "

# ---- 3. where the results and the stores go --------------------------------
OUT=$BENCH/results
[ -n "$QUICK" ] && OUT=$BENCH/results/quick
[ $SCALE != 0 ] && OUT=$OUT/scale
mkdir -p "$OUT/logs"
rm -f "$OUT"/logs/*.log
DATA=${SRD_BENCH_DIR:-$BENCH/.data}
mkdir -p "$DATA"
if [ $SCALE != 0 ]; then
    # One store at a time (deleted after each engine): the largest size, at
    # about 330 bytes per key (LMDB's B-tree after a random-order load; srd,
    # the crate and tkrzw take about 130), plus a margin.
    max=0
    for n in $SCALE_SIZES; do [ "$n" -gt $max ] && max=$n; done
    need=$(( max * 330 / 1000000 + 1024 ))
    avail=$(( $(df --output=avail -k "$DATA" | tail -1) / 1024 ))
    if [ $avail -lt $need ]; then
        echo "bench.sh: $DATA has $avail MB free; $max keys may need about $need MB (LMDB's store)" >&2
    fi
fi

# ---- 4. the machine ----------------------------------------------------------
{
    echo "date: $(date -u '+%F %T UTC')"
    if [ $SCALE != 0 ]; then
        echo "mode: scale$([ -n "$QUICK" ] && echo ' quick (reads 20x fewer)'), sizes $SCALE_SIZES keys, $RUNS runs, medians"
    else
        echo "mode: $([ -n "$QUICK" ] && echo 'quick (every workload 20x smaller)' || echo full), $RUNS runs, medians"
    fi
    hv=$(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -1)
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores$([ -n "$hv" ] && echo ", $hv guest")"
    echo "ram: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "kernel: $(uname -sr)"
    dev=$(df --output=source "$DATA" | tail -1)
    echo "disk: $dev, $(df --output=fstype "$DATA" | tail -1 | tr -d ' '), $(df -h --output=size "$DATA" | tail -1 | tr -d ' '), rotational=$(cat /sys/block/"$(basename "$dev")"/queue/rotational 2>/dev/null || echo '?') (data in $DATA)"
    echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "srd library: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'), built $(date -r "$LIB" '+%F %T')"
    echo "compilers: $(cc --version | head -1); $(rustc --version)"
} > "$OUT/machine.txt"
say "machine"
cat "$OUT/machine.txt" >&2

# ---- 5. the runs -------------------------------------------------------------
RAW=$OUT/raw.csv
: > "$RAW"
start=$(date +%s)
read -r -a ENGINE_LIST <<< "$ENGINES"

# One engine in its own process: every workload, or (SIZE > 0) the scale
# section at SIZE keys. Its store is deleted afterwards.
run_one() {
    local e=$1 run=$2 size=$3 tag=$1-$2 extra=() what="" t0 rc
    if [ "$size" -gt 0 ]; then
        tag=$e-$size-$run
        extra=(--scale "$size")
        what="scale $size keys"
    fi
    if [[ $COMPILED != *" $e "* ]]; then
        echo "F,$e,$run,not built (missing package)" >> "$RAW"
        return
    fi
    say "run $run/$RUNS: $e${what:+, $what}"
    sync
    t0=$(date +%s)
    if [ "$e" = crate ]; then
        cmd=("$TWIN" --dir "$DATA" --run "$run" $QUICK "${extra[@]}")
    else
        cmd=("$SRD_BENCH" --engine "$e" --dir "$DATA" --run "$run" $QUICK "${extra[@]}")
    fi
    timeout 3600 "${cmd[@]}" >> "$RAW" 2> "$OUT/logs/$tag.log"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "F,$e,$run,${what:+$what: }exit status $rc: $(tail -1 "$OUT/logs/$tag.log" | tr ',' ';')" >> "$RAW"
        echo "bench.sh: $e failed (exit $rc), see $OUT/logs/$tag.log" >&2
    fi
    echo "   $(( $(date +%s) - t0 )) s" >&2
    rm -rf "${DATA:?}/$e"
}

for run in $(seq 1 "$RUNS"); do
    # Each run starts with a different engine (the list rotated by one per
    # run), so that none always follows the heaviest writer's page-cache
    # and disk state.
    n=${#ENGINE_LIST[@]}
    order=()
    for i in $(seq 0 $((n - 1))); do order+=("${ENGINE_LIST[$(( (i + run - 1) % n ))]}"); done
    if [ $SCALE = 0 ]; then
        for e in "${order[@]}"; do run_one "$e" "$run" 0; done
    else
        # Within a run, each size in turn, every engine at that size.
        for size in $SCALE_SIZES; do
            for e in "${order[@]}"; do
                if [ "$e" = floor ]; then
                    echo "bench.sh: the scale section has no floor; skipped" >&2
                    continue
                fi
                run_one "$e" "$run" "$size"
            done
        done
    fi
done
echo "duration: $(( $(date +%s) - start )) s for $RUNS runs; load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

# ---- 6. the table, the CSV and the chart --------------------------------------
python3 "$BENCH/scripts/report.py" "$OUT"

VENV=$BENCH/.venv
if ! "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
    say "installing matplotlib into bench/.venv"
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q matplotlib \
        || echo "bench.sh: matplotlib unavailable; the chart is drawn without it" >&2
fi
CHART=$BENCH/scripts/chart.py
[ $SCALE != 0 ] && CHART=$BENCH/scripts/scale_chart.py
if "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null; then
    "$VENV/bin/python" "$CHART" "$OUT"
else
    python3 "$CHART" "$OUT"
fi
exit 0
