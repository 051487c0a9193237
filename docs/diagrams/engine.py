#!/usr/bin/env python3
"""Draws docs/diagrams/engine.svg: the engine on one picture, for the README's
"How the engine works (one page)".

    python3 docs/diagrams/engine.py           # writes engine.svg beside this file
    python3 docs/diagrams/engine.py --check   # exits 1 if engine.svg is not what this draws

Three panels, faithful to the README and docs/FORMAT.md:

1. the store file: entries appended one after the other, each a zero padding up
   to a 64-byte boundary, the value, then 20 bytes of metadata (key hash u64,
   prev tail u64, CRC-32 u32); the prev-tail chain that an open walks back
   from the tail;
2. the index in memory: the open-addressing table of 8-byte slots (bit layout
   of one slot) and one control byte per slot, live slots pointing at the
   metadata of their key's newest entry;
3. the views: readers load the current view (table, map, published length)
   from an RCU cell; the writer appends under a mutex, stores the slots, then
   publishes the length; a read returns a pointer into the mapped file.

Standard library only: the SVG is written by hand, so the output is the same
on every machine and scripts/test.sh can check it without installing anything.
Every boxed text is checked against its box with a conservative width estimate
(0.62 em a character), so a longer label fails here instead of overflowing.
"""
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "engine.svg")

W, H = 960, 768
FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
EM = 0.62  # a conservative average character width, in em, for the fit check

# Colours
INK = "#1a1a1a"
GREY = "#555555"
PANEL = "#f6f7f9"
VALUE = "#d6e6f5"
META = "#f7cf9f"
SLOT = "#cfe8cf"
ARROW = "#b23a3a"

# One slot of the table, most significant bits first (src/index/mod.rs; since
# 9b29358 the checksum-verified flag is a bitmap of the mapping, bit 63 is 0).
SLOT_FIELDS = [
    ("bit 63: reserved", 134),
    ("62: tombstone", 120),
    ("61-44: tag, 18 bits", 170),
    ("43-0: metadata offset, 44 bits", 254),
]
# The 20 bytes of metadata after each value (docs/FORMAT.md), bytes each.
META_FIELDS = [("key hash", "u64, XXH3-64", 8), ("prev tail", "u64", 8), ("CRC-32", "u32", 4)]


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def rect(self, x, y, w, h, fill="none", stroke=INK, sw=1, rx=0, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        r = f' rx="{rx}"' if rx else ""
        self.add(f'<rect x="{x}" y="{y}" width="{w}" height="{h}"{r} fill="{fill}" '
                 f'stroke="{stroke}" stroke-width="{sw}"{d}/>')

    def text(self, x, y, s, size=13, anchor="start", weight="normal", fill=INK, style=None):
        st = f' font-style="{style}"' if style else ""
        wt = f' font-weight="{weight}"' if weight != "normal" else ""
        self.add(f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}"{wt}{st} '
                 f'fill="{fill}">{escape(s)}</text>')

    def line(self, x1, y1, x2, y2, stroke=INK, sw=1, arrow=False, dash=None):
        m = ' marker-end="url(#arrow)"' if arrow else ""
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{stroke}" '
                 f'stroke-width="{sw}"{d}{m}/>')

    def path(self, d, stroke=INK, sw=1, arrow=False, fill="none"):
        m = ' marker-end="url(#arrow)"' if arrow else ""
        self.add(f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"{m}/>')

    def box(self, x, y, w, h, lines, fill, sizes=None, stroke=INK, weights=None):
        """A rectangle with centred lines of text; fails if a line cannot fit."""
        self.rect(x, y, w, h, fill=fill, stroke=stroke)
        sizes = sizes or [13] * len(lines)
        weights = weights or ["normal"] * len(lines)
        fit(lines, sizes, w - 6, f"box at {x},{y}")
        gap = 3
        total = sum(sizes) + gap * (len(lines) - 1)
        assert total <= h - 4, f"box at {x},{y}: {lines} taller than {h}"
        base = y + (h - total) / 2
        for s, size, wt in zip(lines, sizes, weights):
            base += size
            self.text(x + w / 2, round(base - size * 0.18, 1), s, size=size, anchor="middle",
                      weight=wt)
            base += gap

    def render(self):
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
                f'viewBox="0 0 {W} {H}" font-family="{FONT}" role="img" '
                f'aria-labelledby="title desc">\n')
        return head + "\n".join(self.parts) + "\n</svg>\n"


def fit(lines, sizes, width, where):
    for s, size in zip(lines, sizes):
        est = len(s) * size * EM
        if est > width:
            raise SystemExit(f"engine.py: {where}: {s!r} needs about {est:.0f} px, has {width}")


