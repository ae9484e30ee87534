"""Synthetic scene photos for the demo, tests and benchmarks (no files shipped)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

_COLOURS = ((180, 40, 40), (40, 120, 180), (60, 150, 60), (200, 160, 40), (120, 60, 160))


def scene_photo(index: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A small JPEG that differs per index, standing in for a photo from the scene."""
    image = Image.new("RGB", size, _COLOURS[index % len(_COLOURS)])
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle((w // 6, h // 3, w - w // 6, h - h // 6), fill=(30, 30, 30))
    draw.ellipse((w // 4, h - h // 4, w // 4 + h // 6, h - h // 4 + h // 6), fill=(220, 220, 220))
    draw.text((10, 10), f"scene #{index}", fill=(255, 255, 255))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()
