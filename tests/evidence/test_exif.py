from datetime import UTC, datetime

import pytest

from bot.evidence.exif import dms_to_degrees, parse_capture_time, parse_gps, parse_offset


def test_capture_time_with_offset_is_converted_to_utc():
    got = parse_capture_time("2026:11:29 13:45:10", "+08:00", "UTC")
    assert got is not None
    assert got.at == datetime(2026, 11, 29, 5, 45, 10, tzinfo=UTC)
    assert got.offset == "+08:00"


def test_capture_time_without_offset_uses_the_local_zone():
    got = parse_capture_time("2026:11:29 13:45:10", None, "Asia/Shanghai")
    assert got is not None and got.offset is None
    assert got.at == datetime(2026, 11, 29, 5, 45, 10, tzinfo=UTC)


def test_negative_offset_and_bytes():
    got = parse_capture_time(b"2026:01:01 00:00:00\x00", "-05:30", "UTC")
    assert got is not None and got.at == datetime(2026, 1, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw", ["", "0000:00:00 00:00:00", "2026:13:01 00:00:00", "yesterday", None, 12345]
)
def test_unusable_times_are_none(raw):
    assert parse_capture_time(raw, None, "UTC") is None


@pytest.mark.parametrize("text", ["+8", "08:00", "+25:00", None, 8, "+08:00x"])
def test_bad_offsets_are_ignored(text):
    assert parse_offset(text) is None


def test_bad_offset_falls_back_to_local_zone():
    got = parse_capture_time("2026:11:29 13:45:10", "garbage", "Asia/Shanghai")
    assert got is not None and got.offset is None and got.at.hour == 5


def test_dms_with_references():
    assert dms_to_degrees((27.0, 33.0, 54.72), "N") == pytest.approx(27.5652)
    assert dms_to_degrees(((27, 1), (33, 1), (5472, 100)), b"S") == pytest.approx(-27.5652)
    assert dms_to_degrees((112.0, 44.0, 38.76), "W") == pytest.approx(-112.7441)
    assert dms_to_degrees((1.0, 2.0, 3.0), None) == pytest.approx(1.034167, abs=1e-6)
    assert dms_to_degrees(((1, 0), 0, 0), "N") is None  # zero denominator
    assert dms_to_degrees("north", "N") is None


def test_gps_ifd():
    gps = {1: "N", 2: (27.0, 33.0, 54.72), 3: "E", 4: (112.0, 44.0, 38.76)}
    lat, lon = parse_gps(gps)
    assert lat == pytest.approx(27.5652) and lon == pytest.approx(112.7441)


@pytest.mark.parametrize(
    "gps",
    [
        {},
        {1: "N", 2: (27.0, 0.0, 0.0)},  # no longitude
        {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # no fix
        {1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)},  # out of range
    ],
)
def test_unusable_gps_is_none(gps):
    assert parse_gps(gps) is None
