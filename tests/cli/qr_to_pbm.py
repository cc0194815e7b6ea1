#!/usr/bin/python3
"""Turn QR codes printed by keyward (Unicode half blocks, light modules as blocks) back into PBM
images so a real decoder (zbarimg) can read them: the test checks what a phone camera would see.

usage: qr_to_pbm.py OUTPUT_PREFIX < terminal-output
Writes OUTPUT_PREFIX-1.pbm, -2.pbm, ... one per QR code found (a QR code is a run of lines made
only of the four half-block characters), and prints the number written."""
import sys

CELLS = {" ": (False, False), "\u2580": (True, False), "\u2584": (False, True), "\u2588": (True, True)}
SCALE = 4    # pixels per module
MARGIN = 8   # extra light modules around the code (keyward prints a quiet zone of 2)


def blocks(lines):
    run = []
    for line in lines:
        line = line.rstrip("\n")
        if line and all(c in CELLS for c in line) and any(c != " " for c in line):
            run.append(line)
        else:
            if run:
                yield run
            run = []
    if run:
        yield run


def to_pbm(run, path):
    width = max(len(l) for l in run)
    rows = []
    for line in run:
        line = line.ljust(width)
        top = [CELLS[c][0] for c in line]
        bottom = [CELLS[c][1] for c in line]
        rows += [top, bottom]
    # A printed block is a light module; PBM 1 = black.
    w = width + 2 * MARGIN
    h = len(rows) + 2 * MARGIN
    light = [[True] * w for _ in range(h)]
    for y, row in enumerate(rows):
        for x, lit in enumerate(row):
            light[y + MARGIN][x + MARGIN] = lit if x < width else True
    with open(path, "w") as f:
        f.write(f"P1\n{w * SCALE} {h * SCALE}\n")
        for row in light:
            line = " ".join("0" if lit else "1" for lit in row for _ in range(SCALE))
            for _ in range(SCALE):
                f.write(line + "\n")


def main():
    prefix = sys.argv[1]
    n = 0
    for run in blocks(sys.stdin):
        n += 1
        to_pbm(run, f"{prefix}-{n}.pbm")
    print(n)


if __name__ == "__main__":
    main()
