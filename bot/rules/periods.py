"""The periods the liaison office's figures cover: a day, a week, a month or a range of
days, and the words of `/stats` and `/export` that name one.

Pure: no Telegram, no database. Periods are local calendar days of the region's zone, as
instants: a case opened at 23:59 in Asia/Shanghai belongs to that day although it is
15:59 UTC. A period's end is the local midnight after its last day, computed from the date
rather than by adding 24 h, so a day across a daylight-saving change is as long as it
really is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TODAY = frozenset({"today", "今天"})
_YESTERDAY = frozenset({"yesterday", "昨天"})
_WEEK = frozenset({"week", "本周"})
_THIS_MONTH = frozenset({"month", "本月"})


@dataclass(frozen=True)
class Period:
    """Local days of a zone as a half-open span of UTC instants."""

    kind: str  # "day" | "week" | "month" | "range"
    start: datetime  # aware UTC, inclusive: local midnight of the first day
    end: datetime  # aware UTC, exclusive: local midnight after the last day
    label: str  # "2026-11-30", "2026-W48", "2026-11", "2026-11-01~2026-11-15"

    def holds(self, at: datetime | None) -> bool:
        """Whether an instant (aware) falls in the period; a missing one never does."""
        return at is not None and self.start <= at < self.end


def _midnight(d: date, zone: str) -> datetime:
    return datetime.combine(d, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _days(kind: str, first: date, after: date, zone: str, label: str) -> Period:
    return Period(kind, _midnight(first, zone), _midnight(after, zone), label)


def day(d: date, zone: str) -> Period:
    """One local day."""
    return _days("day", d, d + timedelta(days=1), zone, d.isoformat())


def week(d: date, zone: str) -> Period:
    """The ISO week (Monday to Sunday) containing `d`, labelled by its ISO year, which
    differs from the calendar year around New Year (2025-12-31 is in 2026-W01)."""
    monday = d - timedelta(days=d.weekday())
    iso = d.isocalendar()
    return _days(
        "week", monday, monday + timedelta(days=7), zone, f"{iso.year:04d}-W{iso.week:02d}"
    )


def month(year: int, month: int, zone: str) -> Period:
    """One calendar month."""
    first = date(year, month, 1)
    after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return _days("month", first, after, zone, f"{year:04d}-{month:02d}")


def between(first: date, last: date, zone: str) -> Period:
    """The days from `first` to `last`, both included."""
    if last < first:
        raise ValueError(f"a period cannot end ({last}) before it starts ({first})")
    label = f"{first.isoformat()}~{last.isoformat()}"
    return _days("range", first, last + timedelta(days=1), zone, label)


def _date(word: str) -> date | None:
    found = _DAY.fullmatch(word)
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def _one_word(word: str, today: date, zone: str) -> Period | None:
    if word in _TODAY:
        return day(today, zone)
    if word in _YESTERDAY:
        return day(today - timedelta(days=1), zone)
    if word in _WEEK:
        return week(today, zone)
    if word in _THIS_MONTH:
        return month(today.year, today.month, zone)
    found = _MONTH.fullmatch(word)
    if found is not None:
        year, number = int(found[1]), int(found[2])
        return month(year, number, zone) if 1 <= number <= 12 else None
    d = _date(word)
    return day(d, zone) if d is not None else None


def parse_period(words: Sequence[str], today: date, zone: str) -> Period | None:
    """The period a command's words name, `None` when they name none.

    Accepted: nothing (today), `today`/`今天`, `yesterday`/`昨天`, `week`/`本周` (the ISO
    week containing today, so far), `month`/`本月` (this month), `YYYY-MM`, `YYYY-MM-DD`
    (one day) and `YYYY-MM-DD YYYY-MM-DD` (both days included). A range that ends before
    it starts names no period. English words are read in any case.
    """
    cleaned = [w.strip().lower() for w in words]
    try:
        if not cleaned:
            return day(today, zone)
        if len(cleaned) == 1:
            return _one_word(cleaned[0], today, zone)
        if len(cleaned) == 2:
            first, last = _date(cleaned[0]), _date(cleaned[1])
            if first is not None and last is not None and first <= last:
                return between(first, last, zone)
    except (ValueError, OverflowError):
        # Dates at the edge of the calendar (year 0, a period ending after 9999-12-31).
        return None
    return None
