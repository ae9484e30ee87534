"""EXIF capture time and GPS position as plain values (no Telegram, no database)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

_DATETIME = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")

# EXIF tag numbers (Pillow's ExifTags.Base / GPS), kept here so the rules need no Pillow.
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
DATETIME = 0x0132
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


@dataclass(frozen=True)
class CaptureTime:
    """When a photo was taken: aware UTC time, and the offset the camera wrote, if any."""

    at: datetime
    offset: str | None


def parse_offset(text: Any) -> timezone | None:
    """'+08:00' → UTC+8; anything else → None."""
    if not isinstance(text, str):
        return None
    m = _OFFSET.match(text.replace("\x00", ""))
    if not m:
        return None
    sign, hours, minutes = m.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def parse_capture_time(raw: Any, offset: Any, default_zone: str) -> CaptureTime | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' (+ OffsetTimeOriginal) as UTC; local zone when no offset."""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    m = _DATETIME.match(raw)
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00" and other impossible dates
        return None
    tz = parse_offset(offset)
    local = naive.replace(tzinfo=tz if tz is not None else ZoneInfo(default_zone))
    return CaptureTime(at=local.astimezone(UTC), offset=offset.strip() if tz else None)


def _rational(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
        num, den = value
        return float(num) / float(den)
    return float(value)


def dms_to_degrees(dms: Any, ref: Any) -> float | None:
    """(degrees, minutes, seconds) + 'N'/'S'/'E'/'W' → signed decimal degrees."""
    try:
        if isinstance(dms, Sequence) and not isinstance(dms, str | bytes):
            parts = [_rational(v) for v in dms]
        else:
            parts = [_rational(dms)]
        parts = (parts + [0.0, 0.0])[:3]
        degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if degrees != degrees:  # NaN
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    ref = (ref or "").strip("\x00 ").upper()
    return -degrees if ref in ("S", "W") else degrees


def parse_gps(gps: Mapping[int, Any]) -> tuple[float, float] | None:
    """(lat, lon) from an EXIF GPS IFD, or None when absent, partial or out of range."""
    if GPS_LAT not in gps or GPS_LON not in gps:
        return None
    lat = dms_to_degrees(gps[GPS_LAT], gps.get(GPS_LAT_REF))
    lon = dms_to_degrees(gps[GPS_LON], gps.get(GPS_LON_REF))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # "no fix" written as zeros
        return None
    return lat, lon
