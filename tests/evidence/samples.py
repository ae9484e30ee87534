"""Real image files made in code: EXIF/GPS JPEGs, rotated, PNG, WebP, broken ones, a bomb."""

from __future__ import annotations

import io
import random
import struct
import zlib
from datetime import datetime

from PIL import ExifTags, Image


def pattern(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A picture of random grey-level blocks: each seed gives a different perceptual hash."""
    rng = random.Random(seed)
    small = Image.new("RGB", (8, 6))
    small.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(48)])
    return small.resize(size, Image.Resampling.BICUBIC)


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def jpeg(
    seed: int = 0,
    *,
    size: tuple[int, int] = (640, 480),
    taken: datetime | str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
    orientation: int | None = None,
    quality: int = 85,
    image: Image.Image | None = None,
) -> bytes:
    """A JPEG, optionally with EXIF capture time (and offset), GPS and Orientation."""
    im = image if image is not None else pattern(seed, size)
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if taken is not None:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = (
            taken if isinstance(taken, str) else taken.strftime("%Y:%m:%d %H:%M:%S")
        )
        if offset is not None:
            sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps is not None:
        g = exif.get_ifd(ExifTags.IFD.GPSInfo)
        g[1] = "N" if gps[0] >= 0 else "S"
        g[2] = _dms(gps[0])
        g[3] = "E" if gps[1] >= 0 else "W"
        g[4] = _dms(gps[1])
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality, exif=exif)
    return buf.getvalue()


def png(seed: int = 1, size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    pattern(seed, size).save(buf, "PNG")
    return buf.getvalue()


def webp(seed: int = 2, size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    pattern(seed, size).save(buf, "WEBP", quality=80)
    return buf.getvalue()


def gif(seed: int = 3) -> bytes:
    buf = io.BytesIO()
    pattern(seed, (64, 48)).save(buf, "GIF")
    return buf.getvalue()


def truncated_jpeg(seed: int = 4) -> bytes:
    data = jpeg(seed, size=(800, 600))
    return data[: len(data) // 2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 60000, height: int = 60000) -> bytes:
    """A tiny PNG declaring width × height pixels (3.6 G here): decoding it would need ~10 GB."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def bomb_jpeg(width: int = 65000, height: int = 65000) -> bytes:
    """A small JPEG whose frame header declares 65000 × 65000 pixels."""
    data = bytearray(jpeg(5, size=(16, 16)))
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC2):
            data[i + 5 : i + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        i += 2 + length
    raise AssertionError("no SOF marker")


def pdf() -> bytes:
    """A small PDF (to be sent as IMG_0001.jpg)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