def draw():
    g = Svg()
    g.add('<title id="title">simd-r-drive: the store file, the in-memory index and the views</title>')
    g.add('<desc id="desc">Entries appended to one file, each a value on a 64-byte boundary '
          'followed by 20 bytes of metadata chained back by prev-tail offsets; an '
          'open-addressing table of 8-byte slots and control bytes pointing at the metadata; '
          'readers loading the current view through an RCU cell while one writer appends, '
          'stores slots and publishes the length.</desc>')
    g.add('<defs>'
          '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
          f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ARROW}"/>'
          '</marker>'
          '<pattern id="pad" patternUnits="userSpaceOnUse" width="6" height="6" '
          'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
          '<line x1="0" y1="0" x2="0" y2="6" stroke="#c8c8c8" stroke-width="3"/></pattern>'
          '</defs>')
    g.rect(0, 0, W, H, fill="#ffffff", stroke="none")
    g.text(W / 2, 30, "simd-r-drive: one file, one index, views", size=18, anchor="middle",
           weight="bold")

    # ---- 1. the file ------------------------------------------------------
    g.rect(10, 46, 940, 262, fill=PANEL, stroke="#d0d4da", rx=8)
    g.text(24, 70, "1. The store file: entries appended, never rewritten in place", size=15,
           weight="bold")
    g.text(24, 90, "Open walks the prev-tail chain back from the tail (the end of the "
           "file) to offset 0.", size=13, fill=GREY)
    sy, sh = 150, 40  # the strip of entries
    # x ranges: value, meta, padding; the last value is the tail entry
    v1, m1, p1 = (40, 196), (196, 246), (246, 282)
    v2, m2, p2 = (282, 431), (431, 481), (481, 521)
    v3, m3 = (521, 687), (687, 737)
    tail = m3[1]
    for (a, b), l1, l2 in ((v1, "value (key a, old)", "at offset 0"),
                           (v2, "value (key b)", "at a multiple of 64"),
                           (v3, "value (key a)", "at a multiple of 64")):
        g.box(a, sy, b - a, sh, [l1, l2], VALUE, sizes=[13, 12])
    for a, b in (m1, m2, m3):
        g.box(a, sy, b - a, sh, ["meta"], META)
    for a, b in (p1, p2):
        g.rect(a, sy, b - a, sh, fill="url(#pad)")
        g.box(a + 3, sy + 12, b - a - 6, 16, ["pad"], "#ffffff", sizes=[12], stroke="none")
    g.rect(tail, sy, 920 - tail, sh, fill="#ffffff", stroke="#999999", dash="5 4")
    for dy, s in ((17, "mapped ahead:"), (32, "next appends go here")):
        fit([s], [12], 920 - tail - 6, "the space after the tail")
        g.text((tail + 920) / 2, sy + dy, s, size=12, anchor="middle", fill=GREY, style="italic")
    # the prev-tail chain: each metadata block points at the end of the entry before it
    for (ma, mb), target in ((m3, m2[1]), (m2, m1[1]), (m1, v1[0])):
        x1 = (ma + mb) / 2
        cx = (x1 + target) / 2
        g.path(f"M{x1},{sy} Q{cx},{sy - 80} {target},{sy - 2}", stroke=ARROW, sw=1.6, arrow=True)
        g.text(cx, sy - 45, "prev tail", size=12, anchor="middle", fill=ARROW)
    # tail marker
    g.line(tail, sy - 6, tail, sy + sh + 22, stroke=INK, sw=2)
    g.text(tail + 6, sy + sh + 19, "tail = published length", size=13)
    g.text(40, sy + sh + 16, "0", size=12, anchor="middle", fill=GREY)
    # one metadata block, enlarged
    zx, zy, zh, per_byte = 40, 236, 40, 19
    g.line(m1[0], sy + sh, zx, zy, stroke="#888888", dash="3 3")
    g.line(m1[1], sy + sh, zx + 20 * per_byte, zy, stroke="#888888", dash="3 3")
    x = zx
    for name, kind, nbytes in META_FIELDS:
        g.box(x, zy, nbytes * per_byte, zh, [name, kind], META, sizes=[13, 12])
        x += nbytes * per_byte
    g.text(zx, zy + zh + 20, "metadata: 20 bytes, little-endian", size=13)

    # ---- 2. the index -----------------------------------------------------
    g.rect(10, 320, 940, 232, fill=PANEL, stroke="#d0d4da", rx=8)
    g.text(24, 344, "2. The index, in memory", size=15, weight="bold")
    rx0, ry, rh, cw, n = 40, 372, 36, 64, 12
    cy, ch = ry + rh + 4, 22
    live = {6: m2, 10: m3}  # slot -> the metadata block it points at
    for i in range(n):
        x = rx0 + i * cw
        if i in live:
            g.box(x, ry, cw, rh, ["tag |", "offset"], SLOT, sizes=[12, 12])
            g.box(x, cy, cw, ch, ["0x80|h"], SLOT, sizes=[12])
        else:
            g.box(x, ry, cw, rh, ["0"], "#ffffff", sizes=[12])
            g.box(x, cy, cw, ch, ["0"], "#ffffff", sizes=[12])
    for i, (ma, mb) in live.items():
        x = rx0 + i * cw + cw / 2
        g.line(x, ry, (ma + mb) / 2, sy + sh + 2, stroke=ARROW, sw=1.6, arrow=True)
    lx = rx0 + n * cw + 10
    g.text(lx, ry + 23, "slots, 8 B", size=13)
    g.text(lx, cy + 16, "control, 1 B", size=13)
    # one slot, enlarged
    by, bh = 470, 30
    g.text(40, by + 20, "one slot:", size=13, weight="bold")
    x = 120
    for name, w in SLOT_FIELDS:
        g.box(x, by, w, bh, [name], SLOT, sizes=[12.5])
        x += w
    g.text(40, by + bh + 22, "Open addressing, linear probing, at most 3/4 full. Control "
           "byte: 0 = empty, else 0x80 | 7 bits", size=13, fill=GREY)
    g.text(40, by + bh + 40, "of the mixed hash: a probe skips other keys, and a miss ends, "
           "reading 1 byte a slot.", size=13, fill=GREY)

    # ---- 3. the views -----------------------------------------------------
    y0 = 562
    g.rect(10, y0, 940, 196, fill=PANEL, stroke="#d0d4da", rx=8)
    g.text(24, y0 + 24, "3. Views: readers take no lock, one writer at a time", size=15,
           weight="bold")
    g.box(40, y0 + 38, 560, 68,
          ["readers (any number of threads)",
           "enter: two plain stores to the thread's own counter; load the view;",
           "probe the table with atomic loads; return a pointer into the map"],
          "#ffffff", sizes=[13, 13, 13], weights=["bold", "normal", "normal"])
    g.box(40, y0 + 116, 560, 68,
          ["writer (under a mutex)",
           "1. append the entry (pwrite); 2. store its slots (Release);",
           "3. publish the new length, after the slots"],
          "#ffffff", sizes=[13, 13, 13], weights=["bold", "normal", "normal"])
    vx, vw = 660, 260
    g.rect(vx, y0 + 38, vw, 146, fill="#ffffff")
    g.text(vx + vw / 2, y0 + 58, "current view, in an RCU cell", size=13, anchor="middle",
           weight="bold")
    g.box(vx + 14, y0 + 68, vw - 28, 32, ["table: the index (2)"], SLOT)
    g.box(vx + 14, y0 + 106, vw - 28, 32, ["map: the file (1), read-only"], VALUE)
    g.box(vx + 14, y0 + 144, vw - 28, 32, ["published length"], "#ffffff")
    g.line(600, y0 + 72, vx + 12, y0 + 72, stroke=ARROW, sw=1.6, arrow=True)
    g.text(630, y0 + 66, "load", size=12, anchor="middle", fill=ARROW)
    g.line(600, y0 + 150, vx + 12, y0 + 150, stroke=ARROW, sw=1.6, arrow=True)
    g.text(630, y0 + 144, "store", size=12, anchor="middle", fill=ARROW)
    # the view's table and map point at panels 2 and 1, up the right margin
    g.path(f"M{vx + vw - 14},{y0 + 84} H930 V{cy + ch / 2} H912", stroke=ARROW, sw=1.4,
           arrow=True)
    g.path(f"M{vx + vw - 14},{y0 + 122} H944 V{sy + sh / 2} H922", stroke=ARROW, sw=1.4,
           arrow=True)
    return g.render()


def main():
    svg = draw()
    if sys.argv[1:] == ["--check"]:
        try:
            with open(OUT, encoding="utf-8") as f:
                have = f.read()
        except FileNotFoundError:
            have = None
        if have != svg:
            print(f"{os.path.relpath(OUT)} is not what docs/diagrams/engine.py draws: "
                  "run python3 docs/diagrams/engine.py and commit the result", file=sys.stderr)
            return 1
        print("docs/diagrams/engine.svg is up to date")
        return 0
    if sys.argv[1:]:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(svg)
    print(f"wrote {os.path.relpath(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
