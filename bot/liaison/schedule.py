"""The digests' schedule: each liaison chat gets yesterday's digest (with the month to
date) at `sla.digest_time`, last week's on Mondays and last month's on the 1st, each
exactly once: the `digest_sent` row is written in the transaction that queues the
message, so a restart or a second process finds it and sends nothing again."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.liaison.digest import Gathered, chart_png, gather, render
from bot.roles.offices import Office, Oversight, offices
from bot.rules.stats import Period, between, day, month, week
from storage import queries as q
from storage.models import DigestSent

log = logging.getLogger(__name__)


def digest_periods(local: datetime, at: time, zone: str) -> list[Period]:
    """The periods whose digests are due at local time `local` (pure): from `at` on, the
    day before; on a Monday also the ISO week before; on the 1st also the month before."""
    if local.time() < at:
        return []
    today = local.date()
    due = [day(today - timedelta(days=1), zone)]
    if today.isoweekday() == 1:
        due.append(week(today - timedelta(days=7), zone))
    if today.day == 1:
        last = today - timedelta(days=1)
        due.append(month(last.year, last.month, zone))
    return due


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
    periods = digest_periods(local, _digest_time(svc), zone)
    if not periods:
        return 0
    async with svc.db.session() as session:
        found = await offices(session, svc)
        sent = {
            (o.chat_id, period_key(p))
            for o in found
            for p in periods
            if await session.get(DigestSent, (o.chat_id, period_key(p))) is not None
        }
    queued = 0
    for office in found:
        for period in periods:
            if (office.chat_id, period_key(period)) not in sent:
                queued += await send_digest(svc, office, period)
    return queued


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
