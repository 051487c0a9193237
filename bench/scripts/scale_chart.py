#!/usr/bin/env python3
"""Draws RESULTS_DIR/scale.png from the scale section's summary.csv and machine.txt.

    scale_chart.py RESULTS_DIR      (bench/results/scale, or bench/results/quick/scale)

Cost against store size: x is the number of keys (log scale), one small panel
each for reopen + 1 read (ms, log scale), full scan, random misses and the
first random hits after a reopen (rates), one line per engine through the
medians with a whisker from the slowest to the fastest run, simd-r-drive in
its own colour. The hits panel also draws srd's repeated hits, dashed, so the
gap between a first and a second read shows. Needs matplotlib (scripts/bench.sh
installs it into bench/.venv).
"""
import csv
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
except ImportError:
    print("scale_chart.py: matplotlib is not installed; no chart drawn", file=sys.stderr)
    sys.exit(0)

sys.path.insert(0, os.path.dirname(__file__))
from report import COLORS, ENGINES, compact, keys_label  # noqa: E402

NAMES = {"srd": "srd", "crate": "the crate", "lmdb": "LMDB", "tkrzw": "tkrzw"}

# metric, title, unit, higher is better, y scale
PANELS = [
    ("scale_reopen_ms", "reopen + 1 read", "ms", False, "log"),
    ("scale_scan", "full scan", "entries/s", True, "linear"),
    ("scale_miss", "random misses", "reads/s", True, "linear"),
    ("scale_first_hit", "random hits, first pass after a reopen", "reads/s", True, "linear"),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "results", "scale")
    rows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
    data = {(r["engine"], r["metric"], int(r["keys"])): (float(r["median"]), float(r["min"]), float(r["max"]))
            for r in rows if r.get("keys")}
    if not data:
        print("scale_chart.py: no scale figures in summary.csv; no chart drawn", file=sys.stderr)
        return
    mpath = os.path.join(out, "machine.txt")
    machine = open(mpath).read().strip().splitlines() if os.path.exists(mpath) else []
    sizes = sorted({k[2] for k in data})
    engines = [e for e in ENGINES if any(k[0] == e for k in data)]

    fig, axes = plt.subplots(1, len(PANELS), figsize=(4.2 * len(PANELS), 4.4), dpi=110, layout="constrained")
    for ax, (m, title, unit, hi, yscale) in zip(axes, PANELS):
        lines = [(e, m, "-", e) for e in engines]
        if m == "scale_first_hit" and any(("srd", "scale_repeat_hit", n) in data for n in sizes):
            lines.append(("srd", "scale_repeat_hit", "--", "srd, repeated"))
        for e, metric, style, label in lines:
            pts = [(n, data[(e, metric, n)]) for n in sizes if (e, metric, n) in data]
            if not pts:
                continue
            xs = [n for n, _ in pts]
            med = [v[0] for _, v in pts]
            err = [[v[0] - v[1] for _, v in pts], [v[2] - v[0] for _, v in pts]]
            ours = e.startswith("srd")
            ax.errorbar(xs, med, yerr=err, color=COLORS.get(e, "#7f7f7f"), linestyle=style, marker="o",
                        markersize=5 if ours else 4, linewidth=2.4 if ours else 1.4, capsize=3,
                        label=label if label != e else NAMES.get(e, e), zorder=3 if ours else 2)
        ax.set_xscale("log")
        ax.set_yscale(yscale)
        if yscale == "linear":
            ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: keys_label(int(round(v)))))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
        if len(sizes) > 1:
            ax.set_xlim(sizes[0] / 1.6, sizes[-1] * 1.6)
        better = "higher is better" if hi else "lower is better"
        ax.set_title(f"{title}\n{unit}, {better}", fontsize=10.5)
        ax.set_xlabel("keys in the store (log scale)", fontsize=9)
        ax.tick_params(labelsize=9)
        ax.grid(alpha=0.3, which="major")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if m == "scale_first_hit" or ax is axes[0]:
            ax.legend(fontsize=8.5, frameon=False)
    mode = next((x.split(":", 1)[1].strip() for x in machine if x.startswith("mode:")), "")
    cpu = next((x.split(":", 1)[1].strip() for x in machine if x.startswith("cpu:")), "")
    lib = next((x.split(":", 1)[1].strip().split(",")[0] for x in machine if x.startswith("srd library:")), "")
    date = next((x.split(":", 1)[1].strip()[:10] for x in machine if x.startswith("date:")), "")
    others = [NAMES[e] for e in engines if e in NAMES and e != "srd"]
    title = "simd-r-drive (srd) at scale" + (" beside " + ", ".join(others) if others else "")
    cap = ", ".join(x for x in (mode, cpu, date, f"library {lib}" if lib else "") if x)
    fig.suptitle(f"{title}\n{cap}\nline: median; whisker: slowest to fastest run; 16-byte keys, "
                 "100-byte values, page cache warm", fontsize=10.5)
    path = os.path.join(out, "scale.png")
    fig.savefig(path)
    plt.close(fig)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
