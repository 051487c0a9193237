#!/usr/bin/env python3
"""Turns the raw lines of srd_bench and the crate twin into the table.

    report.py RESULTS_DIR

Reads RESULTS_DIR/raw.csv (lines R,engine,run,metric,value,check; M,engine,key,value;
F,engine,run,why) and RESULTS_DIR/machine.txt; writes RESULTS_DIR/summary.csv
(medians, min, max per engine and metric, and each engine's ratio to the floor)
and RESULTS_DIR/table.md, and prints the table. Standard library only.

The scale section's lines name their store size in the metric
(scale_reopen_ms@10000000); a raw.csv of them (bench/results/scale/) gets the
scale table instead: a row per metric and size, the ratios issue 14 asks
about, and its targets. If RESULTS_DIR/baseline.csv exists (the summary.csv
of an earlier scale run, kept by hand), srd's hits and misses are compared
with it.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

ENGINES = ["floor", "srd", "srd-prealloc", "crate", "lmdb", "rocksdb", "leveldb", "sqlite", "tkrzw"]

# metric, label, unit, higher is better
METRICS = [
    ("bulk_load", "1. bulk load (100 B, batches of 1000)", "entries/s", True),
    ("single_put", "2. single puts, no fsync", "puts/s", True),
    ("hit_1t", "3. random hits, 1 thread", "reads/s", True),
    ("hit_2t", "3. random hits, 2 threads", "reads/s", True),
    ("batch_read", "3+ batch reads of 64 keys", "reads/s", True),
    ("miss", "4. random misses", "reads/s", True),
    ("scan", "5. full scan", "entries/s", True),
    ("reopen_ms", "6. reopen + 1 read", "ms", False),
    ("large_write", "7. large values 1 MiB, write", "MB/s", True),
    ("large_read", "7. large values 1 MiB, read", "MB/s", True),
    ("large_reopen_read", "7. large values 1 MiB, read after a reopen", "MB/s", True),
    ("durable_1t", "8. durable puts, 1 thread", "puts/s", True),
    ("durable_2t", "8. durable puts, 2 threads", "puts/s", True),
    ("tiny_load", "9. tiny values 8 B, load", "entries/s", True),
    ("tiny_read", "9. tiny values 8 B, random reads", "reads/s", True),
    ("disk_per_key", "10. size on disk after 1", "bytes/key", False),
    ("mem_per_key", "10. resident memory, open store", "bytes/key", False),
]
# metrics whose check is a checksum of the bytes read: equal for every engine
CHECKED = {"hit_1t", "hit_2t", "batch_read", "miss", "scan", "reopen_ms", "large_read", "large_reopen_read", "tiny_read"}

# The scale section (bench/src/scale.c): metric, label, unit, higher is better.
# Each is measured at every store size: the raw metric is NAME@KEYS.
SCALE_METRICS = [
    ("scale_reopen_ms", "reopen + 1 read (median of 5)", "ms", False),
    ("scale_first_hit", "random hits, first pass after a reopen", "reads/s", True),
    ("scale_repeat_hit", "random hits, the same again", "reads/s", True),
    ("scale_miss", "random misses", "reads/s", True),
    ("scale_scan", "full scan", "entries/s", True),
    ("scale_mem_open", "resident memory after the open", "bytes/key", False),
    ("scale_mem_hits", "resident memory after the hits", "bytes/key", False),
    ("scale_load", "load, batches of 1000 (setup)", "entries/s", True),
    ("scale_disk_per_key", "size on disk", "bytes/key", False),
]
SCALE_CHECKED = {"scale_reopen_ms", "scale_first_hit", "scale_repeat_hit", "scale_miss", "scale_scan"}


def fmt(v, unit):
    if v is None:
        return "—"
    if unit == "ms":
        return f"{v:.3g}" if v < 100 else f"{v:.0f}"
    if unit == "bytes/key":
        return f"{v:.1f}"
    if unit == "MB/s":
        return f"{v:.0f}"
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.3g}{suf}"
    return f"{v:.3g}"


def gap(v, floor, higher):
    """How far v is from the floor: 1.0 is the limit, 2.0 twice as slow (or as big)."""
    if v is None or floor is None or v <= 0 or floor <= 0:
        return None
    return floor / v if higher else v / floor


def targets(med):
    """The issue's targets for srd, each with the figures it compares."""
    def g(e, m):
        return med.get((e, m))

    out = []

    def check(label, value, limit, ok, how):
        if value is None or limit is None:
            out.append(f"{label}: not measured")
            return
        out.append(f"{label}: {how(value, limit)} -> {'met' if ok(value, limit) else 'NOT met'}")

    s1, c1, f1 = g("srd", "hit_1t"), g("crate", "hit_1t"), g("floor", "hit_1t")
    check("random hits 1 thread >= crate", s1, c1, lambda v, l: v >= l, lambda v, l: f"{v / l:.2f}x the crate")
    check("random hits 1 thread within 1.25x of the floor", s1, f1, lambda v, l: l / v <= 1.25,
          lambda v, l: f"floor is {l / v:.2f}x")
    check("random hits 2 threads >= 1.8x our 1 thread", g("srd", "hit_2t"), s1, lambda v, l: v >= 1.8 * l,
          lambda v, l: f"{v / l:.2f}x")
    check("batch reads of 64 >= 2x our single reads", g("srd", "batch_read"), s1, lambda v, l: v >= 2 * l,
          lambda v, l: f"{v / l:.2f}x")
    check("random misses >= crate", g("srd", "miss"), g("crate", "miss"), lambda v, l: v >= l,
          lambda v, l: f"{v / l:.2f}x the crate")
    check("tiny-value reads >= crate", g("srd", "tiny_read"), g("crate", "tiny_read"), lambda v, l: v >= l,
          lambda v, l: f"{v / l:.2f}x the crate")
    # The write targets for both ways of opening the store (the default, and
    # SRD_OPEN_PREALLOCATE, the opt-in fast path for small writes).
    for e, how_opened in (("srd", ""), ("srd-prealloc", ", with SRD_OPEN_PREALLOCATE")):
        if e != "srd" and not any(k[0] == e for k in med):
            continue
        check(f"single puts >= 10x crate{how_opened}", g(e, "single_put"), g("crate", "single_put"),
              lambda v, l: v >= 10 * l, lambda v, l: f"{v / l:.2f}x the crate")
        check(f"single puts >= tkrzw{how_opened}", g(e, "single_put"), g("tkrzw", "single_put"),
              lambda v, l: v >= l, lambda v, l: f"{v / l:.2f}x tkrzw")
        check(f"bulk load >= 1.5x crate{how_opened}", g(e, "bulk_load"), g("crate", "bulk_load"),
              lambda v, l: v >= 1.5 * l, lambda v, l: f"{v / l:.2f}x the crate")
        check(f"bulk load within 2x of the write() floor{how_opened}", g(e, "bulk_load"), g("floor", "bulk_load"),
              lambda v, l: l / v <= 2, lambda v, l: f"floor is {l / v:.2f}x")
    check("large values write >= crate", g("srd", "large_write"), g("crate", "large_write"), lambda v, l: v >= l,
          lambda v, l: f"{v / l:.2f}x the crate")
    check("large values read >= crate", g("srd", "large_read"), g("crate", "large_read"), lambda v, l: v >= l,
          lambda v, l: f"{v / l:.2f}x the crate")
    check("large values, first read after a reopen >= 0.75x crate (issue 14)", g("srd", "large_reopen_read"),
          g("crate", "large_reopen_read"), lambda v, l: v >= 0.75 * l, lambda v, l: f"{v / l:.2f}x the crate")
    fd = g("floor", "durable_1t")
    check("durable puts 1 thread within 10% of write+fdatasync", g("srd", "durable_1t"), fd,
          lambda v, l: v >= 0.9 * l, lambda v, l: f"{v / l:.2f}x the floor")
    check("durable puts 2 threads >= 1.6x the 1-thread floor", g("srd", "durable_2t"), fd,
          lambda v, l: v >= 1.6 * l, lambda v, l: f"{v / l:.2f}x the 1-thread floor")
    check("reopen < 5 ms", g("srd", "reopen_ms"), 5.0, lambda v, l: v < l, lambda v, l: f"{v:.3g} ms")
    check("full scan >= LMDB", g("srd", "scan"), g("lmdb", "scan"), lambda v, l: v >= l,
          lambda v, l: f"{v / l:.2f}x LMDB")
    check("resident index <= 24 bytes per key", g("srd", "mem_per_key"), 24.0, lambda v, l: v <= l,
          lambda v, l: f"{v:.1f} bytes/key")
    return out


