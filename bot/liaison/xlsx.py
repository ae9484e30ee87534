"""The liaison office's spreadsheet as XLSX, streamed (the columns: bot/liaison/export.py).

Sheets, in this order: the cases, the summary (its figures are known before the first
row), then one sheet per insurer, created the first time a case names that insurer.
Every row is written to its sheets as it arrives and nothing but the insurer-to-sheet map
is held, so memory does not grow with the number of cases.

Cells hold what the case holds and nothing Excel would run: a text beginning with "=" is
written as text, not as a formula (names and plates are typed by the public).
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.liaison.export import (
    PROGRESS_EVERY,
    ExportRow,
    Kind,
    Layout,
    Value,
    clean,
    local_time,
    sheet_text,
)

DATE_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "0.00"
MINUTES_FORMAT = "0.0"

# Excel's rules for a sheet's name: at most 31 characters, none of these, no apostrophe at
# either end, and "History" is its own.
_SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
_SHEET_RESERVED = "history"


def write_xlsx(
    rows: Iterable[ExportRow],
    path: Path,
    *,
    zone: str,
    lang: str,
    summary: Sequence[tuple[str, str | int | float]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the cases, the summary and one sheet per insurer; return the cases written.

    `progress` is called with the number of cases written so far, every `PROGRESS_EVERY`
    cases and once at the end.
    """
    layout = Layout(lang)
    tz = ZoneInfo(zone)
    book = Workbook(write_only=True)
    try:
        count = _fill(book, rows, layout, tz, summary, progress)
    except BaseException:
        _discard(book)
        raise
    try:
        book.save(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if progress is not None and count % PROGRESS_EVERY != 0:
        progress(count)
    return count


@dataclass
class _InsurerSheet:
    sheet: WriteOnlyWorksheet
    rows: int = 0


def _fill(
    book: Workbook,
    rows: Iterable[ExportRow],
    layout: Layout,
    tz: ZoneInfo,
    summary: Sequence[tuple[str, str | int | float]],
    progress: Callable[[int], None] | None,
) -> int:
    taken = {_SHEET_RESERVED}
    cases_title = _sheet_title(sheet_text("liaison.export.sheet.cases", layout.lang), taken)
    cases = _case_sheet(book, cases_title, layout)
    summary_title = _sheet_title(sheet_text("liaison.export.sheet.summary", layout.lang), taken)
    _write_summary(book, summary_title, layout.lang, summary)
    by_insurer: dict[str, _InsurerSheet] = {}
    count = 0
    for row in rows:
        values = layout.values(row)
        cases.append(_xlsx_cells(cases, layout.kinds, values, tz))
        for insurer, fen in row.insurers.items():
            if insurer not in by_insurer:
                title = _sheet_title(insurer, taken)
                by_insurer[insurer] = _InsurerSheet(_case_sheet(book, title, layout, insurer=True))
            own = by_insurer[insurer]
            own.sheet.append(_xlsx_cells(own.sheet, layout.insurer_kinds, [*values, fen], tz))
            own.rows += 1
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    _filter(cases, len(layout.kinds), count)
    for own in by_insurer.values():
        _filter(own.sheet, len(layout.insurer_kinds), own.rows)
    return count


def _discard(book: Workbook) -> None:
    """Close a book that will not be saved and remove its sheets' temporary files.

    openpyxl removes them when the book is saved, otherwise only when the process exits:
    each failed export would leave a month's rows on a long-running bot's disk.
    """
    for sheet in book.worksheets:
        # A sheet whose writer broke may not close cleanly; only its file matters now.
        with contextlib.suppress(Exception):
            if isinstance(sheet, WriteOnlyWorksheet) and not sheet.closed:
                sheet.close()
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            writer.cleanup()


def _sheet_title(name: str, taken: set[str]) -> str:
    """A name Excel accepts and no other sheet of the book has (Excel ignores case)."""
    base = _SHEET_FORBIDDEN.sub("_", clean(name)).strip().strip("'").strip()
    base = base[:_SHEET_NAME_MAX].rstrip("'") or "_"
    title, n = base, 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title = base[: _SHEET_NAME_MAX - len(suffix)].rstrip("'") + suffix
        n += 1
    taken.add(title.casefold())
    return title


def _case_sheet(
    book: Workbook, title: str, layout: Layout, *, insurer: bool = False
) -> WriteOnlyWorksheet:
    columns = layout.insurer_columns if insurer else layout.columns
    sheet = book.create_sheet(title)
    assert isinstance(sheet, WriteOnlyWorksheet)
    _set_widths(sheet, [(c.header, c.width) for c in columns])
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_text(sheet, c.header) for c in columns])
    return sheet


def _write_summary(
    book: Workbook, title: str, lang: str, summary: Sequence[tuple[str, str | int | float]]
) -> None:
    sheet = book.create_sheet(title)
    assert isinstance(sheet, WriteOnlyWorksheet)
    figure = sheet_text("liaison.export.summary.figure", lang)
    value = sheet_text("liaison.export.summary.value", lang)
    _set_widths(sheet, [(figure, 30), (value, 18)])
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_text(sheet, figure), _xlsx_text(sheet, value)])
    for name, amount in summary:
        cell = _xlsx_text(sheet, amount) if isinstance(amount, str) else amount
        sheet.append([_xlsx_text(sheet, name), cell])


def _set_widths(sheet: WriteOnlyWorksheet, columns: Sequence[tuple[str, float]]) -> None:
    # Set before the first row: a write-only sheet writes its column widths ahead of it.
    for i, (header, width) in enumerate(columns, 1):
        letter = get_column_letter(i)
        # The stubs leave out what a write-only sheet shares with an ordinary one.
        dimension = sheet.column_dimensions[letter]  # type: ignore[attr-defined]
        dimension.width = max(width, _display_width(header) + 2)


def _display_width(text: str) -> int:
    # Excel's width unit is one Latin digit; a Chinese character takes about two.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _filter(sheet: WriteOnlyWorksheet, width: int, rows: int) -> None:
    # Written after the rows, so it can span them; stubs as in `_set_widths`.
    sheet.auto_filter.ref = f"A1:{get_column_letter(width)}{rows + 1}"  # type: ignore[attr-defined]


def _xlsx_cells(
    sheet: WriteOnlyWorksheet, kinds: Sequence[Kind], values: Sequence[Value], tz: ZoneInfo
) -> list[Any]:
    cells: list[Any] = []
    for kind, value in zip(kinds, values, strict=True):
        if value is None:
            cells.append(None)
        elif kind is Kind.TEXT:
            cells.append(_xlsx_text(sheet, value))
        elif kind is Kind.TIME:
            assert isinstance(value, datetime)
            cells.append(_styled(sheet, local_time(value, tz), DATE_FORMAT))
        elif kind is Kind.MONEY:
            assert isinstance(value, int)
            # fen / 100 is the double nearest the exact 元 amount, which "0.00" shows exactly.
            cells.append(_styled(sheet, value / 100, MONEY_FORMAT))
        else:
            cells.append(_styled(sheet, value, MINUTES_FORMAT))
    return cells


def _styled(sheet: WriteOnlyWorksheet, value: Value, number_format: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _xlsx_text(sheet: WriteOnlyWorksheet, value: Value) -> str | Cell:
    text = clean(str(value))
    if not text.startswith("="):
        return text
    # openpyxl takes a string beginning with "=" for a formula unless told otherwise.
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell
