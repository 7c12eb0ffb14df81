"""Draw the Bofast app icons (a white house on the brand colour) as PNGs, without Pillow.

Run once after changing the design: `python scripts/make_icons.py`. Writes
webapp/static/icons/icon-{192,512}.png (purpose "any") and icon-maskable-{192,512}.png
(the house kept inside the maskable safe zone, the central 80 % circle).
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

BRAND = (0x1D, 0x4E, 0x5F)
WHITE = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parent.parent / "webapp" / "static" / "icons"
SAMPLES = 4  # supersampling per axis, for smooth edges


def house(x: float, y: float) -> tuple[int, int, int] | None:
    """Colour of the glyph at (x, y) in the unit square centred on the house, or None."""
    # Roof: triangle from (0.05, 0.45) to (0.95, 0.45) with apex (0.5, 0.05).
    if 0.05 <= y <= 0.47:
        half = (y - 0.05) / 0.40 * 0.45
        if abs(x - 0.5) <= half:
            return WHITE
    # Chimney.
    if 0.68 <= x <= 0.78 and 0.12 <= y <= 0.35:
        return WHITE
    # Walls with a door cut out in the brand colour.
    if 0.17 <= x <= 0.83 and 0.45 <= y <= 0.95:
        if 0.42 <= x <= 0.58 and 0.64 <= y <= 0.95:
            return BRAND
        return WHITE
    return None


def pixels(size: int, glyph: float) -> list[bytes]:
    """Rows of RGB bytes: the house scaled to `glyph` of the icon, centred."""
    offset = (1 - glyph) / 2
    rows = []
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0 for this scanline
        for px in range(size):
            acc = [0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    u = ((px + (sx + 0.5) / SAMPLES) / size - offset) / glyph
                    v = ((py + (sy + 0.5) / SAMPLES) / size - offset) / glyph
                    colour = house(u, v) or BRAND
                    for i in range(3):
                        acc[i] += colour[i]
            row.extend(round(c / SAMPLES**2) for c in acc)
        rows.append(bytes(row))
    return rows


def png(size: int, glyph: float) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    data = zlib.compress(b"".join(pixels(size, glyph)), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(
        b"IEND", b"")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(size, 0.72))
        (OUT / f"icon-maskable-{size}.png").write_bytes(png(size, 0.52))


if __name__ == "__main__":
    main()
