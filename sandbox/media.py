"""Photos and documents: PhotoSize lists (Pillow thumbnails) and Document objects."""

from __future__ import annotations

import io
import mimetypes
from pathlib import Path

from PIL import Image

from sandbox.world import StoredFile, World

THUMB_BOXES = (90, 320, 800)


def read_source(source: str | Path | bytes) -> bytes:
    """Bytes from a path or the bytes themselves."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    return Path(source).read_bytes()


def _size_json(stored: StoredFile) -> dict:
    data = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": stored.width or 0,
        "height": stored.height or 0,
        "file_size": stored.size,
    }
    return data


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) when the bytes decode as an image, else None."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception:
        return None


def make_photo(world: World, data: bytes) -> list[dict] | None:
    """Store a photo and return its PhotoSize list, smallest first; None if not an image.

    Thumbnails are re-encoded JPEGs fitting 90/320/800 px boxes (only those smaller than the
    original); the largest size is the original bytes.
    """
    size = image_size(data)
    if size is None:
        return None
    sizes = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            rgb = im.convert("RGB")
    except (OSError, SyntaxError, ValueError):
        # A header that parses but pixels that do not (a truncated JPEG): keep the bytes
        # as the only size, as for anything else a client could not thumbnail.
        return None
    for box in THUMB_BOXES:
        if max(size) <= box:
            break
        thumb = rgb.copy()
        thumb.thumbnail((box, box))
        buf = io.BytesIO()
        thumb.save(buf, "JPEG", quality=80)
        stored = world.store_file(buf.getvalue(), "photos", ".jpg", *thumb.size)
        sizes.append(_size_json(stored))
    ext = ".jpg"
    stored = world.store_file(data, "photos", ext, *size)
    sizes.append(_size_json(stored))
    return sizes


def make_opaque_photo(world: World, data: bytes) -> list[dict]:
    """A one-size PhotoSize list for bytes that do not decode (user uploads only)."""
    stored = world.store_file(data, "photos", ".jpg", 0, 0)
    return [_size_json(stored)]


def make_document(world: World, data: bytes, file_name: str | None, mime_type: str | None) -> dict:
    """Store a document and return the Document object."""
    if mime_type is None and file_name:
        mime_type = mimetypes.guess_type(file_name)[0]
    ext = Path(file_name).suffix if file_name else ""
    stored = world.store_file(data, "documents", ext)
    doc = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if file_name:
        doc["file_name"] = file_name
    if mime_type:
        doc["mime_type"] = mime_type
    return doc
