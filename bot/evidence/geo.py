"""Where the scene is: nearest service point or township, and Baidu's coordinates (pure).

Distances are geodesic on WGS-84 (geopy/geographiclib). Telegram, phones and EXIF give
WGS-84; Baidu's web services speak BD-09, reached through GCJ-02 with the published
transformation (accurate to a few metres, inside China only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from geopy.distance import geodesic


@dataclass(frozen=True)
class Place:
    """A named point of the deployment: a service point or a township centre."""

    code: str
    name: str
    kind: str  # "service_point" or "township"
    lat: float
    lon: float


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in kilometres between two (lat, lon) points."""
    return float(geodesic(a, b).km)


def nearest(point: tuple[float, float], places: Sequence[Place]) -> tuple[Place, float] | None:
    """The closest place and its distance in km (None when there are no places)."""
    best: tuple[Place, float] | None = None
    for place in places:
        km = distance_km(point, (place.lat, place.lon))
        if best is None or km < best[1]:
            best = (place, km)
    return best


def valid_point(lat: float, lon: float) -> bool:
    """A usable WGS-84 position (not NaN, in range, not the 0,0 of a missing fix)."""
    ok = all(math.isfinite(v) for v in (lat, lon)) and -90 <= lat <= 90 and -180 <= lon <= 180
    return ok and not (lat == 0 and lon == 0)


def format_km(km: float) -> str:
    """'0.35' under 1 km, '1.2' under 100 km, '230' beyond."""
    if km < 1:
        return f"{km:.2f}"
    if km < 100:
        return f"{km:.1f}"
    return f"{km:.0f}"


_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def in_china(lat: float, lon: float) -> bool:
    """The rough box inside which GCJ-02 applies."""
    return 0.8293 <= lat <= 55.8271 and 72.004 <= lon <= 137.8347


def _d_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _d_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 ("Mars" coordinates); unchanged outside China."""
    if not in_china(lat, lon):
        return lat, lon
    d_lat = _d_lat(lon - 105.0, lat - 35.0)
    d_lon = _d_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + d_lat, lon + d_lon


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """GCJ-02 → BD-09 (Baidu)."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def wgs84_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → BD-09, the coordinates Baidu's geocoder expects."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lon))
