"""Evidence files on disk: originals content-addressed by SHA-256, JPEG thumbnails beside.

Paths are built from the digest only (hex, checked), never from anything a user sent.
Writes go to a temporary file first and are renamed into place, so a crash leaves no
half-written evidence; a file already there is the same content and is kept as it is.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
# A file being written; one a killed process left behind is deleted by the retention job.
PART_PREFIX = ".part-"


def original_path(media_dir: Path, sha256: str, fmt: str) -> Path:
    """Where the original of this digest lives."""
    if not _HEX64.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    ext = _EXTENSIONS.get(fmt, ".bin")
    return media_dir / "originals" / sha256[:2] / sha256[2:4] / f"{sha256}{ext}"


def thumbnail_path(media_dir: Path, sha256: str) -> Path:
    """Where the thumbnail of this digest lives."""
    if not _HEX64.match(sha256):
        raise ValueError("not a SHA-256 hex digest")
    return media_dir / "thumbs" / sha256[:2] / f"{sha256}.jpg"


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=PART_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store(media_dir: Path, *, sha256: str, fmt: str, original: bytes, thumbnail: bytes) -> Path:
    """Keep an original and its thumbnail (once per content); return the original's path."""
    path = original_path(media_dir, sha256, fmt)
    _write_once(path, original)
    _write_once(thumbnail_path(media_dir, sha256), thumbnail)
    return path
