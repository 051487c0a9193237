#!/usr/bin/env python3
"""Draws RESULTS_DIR/chart.png and RESULTS_DIR/chart-full.png from
RESULTS_DIR/summary.csv and machine.txt.

    chart.py RESULTS_DIR

chart.png is the README's picture: the few workloads of HEADLINE (point reads
and appends), linear scale, sized to be read at about 900 px wide.
chart-full.png is every workload of report.METRICS, log scale, one panel each.

In both, a row per engine: the bar is the median, the whisker goes from the
slowest to the fastest run, the grey "floor" bar (and the dashed line) is the
machine's limit for that workload, and simd-r-drive has its own colours. Each
bar's value is written right of its whisker, on a white box, and the x range
is widened until every value fits inside its panel; texts that still overlap
are reported on stderr. Needs matplotlib (scripts/bench.sh installs it into
bench/.venv).
"""
import csv
import math
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
except ImportError:
    print("chart.py: matplotlib is not installed; no chart drawn", file=sys.stderr)
    sys.exit(0)

sys.path.insert(0, os.path.dirname(__file__))
from report import COLORS, ENGINES, METRICS, compact, fmt  # noqa: E402

OURS = {"srd", "srd-prealloc"}
NAMES = {"crate": "the simd-r-drive crate", "lmdb": "LMDB", "rocksdb": "RocksDB",
         "leveldb": "LevelDB", "sqlite": "SQLite", "tkrzw": "tkrzw"}

# The README's panels: metric, short title, scale. Point reads and appends.
HEADLINE = [
    ("hit_1t", "random hits, 1 thread", "linear"),
    ("single_put", "single puts, no fsync", "linear"),
    ("bulk_load", "bulk load, batches of 1000", "linear"),
]


def log_ticks(lo, hi):
    """Ticks inside [lo, hi]: the powers of 10, then 5, 2 and the other digits
    x 10^k, each kept only if it is at least 1/7 of the axis from every tick
    kept before it (so that no two labels touch)."""
    l0, l1 = math.log10(lo), math.log10(hi)
    gap = (l1 - l0) / 7
    kept = []
    for m in (1, 5, 2, 3, 4, 6, 7, 8, 9):
        for k in range(math.floor(l0) - 1, math.ceil(l1) + 1):
            t = m * 10.0 ** k
            if lo <= t <= hi and all(abs(math.log10(t / u)) >= gap for u in kept):
                kept.append(t)
    return sorted(kept)


class Panel:
    def __init__(self, ax, scale):
        self.ax = ax
        self.scale = scale
        self.labels = []  # (text, x of its anchor)
        self.lo = 0.0

    def u(self, x):
        return math.log10(x) if self.scale == "log" else x


def draw_panel(ax, data, m, title, unit, hi, engines, scale, fs):
    """One workload: a bar per engine in `engines` (row i from the top)."""
    p = Panel(ax, scale)
    ends = [v for e in engines if (e, m) in data for v in data[(e, m)] if v > 0]
    if scale == "log":
        p.lo = min(ends) / 2 if ends else 1
    floor = data.get(("floor", m), (None,))[0]
    if floor:
        ax.axvline(floor, color="#555555", linestyle=(0, (4, 3)), linewidth=1, zorder=1)
    for i, e in enumerate(engines):
        if (e, m) not in data:
            ax.text(0.02, i, "not measured" if e != "floor" else "no floor", color="#666666",
                    fontsize=fs["value"] - 1, va="center", transform=ax.get_yaxis_transform(),
                    zorder=4, bbox={"boxstyle": "square,pad=0.12", "fc": "white", "ec": "none"})
            continue
        med, mn, mx = data[(e, m)]
        width = max(med - p.lo, 0) if scale == "log" else med
        ax.barh(i, width, left=p.lo, height=0.72, color=COLORS.get(e, "#7f7f7f"), zorder=2)
        if mx > mn:
            ax.errorbar(med, i, xerr=[[med - mn], [mx - med]], fmt="none", ecolor="#222222",
                        elinewidth=1, capsize=3, capthick=1, zorder=3)
        anchor = max(med, mx, p.lo)  # a 0 on a log scale is labelled at the left edge
        t = ax.annotate(fmt(med, unit), (anchor, i), xytext=(5, 0), textcoords="offset points",
                        va="center", ha="left", fontsize=fs["value"],
                        fontweight="bold" if e in OURS else "normal", zorder=4,
                        bbox={"boxstyle": "square,pad=0.12", "fc": "white", "ec": "none",
                              "alpha": 0.9})
        p.labels.append((t, anchor))
    ax.set_xscale(scale)
    top = max(ends) if ends else 1
    ax.set_xlim(p.lo, top * (1.15 if scale == "linear" else 1.5))
    ax.set_ylim(len(engines) - 0.5, -0.5)
    better = "higher is better" if hi else "lower is better"
    ax.set_title(f"{title}\n{unit}, {better}", fontsize=fs["title"], pad=6)
    ax.tick_params(axis="x", labelsize=fs["tick"])
    ax.tick_params(axis="y", labelsize=fs["engine"], length=0)
    ax.grid(axis="x", alpha=0.3, zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return p


def set_ticks(p):
    ax = p.ax
    lo, hi = ax.get_xlim()
    if p.scale == "log":
        ax.xaxis.set_major_locator(FixedLocator(log_ticks(lo, hi)))
        ax.xaxis.set_minor_locator(NullLocator())
    else:
        ax.xaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))


