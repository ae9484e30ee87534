"""Case numbers like HS-20261129-001: township prefix, local date, daily sequence."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

# ASCII digits, and a bounded sequence: int() refuses strings of more than 4300 digits,
# and no township numbers a billion cases a day.
_NUMBER = re.compile(r"^(?P<prefix>[A-Z]{1,6})-(?P<day>[0-9]{8})-(?P<seq>[0-9]{3,9})$")


def local_day(at: datetime, timezone: str) -> date:
    """The calendar date of an aware instant in a time zone."""
    return at.astimezone(ZoneInfo(timezone)).date()


def format_case_number(prefix: str, day: date, seq: int) -> str:
    """Format a case number; the sequence is at least three digits."""
    if seq < 1:
        raise ValueError("sequence starts at 1")
    return f"{prefix}-{day:%Y%m%d}-{seq:03d}"


def parse_case_number(text: str) -> tuple[str, date, int] | None:
    """Split a case number into prefix, date and sequence; None if it is not one."""
    m = _NUMBER.match(text.strip().upper())
    if not m:
        return None
    try:
        day = datetime.strptime(m["day"], "%Y%m%d").date()
    except ValueError:
        return None
    return m["prefix"], day, int(m["seq"])
