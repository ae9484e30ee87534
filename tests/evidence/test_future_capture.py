"""A capture time after the photo reached the bot is flagged, beyond a little clock skew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.evidence.fraud import minutes_in_future

SENT = datetime(2026, 11, 29, 8, tzinfo=UTC)


def test_a_capture_time_in_the_future_is_flagged():
    far = datetime(2099, 1, 1, 2, tzinfo=UTC)
    assert minutes_in_future(far, SENT, 10) == pytest.approx((far - SENT).total_seconds() / 60)
    assert minutes_in_future(SENT + timedelta(minutes=11), SENT, 10) == pytest.approx(11)


def test_clock_skew_within_the_tolerance_is_not_flagged():
    assert minutes_in_future(SENT + timedelta(minutes=10), SENT, 10) is None
    assert minutes_in_future(SENT + timedelta(seconds=30), SENT, 0) == pytest.approx(0.5)
    assert minutes_in_future(SENT, SENT, 0) is None
    assert minutes_in_future(SENT - timedelta(days=3), SENT, 10) is None  # old is another flag
