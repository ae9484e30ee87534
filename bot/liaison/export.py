"""The liaison office's spreadsheets: one row per case, as XLSX or as CSV, streamed.

The rows come from an iterable that may be read only once (a month is 150,000 cases,
fetched in batches), and a write-only workbook must write a sheet's header before its first
row. So the columns cannot be the union of what the rows hold; they are fixed:

- one duration and one "met" column per SLA stage, for all seven stages (`STAGES`, named
  as the SLA texts name them), empty where a case never ran that stage;
- one amount column per compensation layer, for all seven layers (`LAYERS`, named as the
  money texts name them);
- the amounts per insurer as one text column ("平安产险：1234.56；人保财险：500.00"), since
  the insurers of a month are not known before its last row. Each insurer's own sheet adds
  that insurer's amount as a number, where it can be summed.

A row keyed by a stage or layer name that has no column is refused (ValueError) rather
than dropped: a spreadsheet that silently misses money is worse than a failed export.
`stage_names` and `layer_names` give the keys the rows must use.

Sheets, in this order: the cases, the summary (its figures are known before the first
row), then one sheet per insurer, created the first time a case names that insurer.
Every row is written to its sheets as it arrives and nothing but the insurer-to-sheet map
is held, so memory does not grow with the number of cases.

Cells hold what the case holds and nothing Excel would run: a text beginning with "=" is
written as text, not as a formula, and in the CSV a text beginning with = + - or @ gets a
leading apostrophe (names and plates are typed by the public). Control characters, which
XLSX cannot store, are dropped in both formats so that both say the same.
"""

from __future__ import annotations

import contextlib
import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.kernel.texts import Raw, t
from bot.rules.compensation_model import Layer
from bot.rules.sla import Stage

TEXTS: dict[str, dict[str, str]] = {
    "liaison.export.sheet.cases": {"zh": "案件", "en": "Cases"},
    "liaison.export.sheet.summary": {"zh": "汇总", "en": "Summary"},
    "liaison.export.col.number": {"zh": "案件编号", "en": "case number"},
    "liaison.export.col.township": {"zh": "乡镇", "en": "township"},
    "liaison.export.col.opened": {"zh": "开案时间", "en": "opened"},
    "liaison.export.col.ready": {"zh": "材料齐全时间", "en": "ready"},
    "liaison.export.col.first_response": {"zh": "保险首次响应", "en": "first insurer response"},
    "liaison.export.col.approved": {"zh": "核准时间", "en": "approved"},
    "liaison.export.col.paid_at": {"zh": "赔付时间", "en": "paid"},
    "liaison.export.col.closed": {"zh": "结案时间", "en": "closed"},
    "liaison.export.col.minutes": {"zh": "{stage}（分钟）", "en": "{stage} (min)"},
    "liaison.export.col.met": {"zh": "{stage}达标", "en": "{stage} met"},
    "liaison.export.col.parties": {
        "zh": "当事方（车牌 保险 责任）",
        "en": "parties (plate, insurer, liability)",
    },
    "liaison.export.col.drivers": {"zh": "驾驶人", "en": "drivers"},
    "liaison.export.col.layer": {"zh": "{layer}（元）", "en": "{layer} (¥)"},
    "liaison.export.col.insurers": {"zh": "各保险公司核准（元）", "en": "approved per insurer (¥)"},
    "liaison.export.col.claim_numbers": {"zh": "报案号", "en": "claim numbers"},
    "liaison.export.col.paid_fen": {"zh": "已赔付（元）", "en": "paid (¥)"},
    "liaison.export.col.status": {"zh": "状态", "en": "status"},
    "liaison.export.col.insurer_amount": {
        "zh": "本公司核准（元）",
        "en": "approved by this insurer (¥)",
    },
    "liaison.export.summary.figure": {"zh": "指标", "en": "figure"},
    "liaison.export.summary.value": {"zh": "数值", "en": "value"},
    "liaison.export.yes": {"zh": "是", "en": "Yes"},
    "liaison.export.no": {"zh": "否", "en": "No"},
    "liaison.export.insurer_amount": {"zh": "{insurer}：{amount}", "en": "{insurer}: {amount}"},
    "liaison.export.separator": {"zh": "；", "en": "; "},
}

STAGES: tuple[Stage, ...] = tuple(Stage)
LAYERS: tuple[Layer, ...] = tuple(Layer)

