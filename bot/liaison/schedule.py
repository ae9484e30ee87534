"""The digests' schedule: each liaison chat gets yesterday's digest (with the month to
date) at `sla.digest_time`, last week's on Mondays and last month's on the 1st, each
exactly once: the `digest_sent` row is written in the transaction that queues the
message, so a restart or a second process finds it and sends nothing again."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.liaison.digest import Gathered, chart_png, gather, render
from bot.roles.offices import Office, Oversight, offices
from bot.rules.periods import Period, between, day, month, week
from storage import queries as q
from storage.models import DigestSent

log = logging.getLogger(__name__)


def digest_periods(local: datetime, at: time, zone: str) -> list[Period]:
    """The periods whose digests are due at local time `local` (pure): from `at` on, the
    day before; on a Monday also the ISO week before; on the 1st also the month before."""
    if local.time() < at:
        return []
    return periods_sent_on(local.date(), zone)


def periods_sent_on(today: date, zone: str) -> list[Period]:
    """What a digest day sends: the day before, on Mondays the week before, on the 1st the
    month before."""
    due = [day(today - timedelta(days=1), zone)]
    if today.isoweekday() == 1:
        due.append(week(today - timedelta(days=7), zone))
    if today.day == 1:
        last = today - timedelta(days=1)
        due.append(month(last.year, last.month, zone))
    return due


CATCH_UP_DAYS = 7


def missed_days(last_day: date | None, today: date) -> list[date]:
    """The digest days before today whose digests were missed (the bot was down): the days
    after the one that sent the last day's digest, at most a week back (pure). Without any
    digest sent yet there is nothing to catch up."""
    if last_day is None:
        return []
    first = max(last_day + timedelta(days=2), today - timedelta(days=CATCH_UP_DAYS))
    return [first + timedelta(days=n) for n in range((today - first).days)]


def period_key(period: Period) -> str:
    return f"{period.kind}:{period.label}"


def _digest_time(svc: Services) -> time:
    hours, minutes = (int(v) for v in svc.deployment.sla.digest_time.split(":"))
    return time(hours, minutes)


def month_to_date(period: Period, zone: str) -> Period | None:
    """For a day's digest, its month from the 1st to that day (None on the 1st itself)."""
    if period.kind != "day":
        return None
    last = date.fromisoformat(period.label)
    return None if last.day == 1 else between(last.replace(day=1), last, zone)


async def send_due_digests(svc: Services) -> int:
    """Queue every digest that is due and not sent yet; how many were queued."""
    zone = svc.deployment.region.timezone
    local = svc.clock.now().astimezone(ZoneInfo(zone))
    today_due = digest_periods(local, _digest_time(svc), zone)
    queued = 0
    async with svc.db.session() as session:
        found = await offices(session, svc)
    for office in found:
        async with svc.db.session() as session:
            last = await _last_day_sent(session, office.chat_id)
            # Days the bot was down on: their digests go out now, late but once.
            due = [p for d in missed_days(last, local.date()) for p in periods_sent_on(d, zone)]
            due += today_due
            pending = [
                p
                for p in due
                if await session.get(DigestSent, (office.chat_id, period_key(p))) is None
            ]
        for period in pending:
            queued += await send_digest(svc, office, period)
    return queued


async def _last_day_sent(session: AsyncSession, chat_id: int) -> date | None:
    stmt = select(func.max(DigestSent.period)).where(
        DigestSent.chat_id == chat_id, col(DigestSent.period).startswith("day:")
    )
    key = (await session.exec(stmt)).one()
    return date.fromisoformat(key.removeprefix("day:")) if key else None


async def send_digest(svc: Services, office: Office, period: Period) -> int:
    """Build one chat's digest of one period and queue it, unless it was sent already."""
    zone = svc.deployment.region.timezone
    seen = Oversight(office.townships, None, office.show_personal_data)
    async with svc.db.session() as session:
        lang = await chat_language(session, svc, office.chat_id)
        got = await gather(session, svc, period, seen)
        span = month_to_date(period, zone)
        month_got: Gathered | None = await gather(session, svc, span, seen) if span else None
    parts = render(svc, got, lang=lang, personal=office.show_personal_data, month=month_got)
    chart: Path | None = None
    if not got.figures.quiet:
        chart = Path("digests") / f"{office.chat_id}-{period_key(period).replace(':', '-')}.png"
        target = svc.media_dir / chart
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(chart_png(svc, got, lang=lang))
    key = period_key(period)

    async def work(session: AsyncSession) -> int:
        if await session.get(DigestSent, (office.chat_id, key)) is not None:
            return 0  # another process sent it meanwhile
        now = svc.clock.now()
        session.add(DigestSent(chat_id=office.chat_id, period=key, sent_at=now))
        for part in parts:
            q.enqueue(session, at=now, chat_id=office.chat_id, kind="send_text", text=part)
        if chart is not None:
            caption = t("liaison.chart_caption", lang, label=period.label)
            q.enqueue(
                session,
                at=now,
                chat_id=office.chat_id,
                kind="send_file",
                path=str(chart),
                photo=True,
                caption=caption,
            )
        q.audit(session, at=now, kind="liaison.digest", chat_id=office.chat_id, period=key)
        return 1

    done = await svc.in_transaction(work)
    if done:
        log.info("digest %s queued for chat %s", key, office.chat_id)
    return done
