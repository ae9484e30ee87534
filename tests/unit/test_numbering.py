from datetime import UTC, date, datetime

import pytest

from bot.case.numbering import format_case_number, local_day, parse_case_number


def test_format_pads_to_three_digits_and_grows():
    assert format_case_number("HS", date(2026, 11, 29), 1) == "HS-20261129-001"
    assert format_case_number("HS", date(2026, 11, 29), 1234) == "HS-20261129-1234"


def test_sequence_starts_at_one():
    with pytest.raises(ValueError):
        format_case_number("HS", date(2026, 11, 29), 0)


def test_local_day_uses_the_group_time_zone():
    late_utc = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)  # 01:30 on the 30th in Shanghai
    assert local_day(late_utc, "Asia/Shanghai") == date(2026, 11, 30)
    assert local_day(late_utc, "UTC") == date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HS-20261129-001", ("HS", date(2026, 11, 29), 1)),
        (" hs-20261129-012 ", ("HS", date(2026, 11, 29), 12)),
        ("HS-20261332-001", None),
        ("HS-2026112-001", None),
        ("花石-20261129-001", None),
    ],
)
def test_parse(text, expected):
    assert parse_case_number(text) == expected


def test_synthetic_scene_photos_do_not_look_alike():
    import io

    from PIL import Image

    from bot.evidence.phash import dhash, distance
    from sandbox.photos import scene_photo

    hashes = [dhash(Image.open(io.BytesIO(scene_photo(i)))) for i in range(40)]
    closest = min(distance(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :])
    assert closest > 10
