"""After a decision: the case follows its claims, payments are recorded, a paid case closes."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreement.post import queue_closing_agreement
from bot.case import clocks, lifecycle
from bot.case.status import INSURER_STAGE, CaseStatus
from bot.claims import rules
from bot.claims.rules import ClaimStatus
from bot.claims.store import live_claims
from bot.evidence.geo import distance_km, format_km
from bot.kernel import outbox
from bot.kernel.buttons import button_data
from bot.kernel.services import ConcurrentChange, Services
from bot.kernel.texts import Raw, t
from bot.roles.lookup import people_for
from bot.rules import sla
from bot.rules.amounts import format_fen
from bot.timeline.format import format_duration
from storage import queries as q
from storage.models import Case, InsurerClaim

# What a claim's move is to that insurer's stage clocks.
CLOCK_EVENTS: dict[rules.Event, sla.Event] = {
    rules.Event.APPROVE: sla.Event.INSURER_APPROVED,
    rules.Event.ADJUST: sla.Event.INSURER_APPROVED,
    rules.Event.SURVEY: sla.Event.SURVEY_REQUESTED,
    rules.Event.REJECT: sla.Event.INSURER_REJECTED,
    rules.Event.PAY_IN_FULL: sla.Event.PAID_IN_FULL,
    rules.Event.SUPERSEDE: sla.Event.CLAIM_WITHDRAWN,
}


async def transition(
    session: AsyncSession,
    claim: InsurerClaim,
    event: rules.Event,
    *,
    at: datetime,
    **values: Any,
) -> bool:
    """Move a claim by an event with a conditional UPDATE; False if another press won."""
    target = rules.next_status(claim.status, event)
    if target is None:
        return False
    stmt = (
        update(InsurerClaim)
        .where(col(InsurerClaim.id) == claim.id, col(InsurerClaim.status) == claim.status)
        .values(status=target.value, **values)
    )
    conn = await session.connection()
    if (await conn.execute(stmt)).rowcount != 1:
        return False
    await session.refresh(claim)
    clocks.note(session, claim.case_id, CLOCK_EVENTS[event], at=at, insurer=claim.insurer_code)
    return True


async def settle_case_status(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None
) -> None:
    """Put the case in the status its live claims imply, with what follows each step."""
    assert case.id is not None
    claims = await live_claims(session, case.id)
    if case.status not in INSURER_STAGE or not claims:
        return
    target = rules.case_status_for([c.status for c in claims])
    if target == case.status or (
        case.status == CaseStatus.DISPUTED and target == CaseStatus.AWAITING_INSURER
    ):
        return  # a disputed case returns only when the assistant resubmits
    now = svc.clock.now()
    if not await lifecycle.move(session, case, target, at=now, actor=actor):
        raise ConcurrentChange(f"case {case.number} moved while settling")
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    if target == CaseStatus.APPROVED:
        await _all_approved(session, svc, case, claims)
    elif target == CaseStatus.PAID:
        await close(session, svc, case, claims, actor=actor)


async def _all_approved(
    session: AsyncSession, svc: Services, case: Case, claims: list[InsurerClaim]
) -> None:
    lang, now = svc.language, svc.clock.now()
    buttons, lines = [], []
    for claim in claims:
        name = svc.insurer_name(claim.insurer_code)
        lines.append(f"· {escape(name)} {format_fen(claim.approved_fen or 0)}")
        if claim.status == ClaimStatus.APPROVED:
            data = await button_data(
                session,
                now=now,
                chat_id=case.chat_id,
                case_id=case.id,
                action_name="claim.paid_full",
                claim=claim.id,
                insurer=claim.insurer_code,
            )
            buttons.append([[t("claims.b.paid_full", lang, insurer=name), data]])
    outbox.say(
        session,
        svc,
        case,
        t("claims.all_approved", lang, lines=Raw("\n".join(lines))),
        buttons=buttons,
    )
    outbox.say(session, svc, case, nearest_points_text(svc, case, [c.insurer_code for c in claims]))


def nearest_points_text(
    svc: Services, case: Case, insurers: list[str], per_insurer: int = 2
) -> str:
    """The paying insurers' nearest assessment/repair points with address and phone."""
    lang = svc.language
    if case.scene_lat is not None and case.scene_lon is not None:
        origin, label = (case.scene_lat, case.scene_lon), t("claims.origin.scene", lang)
    else:
        town = next((x for x in svc.deployment.townships if x.code == case.township_code), None)
        origin = (town.lat, town.lon) if town else (0.0, 0.0)
        label = t("claims.origin.township", lang, township=svc.township_name(case.township_code))
    lines = []
    for code in dict.fromkeys(insurers):
        name = svc.insurer_name(code)
        points = sorted(
            (p for p in svc.deployment.service_points if p.insurer == code),
            key=lambda p: distance_km(origin, (p.lat, p.lon)),
        )[:per_insurer]
        if not points:
            lines.append(t("claims.point_none", lang, insurer=name))
        for p in points:
            km = format_km(distance_km(origin, (p.lat, p.lon)))
            lines.append(
                t(
                    "claims.point",
                    lang,
                    insurer=name,
                    name=p.name,
                    address=p.address,
                    phone=p.phone,
                    km=km,
                )
            )
    return t("claims.points", lang, origin=Raw(label), lines=Raw("\n".join(lines)))


