"""The liaison area's queries: the plain rows the statistics read for a period, the
period's flagged photos and repeated plates and phones. Each query goes through an index
on the period's times (cases opened, closed or sent to the police in it; stages stopped in
it) plus the cases open now, never the whole history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func
from sqlalchemy import select as columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import TERMINAL, CaseStatus
from bot.claims.rules import ClaimStatus
from bot.roles.offices import Oversight
from bot.rules.periods import Period
from bot.rules.stats import CaseRow, ClaimRow, StageRow
from storage.models import Case, InsurerClaim, InsurerPayment, Party, PhotoFlag, StageClock

_ENDED = [s.value for s in TERMINAL]
_APPROVED = (ClaimStatus.APPROVED.value, ClaimStatus.PAID.value)


@dataclass(frozen=True)
class PeriodRows:
    cases: list[CaseRow]
    claims: list[ClaimRow]
    stages: list[StageRow]


def _in(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(col(column) >= period.start, col(column) < period.end)


@dataclass(frozen=True)
class _Case:
    id: int
    number: str
    township: str
    status: str
    opened_at: datetime
    ready_at: datetime | None
    closed_at: datetime | None
    police_at: datetime | None


_CASE_COLUMNS: tuple[Any, ...] = (
    Case.id,
    Case.number,
    Case.township_code,
    Case.status,
    Case.opened_at,
    Case.ready_at,
    Case.closed_at,
    Case.police_at,
)
_OPEN = [s.value for s in CaseStatus if s not in TERMINAL]


async def period_cases(session: AsyncSession, period: Period, seen: Oversight) -> list[_Case]:
    """Cases opened, closed or sent to the police in the period, and those open now.

    Only the columns the figures read, and one query per index (each time column, and the
    status of the open ones), so that neither the history's rows nor their JSON are read.
    """
    found: dict[int, _Case] = {}
    for where in (
        _in(Case.opened_at, period),
        _in(Case.closed_at, period),
        _in(Case.police_at, period),
        col(Case.status).in_(_OPEN),
    ):
        stmt = columns(*_CASE_COLUMNS).where(where)
        if seen.townships:
            stmt = stmt.where(col(Case.township_code).in_(sorted(seen.townships)))
        for row in await _rows(session, stmt):
            found.setdefault(row[0], _Case(*row))
    return [found[k] for k in sorted(found)]


@dataclass(frozen=True)
class _Claim:
    id: int
    case_id: int
    insurer_code: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    approved_fen: int | None
    paid_fen: int


_CLAIM_COLUMNS: tuple[Any, ...] = (
    InsurerClaim.id,
    InsurerClaim.case_id,
    InsurerClaim.insurer_code,
    InsurerClaim.status,
    InsurerClaim.created_at,
    InsurerClaim.decided_at,
    InsurerClaim.approved_fen,
    InsurerClaim.paid_fen,
)


_STAGE_COLUMNS: tuple[Any, ...] = (
    StageClock.case_id,
    StageClock.township_code,
    StageClock.insurer_code,
    StageClock.stage,
    StageClock.started_at,
    StageClock.stopped_at,
    StageClock.met_target,
)


_NUMBER_COLUMNS: tuple[Any, ...] = (Case.id, Case.number)


async def period_rows(session: AsyncSession, period: Period, seen: Oversight) -> PeriodRows:
    """What `bot.rules.stats.figures` needs for a period, within what `seen` may see."""
    cases = await period_cases(session, period, seen)
    by_id = {c.id: c for c in cases}
    claims: list[_Claim] = []
    ids = sorted(by_id)
    for chunk in _chunks(ids):
        stmt = columns(*_CLAIM_COLUMNS).where(
            col(InsurerClaim.case_id).in_(chunk),
            col(InsurerClaim.status) != ClaimStatus.SUPERSEDED.value,
        )
        if seen.insurer is not None:
            stmt = stmt.where(col(InsurerClaim.insurer_code) == seen.insurer)
        claims += [_Claim(*row) for row in await _rows(session, stmt)]
    paid_at = await _paid_at(session, [c.id for c in claims if c.status == ClaimStatus.PAID.value])
    responded = await _responses(session, ids)
    if seen.insurer is not None:  # an insurer's people see the cases their insurer is in
        mine = {c.case_id for c in claims}
        cases = [c for c in cases if c.id in mine]
    stage_stmt = columns(*_STAGE_COLUMNS).where(_in(StageClock.stopped_at, period))
    if seen.townships:
        stage_stmt = stage_stmt.where(col(StageClock.township_code).in_(sorted(seen.townships)))
    if seen.insurer is not None:
        stage_stmt = stage_stmt.where(col(StageClock.insurer_code) == seen.insurer)
    stopped = await _rows(session, stage_stmt)
    numbers = {c.id: c.number for c in cases}
    missing = sorted({s[0] for s in stopped} - set(numbers))
    for chunk in _chunks(missing):
        names = columns(*_NUMBER_COLUMNS).where(col(Case.id).in_(chunk))
        numbers.update({int(i): str(n) for i, n in await _rows(session, names)})
    return PeriodRows(
        cases=[
            CaseRow(
                number=c.number,
                township=c.township,
                status=c.status,
                opened_at=c.opened_at,
                ready_at=c.ready_at,
                closed_at=c.closed_at,
                police_at=c.police_at,
            )
            for c in cases
        ],
        claims=[
            ClaimRow(
                case_number=by_id[c.case_id].number,
                township=by_id[c.case_id].township,
                insurer=c.insurer_code,
                pinged_at=c.created_at,
                responded_at=_first(c.decided_at, responded.get((c.case_id, c.insurer_code))),
                approved_at=c.decided_at if c.status in _APPROVED else None,
                paid_at=paid_at.get(c.id) if c.status == ClaimStatus.PAID.value else None,
                approved_fen=c.approved_fen if c.status in _APPROVED else None,
                paid_fen=c.paid_fen,
            )
            for c in claims
        ],
        stages=[
            StageRow(
                case_number=numbers.get(case_id, str(case_id)),
                township=township,
                insurer=insurer,
                stage=stage,
                started_at=started,
                stopped_at=stopped_at,
                met_target=met,
            )
            for case_id, township, insurer, stage, started, stopped_at, met in stopped
        ],
    )


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    # Plain tuples through the connection: no ORM objects for a month of rows.
    conn = await session.connection()
    return list((await conn.execute(stmt)).all())


def _first(*times: datetime | None) -> datetime | None:
    found = [t for t in times if t is not None]
    return min(found) if found else None


def _chunks(ids: Sequence[int], size: int = 900) -> list[list[int]]:
    # SQLite caps the parameters of one statement; a month holds more cases than that.
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


async def _paid_at(session: AsyncSession, claim_ids: list[int]) -> dict[int, datetime]:
    out: dict[int, datetime] = {}
    for chunk in _chunks(claim_ids):
        stmt = (
            select(InsurerPayment.claim_id, func.max(InsurerPayment.at))
            .where(col(InsurerPayment.claim_id).in_(chunk))
            .group_by(col(InsurerPayment.claim_id))
        )
        out.update(dict((await session.exec(stmt)).all()))
    return out


async def _responses(
    session: AsyncSession, case_ids: list[int]
) -> dict[tuple[int, str | None], datetime]:
    """When each insurer first acted on a case: its response stage stopped (an
    acknowledgement counts; a decision stops it too)."""
    out: dict[tuple[int, str | None], datetime] = {}
    for chunk in _chunks(case_ids):
        stmt = select(StageClock.case_id, StageClock.insurer_code, StageClock.stopped_at).where(
            col(StageClock.case_id).in_(chunk),
            StageClock.stage == "insurer_response",
            col(StageClock.stopped_at).is_not(None),
        )
        for case_id, insurer, stopped in (await session.exec(stmt)).all():
            key = (case_id, insurer)
            if stopped is not None and (key not in out or stopped < out[key]):
                out[key] = stopped
    return out


async def flag_counts(session: AsyncSession, period: Period, seen: Oversight) -> dict[str, int]:
    """The fraud guards' findings on photos in the period, by kind."""
    stmt = (
        select(PhotoFlag.kind, func.count())
        .join(Case, col(Case.id) == PhotoFlag.case_id)
        .where(_in(PhotoFlag.created_at, period))
        .group_by(col(PhotoFlag.kind))
    )
    if seen.townships:
        stmt = stmt.where(col(Case.township_code).in_(sorted(seen.townships)))
    if seen.insurer is not None:
        stmt = stmt.where(col(Case.id).in_(_cases_of(seen.insurer)))
    return {kind: int(n) for kind, n in (await session.exec(stmt)).all()}


