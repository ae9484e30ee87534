"""A 64-bit difference hash (dHash) on Pillow, and the distance between two hashes.

dHash shrinks the picture to 9×8 grey pixels and records whether each pixel is brighter
than its right neighbour: re-encoding, resizing and small edits keep most of the bits.
It is the algorithm of `imagehash.dhash` (same bit order), without numpy and scipy.
"""

from __future__ import annotations

from PIL import Image

BITS = 64


def dhash(image: Image.Image) -> str:
    """The 64-bit difference hash of an image, as 16 hex digits."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    px = small.tobytes()  # one byte per grey pixel, row by row, 9 to a row
    value = 0
    for y in range(8):
        for x in range(8):
            i = 9 * y + x
            value = (value << 1) | (1 if px[i + 1] > px[i] else 0)
    return f"{value:016x}"


def distance(a: str, b: str) -> int:
    """Hamming distance between two hex hashes of the same length."""
    if len(a) != len(b):
        raise ValueError("hashes of different lengths")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def informative(h: str) -> bool:
    """Whether a hash has enough structure to compare (flat images hash to near 0 or all 1)."""
    ones = int(h, 16).bit_count()
    return 8 <= ones <= BITS - 8
