"""Milliseconds per 12-megapixel JPEG: Kuaipei's intake vs a naive full decode.

    python bench/photo_ingest.py [--runs 20]

Kuaipei's path (bot.evidence.imaging.inspect_image): verify + EXIF + draft-mode thumbnail
+ perceptual hash. The naive path: decode the full image, transpose, thumbnail, hash.
Each path runs in a fresh subprocess so each peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHOTO = Path(tempfile.gettempdir()) / "kuaipei-bench-12mp.jpg"
sys.path.insert(0, str(ROOT))


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


def run(mode: str, runs: int) -> dict:
    from PIL import Image, ImageOps

    from bot.evidence.imaging import ImagePolicy, inspect_image
    from bot.evidence.phash import dhash

    data = PHOTO.read_bytes()
    policy = ImagePolicy()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def naive() -> None:
        with Image.open(io.BytesIO(data)) as im:
            im.load()  # the full 12 MP decode
            exif = im.getexif()
            full = ImageOps.exif_transpose(im)
            full.thumbnail((400, 400))
            dhash(full)
            assert exif

    def kuaipei() -> None:
        inspect_image(data, policy, read_metadata=True)

    fn = kuaipei if mode == "kuaipei" else naive
    fn()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "mode": mode,
        "bytes": len(data),
        "median_ms": statistics.median(times),
        "peak_mb": peak / 1024,
        "growth_mb": (peak - base) / 1024,
    }


def measure(runs: int) -> dict[str, dict]:
    """Both paths, each in a fresh process of its own: {mode: run()'s figures}."""
    # Made in a process of its own: Linux carries ru_maxrss across fork+exec.
    subprocess.run([sys.executable, __file__, "--make"], check=True, cwd=ROOT)
    results = {}
    for mode in ("kuaipei", "naive"):
        out = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--runs", str(runs)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        results[mode] = json.loads(out.stdout)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--mode", choices=["kuaipei", "naive"])
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make:
        PHOTO.write_bytes(make_photo())
        return
    if args.mode:
        print(json.dumps(run(args.mode, args.runs)))
        return
    results = measure(args.runs)
    print(f"12-megapixel JPEG (4000×3000, EXIF + GPS), median of {args.runs} runs")
    print(f"{'path':<34}{'ms/photo':>10}{'peak RSS MB':>13}{'growth MB':>11}")
    labels = {
        "kuaipei": "verify+EXIF+draft thumbnail+hash",
        "naive": "naive full decode+thumbnail+hash",
    }
    for mode, r in results.items():
        print(
            f"{labels[mode]:<34}{r['median_ms']:>10.1f}{r['peak_mb']:>13.1f}{r['growth_mb']:>11.1f}"
        )
    print(f"(photo size {r['bytes'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
