"""The case timeline as text: audit events in, safe HTML lines out. Pure: no Telegram, no DB.

Events arrive in order with the actor's display name already looked up (None: the bot
or nobody). Consecutive events of the same kind by the same person about the same party
merge into one line ("添加照片 9 张"). Status changes are read from the events as steps
(`case.<status>` kinds, the kinds in STEP_KINDS, or `to=<status>` in the data), and the
time between steps is shown with the total. `fit` cuts a long timeline to Telegram's
4096 characters, keeping the start and the newest entries and saying what it left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.case.status import TERMINAL, CaseStatus
from bot.kernel.texts import CATALOG, Raw, t

STATUSES = tuple(CaseStatus)
# Kinds that move a case to a status without being called `case.<status>`.
STEP_KINDS: Mapping[str, str] = {
    "case.opened": "collecting",
    "case.unready": "collecting",
    "case.handed_back": "collecting",
}
# Bookkeeping that says nothing to a reader of the timeline.
HIDDEN_KINDS = frozenset(
    {
        "photo.stored",
        "photo.download_retry",
        "photo.unflagged",
        "case.scene_address",
        "case.thread_fallback",
        "outbox.ambiguous",
        "outbox.not_repeated",
        "input.refused",
        "button.refused",
        "timeline.refused",
    }
)
# Kinds whose consecutive repeats (same actor, same party) merge into one line.
MERGED_KINDS = frozenset({"photo.added", "party.updated", "eligibility.answered"})
TELEGRAM_LIMIT = 4096


@dataclass(frozen=True)
class Entry:
    """One audit event, ready to show: when, what kind, who (display name) and its data."""

    at: datetime
    kind: str
    actor: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """The case reached a status at a time."""

    status: str
    at: datetime


def step_of(entry: Entry) -> str | None:
    """The status an event moved the case to, if it is a status change."""
    if entry.kind in STEP_KINDS:
        return STEP_KINDS[entry.kind]
    prefix, _, rest = entry.kind.partition(".")
    if prefix == "case" and rest in STATUSES:
        return rest
    to = entry.data.get("to")
    return to if isinstance(to, str) and to in STATUSES else None


def steps(entries: Sequence[Entry]) -> list[Step]:
    """The status changes in order; a repeat of the current status is no new step."""
    out: list[Step] = []
    for entry in sorted(entries, key=lambda e: e.at):
        status = step_of(entry)
        if status is not None and (not out or out[-1].status != status):
            out.append(Step(status, entry.at))
    return out


def format_duration(span: timedelta, lang: str = "zh") -> str:
    """`2天3小时`, `1小时5分钟`, `5分钟`, `不到1分钟` (days show hours, not minutes)."""
    minutes = max(0, int(span.total_seconds()) // 60)
    if minutes == 0:
        return t("timeline.dur.lt_minute", lang)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(t("timeline.dur.d", lang, n=days))
        if hours:
            parts.append(t("timeline.dur.h", lang, n=hours))
    else:
        if hours:
            parts.append(t("timeline.dur.h", lang, n=hours))
        if mins:
            parts.append(t("timeline.dur.m", lang, n=mins))
    return t("timeline.dur.sep", lang).join(parts)


def _merge_key(entry: Entry) -> tuple[str, str | None, Any] | None:
    if entry.kind not in MERGED_KINDS:
        return None
    return entry.kind, entry.actor, entry.data.get("label")


def merge(entries: Sequence[Entry]) -> list[tuple[Entry, int]]:
    """Visible entries with repeats merged: (first entry, how many)."""
    out: list[tuple[Entry, int]] = []
    for entry in entries:
        if entry.kind in HIDDEN_KINDS:
            continue
        key = _merge_key(entry)
        if key is not None and out and _merge_key(out[-1][0]) == key:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((entry, 1))
    return out


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return "" if value is None else str(value)


def describe(entry: Entry, count: int = 1, lang: str = "zh") -> str:
    """What happened, as safe HTML (values escaped)."""
    d = entry.data
    values: dict[str, Any] = {
        "n": count,
        "label": _str(d, "label"),
        "reason": _str(d, "reason"),
        "flag": _str(d, "flag"),
        "other": _str(d, "other_case"),
        "reasons": _str(d, "reasons"),
    }
    kind = entry.kind
    if kind.startswith("sla."):
        stage, insurer = _str(d, "stage"), _str(d, "insurer_name") or _str(d, "insurer")
        values["stage"] = (
            t(f"sla.stage.{stage}", lang) if f"sla.stage.{stage}" in CATALOG else stage
        )
        values["insurer"] = Raw(t("sla.insurer", lang, name=insurer) if insurer else "")
        step = _str(d, "fired_as")
        values["step"] = t(f"sla.step.{step}", lang) if f"sla.step.{step}" in CATALOG else step
    if kind == "party.updated" and count > 1:
        return t("timeline.ev.party.updated.many", lang, **values)
    if kind == "party.confirmed":
        via = _str(d, "via")
        values["via"] = t(f"timeline.via.{via}", lang) if f"timeline.via.{via}" in CATALOG else via
    if kind == "case.police" and d.get("via") == "take_over":
        return t("timeline.ev.case.police.take_over", lang)
    if kind == "police.refused":
        attempted = _str(d, "attempted")
        key = f"timeline.act.{attempted}"
        values["attempted"] = t(key, lang) if key in CATALOG else attempted
    if f"timeline.ev.{kind}" in CATALOG:
        template = CATALOG[f"timeline.ev.{kind}"]
        text = template.get(lang) or template["zh"]
        used = {k: v for k, v in values.items() if "{" + k + "}" in text}
        return t(f"timeline.ev.{kind}", lang, **used)
    return t("timeline.ev.other", lang, kind=kind)


def _when(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%m-%d %H:%M")


def event_lines(entries: Sequence[Entry], *, timezone: str, lang: str = "zh") -> list[str]:
    """One line per (merged) event: `11-29 14:03 王协理：开案`."""
    tz = ZoneInfo(timezone)
    lines = []
    for entry, count in merge(entries):
        what = describe(entry, count, lang)
        if entry.actor:
            lines.append(
                t("timeline.line", lang, time=_when(entry.at, tz), who=entry.actor, what=Raw(what))
            )
        else:
            lines.append(t("timeline.line.nobody", lang, time=_when(entry.at, tz), what=Raw(what)))
    return lines


def _status_name(status: str, lang: str) -> str:
    return t(f"status.{status}", lang)


def step_lines(entries: Sequence[Entry], *, now: datetime, lang: str = "zh") -> list[str]:
    """The durations between steps, and the total (to the end, or to now if still open)."""
    found = steps(entries)
    if not found:
        return []
    lines = [t("timeline.steps", lang)]
    for i, (before, after) in enumerate(zip(found, found[1:], strict=False)):
        start = t("timeline.step.opened", lang) if i == 0 else _status_name(before.status, lang)
        lines.append(
            t(
                "timeline.step",
                lang,
                **{
                    "from": Raw(start),
                    "to": Raw(_status_name(after.status, lang)),
                    "duration": Raw(format_duration(after.at - before.at, lang)),
                },
            )
        )
    first, last = found[0], found[-1]
    if last.status in TERMINAL:
        lines.append(
            t("timeline.total.done", lang, duration=Raw(format_duration(last.at - first.at, lang)))
        )
    else:
        lines.append(
            t("timeline.total.open", lang, duration=Raw(format_duration(now - first.at, lang)))
        )
    return lines


def fit(
    head: Sequence[str],
    events: Sequence[str],
    tail: Sequence[str],
    *,
    lang: str = "zh",
    limit: int = TELEGRAM_LIMIT,
    keep_first: int = 5,
) -> str:
    """Join head, events and tail within `limit` characters.

    If everything does not fit, the first `keep_first` events and as many of the newest as
    fit stay, with one line saying how many were left out. Head and tail always stay.
    """

    def size(lines: Sequence[str]) -> int:
        return sum(len(x) for x in lines) + max(0, len(lines) - 1)

    whole = [*head, *events, *tail]
    if size(whole) <= limit:
        return "\n".join(whole)
    total = len(events)
    note_room = len(t("timeline.cut", lang, count=total, total=total)) + 1
    budget = limit - size([*head, *tail]) - 2 - note_room  # two joins around the events
    first: list[str] = []
    for line in events[:keep_first]:
        if size(first) + len(line) + 1 > budget // 2:
            break
        first.append(line)
    last: list[str] = []
    for line in reversed(events[len(first) :]):
        if size(first) + size(last) + len(line) + 2 > budget:
            break
        last.insert(0, line)
    cut = total - len(first) - len(last)
    note = t("timeline.cut", lang, count=cut, total=total)
    text = "\n".join([*head, *first, note, *last, *tail])
    return text[:limit]