DATE_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "0.00"
MINUTES_FORMAT = "0.0"
CSV_DATE_FORMAT = "%Y-%m-%d %H:%M"

# Often enough for a progress bar to move, rarely enough to cost nothing.
PROGRESS_EVERY = 1_000

# Excel's rules for a sheet's name: at most 31 characters, none of these, no apostrophe at
# either end, and "History" is its own.
_SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")
_SHEET_RESERVED = "history"
# What Excel and LibreOffice take for the start of a formula in a CSV cell.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    """One case as the spreadsheet shows it; names are display names in the export's language."""

    number: str
    township: str  # display name, e.g. 花石镇
    status: str  # display text, e.g. 已结案
    opened_at: datetime  # aware UTC
    ready_at: datetime | None
    first_response_at: datetime | None
    approved_at: datetime | None
    paid_at: datetime | None
    closed_at: datetime | None
    stage_minutes: Mapping[str, float | None]  # stage display name -> worked minutes
    stage_met: Mapping[str, bool | None]  # stage display name -> met its target
    parties: str  # e.g. "甲 湘C12345 平安产险 全责；乙 湘C67890 人保财险 无责"
    drivers: str  # names and phones, already masked or not by the caller
    layers: Mapping[str, int]  # layer display name -> fen, e.g. {"交强险财产": 200000}
    insurers: Mapping[str, int]  # insurer display name -> approved fen
    claim_numbers: str  # "平安产险 RDAA2026009；人保财险 —"
    paid_fen: int


def stage_names(lang: str) -> tuple[str, ...]:
    """The keys of `ExportRow.stage_minutes` and `stage_met`, in column order."""
    return tuple(t(f"sla.stage.{stage.value}", lang) for stage in STAGES)


def layer_names(lang: str) -> tuple[str, ...]:
    """The keys of `ExportRow.layers`, in column order."""
    return tuple(t(f"layer.{layer.value}", lang) for layer in LAYERS)


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
    layout = _Layout(lang)
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


