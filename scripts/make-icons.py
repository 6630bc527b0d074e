#!/usr/bin/env python3
"""Draws Stateline's app icons into icons/ as RGBA PNGs, using only the standard library, and packs
them for Windows (icon.ico: PNG entries of 16 to 256 px) and macOS (icon.icns: PNG entries of 128 to
512 px), so the Windows and macOS bundles have their icons though they are not built here.

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


ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
# Apple's PNG-holding icon types by size.
ICNS_TYPES = {128: b"ic07", 256: b"ic08", 512: b"ic09"}


def ico(images: dict[int, bytes]) -> bytes:
    """A Windows icon whose entries are PNGs (Windows Vista and later read them)."""
    sizes = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, data = b"", b""
    for size in sizes:
        image = images[size]
        side = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(image), offset + len(data))
        data += image
    return header + entries + data


def icns(images: dict[int, bytes]) -> bytes:
    """A macOS icon family of PNG entries."""
    body = b"".join(kind + struct.pack(">I", 8 + len(images[size])) + images[size] for size, kind in ICNS_TYPES.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    rendered: dict[int, bytes] = {}
    for size in sorted(set(SIZES.values()) | set(ICO_SIZES) | set(ICNS_TYPES)):
        rendered[size] = render(size)
    for name, size in SIZES.items():
        (ICONS / name).write_bytes(rendered[size])
        print(f"icons/{name} ({size}x{size})")
    (ICONS / "icon.ico").write_bytes(ico({size: rendered[size] for size in ICO_SIZES}))
    print(f"icons/icon.ico ({', '.join(str(s) for s in ICO_SIZES)} px)")
    (ICONS / "icon.icns").write_bytes(icns({size: rendered[size] for size in ICNS_TYPES}))
    print(f"icons/icon.icns ({', '.join(str(s) for s in ICNS_TYPES)} px)")


if __name__ == "__main__":
    main()
