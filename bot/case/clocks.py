"""The case's stage clocks (docs/domain.md §6.1): what the case's events do to them.

Use cases note an event (`note`) where it happens — a status move in `lifecycle.move`,
a claim's decision, an officer taking a case — and the transaction applies every noted
event at its end (`apply_noted`, run by `Services.in_transaction`), in order, to the
`stage_clock` rows. A clock's terms are frozen onto its row when it starts; each row keeps
`due_at`, the next instant the sweep (bot/sla/sweep.py) must look at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import CaseStatus
from bot.kernel.services import Services
from bot.rules.calendar import Calendar, CalendarKind
from bot.rules.ladder import next_look
from bot.rules.sla import PER_INSURER, Action, Event, Firing, Stage, action_for
from bot.rules.sla_clock import Clock, ClockState, breach_at, met_target, react
from storage.models import Case, StageClock

_NOTES = "kuaipei.stage_events"
_CALENDARS = "kuaipei.calendars"


@dataclass(frozen=True)
class Noted:
    case_id: int
    event: Event
    insurer: str | None
    at: datetime


def note(
    session: AsyncSession,
    case_id: int | None,
    event: Event,
    *,
    at: datetime,
    insurer: str | None = None,
) -> None:
    """Note that `event` happened to a case (for one insurer, where it is an insurer's)."""
    if case_id is not None:
        session.info.setdefault(_NOTES, []).append(Noted(case_id, event, insurer, at))


_S = CaseStatus
_MOVE_EVENTS: dict[tuple[CaseStatus | None, CaseStatus], Event] = {
    (None, _S.READY): Event.CASE_READY,
    (None, _S.POLICE): Event.HANDED_TO_POLICE,
    (_S.POLICE, _S.COLLECTING): Event.POLICE_HANDED_BACK,
    (_S.READY, _S.COLLECTING): Event.CASE_UNREADY,
    (_S.DISPUTED, _S.AWAITING_INSURER): Event.RESUBMITTED,
    (None, _S.CANCELLED): Event.CANCELLED,
    (None, _S.CLOSED): Event.CLOSED,
}


def event_of_move(current: CaseStatus, target: CaseStatus) -> Event | None:
    """The clock event a status move is, if any (`None` in the key: from anywhere)."""
    return _MOVE_EVENTS.get((current, target)) or _MOVE_EVENTS.get((None, target))


def calendar_for(svc: Services, kind: CalendarKind) -> Calendar:
    """The deployment's calendar of a kind, built once per deployment file."""
    sla = svc.deployment.sla
    cached = svc.calendars.get((_CALENDARS, kind))
    if cached is not None and cached[0] is sla:  # a new file builds them again
        calendar: Calendar = cached[1]
        return calendar
    calendar = sla.calendar(kind, svc.deployment.region.timezone)
    svc.calendars[(_CALENDARS, kind)] = (sla, calendar)
    return calendar


def firings(row: StageClock) -> list[Firing]:
    return [Firing(step, repeat) for step, repeat in row.fired]


def refresh(svc: Services, row: StageClock, clock: Clock) -> None:
    """Write a clock back onto its row with what the sweep and the statistics read."""
    calendar = calendar_for(svc, clock.terms.calendar)
    row.clock = clock.to_json()
    row.state = clock.state.value
    row.breach_at = breach_at(clock, calendar) if clock.state is ClockState.RUNNING else None
    if clock.state is ClockState.STOPPED:
        row.stopped_at = clock.stopped_at
        row.worked_seconds = int(clock.accumulated.total_seconds())
        row.met_target = met_target(clock)
        row.due_at = None
        row.ack_until = None
        return
    row.due_at = next_look(clock, calendar, firings(row), row.silenced, row.ack_until)


async def clocks_of(session: AsyncSession, case_id: int) -> list[StageClock]:
    """Every clock a case has had, oldest first, locked for this transaction: a sweep
    firing one of them at the same moment (another process, on PostgreSQL) finishes
    first, and this transaction then reads what it wrote."""
    stmt = (
        select(StageClock)
        .where(StageClock.case_id == case_id)
        .order_by(col(StageClock.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(stmt)).all())


REINDEX_ROUND = 500


async def reindex(svc: Services) -> int:
    """Recompute when every live clock is next due under the deployment file in force.

    Terms are frozen onto a clock, but holidays and working hours are the county's
    facts and apply to running clocks from the day they change; a clock indexed under
    the old file would otherwise be looked at too late. Rows a sweep holds are skipped:
    the sweep refreshes them itself. Returns how many rows were recomputed."""
    last, total = 0, 0
    while True:

        async def work(session: AsyncSession, after: int = last) -> tuple[int, int]:
            stmt = (
                select(StageClock)
                .where(col(StageClock.state).in_(("running", "paused")), col(StageClock.id) > after)
                .order_by(col(StageClock.id))
                .limit(REINDEX_ROUND)
                .with_for_update(skip_locked=True)
            )
            rows = list((await session.exec(stmt)).all())
            for row in rows:
                refresh(svc, row, Clock.from_json(row.clock))
                session.add(row)
            return (rows[-1].id or after) if rows else after, len(rows)

        last, count = await svc.in_transaction(work)
        total += count
        if count < REINDEX_ROUND:
            return total


async def apply_noted(session: AsyncSession, svc: Services) -> None:
    """Apply the events this transaction noted, in the order they happened."""
    while notes := session.info.pop(_NOTES, []):
        for noted in notes:
            await _apply(session, svc, noted)


async def _apply(session: AsyncSession, svc: Services, noted: Noted) -> None:
    case = await session.get(Case, noted.case_id)
    if case is None:
        return
    latest: dict[tuple[str, str | None], StageClock] = {}
    for kept in await clocks_of(session, noted.case_id):
        latest[(kept.stage, kept.insurer_code)] = kept
    for stage in Stage:
        action = action_for(stage, noted.event)
        if action is None:
            continue
        targets: list[tuple[str | None, StageClock | None]]
        if stage in PER_INSURER and noted.insurer is None:
            if action is Action.START:
                continue  # an insurer's clock starts only by that insurer's event
            targets = [(ins, row) for (s, ins), row in latest.items() if s == stage]
        else:
            insurer = noted.insurer if stage in PER_INSURER else None
            targets = [(insurer, latest.get((stage.value, insurer)))]
        for insurer, row in targets:
            _react(session, svc, case, stage, insurer, row, noted)


def _react(
    session: AsyncSession,
    svc: Services,
    case: Case,
    stage: Stage,
    insurer: str | None,
    row: StageClock | None,
    noted: Noted,
) -> None:
    old = Clock.from_json(row.clock) if row is not None else None
    terms = svc.deployment.sla.terms(stage, insurer)
    kind = old.terms.calendar if old is not None else terms.calendar
    new = react(old, noted.event, noted.at, calendar_for(svc, kind), terms)
    if new is None or new == old:
        return
    if row is None or (old is not None and old.state is ClockState.STOPPED):
        assert case.id is not None
        row = StageClock(
            case_id=case.id,
            chat_id=case.chat_id,
            township_code=case.township_code,
            stage=stage.value,
            insurer_code=insurer,
            started_at=new.started_at,
            target_seconds=int(new.terms.target.total_seconds()),
        )
    refresh(svc, row, new)
    session.add(row)
