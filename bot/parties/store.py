"""Data functions for parties and pending questions (one session, no commits)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.parties import labels
from storage.models import Case, Party, PendingInput


async def parties_of(session: AsyncSession, *, case_id: int) -> list[Party]:
    """A case's parties in label order (甲 before 乙)."""
    stmt = select(Party).where(Party.case_id == case_id).order_by(col(Party.id))
    rows = list((await session.exec(stmt)).all())
    return sorted(rows, key=lambda p: labels.order(p.label))


async def party(session: AsyncSession, *, case_id: int, label: str) -> Party:
    """The party with this label, created empty if it does not exist yet."""
    stmt = select(Party).where(Party.case_id == case_id, Party.label == label)
    row = (await session.exec(stmt)).first()
    if row is None:
        row = Party(case_id=case_id, label=label)
        session.add(row)
        await session.flush()
    return row


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


async def recent_cases_with(
    session: AsyncSession, *, case_id: int, since: datetime, plate: str | None, phone: str | None
) -> list[tuple[Case, str]]:
    """Other cases opened since `since` with a party of this plate or phone."""
    out: list[tuple[Case, str]] = []
    for what, column, value in (("plate", Party.plate, plate), ("phone", Party.phone, phone)):
        if not value:
            continue
        stmt = (
            select(Case)
            .join(Party, col(Party.case_id) == col(Case.id))
            .where(column == value, col(Case.id) != case_id, col(Case.opened_at) >= since)
        )
        out += [(c, what) for c in (await session.exec(stmt)).all()]
    return out