# The charts' colour of each engine (chart.py, scale_chart.py).
COLORS = {"floor": "#b0b0b0", "srd": "#d62728", "srd-prealloc": "#e377c2", "crate": "#ff9896",
          "lmdb": "#1f77b4", "rocksdb": "#2ca02c", "leveldb": "#98df8a", "sqlite": "#9467bd",
          "tkrzw": "#8c564b"}


def compact(v):
    """A chart's tick label: 0, 500k, 1.5M, 0.01."""
    if v == 0:
        return "0"
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:g}{suf}"
    return f"{v:g}"


def run_notes(bad, engines, meta, failures):
    """The notes under both tables: whether the checksums of the bytes read agree (`bad`: the
    engine/metric pairs that differ), each engine's version, and the engines that failed."""
    notes = ["checksums of the bytes read: " + ("identical for every engine" if not bad else
             "DIFFER for " + ", ".join(sorted(bad)))]
    notes += [f"{e}: {meta[e]}" for e in engines if e in meta]
    notes += [f"FAILED {e}: " + "; ".join(fs) for e, fs in failures.items()]
    return notes


def keys_label(n):
    """1000000 -> 1M, 500000 -> 500k."""
    for div, suf in ((1e6, "M"), (1e3, "k")):
        if n >= div and n % int(div) == 0:
            return f"{n // int(div)}{suf}"
    return str(n)