async def close(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claims: list[InsurerClaim],
    *,
    actor: int | None,
) -> None:
    """Everything is paid: close the case, post the summary (and agreement), close the topic."""
    lang, now = svc.language, svc.clock.now()
    if not await lifecycle.move(session, case, CaseStatus.CLOSED, at=now, actor=actor):
        raise ConcurrentChange(f"case {case.number} moved while closing")
    lines = [
        t(
            "claims.closed_line",
            lang,
            insurer=svc.insurer_name(c.insurer_code),
            approved=format_fen(c.approved_fen or 0),
            paid=format_fen(c.paid_fen),
            claim_no=c.claim_no or "—",
            assessed=format_fen(c.assessed_fen) if c.assessed_fen is not None else "—",
        )
        for c in claims
    ]
    outbox.say(
        session,
        svc,
        case,
        t(
            "claims.closed",
            lang,
            number=case.number,
            lines=Raw("\n".join(lines)),
            total=format_fen(sum(c.paid_fen for c in claims)),
            duration=format_duration(now - case.opened_at, lang),
        ),
    )
    # The agreement (自行协商协议书) goes out before the topic closes; the sender renders it,
    # so a PDF problem is retried like any delivery and never undoes the closing payment.
    queue_closing_agreement(session, svc, case, actor=actor)
    if case.thread_mode == "forum":
        name = f"✅ {case.number} {svc.township_name(case.township_code)}"[:128]
        q.enqueue(
            session, at=now, chat_id=case.chat_id, kind="edit_topic", case_id=case.id, name=name
        )
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="close_topic", case_id=case.id)
        # Posts up to the newest one in the case already belong to the closing; only a
        # later post reopens the topic (bot/flows/topic.py).
        q.audit(
            session,
            at=now,
            kind="case.topic_closed",
            case_id=case.id,
            chat_id=case.chat_id,
            upto_message=await q.newest_message_id(session, case_id=case.id),
        )
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def assistant_and_police(
    session: AsyncSession, svc: Services, case: Case, *, police: bool
) -> tuple[Raw, Raw]:
    """Mentions of the case's assistant (its opener) and, when asked, the group's police."""
    assistant = outbox.mention(case.opened_by, case.opened_by_name)
    if not police:
        return assistant, Raw("")
    people = await people_for(
        session, svc, chat_id=case.chat_id, township=case.township_code, role="police"
    )
    return assistant, Raw(" ".join(outbox.mention(uid, name) for uid, name in people))
