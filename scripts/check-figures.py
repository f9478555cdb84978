#!/usr/bin/env python3
"""Checks that PNG files are real, readable pictures and not blank: a valid PNG signature and
header, a size of at least 300 x 200, and (decoding the image data with zlib, 8-bit RGB or
RGBA without interlacing as XChart writes them) more than ten distinct colours.

    scripts/check-figures.py FILE.png ...
"""
import struct
import sys
import zlib


def colours(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if w < 300 or h < 200:
        raise ValueError(f"only {w} x {h} pixels")
    if depth != 8 or ctype not in (2, 6) or interlace:
        return None  # another layout: the header check is all
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    seen = set()
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            for x in range(0, w, 4):
                seen.add(bytes(line[x * bpp:x * bpp + 3]))
        prev = line
    return len(seen)


def main():
    bad = 0
    for path in sys.argv[1:]:
        try:
            n = colours(path)
        except (OSError, ValueError, zlib.error, TypeError, struct.error) as e:
            print(f"{path}: error: {e}", file=sys.stderr)
            bad += 1
            continue
        if n is not None and n <= 10:
            print(f"{path}: error: looks blank ({n} colours)", file=sys.stderr)
            bad += 1
        else:
            print(f"{path}: ok ({n} colours)" if n is not None else f"{path}: ok (header)")
    sys.exit(1 if bad or not sys.argv[1:] else 0)


if __name__ == "__main__":
    main()