def fit(fig, panels):
    """Widens each panel's x range until every value label ends inside it."""
    for _ in range(6):
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        changed = False
        for p in panels:
            box = p.ax.get_window_extent(r)
            width = box.width
            lo, hi = p.ax.get_xlim()
            u0, u1 = p.u(lo), p.u(hi)
            need = u1
            for t, anchor in p.labels:
                tb = t.get_window_extent(r)
                ax_px = box.x0 + (p.u(anchor) - u0) / (u1 - u0) * width
                w = tb.x1 - ax_px + 4
                room = 0.98 * width - w
                if room <= 0:
                    continue
                need = max(need, u0 + (p.u(anchor) - u0) * width / room)
            if (need > u1 * 1.0005) if p.scale == "linear" else (need > u1 + 1e-4):
                p.ax.set_xlim(lo, 10 ** need if p.scale == "log" else need)
                changed = True
            set_ticks(p)
        if not changed:
            break


def overlaps(fig):
    """Pairs of visible, non-empty texts of `fig` whose boxes intersect."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    hidden = set()  # labels of ticks outside their axis's range, which are not drawn
    for ax in fig.get_axes():
        lo, hi = sorted(ax.get_xlim())
        for tick in ax.xaxis.get_major_ticks():
            if not lo <= tick.get_loc() <= hi:
                hidden.update((id(tick.label1), id(tick.label2)))
    boxes = [(t.get_text(), t.get_window_extent(r)) for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and id(t) not in hidden]
    boxes = [(s, b.expanded(1, 1).shrunk(0.999, 0.999)) for s, b in boxes]
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if ba.overlaps(bb) and ba.width > 0 and bb.width > 0]


def save(fig, path, dpi):
    for a, b in overlaps(fig):
        print(f"chart.py: {os.path.basename(path)}: {a!r} overlaps {b!r}", file=sys.stderr)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def header_height(lines, fs):
    """Inches taken by the title and `lines` of caption under it."""
    return 0.12 + fs["head"] * 1.25 / 72 + 0.06 + len(lines) * fs["caption"] * 1.35 / 72 + 0.1


def header(sfig, title, lines, fs, height):
    """The title, then the caption lines, from the top of `sfig` (`height` inches tall)."""
    y = 1 - 0.12 / height
    sfig.text(0.5, y, title, ha="center", va="top", fontsize=fs["head"], fontweight="bold")
    y -= (fs["head"] * 1.25 / 72 + 0.06) / height
    sfig.text(0.5, y, "\n".join(lines), ha="center", va="top",
              fontsize=fs["caption"], color="#333333", linespacing=1.35)


def wrap_items(items, width):
    """Joins items with ' | ' into lines of at most `width` characters, never splitting one."""
    lines, cur = [], ""
    for it in items:
        if cur and len(cur) + 3 + len(it) > width:
            lines.append(cur)
            cur = it
        else:
            cur = f"{cur}  |  {it}" if cur else it
    if cur:
        lines.append(cur)
    return lines


def title_for(engines):
    others = [NAMES[e] for e in engines if e in NAMES]
    t = "simd-r-drive (srd)"
    if others:
        t += " beside " + (", ".join(others[:-1]) + " and " + others[-1] if len(others) > 1 else others[0])
    return t


def machine_field(machine, key):
    for line in machine:
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


def headline(out, data, machine, engines):
    metrics = {m: (label, unit, hi) for m, label, unit, hi in METRICS}
    panels_def = [(m, t, s) for m, t, s in HEADLINE if any((e, m) in data for e in engines)]
    if not panels_def:
        return None
    fs = {"head": 12.5, "caption": 10, "title": 11, "tick": 9.5, "engine": 10.5, "value": 9.5}
    mode = machine_field(machine, "mode") or ""
    cpu = machine_field(machine, "cpu") or ""
    date = (machine_field(machine, "date") or "")[:10]
    lib = (machine_field(machine, "srd library") or "").split(",")[0]
    floor = "; grey bar, dashed line: the machine's floor" if "floor" in engines else ""
    cap = [", ".join(x for x in (mode, cpu, date, f"library {lib}" if lib else "") if x),
           f"bar: median; whisker: slowest to fastest run{floor}; every workload: chart-full.png"]
    head_h = header_height(cap, fs)
    body_h = 1.0 + 0.3 * len(engines)
    fig = plt.figure(figsize=(9, head_h + body_h), dpi=200, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.08)
    top, body = fig.subfigures(2, 1, height_ratios=[head_h, body_h])
    axes = body.subplots(1, len(panels_def), sharey=True, squeeze=False)[0]
    panels = []
    for ax, (m, t, scale) in zip(axes, panels_def):
        label, unit, hi = metrics[m]
        panels.append(draw_panel(ax, data, m, t, unit, hi, engines, scale, fs))
    axes[0].set_yticks(range(len(engines)), engines)
    header(top, "simd-r-drive (srd): point reads and appends", cap, fs, head_h)
    fit(fig, panels)
    path = os.path.join(out, "chart.png")
    save(fig, path, 200)
    return path


def full(out, data, machine, engines):
    metrics = [m for m in METRICS if any((e, m[0]) in data for e in engines)]
    if not metrics:
        return None
    cols = 4
    nrows = (len(metrics) + cols - 1) // cols
    fs = {"head": 15, "caption": 11.5, "title": 11.5, "tick": 10, "engine": 11, "value": 10}
    row_h = 1.25 + 0.27 * len(engines)
    floor = ("; grey bar and dashed line: the machine's floor for that workload (bench/README.md)"
             if "floor" in engines else "")
    lines = wrap_items(machine, 150) + [
        f"bar: median; whisker: slowest to fastest run{floor}; log scale"]
    head_h = header_height(lines, fs)
    fig = plt.figure(figsize=(18, head_h + row_h * nrows), dpi=100, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.1, h_pad=0.12)
    top, body = fig.subfigures(2, 1, height_ratios=[head_h, row_h * nrows])
    axes = body.subplots(nrows, cols, sharey=True, squeeze=False).flatten()
    panels = []
    for ax, (m, label, unit, hi) in zip(axes, metrics):
        panels.append(draw_panel(ax, data, m, label, unit, hi, engines, "log", fs))
    for ax in axes[len(metrics):]:
        ax.axis("off")
    for ax in axes[::cols]:
        ax.set_yticks(range(len(engines)), engines)
        ax.tick_params(axis="y", labelleft=True)
    header(top, title_for(engines), lines, fs, head_h)
    fit(fig, panels)
    path = os.path.join(out, "chart-full.png")
    save(fig, path, 100)
    return path


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "results")
    rows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
    data = {(r["engine"], r["metric"]): (float(r["median"]), float(r["min"]), float(r["max"])) for r in rows}
    mpath = os.path.join(out, "machine.txt")
    machine = open(mpath).read().strip().splitlines() if os.path.exists(mpath) else []
    engines = [e for e in ENGINES if any(k[0] == e for k in data)]
    for path in (headline(out, data, machine, engines), full(out, data, machine, engines)):
        if path:
            print(f"chart: {path}")


if __name__ == "__main__":
    main()
