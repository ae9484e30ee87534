"""The case's status machine: the table itself, and the one function that moves a case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.case import lifecycle
from bot.case.status import (
    EDITABLE,
    INSURER_STAGE,
    OPEN,
    TERMINAL,
    TRANSITIONS,
    CaseStatus,
    allowed,
    audit_kind,
)
from storage.db import Database
from storage.models import AuditEvent, Case

S = CaseStatus
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

# Written out by hand from the lifecycle in docs/architecture.md, independently of the code.
EXPECTED = {
    (S.COLLECTING, S.READY),
    (S.COLLECTING, S.POLICE),
    (S.COLLECTING, S.CANCELLED),
    (S.READY, S.COLLECTING),
    (S.READY, S.AWAITING_INSURER),
    (S.READY, S.POLICE),
    (S.DISPUTED, S.AWAITING_INSURER),
    (S.DISPUTED, S.APPROVED),
    (S.DISPUTED, S.PAID),
    (S.DISPUTED, S.POLICE),
    (S.AWAITING_INSURER, S.APPROVED),
    (S.AWAITING_INSURER, S.PAID),
    (S.AWAITING_INSURER, S.DISPUTED),
    (S.AWAITING_INSURER, S.POLICE),
    (S.APPROVED, S.AWAITING_INSURER),
    (S.APPROVED, S.PAID),
    (S.APPROVED, S.DISPUTED),
    (S.APPROVED, S.POLICE),
    (S.PAID, S.CLOSED),
    (S.PAID, S.AWAITING_INSURER),
    (S.PAID, S.APPROVED),
    (S.PAID, S.DISPUTED),
    (S.PAID, S.POLICE),
    (S.POLICE, S.COLLECTING),
    (S.POLICE, S.CANCELLED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_move_and_only_those(current: CaseStatus, target: CaseStatus) -> None:
    assert allowed(current, target) == ((current, target) in EXPECTED)


def test_the_sets_agree_with_the_table() -> None:
    assert set(TRANSITIONS) == set(S)
    assert all(not TRANSITIONS[s] for s in TERMINAL)
    assert EDITABLE <= OPEN and INSURER_STAGE <= OPEN
    assert OPEN | TERMINAL == set(S)
    # The police can take over every open case that is not theirs already.
    assert all(allowed(s, S.POLICE) for s in OPEN - {S.POLICE})


def test_audit_kinds_keep_the_timeline_names() -> None:
    assert audit_kind(S.COLLECTING, S.READY) == "case.ready"
    assert audit_kind(S.READY, S.COLLECTING) == "case.unready"
    assert audit_kind(S.POLICE, S.COLLECTING) == "case.handed_back"
    assert audit_kind(S.READY, S.AWAITING_INSURER) == "case.routed"
    assert audit_kind(S.PAID, S.CLOSED) == "case.closed"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def _case(db: Database, status: CaseStatus = S.COLLECTING) -> int:
    async with db.transaction() as s:
        case = Case(
            number="HS-20261201-001",
            chat_id=-1001,
            township_code="HS",
            status=status,
            origin_message_id=1,
            opened_by=7,
            opened_at=AT,
            updated_at=AT,
        )
        s.add(case)
        await s.flush()
        assert case.id is not None
        return case.id


async def _audits(db: Database, case_id: int) -> list[AuditEvent]:
    async with db.session() as s:
        stmt = select(AuditEvent).where(AuditEvent.case_id == case_id)
        return list((await s.exec(stmt)).all())


async def test_a_move_sets_the_row_and_writes_one_audit_event(db: Database) -> None:
    case_id = await _case(db)
    async with db.transaction() as s:
        case = await s.get(Case, case_id)
        assert case is not None
        moved = await lifecycle.move(
            s, case, S.READY, at=AT, actor=7, values={"ready_at": AT}, note="x"
        )
        assert moved and case.status == S.READY and case.ready_at == AT
    events = await _audits(db, case_id)
    assert [(e.kind, e.actor_user_id, e.data.get("note")) for e in events] == [
        ("case.ready", 7, "x")
    ]


async def test_a_move_the_table_does_not_have_is_a_bug_not_a_refusal(db: Database) -> None:
    case_id = await _case(db, S.CLOSED)
    async with db.transaction() as s:
        case = await s.get(Case, case_id)
        assert case is not None
        with pytest.raises(lifecycle.IllegalTransition):
            await lifecycle.move(s, case, S.READY, at=AT, actor=7)
    async with db.session() as s:
        row = await s.get(Case, case_id)
        assert row is not None and row.status == S.CLOSED
    assert await _audits(db, case_id) == []


async def test_a_move_from_a_stale_read_changes_nothing(db: Database) -> None:
    """Two officers read the case as `ready`; the first move wins, the second finds it moved."""
    case_id = await _case(db, S.READY)
    async with db.session() as s:
        stale = await s.get(Case, case_id)  # the second officer's read
    assert stale is not None and stale.status == S.READY

    async def take_over(case: Case, officer: int) -> bool:
        async with db.transaction() as s:
            row = await s.merge(case, load=False)
            return await lifecycle.move(
                s, row, S.POLICE, at=AT, actor=officer, values={"police_claimed_by": officer}
            )

    async with db.session() as s:
        fresh = await s.get(Case, case_id)
    assert fresh is not None
    assert await take_over(fresh, 1) is True
    assert await take_over(stale, 2) is False
    async with db.session() as s:
        row = await s.get(Case, case_id)
        assert row is not None and row.status == S.POLICE and row.police_claimed_by == 1
    events = await _audits(db, case_id)
    assert [(e.kind, e.actor_user_id) for e in events] == [("case.police", 1)]
