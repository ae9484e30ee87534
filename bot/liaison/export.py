"""The liaison office's spreadsheets: one row per case, and the columns it fills.

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

The files are written, streamed, by bot/liaison/xlsx.py and bot/liaison/csv_file.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

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

# Often enough for a progress bar to move, rarely enough to cost nothing.
PROGRESS_EVERY = 1_000


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


class Kind(Enum):
    TEXT = "text"
    TIME = "time"  # aware datetime, shown in the local zone
    MINUTES = "minutes"  # float
    MONEY = "money"  # int fen, shown in 元


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind
    width: float  # at least; a longer header widens it


Value = str | datetime | float | int | None


class Layout:
    """The columns of one language and how a row fills them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.stages = stage_names(lang)
        self.layers = layer_names(lang)
        self.yes = sheet_text("liaison.export.yes", lang)
        self.no = sheet_text("liaison.export.no", lang)
        self.separator = sheet_text("liaison.export.separator", lang)

        def col(key: str, kind: Kind, width: float, **values: str) -> Column:
            return Column(sheet_text(f"liaison.export.col.{key}", lang, **values), kind, width)

        self.columns: tuple[Column, ...] = (
            col("number", Kind.TEXT, 18),
            col("township", Kind.TEXT, 10),
            col("opened", Kind.TIME, 17),
            col("ready", Kind.TIME, 17),
            col("first_response", Kind.TIME, 17),
            col("approved", Kind.TIME, 17),
            col("paid_at", Kind.TIME, 17),
            col("closed", Kind.TIME, 17),
            *(col("minutes", Kind.MINUTES, 10, stage=s) for s in self.stages),
            *(col("met", Kind.TEXT, 8, stage=s) for s in self.stages),
            col("parties", Kind.TEXT, 44),
            col("drivers", Kind.TEXT, 30),
            *(col("layer", Kind.MONEY, 12, layer=name) for name in self.layers),
            col("insurers", Kind.TEXT, 34),
            col("claim_numbers", Kind.TEXT, 34),
            col("paid_fen", Kind.MONEY, 12),
            col("status", Kind.TEXT, 10),
        )
        self.insurer_columns = (*self.columns, col("insurer_amount", Kind.MONEY, 14))
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
                sheet_text(
                    "liaison.export.insurer_amount", self.lang, insurer=name, amount=yuan(fen)
                )
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


def sheet_text(key: str, lang: str, **values: str) -> str:
    """A catalogue text for a cell: spreadsheets are not HTML, so names go in as they are,
    "&" and all."""
    return t(key, lang, **{k: Raw(v) for k, v in values.items()})


# The control characters XML 1.0 (so XLSX) cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE,
# written here so that a (re)start does not import openpyxl (tests/liaison/test_export.py
# holds the two equal).
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def clean(text: str) -> str:
    """The text without the control characters XLSX cannot store; the CSV drops them too,
    so that both formats say the same."""
    return ILLEGAL_CHARACTERS.sub("", text)


def local_time(at: datetime, tz: ZoneInfo) -> datetime:
    """An aware time as the wall clock of `tz` shows it."""
    if at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: export times must be aware")
    return at.astimezone(tz).replace(tzinfo=None)
