"""The liaison office's cases sheet as CSV, streamed (the columns: bot/liaison/export.py).

UTF-8 with a BOM, for Excel. A text beginning with = + - or @ gets a leading apostrophe,
so that a spreadsheet opening the file runs nothing (names and plates are typed by the
public).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.liaison.export import (
    PROGRESS_EVERY,
    ExportRow,
    Kind,
    Layout,
    Value,
    clean,
    local_time,
    yuan,
)

CSV_DATE_FORMAT = "%Y-%m-%d %H:%M"
# What Excel and LibreOffice take for the start of a formula in a CSV cell.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_csv(
    rows: Iterable[ExportRow],
    path: Path,
    *,
    zone: str,
    lang: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the cases' sheet as CSV (UTF-8 with a BOM, for Excel); return the cases written.

    `progress` is called as by `xlsx.write_xlsx`.
    """
    layout = Layout(lang)
    tz = ZoneInfo(zone)
    count = 0
    # The BOM is what makes Excel on Chinese Windows read UTF-8 rather than GBK.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        try:
            writer.writerow([_csv_text(c.header) for c in layout.columns])
            for row in rows:
                values = layout.values(row)
                writer.writerow(
                    [
                        _csv_value(kind, value, tz)
                        for kind, value in zip(layout.kinds, values, strict=True)
                    ]
                )
                count += 1
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count)
        except BaseException:
            # Half a period read as a whole one would be worse than no file.
            out.close()
            path.unlink(missing_ok=True)
            raise
    if progress is not None and count % PROGRESS_EVERY != 0:
        progress(count)
    return count


def _csv_value(kind: Kind, value: Value, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if kind is Kind.TEXT:
        return _csv_text(str(value))
    if kind is Kind.TIME:
        assert isinstance(value, datetime)
        return local_time(value, tz).strftime(CSV_DATE_FORMAT)
    if kind is Kind.MONEY:
        assert isinstance(value, int)
        return yuan(value)
    assert isinstance(value, int | float)
    return f"{value:.1f}"


def _csv_text(text: str) -> str:
    text = clean(text)
    return "'" + text if text.startswith(_FORMULA_START) else text
