"""Photo intake of a 12-megapixel JPEG: Kuaipei's path against a full decode, side by side.

    python bench/photo_ingest.py [--runs 30]

Kuaipei's path (bot.evidence.imaging.inspect_image): one open, EXIF and GPS, the decode
straight at 1/8 DCT scale, thumbnail, SHA-256 of the bytes, perceptual hash. The full
decode (tests/evidence/reference.py): verify, reopen, decode all 12 million pixels,
turn them in place, thumbnail, the same hashes; both give the same answer for the same
file. The 1/8-scale decode alone (no EXIF, thumbnail or hashes) is the floor of any
path that reads every scan, which is what refuses a truncated file. The naive full decode is the yardstick the intake was first measured against (full
decode, a turned copy, thumbnail, perceptual hash; no SHA-256, no thumbnail encoding).

Times are taken in one process, the two paths alternating round by round so that a
busy machine slows both alike; the ratio is the median of the rounds' own ratios. Memory
is measured once per path in a fresh process: the peak of Python allocations
(tracemalloc) and the growth of the peak resident set (VmHWM, reset before the call),
which also sees what Pillow and libjpeg allocate outside Python.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHOTO = Path(tempfile.gettempdir()) / "kuaipei-bench-12mp-v2.jpg"
sys.path.insert(0, str(ROOT))

LABELS = {
    "fast": "Kuaipei (1/8-scale decode)",
    "naive": "naive full decode",
    "full": "lean full decode",
    "floor": "1/8-scale decode alone",
}


def make_photo() -> bytes:
    """A 4000×3000 JPEG with EXIF time, GPS and Orientation, and a phone photo's detail."""
    from PIL import Image

    from tests.evidence.samples import jpeg, pattern

    size = (4000, 3000)
    grain = Image.merge("RGB", [Image.effect_noise(size, 50) for _ in range(3)])
    return jpeg(
        image=Image.blend(pattern(1, size), grain, 0.25),
        taken="2026:11:29 13:45:10",
        offset="+08:00",
        gps=(27.5652, 112.7441),
        orientation=6,
        quality=90,
    )


def photo() -> bytes:
    if not PHOTO.exists():
        PHOTO.write_bytes(make_photo())
    return PHOTO.read_bytes()


def paths() -> dict[str, Callable[[bytes], Any]]:
    from PIL import Image, ImageOps

    from bot.evidence.imaging import ImagePolicy, inspect_image
    from bot.evidence.phash import dhash
    from tests.evidence.reference import full_decode

    policy = ImagePolicy()

    def naive(data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            exif = im.getexif()
            full = ImageOps.exif_transpose(im)
            full.thumbnail((400, 400))
            dhash(full)
            assert exif

    def floor(data: bytes) -> None:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (400, 300))
            im.decodermaxblock = len(data)
            im.load()

    return {
        "fast": lambda data: inspect_image(data, policy, read_metadata=True),
        "naive": naive,
        "full": lambda data: full_decode(data, policy, read_metadata=True),
        "floor": floor,
    }


def timings(data: bytes, runs: int) -> dict[str, Any]:
    """Median ms of each path and its median per-round ratio to the fast one, rotating order."""
    fns = paths()
    a, b = fns["fast"](data), fns["full"](data)  # warm up; and the answers must agree
    assert (a.sha256, a.width, a.height, a.taken, a.gps) == (
        b.sha256, b.width, b.height, b.taken, b.gps
    ), "the two paths disagree"  # fmt: skip
    ms: dict[str, list[float]] = {mode: [] for mode in LABELS}
    cpu: dict[str, list[float]] = {mode: [] for mode in LABELS}
    order = list(LABELS)
    for i in range(runs):
        for mode in order[i % 3 :] + order[: i % 3]:
            wall, proc = time.perf_counter(), time.process_time()
            fns[mode](data)
            cpu[mode].append((time.process_time() - proc) * 1000)
            ms[mode].append((time.perf_counter() - wall) * 1000)
    return {
        "median_ms": {m: statistics.median(v) for m, v in ms.items()},
        "cpu_ms": {m: statistics.median(v) for m, v in cpu.items()},
        "ratio": {
            mode: statistics.median(s / f for s, f in zip(ms[mode], ms["fast"], strict=True))
            for mode in LABELS
        },
    }


def _status_kb(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"{field}:\s+(\d+) kB", status)
    assert match, field
    return int(match.group(1))


def memory(mode: str) -> dict[str, float]:
    """One call of one path in this (fresh) process: traced peak and resident-set growth."""
    fn = paths()[mode]
    data = photo()
    # Warm up on a small photo: memory a big warm-up frees stays in the heap (glibc raises
    # its mmap threshold), and the measured call would reuse it unseen.
    from tests.evidence.samples import jpeg

    fn(jpeg(2, taken="2026:11:29 13:45:10", gps=(27.5, 112.7)))
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    base = _status_kb("VmRSS")
    tracemalloc.start()
    fn(data)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"traced_mb": traced / 2**20, "rss_growth_mb": (_status_kb("VmHWM") - base) / 1024}


def measure(runs: int = 30) -> dict[str, Any]:
    """All the figures, for this script's table or another bench's."""
    data = photo()
    out = timings(data, runs)
    out["bytes"] = len(data)
    out["memory"] = {}
    for mode in LABELS:
        proc = subprocess.run(
            [sys.executable, __file__, "--memory", mode],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        out["memory"][mode] = json.loads(proc.stdout)
    return out


def table(r: dict[str, Any], runs: int) -> str:
    lines = [
        f"12-megapixel JPEG (4000×3000, {r['bytes'] / 1e6:.1f} MB, EXIF + GPS), "
        f"median of {runs} rounds, paths interleaved",
        f"{'path':<28}{'ms/photo':>10}{'CPU ms':>9}{'× Kuaipei':>11}{'traced MB':>11}"
        f"{'RSS growth MB':>15}",
    ]
    for mode, label in LABELS.items():
        mem = r["memory"][mode]
        lines.append(
            f"{label:<28}{r['median_ms'][mode]:>10.1f}{r['cpu_ms'][mode]:>9.1f}"
            f"{r['ratio'][mode]:>10.2f}×{mem['traced_mb']:>11.1f}{mem['rss_growth_mb']:>15.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--memory", choices=list(LABELS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(memory(args.memory)))
        return
    print(table(measure(args.runs), args.runs))


if __name__ == "__main__":
    main()
