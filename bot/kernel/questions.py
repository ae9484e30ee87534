"""Pending questions: what the bot asked one person in one case, kept until they answer.

Parties, claims and police ask questions; the text router sends the reply to the area
that asked (bot/flows/text_router.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Case, PendingInput


async def _pending_row(session: AsyncSession, case_id: int, user_id: int) -> PendingInput | None:
    stmt = select(PendingInput).where(
        PendingInput.case_id == case_id, PendingInput.user_id == user_id
    )
    return (await session.exec(stmt)).first()


async def pending_for(
    session: AsyncSession, *, case_id: int, user_id: int, now: datetime
) -> PendingInput | None:
    """This person's open question in this case, if it has not lapsed."""
    row = await _pending_row(session, case_id, user_id)
    return row if row is not None and row.expires_at > now else None


async def only_pending_in_chat(
    session: AsyncSession, *, chat_id: int, user_id: int, now: datetime
) -> PendingInput | None:
    """This person's single open question in the chat (None if none or several)."""
    stmt = select(PendingInput).where(
        PendingInput.chat_id == chat_id,
        PendingInput.user_id == user_id,
        col(PendingInput.expires_at) > now,
    )
    rows = list((await session.exec(stmt)).all())
    return rows[0] if len(rows) == 1 else None


async def set_pending(
    session: AsyncSession,
    *,
    case: Case,
    user_id: int,
    question: str,
    label: str | None,
    now: datetime,
    lifetime: timedelta,
) -> PendingInput:
    """Ask this person a question in this case, replacing their previous one."""
    assert case.id is not None
    row = await _pending_row(session, case.id, user_id)
    if row is None:
        row = PendingInput(
            case_id=case.id,
            chat_id=case.chat_id,
            user_id=user_id,
            question=question,
            party_label=label,
            created_at=now,
            expires_at=now + lifetime,
        )
    row.question, row.party_label = question, label
    row.created_at, row.expires_at = now, now + lifetime
    session.add(row)
    return row


async def clear_pending(session: AsyncSession, *, case_id: int, user_id: int) -> None:
    """Forget this person's open question in this case."""
    row = await _pending_row(session, case_id, user_id)
    if row is not None:
        await session.delete(row)
