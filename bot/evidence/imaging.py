"""Safe image intake with Pillow: verify, read EXIF, thumbnail, hash — or refuse.

Pure: bytes in, facts or a refusal out; no Telegram, no database, no files. The full
image is never decoded: a JPEG is opened once and decoded straight at the smallest DCT
scale that covers the thumbnail (1/8 for a phone photo), and the declared size is checked
against a pixel budget before anything is decoded.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
import warnings
from dataclasses import dataclass
from enum import StrEnum

from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from bot.evidence import exif as ex
from bot.evidence.phash import dhash

# A declared size over the budget is an error, never a warning.
warnings.simplefilter("error", Image.DecompressionBombWarning)

# Magic numbers of image formats we recognise but do not accept (for a clearer answer).
_OTHER_IMAGES = (
    (0, b"GIF8"),
    (0, b"BM"),
    (0, b"II*\x00"),
    (0, b"MM\x00*"),
    (4, b"ftypheic"),
    (4, b"ftypheix"),
    (4, b"ftypmif1"),
    (4, b"ftypavif"),
)


class Refusal(StrEnum):
    """Why a file is not kept as evidence."""

    EMPTY = "empty"
    TOO_BIG = "too_big"
    NOT_IMAGE = "not_image"
    FORMAT = "format"
    DAMAGED = "damaged"
    BOMB = "bomb"


class ImageRefused(Exception):
    """The bytes are not acceptable evidence; `reason` says why."""

    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ImagePolicy:
    """What the deployment accepts."""

    formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    thumbnail_px: int = 400
    default_zone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class ImageFacts:
    """What an accepted image is."""

    sha256: str
    format: str
    width: int
    height: int
    thumbnail: bytes  # JPEG, orientation applied
    phash: str
    taken: ex.CaptureTime | None
    gps: tuple[float, float] | None

    @property
    def has_metadata(self) -> bool:
        """Whether the file told when or where it was taken."""
        return self.taken is not None or self.gps is not None


def configure(max_pixels: int) -> None:
    """Set Pillow's own bomb limit (process-wide) to the deployment's budget."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def _looks_like_other_image(data: bytes) -> bool:
    return any(data[at : at + len(magic)] == magic for at, magic in _OTHER_IMAGES)


def _open(data: bytes, policy: ImagePolicy) -> Image.Image:
    try:
        im = Image.open(io.BytesIO(data), formats=list(policy.formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(Refusal.BOMB, str(exc)) from exc
    except UnidentifiedImageError as exc:
        reason = Refusal.FORMAT if _looks_like_other_image(data) else Refusal.NOT_IMAGE
        raise ImageRefused(reason) from exc
    except Exception as exc:  # a parser choking on a forged header
        raise ImageRefused(Refusal.DAMAGED, repr(exc)) from exc
    width, height = im.size
    if width <= 0 or height <= 0:
        im.close()
        raise ImageRefused(Refusal.DAMAGED, "no size")
    if width * height > policy.max_pixels:
        im.close()
        raise ImageRefused(Refusal.BOMB, f"{width}x{height}")
    return im


def _metadata(
    im: Image.Image, policy: ImagePolicy
) -> tuple[ex.CaptureTime | None, tuple[float, float] | None]:
    exif = im.getexif()
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    raw = sub.get(ex.DATETIME_ORIGINAL) or exif.get(ex.DATETIME)
    taken = ex.parse_capture_time(raw, sub.get(ex.OFFSET_TIME_ORIGINAL), policy.default_zone)
    gps = ex.parse_gps(exif.get_ifd(ExifTags.IFD.GPSInfo))
    return taken, gps


class _Digest(threading.Thread):
    """SHA-256 of the bytes as received, in a thread of its own."""

    def __init__(self, data: bytes) -> None:
        super().__init__(name="kuaipei-sha256", daemon=True)
        self.data = data
        self.hexdigest = ""

    def run(self) -> None:
        self.hexdigest = hashlib.sha256(self.data).hexdigest()


def thumbnail_size(width: int, height: int, box: int) -> tuple[int, int]:
    """The thumbnail's size: the image fitted into box × box, rounded up (never 0)."""
    if width >= height:
        return box, max(1, math.ceil(box * height / width))
    return max(1, math.ceil(box * width / height)), box


def _verify(im: Image.Image) -> None:
    try:
        im.verify()  # PNG: every chunk's CRC up to IEND; consumes the image
    except Exception as exc:
        raise ImageRefused(Refusal.DAMAGED, repr(exc)) from exc


def _thumbnail(im: Image.Image, policy: ImagePolicy, size: int) -> Image.Image:
    """Decode (a JPEG at the smallest DCT scale that still covers the thumbnail) and shrink.

    What the decode proves, and no more: a JPEG decoded at 1/2, 1/4 or 1/8 scale runs the
    same entropy decoder over the same bytes as a full decode (only the inverse DCT is
    smaller), so every scan is read to its end and the EOI marker must follow; data that
    stops before that is refused as a full decode refuses it ("image file is truncated").
    Damaged bytes inside a scan are a libjpeg warning, not an error, at any scale: a full
    decode accepts such a file too (with grey blocks). tests/evidence/test_intake_agreement.py
    holds the two to the same answers.
    """
    box = (policy.thumbnail_px, policy.thumbnail_px)
    try:
        if im.format == "JPEG" and isinstance(im, ImageFile.ImageFile):
            im.draft("RGB", thumbnail_size(*im.size, policy.thumbnail_px))
            # One read hands libjpeg the whole scan: its fast Huffman path needs a few KB
            # ahead, and Pillow's default 64 KB reads make it fall back at every seam.
            im.decodermaxblock = max(size, ImageFile.MAXBLOCK)
        im.thumbnail(box)  # decodes: truncation and broken data show here
        return ImageOps.exif_transpose(im).convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(Refusal.BOMB, str(exc)) from exc
    except Exception as exc:
        raise ImageRefused(Refusal.DAMAGED, repr(exc)) from exc


def inspect_image(data: bytes, policy: ImagePolicy, *, read_metadata: bool) -> ImageFacts:
    """Check the bytes and describe the image, or raise ImageRefused.

    `read_metadata` is False for Telegram's compressed photos, whose EXIF is stripped.
    The bytes are opened in place (no copy); the SHA-256 is of the bytes as received.
    """
    if not data:
        raise ImageRefused(Refusal.EMPTY)
    if len(data) > policy.max_bytes:
        raise ImageRefused(Refusal.TOO_BIG, f"{len(data)} bytes")
    im = _open(data, policy)
    # hashlib and libjpeg both release the GIL: the digest is taken beside the decode.
    hasher = _Digest(data)
    hasher.start()
    try:
        if im.format != "JPEG":  # Pillow's verify() checks nothing for a JPEG: the decode does
            _verify(im)
            im.close()
            im = _open(data, policy)
        fmt = im.format or "?"
        width, height = im.size
        taken, gps = _metadata(im, policy) if read_metadata else (None, None)
        thumb = _thumbnail(im, policy, len(data))
    finally:
        im.close()
        hasher.join()
    buf = io.BytesIO()
    thumb.save(buf, "JPEG", quality=80)
    return ImageFacts(
        sha256=hasher.hexdigest,
        format=fmt,
        width=width,
        height=height,
        thumbnail=buf.getvalue(),
        phash=dhash(thumb),
        taken=taken,
        gps=gps,
    )
