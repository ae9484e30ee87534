from datetime import UTC, datetime, timedelta

import pytest

from bot.evidence import geo
from bot.evidence.fraud import Known, find_reuse, hours_too_old, km_too_far

H1 = "0f0f0f0f0f0f0f0f"
H2 = "0f0f0f0f0f0f0f0e"  # 1 bit from H1
H3 = "f0f0f0f0f0f0f0f0"  # 64 bits from H1


def known(case_id, pid, fuid="x", sha=None, ph=None):
    return Known(case_id, pid, fuid, sha, ph)


def test_reuse_by_file_bytes_or_picture_with_strongest_first():
    ks = [known(3, 30, ph=H2), known(2, 20, sha="abc"), known(1, 10, fuid="F")]
    got = find_reuse(file_unique_id="F", sha256="abc", phash=H1, known=ks, max_bits=6)
    assert (got.case_id, got.by) == (1, "file_unique_id")
    got = find_reuse(file_unique_id="G", sha256="abc", phash=H1, known=ks, max_bits=6)
    assert (got.case_id, got.by) == (2, "sha256")
    got = find_reuse(file_unique_id="G", sha256="zzz", phash=H1, known=ks, max_bits=6)
    assert (got.case_id, got.by, got.bits) == (3, "phash", 1)


def test_no_reuse_when_far_or_uninformative():
    assert (
        find_reuse(
            file_unique_id="G", sha256=None, phash=H1, known=[known(1, 1, ph=H3)], max_bits=6
        )
        is None
    )
    flat = "0000000000000000"
    assert (
        find_reuse(
            file_unique_id="G", sha256=None, phash=flat, known=[known(1, 1, ph=flat)], max_bits=6
        )
        is None
    )
    assert (
        find_reuse(
            file_unique_id="G", sha256=None, phash=None, known=[known(1, 1, ph=H1)], max_bits=6
        )
        is None
    )


def test_capture_time_guard():
    opened = datetime(2026, 11, 29, 8, tzinfo=UTC)
    assert hours_too_old(opened - timedelta(hours=48), opened, 24) == pytest.approx(48)
    assert hours_too_old(opened - timedelta(hours=23), opened, 24) is None
    assert hours_too_old(opened + timedelta(hours=1), opened, 24) is None


HS_POINT = (27.5652, 112.7441)


def test_capture_place_guard():
    assert km_too_far(HS_POINT, HS_POINT, 5) is None
    assert km_too_far((27.5652 + 0.27, 112.7441), HS_POINT, 5) == pytest.approx(30, abs=0.5)


def test_geodesic_distance_and_nearest():
    assert geo.distance_km((39.9042, 116.4074), (31.2304, 121.4737)) == pytest.approx(1067, abs=5)
    places = [
        geo.Place("A", "花石点", "service_point", *HS_POINT),
        geo.Place("B", "射埠点", "service_point", 27.5931, 112.9002),
    ]
    place, km = geo.nearest((27.566, 112.745), places)
    assert place.code == "A" and km < 0.2
    assert geo.nearest((0.0, 0.0), []) is None


@pytest.mark.parametrize(
    ("km", "text"), [(0.349, "0.35"), (1.25, "1.2"), (30.04, "30.0"), (230.4, "230")]
)
def test_format_km(km, text):
    assert geo.format_km(km) == text


def test_valid_point():
    assert geo.valid_point(27.5, 112.7)
    assert not geo.valid_point(0.0, 0.0)
    assert not geo.valid_point(float("nan"), 1.0)
    assert not geo.valid_point(91.0, 1.0)


def test_wgs84_to_bd09_shifts_a_few_hundred_metres_in_china_only():
    lat, lon = HS_POINT
    bd = geo.wgs84_to_bd09(lat, lon)
    shift = geo.distance_km(HS_POINT, bd)
    assert 0.3 < shift < 1.5
    # BD-09 lies north-east of WGS-84 in Hunan.
    assert bd[0] > lat and bd[1] > lon
    gcj = geo.wgs84_to_gcj02(lat, lon)
    assert 0.1 < geo.distance_km(HS_POINT, gcj) < 1.0
    assert geo.wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)  # Paris: unchanged
    # Published reference: Tiananmen WGS-84 (39.908692, 116.397477) ≈ GCJ-02 (39.910092, 116.403722).
    glat, glon = geo.wgs84_to_gcj02(39.908692, 116.397477)
    assert glat == pytest.approx(39.910092, abs=2e-4) and glon == pytest.approx(
        116.403722, abs=2e-4
    )
