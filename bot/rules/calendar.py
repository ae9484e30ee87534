"""Working-time calendars for the stage clocks (docs/domain.md §6.1).

A calendar counts time that counts for a service level: every instant (`AlwaysOpen`,
24/7), or working hours on working days (`WorkingCalendar`): the weekdays of the week
plus China's make-up working days (调休), minus public holidays, as the State Council
publishes them each year (carried by the `chinese-calendar` package), with the
deployment's own days off and working days on top.

The State Council publishes a year only in the November before, so a calendar may not
know the current or next year. It says so (`years_without_data`), and counts such a year
by its weekdays only when it was built to (`guess_unknown_years`); otherwise it refuses
(`NoCalendarData`) rather than treat a holiday week as working days without a word.

Instants in and out are aware datetimes; results are in UTC. Working days and hours are
those of the calendar's zone. Intervals are half open: 08:30-12:00 includes 08:30 and
excludes 12:00.

`add(start, amount)` is the first working instant at which `amount` of working time has
passed since `start`. When the amount runs out exactly at the end of a working period,
that is the start of the next one: a deadline, and anything fired at it, always falls in
working time (Friday 17:30 plus nothing is Monday 08:30). Hence
`count(s, add(s, n)) == n`, `add(s, count(s, t)) >= t` (equal when `t` is working time)
and `add(add(s, a), b) == add(s, a + b)`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import Protocol
from zoneinfo import ZoneInfo

ZERO = timedelta(0)
DAY = timedelta(days=1)
# No real calendar goes a year without working time (China's longest break is about nine
# days); past this a search stops instead of running forever on a calendar with no days.
MAX_GAP_DAYS = 400


class CalendarKind(StrEnum):
    """Which calendar a stage runs on (the deployment file's `calendar:` values)."""

    ALWAYS = "24x7"
    WORKING = "working"


class NoCalendarData(LookupError):
    """The calendar has no holiday data for a year it was asked about."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(f"no holiday data for {year}")


class NoWorkingTime(ValueError):
    """The calendar has no working time for longer than any real calendar does."""


class DayReason(StrEnum):
    """Why a day is, or is not, a working day."""

    DEPLOYMENT_WORKING_DAY = "deployment_working_day"
    DEPLOYMENT_HOLIDAY = "deployment_holiday"
    PUBLIC_HOLIDAY = "public_holiday"
    MAKE_UP_DAY = "make_up_day"  # 调休: a weekend day worked in exchange for a holiday
    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class HolidayTable:
    """Public holidays and make-up working days for the years it covers."""

    holidays: frozenset[date]
    make_up_days: frozenset[date]
    years: frozenset[int]

    @staticmethod
    def from_package() -> HolidayTable:
        """The table the installed `chinese-calendar` package carries."""
        return _package_table()


@cache
def _package_table() -> HolidayTable:
    import chinese_calendar

    holidays = frozenset(chinese_calendar.holidays)
    make_up = frozenset(chinese_calendar.workdays)
    # The package itself answers for every year from its first listed to its last.
    years = {d.year for d in holidays}
    return HolidayTable(holidays, make_up, frozenset(range(min(years), max(years) + 1)))


EMPTY_TABLE = HolidayTable(frozenset(), frozenset(), frozenset())


@dataclass(frozen=True)
class Hours:
    """One period of working time in a day, local wall-clock, start before end."""

    start: time
    end: time  # time.max stands for 24:00

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"working hours {self.start}-{self.end}: start must be before end")

    @property
    def length(self) -> timedelta:
        day = date(2000, 1, 1)
        return _local(day, self.end) - _local(day, self.start)


def parse_hours(text: str) -> Hours:
    """`08:30-12:00` as `Hours`; `24:00` is allowed as an end, overnight periods are not."""
    try:
        first, second = text.strip().split("-")
        start, end = (_parse_time(part) for part in (first, second))
    except ValueError:
        raise ValueError(f"working hours {text!r} are not HH:MM-HH:MM within one day") from None
    if not start < end:
        raise ValueError(f"working hours {text!r}: the start must be before the end")
    return Hours(start, end)


def _parse_time(text: str) -> time:
    hours, minutes = (int(v) for v in text.strip().split(":"))
    if (hours, minutes) == (24, 0):
        return time.max
    return time(hours, minutes)


class Calendar(Protocol):
    """What the stage clocks need of a calendar."""

    @property
    def day_length(self) -> timedelta:
        """Working time in one working day (what a target in days is made of)."""
        ...

    def is_working(self, at: datetime) -> bool:
        """Whether `at` is working time."""
        ...

    def next_working(self, at: datetime) -> datetime:
        """`at` if it is working time, else the start of the next working period."""
        ...

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The first working instant at which `amount` of working time has passed."""
        ...

    def count(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero if `end` is not after `start`)."""
        ...

    def years_without_data(self, years: Iterable[int]) -> tuple[int, ...]:
        """Which of these years the calendar has no holiday data for."""
        ...


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone: the calendar takes aware instants")
    return at.astimezone(UTC)


def _amount(amount: timedelta) -> timedelta:
    if amount < ZERO:
        raise ValueError(f"cannot add a negative amount of working time ({amount})")
    return amount


@dataclass(frozen=True)
class AlwaysOpen:
    """Every instant is working time (24/7)."""

    @property
    def day_length(self) -> timedelta:
        return DAY

    def is_working(self, at: datetime) -> bool:
        _utc(at)
        return True

    def next_working(self, at: datetime) -> datetime:
        return _utc(at)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        return _utc(start) + _amount(amount)

    def count(self, start: datetime, end: datetime) -> timedelta:
        return max(ZERO, _utc(end) - _utc(start))

    def years_without_data(self, years: Iterable[int]) -> tuple[int, ...]:
        return ()


@dataclass(frozen=True)
class WorkingCalendar:
    """Working hours on working days in one zone (docs/domain.md §6.1)."""

    zone: ZoneInfo
    hours: tuple[Hours, ...]
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO: 1 is Monday
    table: HolidayTable = field(default_factory=HolidayTable.from_package)
    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    # Years the deployment lists in full itself (when the package does not know them yet).
    listed_years: frozenset[int] = frozenset()
    guess_unknown_years: bool = False

    def __post_init__(self) -> None:
        ordered = sorted(self.hours, key=lambda h: h.start)
        if not ordered:
            raise ValueError("a working calendar needs working hours")
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start < before.end:
                raise ValueError(f"working hours {before} and {after} overlap")
        if not self.weekdays or not self.weekdays <= set(range(1, 8)):
            raise ValueError(f"working weekdays {sorted(self.weekdays)} are not 1-7 (Monday 1)")
        if both := self.extra_holidays & self.extra_working_days:
            raise ValueError(f"days both off and working: {sorted(both)}")
        object.__setattr__(self, "hours", tuple(ordered))

    @property
    def day_length(self) -> timedelta:
        return day_length(self.hours)

    def has_data(self, year: int) -> bool:
        """Whether the calendar knows the year's holidays and make-up days."""
        return year in self.table.years or year in self.listed_years

    def years_without_data(self, years: Iterable[int]) -> tuple[int, ...]:
        return tuple(sorted({y for y in years if not self.has_data(y)}))

    def day(self, day: date) -> tuple[bool | None, DayReason]:
        """Whether a local date is a working day and why; `None` when there is no data."""
        if day in self.extra_working_days:
            return True, DayReason.DEPLOYMENT_WORKING_DAY
        if day in self.extra_holidays:
            return False, DayReason.DEPLOYMENT_HOLIDAY
        if not self.has_data(day.year):
            return None, DayReason.NO_DATA
        if day in self.table.make_up_days:
            return True, DayReason.MAKE_UP_DAY
        if day in self.table.holidays:
            return False, DayReason.PUBLIC_HOLIDAY
        if day.isoweekday() in self.weekdays:
            return True, DayReason.WEEKDAY
        return False, DayReason.WEEKEND

    def is_working_day(self, day: date) -> bool | None:
        """Whether a local date is a working day; `None` when the year has no data."""
        return self.day(day)[0]

    def _counts(self, day: date) -> bool:
        working, _ = self.day(day)
        if working is not None:
            return working
        if not self.guess_unknown_years:
            raise NoCalendarData(day.year)
        return day.isoweekday() in self.weekdays

    def _periods(
        self, start: datetime, last_day: date | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Working periods (UTC) from `start` on, the first one cut at `start`; up to the
        local `last_day` when given, so that a count never asks about days after its end."""
        day = start.astimezone(self.zone).date()
        idle = 0
        while last_day is None or day <= last_day:
            if self._counts(day):
                for h in self.hours:
                    begin = _at(day, h.start, self.zone)
                    end = _at(day, h.end, self.zone)
                    if end > start:
                        idle = 0
                        yield max(begin, start), end
            idle += 1
            if idle > MAX_GAP_DAYS:
                raise NoWorkingTime(f"no working time in {MAX_GAP_DAYS} days from {start}")
            day += DAY

    def is_working(self, at: datetime) -> bool:
        at = _utc(at)
        day = at.astimezone(self.zone).date()
        if not self._counts(day):
            return False
        return any(
            _at(day, h.start, self.zone) <= at < _at(day, h.end, self.zone) for h in self.hours
        )

    def next_working(self, at: datetime) -> datetime:
        return self.add(at, ZERO)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        left = _amount(amount)
        for begin, end in self._periods(_utc(start)):
            if left < end - begin:
                return begin + left
            left -= end - begin
        raise AssertionError("unreachable: the periods never end")  # pragma: no cover

    def count(self, start: datetime, end: datetime) -> timedelta:
        start, end = _utc(start), _utc(end)
        total = ZERO
        if end <= start:
            return total
        for begin, stop in self._periods(start, end.astimezone(self.zone).date()):
            if begin >= end:
                break
            total += min(stop, end) - begin
        return total


def day_length(hours: Iterable[Hours]) -> timedelta:
    """Working time in a day of these hours (what a target in working days is made of)."""
    return sum((h.length for h in hours), ZERO)


def _local(day: date, moment: time) -> datetime:
    if moment == time.max:
        return datetime.combine(day + DAY, time.min)
    return datetime.combine(day, moment)


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock moment of a day as a UTC instant."""
    return _local(day, moment).replace(tzinfo=zone).astimezone(UTC)


def working_calendar(
    zone: str,
    hours: Collection[str],
    *,
    weekdays: Collection[int] = (1, 2, 3, 4, 5),
    extra_holidays: Collection[date] = (),
    extra_working_days: Collection[date] = (),
    listed_years: Collection[int] = (),
    table: HolidayTable | None = None,
    guess_unknown_years: bool = False,
) -> WorkingCalendar:
    """A working calendar from the deployment file's plain values."""
    return WorkingCalendar(
        zone=ZoneInfo(zone),
        hours=tuple(parse_hours(h) for h in hours),
        weekdays=frozenset(weekdays),
        table=HolidayTable.from_package() if table is None else table,
        extra_holidays=frozenset(extra_holidays),
        extra_working_days=frozenset(extra_working_days),
        listed_years=frozenset(listed_years),
        guess_unknown_years=guess_unknown_years,
    )
