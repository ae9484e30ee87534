"""The digest and /stats: one period's figures as text, with the overdue cases first.

`gather` reads what a period needs (within what the chat may see); `render` turns it into
message parts, each within Telegram's 4096 characters, split between lines; `chart_png`
draws the chart. The digest job (bot/liaison/schedule.py), /stats and the CLI all use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.liaison import store
from bot.parties.masking import mask_phone
from bot.roles.offices import LIAISON_KIND, Oversight
from bot.rules.amounts import format_fen
from bot.rules.periods import Period
from bot.rules.sla import Stage
from bot.rules.stats import Figures, Slice, Spread, figures
from bot.sla.lines import case_line
from bot.sla.store import overdue
from storage.models import Case, ChatGroup, StageClock

LIMIT = 3800  # under Telegram's 4096, leaving room for entities
OVERDUE_LISTED = 20
REPEAT_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class Gathered:
    figures: Figures
    overdue: list[tuple[StageClock, Case]]
    overdue_total: int
    flags: dict[str, int]
    plates: list[store.Repeat]
    phones: list[store.Repeat]


async def gather(session: AsyncSession, svc: Services, period: Period, seen: Oversight) -> Gathered:
    """Everything one period's digest shows, within what `seen` may see."""
    rows = await store.period_rows(session, period, seen)
    found = figures(period, rows.cases, rows.claims, rows.stages)
    groups = (await session.exec(select(ChatGroup).where(ChatGroup.kind != LIAISON_KIND))).all()
    chats = [g.chat_id for g in groups if seen.covers(g.township_code)]
    late, total = await overdue(
        session, chat_ids=chats, now=svc.clock.now(), insurer=seen.insurer, limit=OVERDUE_LISTED
    )
    flags = await store.flag_counts(session, period, seen)
    plates, phones = await store.repeats(session, end=period.end, seen=seen, window=REPEAT_WINDOW)
    return Gathered(found, late, total, flags, plates, phones)


def _minutes(value: float | None, lang: str) -> str:
    if value is None:
        return t("liaison.none", lang)
    shown = f"{value:.1f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"
    return t("liaison.minutes", lang, n=shown)


def _spread(s: Spread, lang: str) -> str:
    if not s.count:
        return t("liaison.none", lang)
    return t(
        "liaison.spread",
        lang,
        median=_minutes(s.median_minutes, lang),
        p90=_minutes(s.p90_minutes, lang),
    )


def _share(s: Slice, lang: str) -> str:
    share = s.sla_share
    return t("liaison.none", lang) if share is None else f"{share:.0%}"


def _holder(svc: Services, row: StageClock, case: Case, lang: str) -> str:
    if row.insurer_code:
        who = svc.insurer_name(row.insurer_code)
    elif row.stage in (Stage.POLICE_PICKUP, Stage.POLICE_RESOLUTION):
        who = case.police_claimed_by_name or t("role.police", lang)
    else:
        who = case.responsible_name or case.opened_by_name
    return t("liaison.holder", lang, who=who)


