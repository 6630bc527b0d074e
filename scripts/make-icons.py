#!/usr/bin/env python3
"""Draws Stateline's app icons into icons/ as RGBA PNGs, using only the standard library.

The mark is a green rounded square with a white ring crossed by a horizontal bar (a "state line").
Each pixel is supersampled 4x4 so edges are smooth. Rerunning rewrites the same bytes.
"""

import math
import pathlib
import struct
import zlib

ICONS = pathlib.Path(__file__).resolve().parent.parent / "icons"
SIZES = {"32x32.png": 32, "64x64.png": 64, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}
GREEN = (22, 101, 52)
LEAF = (74, 222, 128)
WHITE = (255, 255, 255)


def coverage(x: float, y: float) -> tuple[tuple[int, int, int], float]:
    """Colour and opacity of one sample; x and y run from 0 to 1 across the icon."""
    r = 0.2
    dx = max(abs(x - 0.5) - (0.5 - r - 0.02), 0.0)
    dy = max(abs(y - 0.5) - (0.5 - r - 0.02), 0.0)
    if math.hypot(dx, dy) > r:
        return (0, 0, 0), 0.0
    d = math.hypot(x - 0.5, y - 0.5)
    if abs(y - 0.5) < 0.045 and 0.14 < x < 0.86:
        return WHITE, 1.0
    if 0.25 < d < 0.32:
        return WHITE, 1.0
    if d < 0.12:
        return LEAF, 1.0
    return GREEN, 1.0


def render(size: int) -> bytes:
    n = 4
    rows = []
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0.0, 0.0, 0.0]
            alpha = 0.0
            for sy in range(n):
                for sx in range(n):
                    colour, a = coverage((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size)
                    alpha += a
                    for i in range(3):
                        acc[i] += colour[i] * a
            if alpha:
                pixel = [round(c / alpha) for c in acc]
            else:
                pixel = [0, 0, 0]
            row += bytes(pixel + [round(255 * alpha / (n * n))])
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    for name, size in SIZES.items():
        (ICONS / name).write_bytes(render(size))
        print(f"icons/{name} ({size}x{size})")


if __name__ == "__main__":
    main()
