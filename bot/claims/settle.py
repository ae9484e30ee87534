"""After a decision: the case follows its claims, payments are recorded, a paid case closes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreement.post import queue_closing_agreement
from bot.case import clocks, lifecycle
from bot.case.status import INSURER_STAGE, CaseStatus
from bot.claims import rules, thread
from bot.claims.rules import ClaimStatus
from bot.claims.store import live_claims
from bot.kernel import outbox
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
    # Each paying insurer's ping now shows the payout button and its service points.
    for claim in claims:
        if claim.status == ClaimStatus.APPROVED:
            await thread.show_approved(session, svc, case, claim)


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
    summary = t(
        "claims.closed",
        lang,
        number=case.number,
        lines=Raw("\n".join(lines)),
        total=format_fen(sum(c.paid_fen for c in claims)),
        duration=format_duration(now - case.opened_at, lang),
    )
    # The agreement (自行协商协议书) goes out before the topic closes, the summary as its
    # caption; the sender renders it, so a PDF problem is retried like any delivery and
    # never undoes the closing payment.
    queue_closing_agreement(session, svc, case, actor=actor, summary=summary)
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
