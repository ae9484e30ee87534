"""What every police move checks first: the officer's grants, whether the move applies, and
the compare-and-set that makes two officers pressing at once have exactly one winner."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel import outbox
from bot.kernel.buttons import Press, PressResult
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.police.rules import Refusal, refusal
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from storage import queries as q
from storage.models import Button, Case

CANCEL_QUESTION = "police_cancel"


async def is_officer(
    session: AsyncSession, svc: Services, case: Case, *, user_id: int, move: Action
) -> bool:
    grants = await grants_of(
        session, svc, chat_id=case.chat_id, user_id=user_id, township=case.township_code
    )
    return may(move, grants)


def audit_refused(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    user_id: int,
    user_name: str,
    move: Action,
    reason: str,
) -> None:
    q.audit(
        session,
        at=svc.clock.now(),
        kind="police.refused",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=user_id,
        actor_name=user_name,
        attempted=move.value,
        reason=reason,
    )


def refusal_text(svc: Services, why: Refusal, case: Case) -> str:
    return t(f"police.no.{why.value}", svc.language, who=case.police_claimed_by_name or "")


def refused(svc: Services, why: Refusal, case: Case) -> PressResult:
    # A repeat of one's own claim is harmless: a toast, not an alert.
    return PressResult(refusal_text(svc, why, case), alert=why is not Refusal.MINE)


async def checked(
    session: AsyncSession, svc: Services, press: Press, button: Button, move: Action
) -> Case | PressResult:
    """The button's case if the presser is police and the move applies, else the answer."""
    case = await session.get(Case, button.case_id) if button.case_id else None
    if case is None or case.id is None:
        return PressResult(t("police.alert.gone", svc.language), alert=True)
    if not await is_officer(session, svc, case, user_id=press.user_id, move=move):
        audit_refused(
            session,
            svc,
            case,
            user_id=press.user_id,
            user_name=press.user_name,
            move=move,
            reason="not_police",
        )
        return PressResult(t("police.alert.not_police", svc.language), alert=True)
    why = refusal(
        move, status=case.status, claimed_by=case.police_claimed_by, officer=press.user_id
    )
    return refused(svc, why, case) if why is not None else case


async def set_claim(
    session: AsyncSession, case: Case, *conditions: ColumnElement[bool], **values: Any
) -> bool:
    """Compare-and-set on the case row; True when this transaction made the change."""
    conn = await session.connection()
    result = await conn.execute(
        update(Case).where(col(Case.id) == case.id, *conditions).values(**values)
    )
    await session.refresh(case)
    return result.rowcount == 1


def holder_is(officer: int) -> ColumnElement[bool]:
    """The claim is free or the officer's own."""
    return or_(col(Case.police_claimed_by).is_(None), col(Case.police_claimed_by) == officer)


def redraw(session: AsyncSession, svc: Services, case: Case) -> None:
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)


def officer_mention(user_id: int, name: str) -> Raw:
    return outbox.mention(user_id, name)
