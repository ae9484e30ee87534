"""What an insurer's decision does, whether it comes from a button or a reply."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims import rules, settle
from bot.claims.rules import Event
from bot.kernel import questions
from bot.kernel.services import Services
from storage import queries as q
from storage.models import Case, InsurerClaim


def decided(user_id: int, user_name: str, now: datetime) -> dict[str, object]:
    """The columns that say who decided a claim, and when."""
    return {"decided_by": user_id, "decided_by_name": user_name, "decided_at": now}


async def ask_insurer(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    user_id: int,
    question: str,
) -> None:
    await questions.set_pending(
        session,
        case=case,
        user_id=user_id,
        question=rules.PENDING_PREFIX + question,
        label=str(claim.id),  # the claim the answer belongs to
        now=svc.clock.now(),
        lifetime=timedelta(minutes=svc.deployment.rules.pending_question_minutes),
    )


def audit_claim(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    kind: str,
    actor: int,
    **data: object,
) -> None:
    q.audit(
        session,
        at=svc.clock.now(),
        kind=kind,
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        claim=claim.id,
        insurer=claim.insurer_code,
        **data,
    )


async def approve_claim(
    session: AsyncSession,
    claim: InsurerClaim,
    *,
    user_id: int,
    user_name: str,
    now: datetime,
    amount: int | None = None,
) -> bool:
    """pinged -> approved, once, whoever presses at the same moment."""
    return await settle.transition(
        session,
        claim,
        Event.ADJUST if amount is not None else Event.APPROVE,
        at=now,
        approved_fen=amount if amount is not None else claim.requested_fen,
        **decided(user_id, user_name, now),
    )
