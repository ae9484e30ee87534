"""接单: a person a reminder or escalation was addressed to acknowledges it.

The acknowledgement quietens the step it answers (no more repeats), holds the ladder for
`sla.ack_grace_minutes`, and is shown on the card; it does not stop the clock, so if no
decision follows in that time the case climbs again. For the insurer's response stage an
acknowledgement is the insurer's first action, which ends that stage (docs/domain.md §6.1).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks
from bot.kernel.buttons import ButtonAction, Press, PressResult
from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.roles.lookup import people_for
from bot.rules import sla
from bot.rules.sla_clock import Clock
from bot.sla.store import live_clocks
from bot.timeline.format import format_duration
from storage import queries as q
from storage.models import Button, Case, StageClock


async def _may_acknowledge(
    session: AsyncSession, svc: Services, press: Press, button: Button, row: StageClock
) -> bool:
    if press.user_id in set(button.args.get("people", ())):
        return True
    if row.insurer_code is None:
        return False
    case = await session.get(Case, row.case_id)
    supervisors = await people_for(
        session,
        svc,
        chat_id=case.chat_id if case else press.chat_id,
        township=case.township_code if case else None,
        role="supervisor",
        insurer=row.insurer_code,
    )
    return any(uid == press.user_id for uid, _ in supervisors)


async def acknowledge(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Record who acknowledged a stage's reminder, once; refuse and audit anyone else."""
    lang = await chat_language(session, svc, press.chat_id)
    now = svc.clock.now()
    row = await session.get(
        StageClock, button.args.get("clock"), with_for_update=True, populate_existing=True
    )
    if row is None or not await _may_acknowledge(session, svc, press, button, row):
        q.audit(
            session,
            at=now,
            kind="sla.ack_refused",
            case_id=button.case_id,
            chat_id=press.chat_id,
            actor=press.user_id,
            actor_name=press.user_name,
        )
        return PressResult(t("sla.ack.not_yours", lang), alert=True)
    if row.state == "stopped":
        return PressResult(t("sla.ack.over", lang), alert=True)
    if row.ack_until is not None and row.ack_until > now:
        return PressResult(t("sla.ack.again", lang, who=row.ack_by_name or ""))
    grace = timedelta(minutes=svc.deployment.sla.ack_grace_minutes)
    # The step this reminder was about (a later step may have fired since).
    step = button.args.get("step", row.fired[-1][0] if row.fired else None)
    silenced = sorted({*row.silenced, step}) if step is not None else row.silenced
    # Compare-and-set: of two people pressing at once, one acknowledgement is recorded.
    conn = await session.connection()
    result = await conn.execute(
        update(StageClock)
        .where(
            col(StageClock.id) == row.id,
            col(StageClock.state) != "stopped",
            or_(col(StageClock.ack_until).is_(None), col(StageClock.ack_until) <= now),
        )
        .values(
            ack_by=press.user_id,
            ack_by_name=press.user_name,
            ack_at=now,
            ack_until=now + grace,
            silenced=silenced,
        )
    )
    await session.refresh(row)
    if result.rowcount != 1:
        return PressResult(t("sla.ack.again", lang, who=row.ack_by_name or ""))
    clocks.refresh(svc, row, Clock.from_json(row.clock))
    session.add(row)
    q.audit(
        session,
        at=now,
        kind="sla.acknowledged",
        case_id=row.case_id,
        chat_id=row.chat_id,
        actor=press.user_id,
        actor_name=press.user_name,
        stage=row.stage,
        insurer=row.insurer_code,
        insurer_name=svc.insurer_name(row.insurer_code) if row.insurer_code else None,
    )
    if row.stage == sla.Stage.INSURER_RESPONSE:
        # The insurer's first action ends its response stage; the acknowledgement moves on
        # to its decision clock, which it holds for the grace and where the card shows it.
        clocks.note(session, row.case_id, sla.Event.INSURER_ACTED, at=now, insurer=row.insurer_code)
        await _carry_to_decision(session, svc, row)
    q.enqueue(session, at=now, chat_id=row.chat_id, kind="edit_card", case_id=row.case_id)
    return PressResult(t("sla.ack.ok", lang, grace=format_duration(grace, lang)))


async def _carry_to_decision(session: AsyncSession, svc: Services, row: StageClock) -> None:
    for other in await live_clocks(session, row.case_id):
        if other.stage == sla.Stage.INSURER_DECISION and other.insurer_code == row.insurer_code:
            other.ack_by, other.ack_by_name = row.ack_by, row.ack_by_name
            other.ack_at, other.ack_until = row.ack_at, row.ack_until
            clocks.refresh(svc, other, Clock.from_json(other.clock))
            session.add(other)


BUTTONS: dict[str, ButtonAction] = {"sla.ack": acknowledge}
