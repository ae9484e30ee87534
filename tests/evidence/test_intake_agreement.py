"""The fast intake (1/8-scale JPEG decode, no separate verify) against a full decode.

Both must accept and refuse the same files for the same reasons, and describe an accepted
file alike; the fast one must not hold the full image in memory.
"""

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from bot.evidence.imaging import ImagePolicy, ImageRefused, Refusal, inspect_image
from bot.evidence.phash import distance
from tests.evidence import samples
from tests.evidence.reference import full_decode

POLICY = ImagePolicy()
ROOT = Path(__file__).resolve().parents[2]


def _save(im: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def _scan_start(data: bytes) -> int:
    """Where the first scan's entropy-coded data begins (just past its SOS header)."""
    at = data.index(b"\xff\xda", data.index(b"\xff\xc0" if b"\xff\xc0" in data else b"\xff\xc2"))
    return at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")


BIG = samples.jpeg(40, size=(1600, 1200), taken="2026:11:29 13:45:10", gps=(27.56, 112.74))
PROGRESSIVE = _save(samples.pattern(41, (1200, 900)), progressive=True, quality=85)
SCAN = _scan_start(BIG)

GOOD = {
    "baseline with EXIF and GPS": BIG,
    "rotated": samples.jpeg(42, size=(1200, 600), orientation=6),
    "progressive": PROGRESSIVE,
    "grey": _save(samples.pattern(43, (900, 700)).convert("L")),
    "CMYK": _save(samples.pattern(44, (640, 480)).convert("CMYK")),
    "4:4:4": _save(samples.pattern(45, (1000, 750)), subsampling=0),
    "odd size": samples.jpeg(46, size=(1001, 333)),
    "smaller than the thumbnail": samples.jpeg(47, size=(120, 90)),
    "one pixel": samples.jpeg(48, size=(1, 1)),
    "data after EOI (a motion photo's video)": BIG + b"ftypmp42" + bytes(5000),
    "png": samples.png(49),
    "webp": samples.webp(50),
    "a PNG named .jpg (the name is never read)": samples.png(51),
}

BAD = {
    "zero bytes": (b"", Refusal.EMPTY),
    "a PDF named .jpg": (samples.pdf(), Refusal.NOT_IMAGE),
    "text named .jpg": ("事故现场照片\n".encode() * 40, Refusal.NOT_IMAGE),
    "NUL bytes": (bytes(4096), Refusal.NOT_IMAGE),
    "JPEG magic only": (b"\xff\xd8\xff", Refusal.NOT_IMAGE),
    "headers without a scan": (BIG[:SCAN], Refusal.DAMAGED),
    "cut right after the scan header": (BIG[: SCAN + 16], Refusal.DAMAGED),
    "cut at 10%": (BIG[: len(BIG) // 10], Refusal.DAMAGED),
    "cut at half": (BIG[: len(BIG) // 2], Refusal.DAMAGED),
    "cut at 95%": (BIG[: len(BIG) * 95 // 100], Refusal.DAMAGED),
    "cut 300 bytes before the end": (BIG[:-300], Refusal.DAMAGED),
    "every row but no EOI marker": (BIG[:-2], Refusal.DAMAGED),
    "progressive, cut between scans": (PROGRESSIVE[: len(PROGRESSIVE) // 3], Refusal.DAMAGED),
    "progressive, cut at 90%": (PROGRESSIVE[: len(PROGRESSIVE) * 9 // 10], Refusal.DAMAGED),
    "PNG cut short": (samples.png()[:-30], Refusal.DAMAGED),
    "GIF": (samples.gif(), Refusal.FORMAT),
    "PNG bomb": (samples.bomb_png(), Refusal.BOMB),
    "JPEG bomb": (samples.bomb_jpeg(), Refusal.BOMB),
    "48 MP PNG over the 40 MP budget": (samples.bomb_png(8000, 6000), Refusal.BOMB),
    "JPEG declaring 7000×7000 (49 MP)": (samples.bomb_jpeg(7000, 7000), Refusal.BOMB),
}


def _answer(fn, data: bytes):
    try:
        return fn(data, POLICY, read_metadata=True)
    except ImageRefused as refused:
        return refused.reason


@pytest.mark.parametrize("name", list(GOOD))
def test_fast_and_full_decode_accept_alike(name):
    data = GOOD[name]
    fast, full = _answer(inspect_image, data), _answer(full_decode, data)
    assert not isinstance(full, Refusal), f"the corpus is wrong: {full}"
    assert not isinstance(fast, Refusal), f"fast path refused a good file: {fast}"
    assert (fast.sha256, fast.format, fast.width, fast.height) == (
        full.sha256, full.format, full.width, full.height
    )  # fmt: skip
    assert (fast.taken, fast.gps) == (full.taken, full.gps)
    # The same picture: the thumbnail from DCT scaling hashes like the one from all pixels.
    assert distance(fast.phash, full.phash) <= 4
    with Image.open(io.BytesIO(fast.thumbnail)) as a, Image.open(io.BytesIO(full.thumbnail)) as b:
        assert a.format == "JPEG" and a.mode == "RGB"
        assert abs(a.width - b.width) <= 1 and abs(a.height - b.height) <= 1


@pytest.mark.parametrize("name", list(BAD))
def test_fast_and_full_decode_refuse_alike(name):
    data, reason = BAD[name]
    assert _answer(full_decode, data) is reason, "the corpus is wrong"
    assert _answer(inspect_image, data) is reason


def test_the_thumbnail_of_a_big_photo_comes_from_a_small_decode():
    # A 12-megapixel JPEG: the full decode needs 48 MB of pixels (RGBX), the 1/8-scale one
    # under 1 MB. Peak resident set (reset before each call) and Python allocations.
    script = textwrap.dedent(
        """
        import re, tracemalloc
        from pathlib import Path
        from bot.evidence.imaging import ImagePolicy, inspect_image
        from tests.evidence import samples
        from tests.evidence.reference import full_decode

        def kb(field):
            status = Path("/proc/self/status").read_text()
            return int(re.search(field + r":\\s+(\\d+) kB", status).group(1))

        def growth(fn, data):
            # Warm the decoders up on a small file: memory freed by a big warm-up would stay
            # in the heap and hide the measured call's peak.
            fn(samples.jpeg(2), ImagePolicy(), read_metadata=True)
            Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
            base = kb("VmRSS")
            tracemalloc.start()
            fn(data, ImagePolicy(), read_metadata=True)
            traced = tracemalloc.get_traced_memory()[1] // 1024
            tracemalloc.stop()
            return kb("VmHWM") - base, traced

        data = samples.jpeg(1, size=(4000, 3000), gps=(27.5, 112.7), orientation=6)
        print(*growth(inspect_image, data), *growth(full_decode, data))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    fast_rss, fast_traced, full_rss, _ = (int(x) for x in out.stdout.split())
    assert full_rss > 40 * 1024, f"the probe does not see pixel memory ({full_rss} kB)"
    assert fast_rss < 8 * 1024, f"fast intake grew the resident set by {fast_rss} kB"
    assert fast_traced < 8 * 1024, f"fast intake allocated {fast_traced} kB in Python"