def _cases_of(insurer: str) -> Any:
    """The cases an insurer's people may see: those it has a live claim in."""
    return select(InsurerClaim.case_id).where(
        InsurerClaim.insurer_code == insurer,
        InsurerClaim.status != ClaimStatus.SUPERSEDED.value,
    )


@dataclass(frozen=True)
class Repeat:
    """A plate or phone in more than one case within the window."""

    value: str
    numbers: tuple[str, ...]


async def repeats(
    session: AsyncSession, *, end: datetime, seen: Oversight, window: timedelta
) -> tuple[list[Repeat], list[Repeat]]:
    """Plates and phones that appear in two or more cases opened in `window` before `end`."""
    stmt = (
        select(Party.plate, Party.phone, Case.number)
        .join(Case, col(Case.id) == Party.case_id)
        .where(col(Case.opened_at) >= end - window, col(Case.opened_at) < end)
    )
    if seen.townships:
        stmt = stmt.where(col(Case.township_code).in_(sorted(seen.townships)))
    if seen.insurer is not None:
        stmt = stmt.where(col(Case.id).in_(_cases_of(seen.insurer)))
    plates: dict[str, set[str]] = {}
    phones: dict[str, set[str]] = {}
    for plate, phone, number in (await session.exec(stmt)).all():
        if plate:
            plates.setdefault(plate, set()).add(number)
        if phone:
            phones.setdefault(phone, set()).add(number)

    def found(seen_in: dict[str, set[str]]) -> list[Repeat]:
        return [
            Repeat(value, tuple(sorted(numbers)))
            for value, numbers in sorted(seen_in.items())
            if len(numbers) > 1
        ]

    return found(plates), found(phones)
