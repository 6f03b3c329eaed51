#!/usr/bin/env python3
"""pane2pgm.py: turn a QR code captured from the TUI (tmux capture-pane -p)
back into an image that zbarimg can read.

The TUI draws dark modules as U+2588 (both halves), U+2580 (upper half) or
U+2584 (lower half), two modules to a character cell, where the locale is
UTF-8; otherwise as "##" for a dark module and two spaces for a light one.
Everything else on the screen is ignored: the code is the largest block of
rows holding those characters.  The image gets a white quiet zone of its
own and is scaled up, as a camera would see a screen.

usage: pane2pgm.py CAPTURE.txt OUT.pgm
"""
import sys

SCALE = 6
MARGIN = 8  # modules


def modules(lines):
    """Rows of 0/1 modules (1 dark) from the captured lines."""
    blocks = ("\u2588", "\u2580", "\u2584")
    rows = []
    if any(ch in line for line in lines for ch in blocks):
        for line in lines:
            if not any(ch in line for ch in blocks):
                if rows:
                    break
                continue
            top = [1 if ch in ("\u2588", "\u2580") else 0 for ch in line]
            bot = [1 if ch in ("\u2588", "\u2584") else 0 for ch in line]
            rows.append(top)
            rows.append(bot)
    else:
        for line in lines:
            if "##" not in line:
                if rows:
                    break
                continue
            # Two characters per module; find the parity of the pairs
            # from the first "##".
            start = line.index("##") % 2
            rows.append([1 if line[i:i + 2] == "##" else 0
                         for i in range(start, len(line) - 1, 2)])
    return rows


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    rows = modules(lines)
    if not rows:
        sys.exit("no QR code on the screen")
    # Crop to the dark modules' bounding box.
    dark_cols = [x for r in rows for x, v in enumerate(r) if v]
    dark_rows = [y for y, r in enumerate(rows) if any(r)]
    x0, x1 = min(dark_cols), max(dark_cols)
    y0, y1 = min(dark_rows), max(dark_rows)
    grid = [[(r[x] if x < len(r) else 0) for x in range(x0, x1 + 1)]
            for r in rows[y0:y1 + 1]]
    n = len(grid[0]) + 2 * MARGIN
    m = len(grid) + 2 * MARGIN
    out = bytearray()
    for y in range(m):
        line = bytearray()
        for x in range(n):
            gy, gx = y - MARGIN, x - MARGIN
            v = 0 <= gy < len(grid) and 0 <= gx < len(grid[0]) and grid[gy][gx]
            line += (b"\x00" if v else b"\xff") * SCALE
        out += bytes(line) * SCALE
    with open(sys.argv[2], "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (n * SCALE, m * SCALE))
        f.write(out)


if __name__ == "__main__":
    main()