def write_csv(
    rows: Iterable[ExportRow],
    path: Path,
    *,
    zone: str,
    lang: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the cases' sheet as CSV (UTF-8 with a BOM, for Excel); return the cases written.

    `progress` is called as by `write_xlsx`.
    """
    layout = _Layout(lang)
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


class _Kind(Enum):
    TEXT = "text"
    TIME = "time"  # aware datetime, shown in the local zone
    MINUTES = "minutes"  # float
    MONEY = "money"  # int fen, shown in 元


@dataclass(frozen=True)
class _Column:
    header: str
    kind: _Kind
    width: float  # at least; a longer header widens it


Value = str | datetime | float | int | None


class _Layout:
    """The columns of one language and how a row fills them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.stages = stage_names(lang)
        self.layers = layer_names(lang)
        self.yes = _text("liaison.export.yes", lang)
        self.no = _text("liaison.export.no", lang)
        self.separator = _text("liaison.export.separator", lang)

        def col(key: str, kind: _Kind, width: float, **values: str) -> _Column:
            return _Column(_text(f"liaison.export.col.{key}", lang, **values), kind, width)

        self.columns: tuple[_Column, ...] = (
            col("number", _Kind.TEXT, 18),
            col("township", _Kind.TEXT, 10),
            col("opened", _Kind.TIME, 17),
            col("ready", _Kind.TIME, 17),
            col("first_response", _Kind.TIME, 17),
            col("approved", _Kind.TIME, 17),
            col("paid_at", _Kind.TIME, 17),
            col("closed", _Kind.TIME, 17),
            *(col("minutes", _Kind.MINUTES, 10, stage=s) for s in self.stages),
            *(col("met", _Kind.TEXT, 8, stage=s) for s in self.stages),
            col("parties", _Kind.TEXT, 44),
            col("drivers", _Kind.TEXT, 30),
            *(col("layer", _Kind.MONEY, 12, layer=name) for name in self.layers),
            col("insurers", _Kind.TEXT, 34),
            col("claim_numbers", _Kind.TEXT, 34),
            col("paid_fen", _Kind.MONEY, 12),
            col("status", _Kind.TEXT, 10),
        )
        self.insurer_columns = (*self.columns, col("insurer_amount", _Kind.MONEY, 14))
        self.kinds = tuple(c.kind for c in self.columns)
        self.insurer_kinds = tuple(c.kind for c in self.insurer_columns)

    def values(self, row: ExportRow) -> list[Value]:
        """The row's cells, in column order; None is an empty cell."""
        self._check(row)
        return [
            row.number,
            row.township,
            row.opened_at,
            row.ready_at,
            row.first_response_at,
            row.approved_at,
            row.paid_at,
            row.closed_at,
            *(row.stage_minutes.get(s) for s in self.stages),
            *(self._met(row.stage_met.get(s)) for s in self.stages),
            row.parties,
            row.drivers,
            *(row.layers.get(name) for name in self.layers),
            self.separator.join(
                _text("liaison.export.insurer_amount", self.lang, insurer=name, amount=yuan(fen))
                for name, fen in row.insurers.items()
            ),
            row.claim_numbers,
            row.paid_fen,
            row.status,
        ]

    def _met(self, met: bool | None) -> str | None:
        if met is None:
            return None
        return self.yes if met else self.no

    def _check(self, row: ExportRow) -> None:
        for what, keys, known in (
            ("stage", row.stage_minutes.keys() | row.stage_met.keys(), self.stages),
            ("layer", row.layers.keys(), self.layers),
        ):
            unknown = sorted(set(keys) - set(known))
            if unknown:
                raise ValueError(
                    f"case {row.number}: no column for {what} {unknown} "
                    f"in language {self.lang!r}; the columns are {list(known)}"
                )


def yuan(fen: int) -> str:
    """Fen as 元 with two decimals, exactly: 123456 -> "1234.56"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _text(key: str, lang: str, **values: str) -> str:
    # Spreadsheets are not HTML: names go in as they are, "&" and all.
    return t(key, lang, **{k: Raw(v) for k, v in values.items()})


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _local(at: datetime, tz: ZoneInfo) -> datetime:
    if at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: export times must be aware")
    return at.astimezone(tz).replace(tzinfo=None)


@dataclass
class _InsurerSheet:
    sheet: WriteOnlyWorksheet
    rows: int = 0


def _fill(
    book: Workbook,
    rows: Iterable[ExportRow],
    layout: _Layout,
    tz: ZoneInfo,
    summary: Sequence[tuple[str, str | int | float]],
    progress: Callable[[int], None] | None,
) -> int:
    taken = {_SHEET_RESERVED}
    cases_title = _sheet_title(_text("liaison.export.sheet.cases", layout.lang), taken)
    cases = _case_sheet(book, cases_title, layout)
    summary_title = _sheet_title(_text("liaison.export.sheet.summary", layout.lang), taken)
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
    base = _SHEET_FORBIDDEN.sub("_", _clean(name)).strip().strip("'").strip()
    base = base[:_SHEET_NAME_MAX].rstrip("'") or "_"
    title, n = base, 2
    while title.casefold() in taken:
        suffix = f" ({n})"
        title = base[: _SHEET_NAME_MAX - len(suffix)].rstrip("'") + suffix
        n += 1
    taken.add(title.casefold())
    return title


def _case_sheet(
    book: Workbook, title: str, layout: _Layout, *, insurer: bool = False
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
    figure = _text("liaison.export.summary.figure", lang)
    value = _text("liaison.export.summary.value", lang)
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
    sheet: WriteOnlyWorksheet, kinds: Sequence[_Kind], values: Sequence[Value], tz: ZoneInfo
) -> list[Any]:
    cells: list[Any] = []
    for kind, value in zip(kinds, values, strict=True):
        if value is None:
            cells.append(None)
        elif kind is _Kind.TEXT:
            cells.append(_xlsx_text(sheet, value))
        elif kind is _Kind.TIME:
            assert isinstance(value, datetime)
            cells.append(_styled(sheet, _local(value, tz), DATE_FORMAT))
        elif kind is _Kind.MONEY:
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
    text = _clean(str(value))
    if not text.startswith("="):
        return text
    # openpyxl takes a string beginning with "=" for a formula unless told otherwise.
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _csv_value(kind: _Kind, value: Value, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if kind is _Kind.TEXT:
        return _csv_text(str(value))
    if kind is _Kind.TIME:
        assert isinstance(value, datetime)
        return _local(value, tz).strftime(CSV_DATE_FORMAT)
    if kind is _Kind.MONEY:
        assert isinstance(value, int)
        return yuan(value)
    assert isinstance(value, int | float)
    return f"{value:.1f}"


def _csv_text(text: str) -> str:
    text = _clean(text)
    return "'" + text if text.startswith(_FORMULA_START) else text
