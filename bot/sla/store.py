"""The service-level area's queries: the sweep's due clocks, a case's running clocks, the
overdue list. Each asks through an index (`due_at`, `breach_at`, `case_id`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Case, StageClock

LIVE = ("running", "paused")


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[StageClock]:
    """Clocks with a step due by `now`, locked for this transaction.

    On PostgreSQL, rows another sweep holds are skipped rather than waited for, so two
    processes sweeping at once share the work and neither fires a step twice; SQLite has
    one writer at a time, which serialises sweeps by itself.
    """
    stmt = (
        select(StageClock)
        .where(col(StageClock.due_at) <= now)
        .order_by(col(StageClock.due_at), col(StageClock.id))
        .limit(limit)
    )
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.exec(stmt)).all())


async def any_due(session: AsyncSession, *, now: datetime) -> bool:
    """Whether any clock has a step due by `now` (a read, through the due_at index)."""
    stmt = select(StageClock.id).where(col(StageClock.due_at) <= now).limit(1)
    return (await session.exec(stmt)).first() is not None


async def live_clocks(session: AsyncSession, case_id: int) -> list[StageClock]:
    """A case's running and paused clocks, in the order they started."""
    stmt = (
        select(StageClock)
        .where(StageClock.case_id == case_id, col(StageClock.state).in_(LIVE))
        .order_by(col(StageClock.started_at), col(StageClock.id))
    )
    return list((await session.exec(stmt)).all())


async def overdue(
    session: AsyncSession,
    *,
    chat_ids: Collection[int],
    now: datetime,
    insurer: str | None,
    limit: int,
) -> tuple[list[tuple[StageClock, Case]], int]:
    """Running clocks past their breach in these chats, oldest breach first (at most
    `limit`), and how many cases are overdue in all."""
    where = (
        col(StageClock.chat_id).in_(list(chat_ids)),
        col(StageClock.breach_at) <= now,
        StageClock.state == "running",
        *((StageClock.insurer_code == insurer,) if insurer is not None else ()),
    )
    stmt = (
        select(StageClock, Case)
        .join(Case, col(Case.id) == StageClock.case_id)
        .where(*where)
        .order_by(col(StageClock.breach_at), col(StageClock.id))
        .limit(limit)
    )
    rows = [(c, k) for c, k in (await session.exec(stmt)).all()]
    # The cases, not their stages: one case may be late on two clocks.
    count = func.count(func.distinct(StageClock.case_id))
    total = (await session.exec(select(count).where(*where))).one()
    return rows, int(total)