def md_table(head, rows, left=2):
    """A markdown table, the first `left` columns left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]

    def line(r):
        return "| " + " | ".join(c.ljust(widths[i]) if i < left else c.rjust(widths[i])
                                 for i, c in enumerate(r)) + " |"
    out = [line(head), "|" + "|".join("-" * (w + 2) if i < left else "-" * (w + 1) + ":"
                                      for i, w in enumerate(widths)) + "|"]
    return out + [line(r) for r in rows]


def ratio(a, b):
    return a / b if a is not None and b is not None and a > 0 and b > 0 else None


def scale_targets(med, sizes, base, quick):
    """Issue 14's targets, as far as the scale section measures them."""
    def g(e, m, n):
        return med.get((e, m, n))

    out = []

    def say(label, r, ok, how):
        if r is None:
            out.append(f"{label}: not measured")
        else:
            out.append(f"{label}: {how} -> {'met' if ok else 'NOT met'}")

    issue = [n for n in sizes if n in (1_000_000, 10_000_000)] or sizes
    for n in issue:
        r = ratio(g("srd", "scale_reopen_ms", n), g("lmdb", "scale_reopen_ms", n))
        say(f"reopen + 1 read at {keys_label(n)} keys <= 0.5x LMDB's time", r, r is not None and r <= 0.5,
            f"{r:.2f}x LMDB ({fmt(g('srd', 'scale_reopen_ms', n), 'ms')} ms against "
            f"{fmt(g('lmdb', 'scale_reopen_ms', n), 'ms')} ms)" if r else "")
    for n in sizes:
        r = ratio(g("srd", "scale_first_hit", n), g("srd", "scale_repeat_hit", n))
        say(f"first hits after a reopen at {keys_label(n)} keys >= 0.8x the same hits repeated", r,
            r is not None and r >= 0.8, f"{r:.2f}x" if r else "")
    big = 10_000_000 if 10_000_000 in sizes else (max(sizes) if sizes else None)
    where = "" if big == 10_000_000 else f" (measured at {keys_label(big)}; the issue says 10M)" if big else ""
    for e, name in (("lmdb", "LMDB"), ("tkrzw", "tkrzw")):
        r = ratio(g("srd", "scale_scan", big), g(e, "scale_scan", big))
        say(f"full scan at 10M keys >= 1.7x {name}{where}", r, r is not None and r >= 1.7,
            f"{r:.2f}x {name}" if r else "")
    if len(sizes) >= 2:
        lo, hi = min(sizes), max(sizes)
        r = ratio(g("srd", "scale_scan", hi), g("srd", "scale_scan", lo))
        say(f"full scan flat from {keys_label(lo)} to {keys_label(hi)} keys (read here as: within 20%)", r,
            r is not None and r >= 0.8, f"{r:.2f}x the rate at {keys_label(lo)}" if r else "")
    if base:
        r = ratio(g("srd", "scale_miss", big), base.get(("scale_miss", big)))
        say(f"misses at 10M keys >= 1.5x the baseline{where}", r, r is not None and r >= 1.5,
            f"{r:.2f}x the baseline" if r else "")
        n1 = 1_000_000 if 1_000_000 in sizes else (min(sizes) if sizes else None)
        for m, what in (("scale_first_hit", "hits"), ("scale_miss", "misses")):
            r = ratio(g("srd", m, n1), base.get((m, n1)))
            say(f"{what} at {keys_label(n1)} keys no slower than the baseline", r, r is not None and r >= 1.0,
                f"{r:.2f}x the baseline" if r else "")
    else:
        out.append("misses at 10M >= 1.5x today, hits and misses at 1M no slower than today: no baseline.csv "
                   "(copy the summary.csv of a run of the engine before the change to baseline.csv)")
    for n in sizes:
        v, vo = g("srd", "scale_mem_hits", n), g("srd", "scale_mem_open", n)
        say(f"resident memory at {keys_label(n)} keys <= 17 bytes per key", v, v is not None and v <= 17,
            f"{v:.1f} bytes/key after the hits, {vo:.1f} after the open" if v is not None and vo is not None
            else "")
    out.append("not measured by the scale section: single puts >= tkrzw (the default run's table), "
               "1 MiB values first read after a reopen >= 0.75x the crate")
    if quick:
        out.insert(0, "(a --quick run: the targets are for 1M, 10M and 20M keys and 1M reads, so these say little)")
    return out


