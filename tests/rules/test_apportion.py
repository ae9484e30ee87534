"""Integer splitting helpers."""

from __future__ import annotations

import random

import pytest

from bot.rules.apportion import apportion, water_fill


def test_apportion_examples() -> None:
    assert apportion(100, [1, 1, 1]) == [34, 33, 33]  # tie: earlier index gets the fen
    assert apportion(10, [7, 3]) == [7, 3]
    assert apportion(1, [1, 1]) == [1, 0]
    assert apportion(200_000, [300_000, 100_000]) == [150_000, 50_000]
    assert apportion(5, [0, 2, 3]) == [0, 2, 3]
    assert apportion(0, [0, 0]) == [0, 0]
    assert apportion(7, [1, 2, 2]) == [1, 3, 3]  # remainders .4,.8,.8: ties to lower index


def test_apportion_errors() -> None:
    with pytest.raises(ValueError):
        apportion(1, [0, 0])
    with pytest.raises(ValueError):
        apportion(-1, [1])
    with pytest.raises(ValueError):
        apportion(1, [1, -1])


def test_apportion_properties() -> None:
    rng = random.Random(20240527)
    for _ in range(2_000):
        weights = [rng.randrange(0, 10_000) for _ in range(rng.randrange(1, 6))]
        if not any(weights):
            weights[0] = 1
        total = rng.randrange(0, 1_000_000)
        shares = apportion(total, weights)
        assert sum(shares) == total
        w = sum(weights)
        for share, weight in zip(shares, weights, strict=True):
            # Each share is the floor or the ceiling of its exact quota.
            assert total * weight // w <= share <= -(-total * weight // w)


def test_water_fill_examples() -> None:
    assert water_fill(10_000, [50_000, 50_000]) == [5_000, 5_000]
    assert water_fill(10_000, [2_000, 50_000]) == [2_000, 8_000]
    assert water_fill(10_000, [2_000, 3_000]) == [2_000, 3_000]
    assert water_fill(10_001, [50_000, 50_000]) == [5_001, 5_000]
    assert water_fill(5, [10, 10, 10]) == [2, 2, 1]
    assert water_fill(0, [1, 2]) == [0, 0]
    assert water_fill(7, []) == []


def test_water_fill_properties() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        claims = [rng.randrange(0, 30_000) for _ in range(rng.randrange(1, 6))]
        limit = rng.randrange(0, 40_000)
        paid = water_fill(limit, claims)
        assert sum(paid) == min(limit, sum(claims))
        assert all(0 <= p <= c for p, c in zip(paid, claims, strict=True))
        # Anyone not fully paid is within one fen of the largest payment.
        top = max(paid)
        for p, c in zip(paid, claims, strict=True):
            assert p == c or p >= top - 1


def test_water_fill_errors() -> None:
    with pytest.raises(ValueError):
        water_fill(-1, [1])
    with pytest.raises(ValueError):
        water_fill(1, [-1])
