"""Working-time calendars: 24/7, working hours, China's holidays and make-up days (调休),
deployment overrides, and the years a calendar has no data for."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.calendar import (
    EMPTY_TABLE,
    AlwaysOpen,
    DayReason,
    HolidayTable,
    Hours,
    NoCalendarData,
    NoWorkingTime,
    WorkingCalendar,
    parse_hours,
    working_calendar,
)

CN = ZoneInfo("Asia/Shanghai")
HOURS = ("08:30-12:00", "13:30-17:30")  # docs/domain.md §6.1
H = timedelta(hours=1)
M = timedelta(minutes=1)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CN)


def cn_calendar(**overrides: Any) -> WorkingCalendar:
    return working_calendar("Asia/Shanghai", HOURS, **overrides)


CAL = cn_calendar()


# --- 24/7 -----------------------------------------------------------------------------


def test_always_open_counts_every_instant():
    cal = AlwaysOpen()
    start = local(2026, 12, 5, 23, 50)  # a Saturday night
    assert cal.add(start, 30 * M) == local(2026, 12, 6, 0, 20)
    assert cal.count(start, local(2026, 12, 6, 0, 20)) == 30 * M
    assert cal.count(local(2026, 12, 6), start) == timedelta(0)
    assert cal.is_working(start) and cal.next_working(start) == start
    assert cal.day_length == timedelta(days=1)
    assert cal.years_without_data([2027, 2099]) == ()


def test_results_are_utc():
    start = local(2026, 12, 1, 9)
    for cal in (AlwaysOpen(), CAL):
        assert cal.add(start, H).tzinfo is UTC
        assert cal.next_working(start).tzinfo is UTC


# --- working hours --------------------------------------------------------------------


def test_a_working_day_is_seven_and_a_half_hours():
    assert CAL.day_length == timedelta(hours=7, minutes=30)


def test_within_one_morning():
    assert CAL.add(local(2026, 12, 1, 9), 2 * H) == local(2026, 12, 1, 11)


def test_lunch_is_not_working_time():
    start = local(2026, 12, 1, 11)
    assert CAL.add(start, 2 * H) == local(2026, 12, 1, 14, 30)
    assert CAL.count(start, local(2026, 12, 1, 14, 30)) == 2 * H
    assert not CAL.is_working(local(2026, 12, 1, 12))
    assert CAL.is_working(local(2026, 12, 1, 11, 59))


def test_across_the_end_of_a_working_day():
    # Tuesday 17:00 + 1 h: half an hour today, half an hour tomorrow morning.
    assert CAL.add(local(2026, 12, 1, 17), H) == local(2026, 12, 2, 9)
    assert CAL.count(local(2026, 12, 1, 17), local(2026, 12, 2, 9)) == H
    # Overnight counts nothing.
    assert CAL.count(local(2026, 12, 1, 17, 30), local(2026, 12, 2, 8, 30)) == timedelta(0)


def test_an_amount_ending_at_the_close_falls_at_the_next_opening():
    # A deadline always lies in working time, so what fires at it reaches people at work.
    assert CAL.add(local(2026, 12, 1, 17), 30 * M) == local(2026, 12, 2, 8, 30)
    assert CAL.add(local(2026, 12, 1, 11), H) == local(2026, 12, 1, 13, 30)


def test_across_a_weekend():
    friday = local(2026, 11, 27, 16)
    assert CAL.add(friday, 3 * H) == local(2026, 11, 30, 10)  # Monday
    assert CAL.count(friday, local(2026, 11, 30, 10)) == 3 * H
    assert CAL.count(local(2026, 11, 28, 9), local(2026, 11, 29, 17)) == timedelta(0)
    assert CAL.next_working(local(2026, 11, 28, 10)) == local(2026, 11, 30, 8, 30)


def test_days_before_opening_start_at_the_opening():
    assert CAL.add(local(2026, 12, 1, 6), H) == local(2026, 12, 1, 9, 30)
    assert CAL.next_working(local(2026, 12, 1, 6)) == local(2026, 12, 1, 8, 30)
    assert CAL.next_working(local(2026, 12, 1, 9)) == local(2026, 12, 1, 9)


def test_three_working_days_from_an_evening_end_on_the_third_evening():
    # Approved Monday evening: Tuesday, Wednesday, Thursday.
    three_days = 3 * CAL.day_length
    assert CAL.add(local(2026, 11, 30, 20), three_days) == local(2026, 12, 4, 8, 30)
    assert CAL.count(local(2026, 11, 30, 20), local(2026, 12, 3, 17, 30)) == three_days


def test_zero_is_now_in_working_time():
    assert CAL.add(local(2026, 12, 1, 10), timedelta(0)) == local(2026, 12, 1, 10)


# --- China's holidays and 调休 (2025 National Day, from the package) -------------------


def test_national_day_2025_and_its_make_up_days():
    # 2025: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 worked instead.
    assert CAL.day(date(2025, 9, 28)) == (True, DayReason.MAKE_UP_DAY)
    for d in range(1, 9):
        assert CAL.day(date(2025, 10, d)) == (False, DayReason.PUBLIC_HOLIDAY)
    assert CAL.day(date(2025, 10, 9)) == (True, DayReason.WEEKDAY)
    assert CAL.day(date(2025, 10, 11)) == (True, DayReason.MAKE_UP_DAY)
    assert CAL.day(date(2025, 10, 12)) == (False, DayReason.WEEKEND)


def test_a_deadline_across_national_day_skips_the_week_and_works_the_saturday():
    # Tuesday 09-30 16:00 + 3 h: 1.5 h before the holiday, 1.5 h on Thursday 10-09.
    assert CAL.add(local(2025, 9, 30, 16), 3 * H) == local(2025, 10, 9, 10)
    # 1.5 h + Thu + Fri + the make-up Saturday 10-11 + 0.5 h on Monday 10-13.
    assert CAL.count(local(2025, 9, 30, 16), local(2025, 10, 13, 9)) == 24 * H + 30 * M
    # Three working days from Thursday 10-09: Thu, Fri and the make-up Saturday.
    assert CAL.add(local(2025, 10, 9, 8, 30), 3 * CAL.day_length) == local(2025, 10, 13, 8, 30)


def test_the_make_up_sunday_before_national_day_is_working_time():
    assert CAL.is_working(local(2025, 9, 28, 10))
    assert CAL.add(local(2025, 9, 26, 17), H) == local(2025, 9, 28, 9)  # Friday → Sunday


# --- deployment overrides ---------------------------------------------------------------


def test_a_deployment_holiday_and_working_day():
    cal = cn_calendar(
        extra_holidays=[date(2026, 12, 2)],  # a county's own day off (Wednesday)
        extra_working_days=[date(2026, 12, 5)],  # and a Saturday worked instead
    )
    assert cal.day(date(2026, 12, 2)) == (False, DayReason.DEPLOYMENT_HOLIDAY)
    assert cal.day(date(2026, 12, 5)) == (True, DayReason.DEPLOYMENT_WORKING_DAY)
    # Tuesday 17:00 + 1 h: Wednesday is off, Thursday 09:00.
    assert cal.add(local(2026, 12, 1, 17), H) == local(2026, 12, 3, 9)
    # Friday 17:00 + 1 h: the Saturday is worked.
    assert cal.add(local(2026, 12, 4, 17), H) == local(2026, 12, 5, 9)
    assert CAL.add(local(2026, 12, 4, 17), H) == local(2026, 12, 7, 9)


def test_a_deployment_override_wins_over_the_package():
    cal = cn_calendar(extra_working_days=[date(2025, 10, 8)], extra_holidays=[date(2025, 10, 11)])
    assert cal.is_working_day(date(2025, 10, 8)) is True
    assert cal.is_working_day(date(2025, 10, 11)) is False


def test_a_day_both_off_and_working_is_refused():
    with pytest.raises(ValueError, match="both off and working"):
        cn_calendar(extra_holidays=[date(2026, 12, 2)], extra_working_days=[date(2026, 12, 2)])


# --- years without data -------------------------------------------------------------------


def test_the_package_knows_2026_but_not_2027():
    # Today is 2026-12-01: the next year's holidays are not published in the package yet.
    assert CAL.years_without_data([2026, 2027]) == (2027,)
    assert CAL.has_data(2025) and CAL.has_data(2026)
    assert not CAL.has_data(2027)


def test_a_weekday_without_data_is_no_answer_not_a_working_day():
    monday = date(2027, 3, 1)
    assert CAL.is_working_day(monday) is None
    assert CAL.day(monday) == (None, DayReason.NO_DATA)
    with pytest.raises(NoCalendarData) as caught:
        CAL.is_working(local(2027, 3, 1, 10))
    assert caught.value.year == 2027


def test_a_clock_running_into_a_year_without_data_is_refused():
    with pytest.raises(NoCalendarData):
        CAL.add(local(2026, 12, 31, 17), H)
    with pytest.raises(NoCalendarData):
        CAL.count(local(2026, 12, 31, 9), local(2027, 1, 4, 9))


def test_a_count_that_ends_in_a_known_year_never_asks_about_the_next():
    assert CAL.count(local(2026, 12, 31, 8, 30), local(2026, 12, 31, 23)) == CAL.day_length


def test_guessing_unknown_years_counts_their_weekdays_and_still_says_so():
    cal = cn_calendar(guess_unknown_years=True)
    assert cal.add(local(2026, 12, 31, 17), H) == local(2027, 1, 1, 9)  # a guess: really 元旦
    assert cal.is_working_day(date(2027, 1, 1)) is None
    assert cal.years_without_data([2026, 2027]) == (2027,)


def test_years_the_deployment_lists_itself_have_data():
    cal = cn_calendar(listed_years=[2027], extra_holidays=[date(2027, 1, 1)])
    assert cal.years_without_data([2026, 2027]) == ()
    assert cal.day(date(2027, 1, 1)) == (False, DayReason.DEPLOYMENT_HOLIDAY)
    assert cal.day(date(2027, 1, 4)) == (True, DayReason.WEEKDAY)
    assert cal.add(local(2026, 12, 31, 17), H) == local(2027, 1, 4, 9)


def test_an_empty_table_knows_no_year():
    cal = cn_calendar(table=EMPTY_TABLE)
    assert cal.years_without_data([2025]) == (2025,)


def test_the_package_table_covers_whole_years():
    table = HolidayTable.from_package()
    assert {2024, 2025, 2026} <= table.years
    assert date(2025, 10, 1) in table.holidays and date(2025, 10, 11) in table.make_up_days


# --- zones ------------------------------------------------------------------------------


def test_working_hours_are_local_time_in_a_zone_without_daylight_saving():
    # Asia/Shanghai is UTC+8 all year: 08:30 local is 00:30 UTC in winter and summer.
    for month in (1, 7):
        opening = CAL.next_working(datetime(2026, month, 6, 0, 0, tzinfo=UTC))
        assert opening == datetime(2026, month, 6, 0, 30, tzinfo=UTC)
    # A UTC instant late on a local Friday is already Saturday in Shanghai.
    saturday = datetime(2026, 11, 27, 18, tzinfo=UTC)  # Saturday 02:00 local
    assert CAL.next_working(saturday) == local(2026, 11, 30, 8, 30)


def test_working_hours_follow_the_wall_clock_across_daylight_saving():
    cal = WorkingCalendar(
        zone=ZoneInfo("Europe/Berlin"),
        hours=(parse_hours("09:00-17:00"),),
        table=EMPTY_TABLE,
        guess_unknown_years=True,
    )
    berlin = ZoneInfo("Europe/Berlin")
    friday = datetime(2026, 3, 27, 17, tzinfo=berlin)  # clocks go forward on Sunday 29th
    monday = datetime(2026, 3, 30, 9, tzinfo=berlin)
    assert cal.count(friday, monday) == timedelta(0)
    assert cal.add(friday, H) == datetime(2026, 3, 30, 10, tzinfo=berlin)
    assert cal.next_working(friday) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        CAL.add(datetime(2026, 12, 1, 9), H)
    with pytest.raises(ValueError, match="no time zone"):
        AlwaysOpen().count(datetime(2026, 12, 1, 9), local(2026, 12, 1, 10))


def test_negative_amounts_are_refused():
    for cal in (AlwaysOpen(), CAL):
        with pytest.raises(ValueError, match="negative"):
            cal.add(local(2026, 12, 1, 9), -M)


def test_a_count_backwards_is_zero():
    assert CAL.count(local(2026, 12, 1, 11), local(2026, 12, 1, 9)) == timedelta(0)


# --- hours --------------------------------------------------------------------------------


def test_parse_hours():
    assert parse_hours("08:30-12:00") == Hours(time(8, 30), time(12, 0))
    assert parse_hours(" 00:00-24:00 ") == Hours(time(0, 0), time.max)
    for bad in ("8-12", "12:00-08:30", "09:00-09:00", "22:00-06:00", "25:00-26:00", "09:60-10:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_a_full_day_runs_to_midnight():
    cal = working_calendar("Asia/Shanghai", ["00:00-24:00"])
    assert cal.day_length == timedelta(days=1)
    assert cal.add(local(2026, 12, 4, 23), 2 * H) == local(2026, 12, 7, 1)  # Friday → Monday


def test_overlapping_or_missing_hours_and_bad_weekdays_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        working_calendar("Asia/Shanghai", ["08:00-12:00", "11:00-13:00"])
    with pytest.raises(ValueError, match="needs working hours"):
        working_calendar("Asia/Shanghai", [])
    with pytest.raises(ValueError, match="weekdays"):
        working_calendar("Asia/Shanghai", HOURS, weekdays=[0, 1])
    with pytest.raises(ValueError, match="weekdays"):
        working_calendar("Asia/Shanghai", HOURS, weekdays=[])


def test_hours_given_out_of_order_are_sorted():
    cal = working_calendar("Asia/Shanghai", ["13:30-17:30", "08:30-12:00"])
    assert cal.add(local(2026, 12, 1, 8), H) == local(2026, 12, 1, 9, 30)


def test_a_calendar_without_any_working_day_stops_searching():
    mondays = [date(2026, 1, 5) + timedelta(weeks=w) for w in range(70)]
    cal = working_calendar(
        "Asia/Shanghai",
        HOURS,
        weekdays=[1],
        extra_holidays=mondays,
        table=EMPTY_TABLE,
        guess_unknown_years=True,
    )
    with pytest.raises(NoWorkingTime):
        cal.add(local(2026, 1, 1), H)


def test_saturday_working_weeks():
    cal = cn_calendar(weekdays=[1, 2, 3, 4, 5, 6])
    assert cal.add(local(2026, 11, 27, 17), H) == local(2026, 11, 28, 9)
    # A public holiday is still off on a six-day week (2025-10-04 is a Saturday in 国庆).
    assert cal.is_working_day(date(2025, 10, 4)) is False


# --- properties ------------------------------------------------------------------------------

# Instants within the years the package knows, so that no search runs into 2027.
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 10, 31), timezones=st.just(CN)
)
amounts = st.integers(min_value=0, max_value=20 * 450 * 60).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from([CAL, AlwaysOpen()])


@settings(max_examples=200, deadline=None)
@given(calendars, instants, amounts)
def test_counting_what_was_added_gives_it_back(cal, start, amount):
    end = cal.add(start, amount)
    assert end >= start
    assert cal.count(start, end) == amount
    assert cal.is_working(end)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, st.integers(min_value=0, max_value=40 * 24 * 3600))
def test_adding_what_was_counted_reaches_the_instant(cal, start, seconds):
    t = start + timedelta(seconds=seconds)
    back = cal.add(start, cal.count(start, t))
    assert back >= t
    assert (back == t) == cal.is_working(t)
    assert cal.count(t, back) == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, amounts, amounts)
def test_adding_is_monotonic_and_composes(cal, start, a, b):
    small, large = sorted((a, b))
    assert cal.add(start, small) <= cal.add(start, large)
    assert cal.add(cal.add(start, a), b) == cal.add(start, a + b)


@settings(max_examples=200, deadline=None)
@given(calendars, instants, st.lists(st.integers(0, 20 * 24 * 3600), min_size=2, max_size=2))
def test_counting_is_monotonic_and_additive(cal, start, offsets):
    first, second = sorted(start + timedelta(seconds=s) for s in offsets)
    assert cal.count(start, first) <= cal.count(start, second)
    assert cal.count(start, second) == cal.count(start, first) + cal.count(first, second)


@settings(max_examples=200, deadline=None)
@given(calendars, instants)
def test_the_next_working_instant(cal, at):
    nxt = cal.next_working(at)
    assert nxt >= at and cal.is_working(nxt)
    assert cal.count(at, nxt) == timedelta(0)
    assert (nxt == at) == cal.is_working(at)
