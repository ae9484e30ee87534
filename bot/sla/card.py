"""The service-level block of the case card: each live stage clock, time left or overdue
by, the ladder step reached and who acknowledged it (in the group's time zone)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.card import CardPart
from bot.case.clocks import calendar_for
from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.rules.sla_clock import Clock, ClockState, elapsed, remaining
from bot.sla.lines import stage_label
from bot.sla.store import live_clocks
from bot.timeline.format import format_duration
from storage import queries as q
from storage.models import Case, StageClock


def clock_line(svc: Services, row: StageClock, *, lang: str, timezone: str) -> str:
    """One clock as the card shows it (safe HTML)."""
    clock = Clock.from_json(row.clock)
    calendar = calendar_for(svc, clock.terms.calendar)
    now = svc.clock.now()
    values = stage_label(svc, row, lang)
    if clock.state is ClockState.PAUSED:
        return t(
            "sla.card.paused",
            lang,
            **values,
            span=format_duration(elapsed(clock, calendar, now), lang),
        )
    more = ""
    if row.step_kind is not None:
        more += t("sla.card.step", lang, step=t(f"sla.step.{row.step_kind}", lang))
    if row.ack_until is not None and row.ack_until > now and row.ack_at is not None:
        when = row.ack_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
        more += t("sla.card.ack", lang, who=row.ack_by_name or str(row.ack_by), time=when)
    left = remaining(clock, calendar, now)
    if left < timedelta(0):
        return t(
            "sla.card.overdue", lang, **values, span=format_duration(-left, lang), more=Raw(more)
        )
    due = (
        row.breach_at.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")
        if row.breach_at
        else "–"
    )
    return t(
        "sla.card.left", lang, **values, span=format_duration(left, lang), due=due, more=Raw(more)
    )


async def sla_section(session: AsyncSession, svc: Services, case: Case) -> CardPart | None:
    """The live clocks of a case, or nothing when none runs."""
    assert case.id is not None
    rows = await live_clocks(session, case.id)
    if not rows:
        return None
    lang = await chat_language(session, svc, case.chat_id)
    group = await q.get_group(session, chat_id=case.chat_id)
    timezone = group.timezone if group else svc.timezone
    return CardPart(lines=tuple(clock_line(svc, r, lang=lang, timezone=timezone) for r in rows))
