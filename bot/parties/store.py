"""Data functions for parties and pending questions (one session, no commits)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.parties import labels
from storage.models import Case, Party


async def parties_of(session: AsyncSession, *, case_id: int) -> list[Party]:
    """A case's parties in label order (甲 before 乙)."""
    stmt = select(Party).where(Party.case_id == case_id).order_by(col(Party.id))
    rows = list((await session.exec(stmt)).all())
    return sorted(rows, key=lambda p: labels.order(p.label))


async def has_party(session: AsyncSession, *, case_id: int, label: str) -> bool:
    """Whether the case has a party with this label."""
    stmt = select(Party.id).where(Party.case_id == case_id, Party.label == label)
    return (await session.exec(stmt)).first() is not None


async def party(session: AsyncSession, *, case_id: int, label: str) -> Party:
    """The party with this label, created empty if it does not exist yet."""
    stmt = select(Party).where(Party.case_id == case_id, Party.label == label)
    row = (await session.exec(stmt)).first()
    if row is None:
        row = Party(case_id=case_id, label=label)
        session.add(row)
        await session.flush()
    return row


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
