"""Synthetic scene photos for the demo, tests and benchmarks (no files shipped)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw


def scene_photo(index: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A small JPEG standing in for a scene photo; each index gives a different picture.

    Shapes are placed at random (seeded by the index) so the pictures differ in
    structure, not only in colour: the perceptual-hash reuse guard must not see two
    different "accidents" as the same photo.
    """
    rng = random.Random(index)
    w, h = size
    image = Image.new("RGB", size, tuple(rng.randrange(40, 220) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randrange(20, w // 2), y0 + rng.randrange(20, h // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
    draw.text((10, 10), f"scene #{index}", fill=(255, 255, 255))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()
