"""The intake done the plain way: decode every pixel, then shrink. A yardstick, not the bot's code.

`full_decode` gives the same facts as bot.evidence.imaging.inspect_image, or the same kind
of refusal, using Pillow directly: verify, reopen, decode the full image, transpose it,
thumbnail it, hash it. The tests check that the fast path accepts and refuses exactly what
this accepts and refuses; the bench (bench/photo_ingest.py) times the two side by side.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from bot.evidence import exif as ex
from bot.evidence.imaging import ImageFacts, ImagePolicy, ImageRefused, Refusal
from bot.evidence.phash import dhash

_OTHER_IMAGE_FORMATS = {"GIF", "BMP", "TIFF", "HEIF", "AVIF", "ICO"}


def _open(data: bytes, policy: ImagePolicy) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=list(policy.formats))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused(Refusal.BOMB, str(exc)) from exc
    except UnidentifiedImageError as exc:
        try:  # an image of another format is told apart from a non-image
            other = Image.open(io.BytesIO(data)).format
        except Exception:
            other = None
        reason = Refusal.FORMAT if other in _OTHER_IMAGE_FORMATS else Refusal.NOT_IMAGE
        raise ImageRefused(reason) from exc
    except Exception as exc:
        raise ImageRefused(Refusal.DAMAGED, repr(exc)) from exc
    if im.width * im.height > policy.max_pixels or min(im.size) <= 0:
        im.close()
        raise ImageRefused(Refusal.BOMB if min(im.size) > 0 else Refusal.DAMAGED)
    return im


def full_decode(data: bytes, policy: ImagePolicy, *, read_metadata: bool = True) -> ImageFacts:
    """inspect_image's answer, computed from the fully decoded image."""
    if not data:
        raise ImageRefused(Refusal.EMPTY)
    if len(data) > policy.max_bytes:
        raise ImageRefused(Refusal.TOO_BIG)
    with _open(data, policy) as im:
        try:
            im.verify()
        except Exception as exc:
            raise ImageRefused(Refusal.DAMAGED, repr(exc)) from exc
    with _open(data, policy) as im:
        fmt, (width, height) = im.format or "?", im.size
        try:
            im.load()  # every pixel, at full size
        except Exception as exc:
            raise ImageRefused(Refusal.DAMAGED, repr(exc)) from exc
        taken = gps = None
        if read_metadata:
            exif = im.getexif()
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            raw = sub.get(ex.DATETIME_ORIGINAL) or exif.get(ex.DATETIME)
            taken = ex.parse_capture_time(
                raw, sub.get(ex.OFFSET_TIME_ORIGINAL), policy.default_zone
            )
            gps = ex.parse_gps(exif.get_ifd(ExifTags.IFD.GPSInfo))
        # As lean as a full decode can be: turned in place, shrunk, then converted small.
        ImageOps.exif_transpose(im, in_place=True)
        im.thumbnail((policy.thumbnail_px, policy.thumbnail_px))
        upright = im.convert("RGB")
        buf = io.BytesIO()
        upright.save(buf, "JPEG", quality=80)
        return ImageFacts(
            sha256=hashlib.sha256(data).hexdigest(),
            format=fmt,
            width=width,
            height=height,
            thumbnail=buf.getvalue(),
            phash=dhash(upright),
            taken=taken,
            gps=gps,
        )
