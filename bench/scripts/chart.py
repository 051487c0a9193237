#!/usr/bin/env python3
"""Draws RESULTS_DIR/chart.png from RESULTS_DIR/summary.csv and machine.txt.

    chart.py RESULTS_DIR

One panel per workload: a bar per engine (the median, with a whisker from the
slowest to the fastest run) on a log scale, the floor as a dashed line, and
simd-r-drive in its own colour. Needs matplotlib (scripts/bench.sh installs it
into bench/.venv).
"""
import csv
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("chart.py: matplotlib is not installed; no chart drawn", file=sys.stderr)
    sys.exit(0)

sys.path.insert(0, os.path.dirname(__file__))
from report import ENGINES, METRICS, fmt  # noqa: E402

COLORS = {"srd": "#d62728", "srd-prealloc": "#e377c2", "crate": "#ff9896", "lmdb": "#1f77b4",
          "rocksdb": "#2ca02c",
          "leveldb": "#98df8a", "sqlite": "#9467bd", "tkrzw": "#8c564b"}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "results")
    rows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
    data = {(r["engine"], r["metric"]): (float(r["median"]), float(r["min"]), float(r["max"])) for r in rows}
    machine = open(os.path.join(out, "machine.txt")).read().strip().splitlines() \
        if os.path.exists(os.path.join(out, "machine.txt")) else []
    metrics = [m for m in METRICS if any((e, m[0]) in data for e in ENGINES)]

    cols = 4
    nrows = (len(metrics) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(22, 4.2 * nrows + 1.2), layout="constrained")
    axes = axes.flatten()
    for ax, (m, label, unit, hi) in zip(axes, metrics):
        engines = [e for e in ENGINES if e != "floor" and (e, m) in data]
        slots = len(ENGINES) - 1
        y = [slots - 1 - i for i in range(len(engines))]
        med = [data[(e, m)][0] for e in engines]
        lo = [data[(e, m)][0] - data[(e, m)][1] for e in engines]
        up = [data[(e, m)][2] - data[(e, m)][0] for e in engines]
        ax.barh(y, med, height=0.75, color=[COLORS.get(e, "#7f7f7f") for e in engines],
                xerr=[lo, up], error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
        ax.set_yticks(y)
        ax.set_yticklabels(engines)
        ax.set_xscale("log")
        ax.set_ylim(-0.6, slots - 0.4)
        positive = [v for v in med if v > 0]
        floor = data.get(("floor", m), (None,))[0]
        if floor:
            ax.axvline(floor, color="black", linestyle="--", linewidth=1.2)
            ax.text(floor, slots - 0.45, " floor " + fmt(floor, unit), fontsize=8, va="bottom")
            positive.append(floor)
        if positive:
            ax.set_xlim(min(positive) / 3, max(positive) * 6)
        for yi, v in zip(y, med):
            ax.text(max(v, min(positive) / 3 if positive else v), yi, " " + fmt(v, unit), va="center", fontsize=8)
        better = "higher is better" if hi else "lower is better"
        ax.set_title(f"{label}\n{unit}, {better}", fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", which="major", alpha=0.3)
    for ax in axes[len(metrics):]:
        ax.axis("off")
    title = "simd-r-drive (srd) beside the simd-r-drive crate, LMDB, RocksDB, LevelDB, SQLite and tkrzw"
    fig.suptitle(title + "\n" + "  |  ".join(machine[:7]), fontsize=12)
    path = os.path.join(out, "chart.png")
    fig.savefig(path, dpi=80)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
