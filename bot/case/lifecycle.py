"""The one way a case changes status: check the move, compare-and-set the row, audit it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks
from bot.case.status import TERMINAL, CaseStatus, allowed, audit_kind
from storage import queries as q
from storage.models import Case

log = logging.getLogger(__name__)


class IllegalTransition(ValueError):
    """A use case asked for a move the status machine does not have (a bug, not a refusal)."""


async def move(
    session: AsyncSession,
    case: Case,
    target: CaseStatus,
    *,
    at: datetime,
    actor: int | None,
    conditions: tuple[ColumnElement[bool], ...] = (),
    values: dict[str, Any] | None = None,
    kind: str | None = None,
    **audit: Any,
) -> bool:
    """Move `case` to `target` if it is still where this transaction read it.

    True when this transaction made the move (the row and `case` then show it, and one
    audit event records it); False when another transaction moved the case first or an
    extra condition no longer holds. `values` are set in the same UPDATE.
    """
    assert case.id is not None
    current = CaseStatus(case.status)
    if not allowed(current, target):
        raise IllegalTransition(f"case {case.number}: {current} → {target}")
    values = dict(values or {})
    if target in TERMINAL:
        values.setdefault("closed_at", at)
    if target is CaseStatus.POLICE and case.police_at is None:
        values.setdefault("police_at", at)
    # Pending changes to the case must reach the row before the compare-and-set reads it.
    await session.flush()
    conn = await session.connection()
    result = await conn.execute(
        update(Case)
        .where(col(Case.id) == case.id, col(Case.status) == current.value, *conditions)
        .values(status=target.value, updated_at=at, **values)
    )
    await session.refresh(case)
    if result.rowcount != 1:
        return False
    kind = kind or audit_kind(current, target)
    q.audit(
        session,
        at=at,
        kind=kind,
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        **audit,
    )
    event = clocks.event_of_move(current, target)
    if event is not None:
        clocks.note(session, case.id, event, at=at)
    # The operator's view of the life cycle: one line per move, by case number only.
    log.info("case %s: %s (%s → %s)", case.number, kind, current.value, target.value)
    return True