def body(
    svc: Services, got: Gathered, *, lang: str, personal: bool, open_now: bool = True
) -> list[str]:
    """The lines of one period's figures (no heading); `open_now`: with the cases open."""
    f = got.figures
    lines = [
        t(
            "liaison.counts",
            lang,
            opened=f.opened,
            closed=f.closed,
            police=f.police,
            cancelled=f.cancelled,
        )
    ]
    parts = [
        t("liaison.part", lang, name=t(f"status.{status}", lang), n=n)
        for status, n in f.open_by_status.items()
        if n
    ]
    key = "liaison.open_now" if parts else "liaison.open_none"
    if open_now:
        lines.append(t(key, lang, parts=Raw(" · ".join(parts))))
    if got.overdue:
        now = svc.clock.now()
        lines += ["", t("liaison.overdue", lang, n=got.overdue_total)]
        for row, case in got.overdue:
            late = now - (row.breach_at or now)
            lines.append(
                case_line(svc, case, row, late=late, lang=lang) + _holder(svc, row, case, lang)
            )
        if got.overdue_total > len(got.overdue):
            lines.append(t("liaison.overdue.more", lang, n=got.overdue_total - len(got.overdue)))
    if f.townships:
        lines += ["", t("liaison.townships", lang)]
        for s in f.townships:
            lines.append(
                t(
                    "liaison.township_line",
                    lang,
                    name=svc.township_name(s.key),
                    cases=s.cases,
                    ready=Raw(_spread(s.to_ready, lang)),
                    sla=_share(s, lang),
                    approved=format_fen(s.approved_fen),
                    paid=format_fen(s.paid_fen),
                )
            )
    if f.insurers:
        lines += ["", t("liaison.insurers", lang)]
        for s in f.insurers:
            lines.append(
                t(
                    "liaison.insurer_line",
                    lang,
                    name=svc.insurer_name(s.key),
                    cases=s.cases,
                    response=Raw(_spread(s.to_response, lang)),
                    approval=Raw(_spread(s.to_approval, lang)),
                    payout=Raw(_spread(s.to_payout, lang)),
                    sla=_share(s, lang),
                    approved=format_fen(s.approved_fen),
                    paid=format_fen(s.paid_fen),
                )
            )
    flagged = {k: got.flags.get(k, 0) for k in ("reused", "too_old", "too_far")}
    if any(flagged.values()):
        lines += ["", t("liaison.flags", lang, **flagged)]
    if got.plates:
        lines.append(t("liaison.repeat_plates", lang, items=Raw(_repeats(got.plates, lang))))
    if got.phones:
        shown = [
            store.Repeat(r.value if personal else mask_phone(r.value), r.numbers)
            for r in got.phones
        ]
        lines.append(t("liaison.repeat_phones", lang, items=Raw(_repeats(shown, lang))))
    return lines


def _repeats(found: list[store.Repeat], lang: str) -> str:
    return "；".join(
        t("liaison.repeat_item", lang, value=r.value, numbers="、".join(r.numbers)) for r in found
    )


def render(
    svc: Services,
    got: Gathered,
    *,
    lang: str,
    personal: bool,
    month: Gathered | None = None,
) -> list[str]:
    """The digest (or /stats answer) as message parts within Telegram's limit."""
    period = got.figures.period
    if got.figures.quiet and not got.overdue and (month is None or month.figures.quiet):
        return [t("liaison.quiet", lang, label=period.label)]
    lines = [t(f"liaison.head.{period.kind}", lang, label=period.label), ""]
    lines += body(svc, got, lang=lang, personal=personal)
    if month is not None:
        lines += ["", t("liaison.month_to_date", lang, label=month.figures.period.label)]
        lines += body(svc, without_lists(month), lang=lang, personal=personal, open_now=False)
    return split(lines)


def without_lists(got: Gathered) -> Gathered:
    """The figures alone: a month's part (or a summary sheet) repeats neither the overdue
    cases nor the day's flags and repeats."""
    return Gathered(got.figures, [], 0, {}, [], [])


def split(lines: list[str], limit: int = LIMIT) -> list[str]:
    """Lines joined into messages of at most `limit` characters, split between lines (a
    line longer than that is cut, which no line of the digest is)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line[:limit]
        if current and size + len(line) + 1 > limit:
            parts.append("\n".join(current).strip("\n"))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        parts.append("\n".join(current).strip("\n"))
    return [p for p in parts if p]


def chart_png(svc: Services, got: Gathered, *, lang: str) -> bytes:
    """The digest's chart: per-insurer response times and target share, cases per township."""
    # Imported when the first chart is drawn: matplotlib is seconds of a restart on a
    # loaded machine, and a restart after a crash should resume at once.
    from bot.liaison.chart import render_chart

    f = got.figures
    return render_chart(
        title=t("liaison.chart_title", lang, label=f.period.label),
        insurers=[
            (svc.insurer_name(s.key), s.to_response.median_minutes, s.sla_share) for s in f.insurers
        ],
        townships=[(svc.township_name(s.key), s.cases) for s in f.townships],
        lang=lang,
    )


def plain(text: str) -> str:
    """A message part as plain text (the CLI prints it)."""
    return unescape(re.sub(r"<[^>]+>", "", text))
