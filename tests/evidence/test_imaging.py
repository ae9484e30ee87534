import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from bot.evidence import media
from bot.evidence.imaging import ImagePolicy, ImageRefused, Refusal, inspect_image
from tests.evidence import samples

POLICY = ImagePolicy()


def test_jpeg_with_exif_time_and_gps():
    data = samples.jpeg(1, taken="2026:11:29 13:45:10", offset="+08:00", gps=(27.5652, 112.7441))
    facts = inspect_image(data, POLICY, read_metadata=True)
    assert facts.format == "JPEG" and (facts.width, facts.height) == (640, 480)
    assert facts.taken.at.isoformat() == "2026-11-29T05:45:10+00:00"
    assert facts.gps == pytest.approx((27.5652, 112.7441), abs=1e-5)
    assert facts.has_metadata and len(facts.phash) == 16


def test_metadata_is_not_read_from_compressed_photos():
    data = samples.jpeg(1, taken="2026:11:29 13:45:10", gps=(27.5, 112.7))
    facts = inspect_image(data, POLICY, read_metadata=False)
    assert facts.taken is None and facts.gps is None and not facts.has_metadata


@pytest.mark.parametrize(
    ("orientation", "portrait"), [(1, False), (3, False), (6, True), (8, True)]
)
def test_thumbnail_applies_orientation_and_is_small(orientation, portrait):
    facts = inspect_image(
        samples.jpeg(2, size=(1600, 800), orientation=orientation), POLICY, read_metadata=True
    )
    with Image.open(io.BytesIO(facts.thumbnail)) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 400
        assert (thumb.height > thumb.width) is portrait


@pytest.mark.parametrize(("make", "fmt"), [(samples.png, "PNG"), (samples.webp, "WEBP")])
def test_png_and_webp_are_accepted(make, fmt):
    assert inspect_image(make(), POLICY, read_metadata=True).format == fmt


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Refusal.EMPTY),
        (samples.pdf(), Refusal.NOT_IMAGE),
        (b"hello world" * 10, Refusal.NOT_IMAGE),
        (samples.gif(), Refusal.FORMAT),
        (samples.truncated_jpeg(), Refusal.DAMAGED),
        (samples.png()[:-30], Refusal.DAMAGED),
        (samples.bomb_png(), Refusal.BOMB),
        (samples.bomb_jpeg(), Refusal.BOMB),
        (samples.bomb_png(8000, 6000), Refusal.BOMB),  # 48 MP: over the 40 MP budget
    ],
)
def test_refusals(data, reason):
    with pytest.raises(ImageRefused) as err:
        inspect_image(data, POLICY, read_metadata=True)
    assert err.value.reason is reason


def test_format_allowlist_and_size_limit_come_from_the_policy():
    with pytest.raises(ImageRefused) as err:
        inspect_image(samples.png(), ImagePolicy(formats=("JPEG",)), read_metadata=True)
    assert err.value.reason is Refusal.FORMAT or err.value.reason is Refusal.NOT_IMAGE
    with pytest.raises(ImageRefused) as err:
        inspect_image(samples.jpeg(3), ImagePolicy(max_bytes=100), read_metadata=True)
    assert err.value.reason is Refusal.TOO_BIG


def test_the_bomb_is_refused_with_little_memory():
    # Decoding 60000×60000 RGB would take ~10 GB; refusing it must not grow the process.
    script = textwrap.dedent(
        """
        import re, resource, sys
        def peak_kb():
            # VmHWM belongs to this process image; ru_maxrss is carried over from the parent.
            try:
                status = open("/proc/self/status").read()
                return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
            except OSError:
                return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        from bot.evidence.imaging import ImagePolicy, ImageRefused, inspect_image
        from tests.evidence import samples
        policy = ImagePolicy()
        bomb = samples.bomb_png()
        inspect_image(samples.jpeg(1), policy, read_metadata=True)  # warm up the decoders
        before = peak_kb()
        for data in (bomb, samples.bomb_jpeg()):
            try:
                inspect_image(data, policy, read_metadata=True)
            except ImageRefused as exc:
                assert exc.reason == "bomb", exc
            else:
                sys.exit("bomb accepted")
        after = peak_kb()
        print(after - before, after)
        """
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    grown_kb, peak_kb = (int(x) for x in out.stdout.split())
    assert grown_kb < 20 * 1024, f"peak memory grew by {grown_kb} kB"
    assert peak_kb < 150 * 1024, f"peak memory {peak_kb} kB"


def test_media_paths_come_from_the_digest_only(tmp_path: Path):
    sha = "ab" * 32
    assert media.original_path(tmp_path, sha, "JPEG") == tmp_path / "originals/ab/ab" / f"{sha}.jpg"
    assert media.thumbnail_path(tmp_path, sha) == tmp_path / "thumbs/ab" / f"{sha}.jpg"
    for bad in ("../../etc/passwd", "AB" * 32, "ab" * 31):
        with pytest.raises(ValueError):
            media.original_path(tmp_path, bad, "JPEG")


def test_media_is_written_once(tmp_path: Path):
    sha = "cd" * 32
    path = media.store(tmp_path, sha256=sha, fmt="PNG", original=b"one", thumbnail=b"t")
    again = media.store(tmp_path, sha256=sha, fmt="PNG", original=b"two", thumbnail=b"t")
    assert path == again and path.read_bytes() == b"one" and path.suffix == ".png"
    assert not list(tmp_path.rglob(".part-*"))
