"""The liaison office's figures: periods of local days, percentiles, and the counts of a
hand-built set of cases, claims and stages whose figures were worked out by hand."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.rules.periods import Period, between, day, month, parse_period, week
from bot.rules.stats import (
    CaseRow,
    ClaimRow,
    Figures,
    Slice,
    Spread,
    StageRow,
    figures,
    percentile,
)

ZONE = "Asia/Shanghai"
CN = ZoneInfo(ZONE)
NONE = Spread(0, None, None)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def at(mo: int, d: int, h: int = 0, mi: int = 0, y: int = 2026) -> datetime:
    """A local (Asia/Shanghai) wall-clock time as the UTC instant the rows carry."""
    return datetime(y, mo, d, h, mi, tzinfo=CN).astimezone(UTC)


def spread(count: int, median: float, p90: float) -> Spread:
    return Spread(count, pytest.approx(median), pytest.approx(p90))  # type: ignore[arg-type]


# --- percentiles ---------------------------------------------------------------------


def test_no_values_have_no_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([], 0.9) is None


def test_one_value_is_every_percentile() -> None:
    assert percentile([7.0], 0.0) == 7.0
    assert percentile([7.0], 0.5) == 7.0
    assert percentile([7.0], 0.9) == 7.0


def test_odd_count() -> None:
    values = [3.0, 1.0, 5.0, 2.0, 4.0]  # unsorted on purpose; sorted 1 2 3 4 5
    # median: position 0.5·4 = 2 → 3
    assert percentile(values, 0.5) == 3.0
    # p90: position 0.9·4 = 3.6 → 4 + 0.6·(5 − 4) = 4.6
    assert percentile(values, 0.9) == pytest.approx(4.6)


def test_even_count_median_is_the_mean_of_the_middle_two() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    # median: position 0.5·3 = 1.5 → 20 + 0.5·(30 − 20) = 25
    assert percentile(values, 0.5) == 25.0
    # p90: position 0.9·3 = 2.7 → 30 + 0.7·(40 − 30) = 37
    assert percentile(values, 0.9) == pytest.approx(37.0)


def test_the_ends_are_the_least_and_the_greatest() -> None:
    assert percentile([4.0, 9.0, 2.0], 0.0) == 2.0
    assert percentile([4.0, 9.0, 2.0], 1.0) == 9.0


def test_two_values() -> None:
    # p90: position 0.9·1 = 0.9 → 430 + 0.9·(2785 − 430) = 2549.5
    assert percentile([2785.0, 430.0], 0.9) == pytest.approx(2549.5)
    assert percentile([2785.0, 430.0], 0.5) == 1607.5


def test_it_is_the_inclusive_method_of_the_standard_library() -> None:
    values = [12.0, 3.0, 45.0, 7.0, 19.0, 28.0, 1.0, 33.0, 8.0, 50.0, 21.0]
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    for i, cut in enumerate(deciles, 1):
        assert percentile(values, i / 10) == pytest.approx(cut)
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    assert percentile(values, 0.25) == pytest.approx(quartiles[0])
    # and by hand: sorted 1 3 7 8 12 19 21 28 33 45 50; p90 at 0.9·10 = 9 → 45
    assert percentile(values, 0.9) == 45.0
    assert percentile(values, 0.5) == 19.0


@pytest.mark.parametrize("q", [-0.1, 1.5, 90])
def test_a_quantile_outside_zero_to_one_is_refused(q: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0, 2.0], q)


# --- periods --------------------------------------------------------------------------


def test_a_day_runs_from_local_midnight_to_local_midnight() -> None:
    p = day(date(2026, 11, 30), ZONE)
    assert p == Period("day", utc(2026, 11, 29, 16), utc(2026, 11, 30, 16), "2026-11-30")
    assert p.start.tzinfo is UTC and p.end.tzinfo is UTC


def test_the_boundary_is_local_midnight_not_utc_midnight() -> None:
    p = day(date(2026, 11, 30), ZONE)
    late = at(11, 30, 23, 59)
    assert late == utc(2026, 11, 30, 15, 59)  # 23:59 in Shanghai is 15:59 UTC
    assert p.holds(late)
    assert p.holds(at(11, 30, 0, 0))  # the first instant of the day
    assert not p.holds(at(12, 1, 0, 0))  # the first instant of the next day
    assert not p.holds(at(11, 29, 23, 59))
    assert not p.holds(utc(2026, 11, 30, 17))  # still 11-30 in UTC, already 12-01 here
    assert p.holds(utc(2026, 11, 29, 16, 30))  # 11-29 in UTC, already 11-30 here
    assert not p.holds(None)


def test_a_day_across_a_daylight_saving_change_is_as_long_as_it_is() -> None:
    p = day(date(2026, 3, 8), "America/New_York")  # clocks go forward at 02:00
    assert p.end - p.start == timedelta(hours=23)
    assert p.start == utc(2026, 3, 8, 5)  # midnight EST is 05:00 UTC
    assert p.end == utc(2026, 3, 9, 4)  # midnight EDT is 04:00 UTC


def test_an_iso_week_within_a_month() -> None:
    p = week(date(2026, 11, 26), ZONE)  # a Thursday; Monday is 11-23
    assert p == Period("week", utc(2026, 11, 22, 16), utc(2026, 11, 29, 16), "2026-W48")


def test_an_iso_week_across_a_month_end() -> None:
    # 2026-12-02 is a Wednesday: Monday 11-30 to Sunday 12-06
    p = week(date(2026, 12, 2), ZONE)
    assert p == Period("week", utc(2026, 11, 29, 16), utc(2026, 12, 6, 16), "2026-W49")
    assert week(date(2026, 11, 30), ZONE) == p  # its Monday
    assert week(date(2026, 12, 6), ZONE) == p  # its Sunday
    assert week(date(2026, 12, 7), ZONE) != p
    assert p.holds(at(12, 6, 23, 59)) and not p.holds(at(12, 7))


def test_an_iso_week_across_new_year_takes_its_iso_year() -> None:
    # 2025-12-31 (Wednesday) is in the week of Monday 2025-12-29, ISO week 1 of 2026
    p = week(date(2025, 12, 31), ZONE)
    assert p == Period("week", utc(2025, 12, 28, 16), utc(2026, 1, 4, 16), "2026-W01")
    assert week(date(2026, 1, 4), ZONE) == p
    # 2027-01-01 (Friday) is in ISO week 53 of 2026, Monday 2026-12-28
    late = week(date(2027, 1, 1), ZONE)
    assert late == Period("week", utc(2026, 12, 27, 16), utc(2027, 1, 3, 16), "2026-W53")


def test_a_month() -> None:
    p = month(2026, 11, ZONE)
    assert p == Period("month", utc(2026, 10, 31, 16), utc(2026, 11, 30, 16), "2026-11")
    assert p.holds(at(11, 30, 23, 59)) and not p.holds(at(12, 1))
    assert p.holds(at(11, 1)) and not p.holds(at(10, 31, 23, 59))


def test_december_ends_at_the_first_of_january() -> None:
    p = month(2026, 12, ZONE)
    assert p == Period("month", utc(2026, 11, 30, 16), utc(2026, 12, 31, 16), "2026-12")
    assert p.holds(at(12, 31, 23, 59))
    assert not p.holds(at(1, 1, y=2027))
    assert month(2027, 1, ZONE).start == p.end


def test_february_of_a_leap_year() -> None:
    assert month(2028, 2, ZONE).end == utc(2028, 2, 29, 16)  # local 2028-03-01 00:00


def test_a_range_includes_its_last_day() -> None:
    p = between(date(2026, 11, 1), date(2026, 11, 15), ZONE)
    assert p == Period(
        "range", utc(2026, 10, 31, 16), utc(2026, 11, 15, 16), "2026-11-01~2026-11-15"
    )
    one = between(date(2026, 11, 30), date(2026, 11, 30), ZONE)
    assert (one.start, one.end) == (day(date(2026, 11, 30), ZONE).start, utc(2026, 11, 30, 16))


def test_a_range_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError):
        between(date(2026, 11, 15), date(2026, 11, 1), ZONE)


# --- parse_period ------------------------------------------------------------------------

TODAY = date(2026, 12, 2)  # a Wednesday


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ([], day(TODAY, ZONE)),
        (["today"], day(TODAY, ZONE)),
        (["Today"], day(TODAY, ZONE)),
        (["今天"], day(TODAY, ZONE)),
        (["yesterday"], day(date(2026, 12, 1), ZONE)),
        (["昨天"], day(date(2026, 12, 1), ZONE)),
        (["week"], week(TODAY, ZONE)),
        (["本周"], week(TODAY, ZONE)),
        (["month"], month(2026, 12, ZONE)),
        (["本月"], month(2026, 12, ZONE)),
        (["2026-11"], month(2026, 11, ZONE)),
        (["2025-02"], month(2025, 2, ZONE)),
        (["2026-11-30"], day(date(2026, 11, 30), ZONE)),
        ([" 2026-11-30 "], day(date(2026, 11, 30), ZONE)),
        (["2026-11-01", "2026-11-15"], between(date(2026, 11, 1), date(2026, 11, 15), ZONE)),
        (["2026-11-30", "2026-11-30"], between(date(2026, 11, 30), date(2026, 11, 30), ZONE)),
    ],
)
def test_the_accepted_forms(words: list[str], expected: Period) -> None:
    assert parse_period(words, TODAY, ZONE) == expected


def test_the_accepted_forms_by_value() -> None:
    # the table above compares with the builders; these spell two of them out
    assert parse_period(["week"], TODAY, ZONE) == Period(
        "week", utc(2026, 11, 29, 16), utc(2026, 12, 6, 16), "2026-W49"
    )
    assert parse_period(["yesterday"], date(2027, 1, 1), ZONE) == Period(
        "day", utc(2026, 12, 30, 16), utc(2026, 12, 31, 16), "2026-12-31"
    )


@pytest.mark.parametrize(
    "words",
    [
        ["tomorrow"],
        ["PICC"],
        ["week", "PICC"],
        ["2026-13"],
        ["2026-00"],
        ["2026-02-30"],
        ["2026-1-5"],
        ["2026/11/30"],
        ["20261130"],
        ["2026-11-30T08:00"],
        ["2026-11-15", "2026-11-01"],  # ends before it starts
        ["2026-11", "2026-12"],  # months are not a range
        ["2026-11-01", "2026-11-15", "2026-11-20"],
        ["9999-12-31"],  # its end would be after the last date there is
        [""],
    ],
)
def test_words_that_are_no_period(words: list[str]) -> None:
    assert parse_period(words, TODAY, ZONE) is None


# --- figures of a hand-built day --------------------------------------------------------
#
# The day is 2026-11-30 in Asia/Shanghai. Townships HS and YH (LT has only old business);
# insurers PICC, CPIC, PAIC (CCIC has only old business). Times are local.


def case(
    number: str,
    township: str,
    status: str,
    opened: datetime,
    ready: datetime | None = None,
    closed: datetime | None = None,
    police: datetime | None = None,
) -> CaseRow:
    return CaseRow(number, township, status, opened, ready, closed, police)


CASES = [
    case("c1", "HS", "closed", at(11, 30, 8, 0), at(11, 30, 8, 12), closed=at(11, 30, 17)),  # 12
    case("c2", "HS", "awaiting_insurer", at(11, 30, 9, 0), at(11, 30, 9, 30)),  # 30 min
    # 23:59 local is 15:59 UTC: still the 30th; ready 20 min later, on the 1st
    case("c3", "HS", "ready", at(11, 30, 23, 59), at(12, 1, 0, 19)),
    case("c4", "YH", "approved", at(11, 30, 10, 0), at(11, 30, 10, 45)),  # 45 min
    case("c5", "YH", "police", at(11, 30, 11, 0), police=at(11, 30, 11, 20)),  # never ready
    # opened the day before, cancelled on the 30th
    case("c6", "YH", "cancelled", at(11, 29, 22), at(11, 29, 22, 10), closed=at(11, 30, 9)),
    case("c7", "YH", "collecting", at(12, 1, 0, 0)),  # the next day's first instant
    case("c8", "HS", "disputed", at(11, 20, 10)),
    case("c9", "HS", "paid", at(11, 29, 12), at(11, 29, 12, 10)),
    case("c10", "YH", "approved", at(11, 28, 9), at(11, 28, 9, 20)),
    case("c11", "HS", "awaiting_insurer", at(11, 30, 12, 0), at(11, 30, 12, 5)),  # 5 min
    case("c12", "LT", "collecting", at(11, 1, 9)),
]


def claim(
    number: str,
    township: str,
    insurer: str,
    pinged: datetime,
    responded: datetime | None = None,
    approved: datetime | None = None,
    paid: datetime | None = None,
    approved_fen: int | None = None,
    paid_fen: int = 0,
) -> ClaimRow:
    return ClaimRow(
        number, township, insurer, pinged, responded, approved, paid, approved_fen, paid_fen
    )


CLAIMS = [
    # k1: response 4, approval 30, payout 08:50 → 16:00 = 430 min
    claim(
        "c1", "HS", "PICC", at(11, 30, 8, 20), at(11, 30, 8, 24), at(11, 30, 8, 50),
        at(11, 30, 16, 0), 150_050, 150_050,
    ),
    # k2: response 7, approval 60, not paid yet
    claim(
        "c2", "HS", "PICC", at(11, 30, 9, 40), at(11, 30, 9, 47), at(11, 30, 10, 40),
        approved_fen=88_888,
    ),
    # k3: response 2, no decision yet
    claim("c2", "HS", "CPIC", at(11, 30, 9, 40), at(11, 30, 9, 42)),
    # k4: response 11, approval 45; paid two days later: 11-30 11:35 → 12-02 10:00
    # = 1 day 22 h 25 min = 1440 + 1320 + 25 = 2785 min (wall clock, nights included)
    claim(
        "c4", "YH", "CPIC", at(11, 30, 10, 50), at(11, 30, 11, 1), at(11, 30, 11, 35),
        at(12, 2, 10, 0), 200_000, 200_000,
    ),
    # k5: pinged and answered on the 28th, approved on the 30th
    claim(
        "c10", "YH", "PAIC", at(11, 28, 10), at(11, 28, 10, 5), at(11, 30, 9, 0),
        approved_fen=12_345,
    ),
    # k6: pinged and approved on the 29th, paid on the 30th
    claim(
        "c9", "HS", "PAIC", at(11, 29, 13), at(11, 29, 13, 3), at(11, 29, 13, 30),
        at(11, 30, 10, 0), 50_001, 50_001,
    ),
    # k7: pinged, no answer yet
    claim("c11", "HS", "PICC", at(11, 30, 12, 10)),
    # k8: pinged on the 1st (local), 16:25 UTC of the 30th
    claim("c3", "HS", "PICC", at(12, 1, 0, 25)),
    # k9: old business only
    claim("c12", "LT", "CCIC", at(11, 2, 9), at(11, 2, 9, 30)),
]  # fmt: skip


def stage(
    number: str,
    township: str,
    insurer: str | None,
    name: str,
    started: datetime,
    stopped: datetime | None,
    met: bool | None,
) -> StageRow:
    return StageRow(number, township, insurer, name, started, stopped, met)


STAGES = [
    stage("c1", "HS", None, "scene", at(11, 30, 8), at(11, 30, 8, 12), True),  # s1
    stage("c2", "HS", None, "scene", at(11, 30, 9), at(11, 30, 9, 30), True),  # s2
    stage("c4", "YH", None, "scene", at(11, 30, 10), at(11, 30, 10, 45), False),  # s3
    stage("c1", "HS", "PICC", "insurer_response", at(11, 30, 8, 20), at(11, 30, 8, 24), True),
    stage("c2", "HS", "PICC", "insurer_response", at(11, 30, 9, 40), at(11, 30, 9, 47), True),
    stage("c2", "HS", "CPIC", "insurer_response", at(11, 30, 9, 40), at(11, 30, 9, 42), True),
    stage("c4", "YH", "CPIC", "insurer_response", at(11, 30, 10, 50), at(11, 30, 11, 1), False),
    stage("c1", "HS", "PICC", "insurer_decision", at(11, 30, 8, 20), at(11, 30, 8, 50), True),
    stage("c4", "YH", "CPIC", "insurer_decision", at(11, 30, 10, 50), at(11, 30, 11, 35), True),
    stage("c1", "HS", "PICC", "payout", at(11, 30, 8, 50), at(11, 30, 16), True),  # s10
    stage("c11", "HS", "PICC", "insurer_response", at(11, 30, 12, 10), None, None),  # runs
    stage("c3", "HS", None, "scene", at(11, 30, 23, 59), at(12, 1, 0, 19), True),  # next day
    stage("c9", "HS", "PAIC", "payout", at(11, 29, 13, 30), at(11, 30, 10), True),  # s13
    stage("c5", "YH", None, "police_pickup", at(11, 30, 11, 20), at(11, 30, 11, 40), True),
    # a stage stopped the day before
    stage("c6", "YH", None, "scene", at(11, 29, 22), at(11, 29, 22, 10), True),
]
THE_DAY = day(date(2026, 11, 30), ZONE)


@pytest.fixture
def f() -> Figures:
    return figures(THE_DAY, iter(CASES), iter(CLAIMS), iter(STAGES))


def test_counts_of_cases(f: Figures) -> None:
    assert f.period == THE_DAY
    assert f.opened == 6  # c1 c2 c3 c4 c5 c11; not c6 (the 29th) nor c7 (the 1st)
    assert f.closed == 1  # c1
    assert f.cancelled == 1  # c6, opened the day before
    assert f.police == 1  # c5


def test_open_cases_whatever_their_dates_in_the_order_of_a_case_s_life(f: Figures) -> None:
    # every case but c1 (closed) and c6 (cancelled): 12 − 2 = 10
    assert f.open_by_status == {
        "collecting": 2,  # c7 c12
        "ready": 1,  # c3
        "awaiting_insurer": 2,  # c2 c11
        "approved": 2,  # c4 c10
        "paid": 1,  # c9
        "disputed": 1,  # c8
        "police": 1,  # c5
    }
    assert list(f.open_by_status) == [
        "collecting", "ready", "awaiting_insurer", "approved", "paid", "disputed", "police"
    ]  # fmt: skip
    assert sum(f.open_by_status.values()) == 10


def test_the_total(f: Figures) -> None:
    assert f.total == Slice(
        key="",
        cases=6,  # opened on the day
        # opened → ready: c11 5, c1 12, c3 20, c2 30, c4 45 (c5 never ready)
        # median the 3rd = 20; p90 at 0.9·4 = 3.6 → 30 + 0.6·(45 − 30) = 39
        to_ready=spread(5, 20.0, 39.0),
        # ping → response, pinged on the day: k3 2, k1 4, k2 7, k4 11 (k7 no answer)
        # median (4 + 7) / 2 = 5.5; p90 at 2.7 → 7 + 0.7·(11 − 7) = 9.8
        to_response=spread(4, 5.5, 9.8),
        # ping → approval, pinged on the day: k1 30, k4 45, k2 60
        # median 45; p90 at 0.9·2 = 1.8 → 45 + 0.8·(60 − 45) = 57
        to_approval=spread(3, 45.0, 57.0),
        # approval → paid, approved on the day: k1 430, k4 2785 (k2 k5 unpaid)
        # median (430 + 2785) / 2 = 1607.5; p90 at 0.9 → 430 + 0.9·2355 = 2549.5
        to_payout=spread(2, 1607.5, 2549.5),
        # stopped on the day: s1..s10, s13, s14 = 12; missed s3 (scene) and s7 (response)
        sla_met=10,
        sla_total=12,
        # approved on the day: k1 150 050 + k2 88 888 + k4 200 000 + k5 12 345 = 451 283
        approved_fen=451_283,
        # paid in full on the day: k1 150 050 + k6 50 001 = 200 051 (k4 paid on the 2nd)
        paid_fen=200_051,
    )
    assert f.total.sla_share == pytest.approx(10 / 12)


def test_per_township(f: Figures) -> None:
    assert [s.key for s in f.townships] == ["HS", "YH"]  # LT has nothing on the day
    hs, yh = f.townships
    assert hs == Slice(
        key="HS",
        cases=4,  # c1 c2 c3 c11
        # c11 5, c1 12, c3 20, c2 30: median (12 + 20) / 2 = 16; p90 at 2.7 → 20 + 0.7·10 = 27
        to_ready=spread(4, 16.0, 27.0),
        # k3 2, k1 4, k2 7: median 4; p90 at 1.8 → 4 + 0.8·(7 − 4) = 6.4
        to_response=spread(3, 4.0, 6.4),
        # k1 30, k2 60: median 45; p90 at 0.9 → 30 + 0.9·30 = 57
        to_approval=spread(2, 45.0, 57.0),
        to_payout=spread(1, 430.0, 430.0),  # k1
        sla_met=8,  # s1 s2 s4 s5 s6 s8 s10 s13, all met
        sla_total=8,
        approved_fen=238_938,  # k1 150 050 + k2 88 888
        paid_fen=200_051,  # k1 150 050 + k6 50 001
    )
    assert yh == Slice(
        key="YH",
        cases=2,  # c4 c5
        to_ready=spread(1, 45.0, 45.0),  # c4; c5 never ready
        to_response=spread(1, 11.0, 11.0),  # k4
        to_approval=spread(1, 45.0, 45.0),  # k4
        to_payout=spread(1, 2785.0, 2785.0),  # k4
        sla_met=2,  # s9 s14; missed s3 s7
        sla_total=4,
        approved_fen=212_345,  # k4 200 000 + k5 12 345
        paid_fen=0,
    )
    assert yh.sla_share == 0.5
    # the townships add up to the total
    assert hs.cases + yh.cases == f.total.cases
    assert hs.approved_fen + yh.approved_fen == f.total.approved_fen
    assert hs.paid_fen + yh.paid_fen == f.total.paid_fen
    assert hs.sla_total + yh.sla_total == f.total.sla_total


def test_per_insurer(f: Figures) -> None:
    assert [s.key for s in f.insurers] == ["CPIC", "PAIC", "PICC"]  # not CCIC
    cpic, paic, picc = f.insurers
    assert cpic == Slice(
        key="CPIC",
        cases=2,  # c2 (k3) c4 (k4)
        to_ready=NONE,  # readiness is the township's
        # k3 2, k4 11: median 6.5; p90 at 0.9 → 2 + 0.9·9 = 10.1
        to_response=spread(2, 6.5, 10.1),
        to_approval=spread(1, 45.0, 45.0),  # k4
        to_payout=spread(1, 2785.0, 2785.0),  # k4
        sla_met=2,  # s6 s9; missed s7
        sla_total=3,
        approved_fen=200_000,  # k4
        paid_fen=0,  # k4 was paid on the 2nd
    )
    # PAIC was asked nothing on the day, but approved k5 and paid k6
    assert paic == Slice(
        key="PAIC",
        cases=0,
        to_ready=NONE,
        to_response=NONE,
        to_approval=NONE,
        to_payout=NONE,  # k5 unpaid; k6 approved on the 29th
        sla_met=1,  # s13
        sla_total=1,
        approved_fen=12_345,  # k5
        paid_fen=50_001,  # k6
    )
    assert picc == Slice(
        key="PICC",
        cases=3,  # c1 c2 c11, not c3 (k8 pinged on the 1st)
        to_ready=NONE,
        to_response=spread(2, 5.5, 6.7),  # k1 4, k2 7: p90 at 0.9 → 4 + 0.9·3 = 6.7
        to_approval=spread(2, 45.0, 57.0),  # k1 30, k2 60
        to_payout=spread(1, 430.0, 430.0),  # k1
        sla_met=4,  # s4 s5 s8 s10 (the scenes have no insurer; s11 still runs)
        sla_total=4,
        approved_fen=238_938,  # k1 150 050 + k2 88 888
        paid_fen=150_050,  # k1
    )
    assert picc.sla_share == 1.0
    assert cpic.sla_share == pytest.approx(2 / 3)
    # the insurers add up to the total's money (every claim has an insurer)
    assert sum(s.approved_fen for s in f.insurers) == f.total.approved_fen  # 451 283
    assert sum(s.paid_fen for s in f.insurers) == f.total.paid_fen  # 200 051


def test_sla_by_stage_in_the_order_of_the_stages(f: Figures) -> None:
    assert f.sla_by_stage == {
        "scene": (2, 3),  # s1 s2 met, s3 missed; s12 stopped the next day
        "insurer_response": (3, 4),  # s4 s5 s6 met, s7 missed; s11 runs
        "insurer_decision": (2, 2),  # s8 s9
        "payout": (2, 2),  # s10 s13
        "police_pickup": (1, 1),  # s14
    }
    assert list(f.sla_by_stage) == [
        "scene", "insurer_response", "insurer_decision", "payout", "police_pickup"
    ]  # fmt: skip
    assert sum(m for m, _ in f.sla_by_stage.values()) == f.total.sla_met
    assert sum(n for _, n in f.sla_by_stage.values()) == f.total.sla_total
    assert not f.quiet


def test_the_next_day_takes_what_crossed_midnight() -> None:
    f = figures(day(date(2026, 12, 1), ZONE), CASES, CLAIMS, STAGES)
    assert f.opened == 1  # c7 at 00:00; c3 at 23:59 the day before is not
    assert f.closed == f.cancelled == f.police == 0
    assert [s.key for s in f.townships] == ["HS", "YH"]  # HS: k8 pinged, s12 stopped
    assert f.total.cases == 1
    assert f.total.to_ready == NONE  # c7 not ready; c3 was opened the day before
    assert f.total.to_response == NONE  # k8 unanswered
    assert f.sla_by_stage == {"scene": (1, 1)}  # s12
    picc = f.insurers[0]
    assert (picc.key, picc.cases) == ("PICC", 1)  # c3, through k8
    assert not f.quiet


def test_a_week_and_a_month() -> None:
    w = figures(week(date(2026, 12, 2), ZONE), CASES, CLAIMS, STAGES)  # Mon 11-30 .. Sun 12-06
    assert w.opened == 7  # c1 c2 c3 c4 c5 c11 and c7
    # k1 150 050 + k6 50 001 (the 30th) + k4 200 000 (the 2nd) = 400 051
    assert w.total.paid_fen == 400_051
    # the payout stage of k4 never stopped in the rows; the others: 12 of the 30th + s12
    assert (w.total.sla_met, w.total.sla_total) == (11, 13)

    m = figures(month(2026, 11, ZONE), CASES, CLAIMS, STAGES)
    assert m.opened == 11  # all but c7 (December)
    assert m.closed == 1 and m.cancelled == 1 and m.police == 1
    assert [s.key for s in m.townships] == ["HS", "LT", "YH"]
    assert [s.key for s in m.insurers] == ["CCIC", "CPIC", "PAIC", "PICC"]
    # approved in November: k1 150 050 + k2 88 888 + k4 200 000 + k5 12 345 + k6 50 001
    assert m.total.approved_fen == 501_284
    # paid in November: k1 150 050 + k6 50 001; k4 on December 2nd
    assert m.total.paid_fen == 200_051
    # November's responses: k9 30, k5 5, k6 3, k3 2, k1 4, k2 7, k4 11; k7 none; k8 is December
    # sorted 2 3 4 5 7 11 30: median 5; p90 at 0.9·6 = 5.4 → 11 + 0.4·(30 − 11) = 18.6
    assert m.total.to_response == spread(7, 5.0, 18.6)
    assert m.townships[1] == Slice(
        key="LT",
        cases=1,  # c12
        to_ready=NONE,
        to_response=spread(1, 30.0, 30.0),  # k9
        to_approval=NONE,
        to_payout=NONE,
        sla_met=0,
        sla_total=0,
        approved_fen=0,
        paid_fen=0,
    )
    assert m.townships[1].sla_share is None


# --- quiet ------------------------------------------------------------------------------


def test_a_day_without_business_is_quiet_but_still_lists_the_open_cases() -> None:
    f = figures(day(date(2026, 12, 5), ZONE), CASES, CLAIMS, STAGES)
    assert f.quiet
    assert f.opened == f.closed == f.cancelled == f.police == 0
    assert f.townships == () and f.insurers == () and f.sla_by_stage == {}
    assert f.total == Slice("", 0, NONE, NONE, NONE, NONE, 0, 0, 0, 0)
    assert f.total.sla_share is None
    assert sum(f.open_by_status.values()) == 10


def test_no_rows_at_all_are_quiet() -> None:
    f = figures(THE_DAY, [], [], [])
    assert f.quiet
    assert f.open_by_status == {}


OLD = at(11, 1, 9)  # before the day
ON = at(11, 30, 12)  # on the day


@pytest.mark.parametrize(
    ("cases", "claims", "stages"),
    [
        ([case("x", "HS", "collecting", ON)], [], []),  # opened
        ([case("x", "HS", "closed", OLD, OLD, closed=ON)], [], []),  # closed
        ([case("x", "HS", "cancelled", OLD, closed=ON)], [], []),  # cancelled
        ([case("x", "HS", "police", OLD, police=ON)], [], []),  # to the police
        ([], [claim("x", "HS", "PICC", ON)], []),  # pinged, no answer
        ([], [claim("x", "HS", "PICC", OLD, OLD, ON, approved_fen=None)], []),  # approved
        ([], [claim("x", "HS", "PICC", OLD, OLD, OLD, ON, 100, 100)], []),  # paid
        ([], [], [stage("x", "HS", None, "scene", OLD, ON, False)]),  # stopped
    ],
)
def test_any_one_thing_on_the_day_makes_it_busy(
    cases: list[CaseRow], claims: list[ClaimRow], stages: list[StageRow]
) -> None:
    f = figures(THE_DAY, cases, claims, stages)
    assert not f.quiet
    assert [s.key for s in f.townships] == ["HS"]


@pytest.mark.parametrize(
    ("cases", "claims", "stages"),
    [
        ([case("x", "HS", "awaiting_insurer", OLD, OLD)], [], []),  # open from before
        ([case("x", "HS", "closed", OLD, OLD, closed=OLD)], [], []),
        ([case("x", "HS", "paid", OLD, OLD, closed=ON)], [], []),  # closed_at, not closed
        ([], [claim("x", "HS", "PICC", OLD, ON)], []),  # only answered on the day
        ([], [], [stage("x", "HS", "PICC", "payout", OLD, None, None)]),  # still runs
    ],
)
def test_what_does_not_make_a_day_busy(
    cases: list[CaseRow], claims: list[ClaimRow], stages: list[StageRow]
) -> None:
    assert figures(THE_DAY, cases, claims, stages).quiet