def scale_report(out, vals, checks, meta, failures, machine):
    """The scale section's summary.csv, table.md and printed table."""
    sizes = sorted({int(m.split("@")[1]) for (_, m) in vals})
    engines = [e for e in ENGINES if e != "floor" and (any(k[0] == e for k in vals) or e in failures)]
    med = {(e, m.split("@")[0], int(m.split("@")[1])): statistics.median(v) for (e, m), v in vals.items()}

    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "keys", "label", "unit", "higher_is_better", "engine", "median", "min", "max",
                    "runs"])
        for m, label, unit, hi in SCALE_METRICS:
            for n in sizes:
                for e in engines:
                    v = vals.get((e, f"{m}@{n}"))
                    if v:
                        w.writerow([m, n, label, unit, int(hi), e, f"{med[(e, m, n)]:.6g}", f"{min(v):.6g}",
                                    f"{max(v):.6g}", len(v)])

    # rows = metric x size, columns = engines, then srd against lmdb and tkrzw
    others = [e for e in ("lmdb", "tkrzw") if e in engines]
    head = ["workload", "keys", "unit"] + engines + [f"srd vs {e}" for e in others]
    rows = []
    for m, label, unit, hi in SCALE_METRICS:
        for n in sizes:
            if not any((e, m, n) in med for e in engines):
                continue
            row = [label, keys_label(n), unit] + [fmt(med.get((e, m, n)), unit) for e in engines]
            for e in others:
                a, b = med.get(("srd", m, n)), med.get((e, m, n))
                # a ratio of memory below a byte per key says nothing (a page or two)
                r = None if unit == "bytes/key" and (not a or not b or min(a, b) < 1) else ratio(a, b)
                row.append("—" if r is None else f"{(r if hi else 1 / r):.2f}x")
            rows.append(row)
    table = md_table(head, rows, left=3)

    # the ratios issue 14 asks about, a column per size
    def r_at(n, a, b):
        return ratio(med.get(a + (n,)), med.get(b + (n,)))

    def scan_best(n):
        best = max([v for v in (med.get(("lmdb", "scale_scan", n)), med.get(("tkrzw", "scale_scan", n))) if v],
                   default=None)
        return ratio(med.get(("srd", "scale_scan", n)), best)

    lines = [
        ("reopen: srd's time ÷ LMDB's (target <= 0.5)", lambda n: r_at(n, ("srd", "scale_reopen_ms"),
                                                                       ("lmdb", "scale_reopen_ms"))),
        ("reopen: srd's time ÷ tkrzw's", lambda n: r_at(n, ("srd", "scale_reopen_ms"), ("tkrzw", "scale_reopen_ms"))),
        ("hits: srd's first pass ÷ its repeat (target >= 0.8)",
         lambda n: r_at(n, ("srd", "scale_first_hit"), ("srd", "scale_repeat_hit"))),
        ("hits: srd ÷ tkrzw, first pass", lambda n: r_at(n, ("srd", "scale_first_hit"), ("tkrzw", "scale_first_hit"))),
        ("misses: srd ÷ tkrzw", lambda n: r_at(n, ("srd", "scale_miss"), ("tkrzw", "scale_miss"))),
        ("scan: srd ÷ max(LMDB, tkrzw) (target >= 1.7 at 10M)", scan_best),
        ("scan: srd ÷ srd at the smallest size (flat: 1.00)",
         lambda n: ratio(med.get(("srd", "scale_scan", n)), med.get(("srd", "scale_scan", sizes[0])))),
    ]
    rrows = []
    for label, f in lines:
        cells = [f(n) for n in sizes]
        if any(c is not None for c in cells):
            rrows.append([label] + ["—" if c is None else f"{c:.2f}x" for c in cells])
    rtable = md_table(["ratio", *[keys_label(n) + " keys" for n in sizes]], rrows, left=1) if rrows else []

    notes = ["Medians of the runs; each engine in its own process, one store size per process. "
             "'srd vs X': how many times better srd is than X (above 1 is better). "
             "Keys of 16 bytes, values of 100 bytes, loaded in a shuffled order in batches of 1000; "
             "page cache warm; reads touch every value byte."]
    bad = []
    for (e, m), c in checks.items():
        if m.split("@")[0] not in SCALE_CHECKED:
            continue
        ref = checks.get(("srd", m)) or next(iter(checks[k] for k in sorted(checks) if k[1] == m))
        if c != ref:
            bad.append(f"{e}/{m}")
    notes += run_notes(bad, engines, meta, failures)

    base = None
    bpath = os.path.join(out, "baseline.csv")
    if os.path.exists(bpath):
        base = {(r["metric"], int(r["keys"])): float(r["median"])
                for r in csv.DictReader(open(bpath)) if r.get("engine") == "srd" and r.get("keys")}
        notes.append("baseline: baseline.csv (srd's medians of an earlier run; wall times on a shared "
                     "machine move by tens of percent, so read small differences as noise)")

    text = "\n".join(table) + "\n\n"
    if rtable:
        text += "\n".join(rtable) + "\n\n"
    text += "\n".join("- " + n for n in notes) + "\n"
    quick = any(x.startswith("mode:") and "quick" in x for x in machine.splitlines())
    tt = scale_targets(med, sizes, base, quick)
    text += "\nsrd against issue 14's targets (information only; a benchmark never fails on speed):\n\n"
    text += "\n".join("- " + t for t in tt) + "\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("Machine:\n\n```\n" + machine + "\n```\n\n" + text)
    print()
    print(machine)
    print()
    print(text)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "results")
    vals = defaultdict(list)      # (engine, metric) -> [values]
    checks = defaultdict(set)     # (engine, metric) -> {checks}
    meta = {}
    failures = defaultdict(list)
    with open(os.path.join(out, "raw.csv")) as f:
        for line in f:
            p = line.rstrip("\n").split(",")
            if p[0] == "R" and len(p) == 6:
                vals[(p[1], p[3])].append(float(p[4]))
                checks[(p[1], p[3])].add(p[5])
            elif p[0] == "M" and len(p) >= 4:
                meta[p[1]] = ",".join(p[3:])
            elif p[0] == "F":
                failures[p[1]].append(f"run {p[2]}: {','.join(p[3:])}")

    machine = ""
    mpath = os.path.join(out, "machine.txt")
    if os.path.exists(mpath):
        machine = open(mpath).read().strip()
    if any("@" in m for (_, m) in vals):
        scale_report(out, vals, checks, meta, failures, machine)
        return

    engines = [e for e in ENGINES if any(k[0] == e for k in vals) or e in failures]
    med = {k: statistics.median(v) for k, v in vals.items()}

    # summary.csv
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "label", "unit", "higher_is_better", "engine", "median", "min", "max", "runs",
                    "gap_to_floor"])
        for m, label, unit, hi in METRICS:
            for e in engines:
                v = vals.get((e, m))
                if not v:
                    continue
                g = gap(med[(e, m)], med.get(("floor", m)), hi)
                w.writerow([m, label, unit, int(hi), e, f"{med[(e, m)]:.6g}", f"{min(v):.6g}", f"{max(v):.6g}",
                            len(v), "" if g is None else f"{g:.3f}"])

    # the table
    head = ["workload", "unit"] + engines + ["srd gap to floor", "srd vs crate"]
    rows = []
    for m, label, unit, hi in METRICS:
        if not any((e, m) in med for e in engines):
            continue
        row = [label, unit] + [fmt(med.get((e, m)), unit) for e in engines]
        g = gap(med.get(("srd", m)), med.get(("floor", m)), hi)
        row.append("—" if g is None else f"{g:.2f}x")
        s, c = med.get(("srd", m)), med.get(("crate", m))
        if s and c:
            row.append(f"{(s / c if hi else c / s):.2f}x")
        else:
            row.append("—")
        rows.append(row)

    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    def line(r):
        return "| " + " | ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(r)) + " |"
    table = [line(head), "|" + "|".join("-" * (w + 2) if i < 2 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"]
    table += [line(r) for r in rows]

    notes = []
    notes.append("Medians of the runs. 'srd gap to floor': the floor's figure divided by srd's for rates "
                 "(srd's divided by the floor's for ms and bytes), so 1.00x is the machine's limit. "
                 "'srd vs crate': how many times better srd is than the crate (above 1 is better).")
    notes.append("floor: hash map + mmap'd file for reads, write(2) for writes, write(2)+fdatasync(2) for "
                 "durable puts (2 threads: two such loops at once), raw key+value bytes for disk, "
                 "8-byte hash + 8-byte offset for memory (computed).")
    bad = []
    for m in CHECKED:
        ref = checks.get(("floor", m)) or checks.get(("srd", m))
        for e in engines:
            c = checks.get((e, m))
            if c and ref and c != ref:
                bad.append(f"{e}/{m}")
    notes += run_notes(bad, engines, meta, failures)

    text_targets = targets(med)
    if text_targets and "mode: quick" in machine:
        text_targets.insert(0, "(a --quick run: the targets are for the full sizes, so these say little)")

    text = "\n".join(table) + "\n\n" + "\n".join("- " + n for n in notes) + "\n"
    if text_targets:
        text += "\nsrd against the issue's targets (information only; a benchmark never fails on speed):\n\n"
        text += "\n".join("- " + t for t in text_targets) + "\n"
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("Machine:\n\n```\n" + machine + "\n```\n\n" + text)
    print()
    print(machine)
    print()
    print(text)


if __name__ == "__main__":
    main()
