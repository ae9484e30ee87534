"""A stage clock and what is due on it: start, pause, resume and stop in working time, elapsed
time that survives pauses exactly, the warning and breach instants, and the ladder's steps
that are due now, each exactly once (docs/domain.md §6.1). Pure: no Telegram, no database."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.rules.calendar import Calendar
from bot.rules.sla import (
    ZERO,
    Action,
    Event,
    Firing,
    Stage,
    StepKind,
    Terms,
    action_for,
    from_micros,
    micros,
)


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Run:
    """One period the clock ran; `worked` is its working time once it has ended."""

    started: datetime
    ended: datetime | None = None
    worked: timedelta = ZERO


@dataclass(frozen=True)
class Clock:
    """A stage's clock: its frozen terms and the periods it ran (started, paused,
    resumed, stopped: what the statistics read)."""

    terms: Terms
    runs: tuple[Run, ...]
    stopped_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError("a clock has run at least from its start")
        if self.stopped_at is not None and self.runs[-1].ended is None:
            raise ValueError("a stopped clock has no running period")

    @property
    def stage(self) -> Stage:
        return self.terms.stage

    @property
    def started_at(self) -> datetime:
        return self.runs[0].started

    @property
    def state(self) -> ClockState:
        if self.stopped_at is not None:
            return ClockState.STOPPED
        return ClockState.RUNNING if self.runs[-1].ended is None else ClockState.PAUSED

    @property
    def accumulated(self) -> timedelta:
        """Working time of the periods that have ended."""
        return sum((r.worked for r in self.runs if r.ended is not None), ZERO)

    def to_json(self) -> dict[str, Any]:
        return {
            "terms": self.terms.to_json(),
            "runs": [
                {
                    "started": r.started.isoformat(),
                    "ended": None if r.ended is None else r.ended.isoformat(),
                    "worked_us": micros(r.worked),
                }
                for r in self.runs
            ],
            "stopped_at": None if self.stopped_at is None else self.stopped_at.isoformat(),
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Clock:
        return Clock(
            terms=Terms.from_json(data["terms"]),
            runs=tuple(
                Run(
                    started=datetime.fromisoformat(r["started"]),
                    ended=None if r["ended"] is None else datetime.fromisoformat(r["ended"]),
                    worked=from_micros(r["worked_us"]),
                )
                for r in data["runs"]
            ),
            stopped_at=None
            if data["stopped_at"] is None
            else datetime.fromisoformat(data["stopped_at"]),
        )


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone: clocks take aware instants")
    return at


def _not_before(at: datetime, last: datetime) -> None:
    if _aware(at) < last:
        raise ValueError(f"{at.isoformat()} is before the clock's last change {last.isoformat()}")


def start(terms: Terms, at: datetime) -> Clock:
    """A clock of these terms running from `at`."""
    return Clock(terms, (Run(_aware(at)),))


def _last_change(clock: Clock) -> datetime:
    last = clock.runs[-1]
    return last.started if last.ended is None else last.ended


def pause(clock: Clock, at: datetime, calendar: Calendar) -> Clock:
    """The clock paused at `at`; a clock already paused or stopped is left as it is."""
    if clock.state is not ClockState.RUNNING:
        return clock
    _not_before(at, _last_change(clock))
    open_run = clock.runs[-1]
    closed = replace(open_run, ended=at, worked=calendar.count(open_run.started, at))
    return replace(clock, runs=(*clock.runs[:-1], closed))


def resume(clock: Clock, at: datetime) -> Clock:
    """The clock running again from `at`; a clock running or stopped is left as it is."""
    if clock.state is not ClockState.PAUSED:
        return clock
    _not_before(at, _last_change(clock))
    return replace(clock, runs=(*clock.runs, Run(at)))


def stop(clock: Clock, at: datetime, calendar: Calendar) -> Clock:
    """The clock stopped for good at `at` (from running or paused); stopped stays stopped."""
    if clock.state is ClockState.STOPPED:
        return clock
    _not_before(at, _last_change(clock))
    paused = pause(clock, at, calendar)
    return replace(paused, stopped_at=at)


def react(
    clock: Clock | None, event: Event, at: datetime, calendar: Calendar, terms: Terms
) -> Clock | None:
    """A stage's clock after an event (`terms` are those a new clock would take).

    Repeating an event changes nothing: starting a live clock keeps it; starting a stage
    whose clock has stopped begins a new clock (a case handed back by the police is
    collected again).
    """
    action = action_for(terms.stage, event)
    if clock is not None and clock.stage is not terms.stage:
        raise ValueError(f"a {clock.stage} clock given with {terms.stage} terms")
    if action is Action.START:
        if clock is None or clock.state is ClockState.STOPPED:
            return start(terms, at)
        return clock
    if clock is None:
        return None
    if action is Action.PAUSE:
        return pause(clock, at, calendar)
    if action is Action.RESUME:
        return resume(clock, at)
    if action is Action.STOP:
        return stop(clock, at, calendar)
    return clock


def elapsed(clock: Clock, calendar: Calendar, now: datetime) -> timedelta:
    """Working time the clock has run by `now`, pauses left out."""
    total = clock.accumulated
    last = clock.runs[-1]
    if last.ended is None:
        total += calendar.count(last.started, _aware(now))
    return total


def reached_at(clock: Clock, calendar: Calendar, offset: timedelta) -> datetime | None:
    """The instant the clock's elapsed time reaches `offset` (past or future); `None` if
    it has not and cannot while the clock is paused or stopped."""
    done = ZERO
    for run in clock.runs:
        left = max(ZERO, offset - done)
        if run.ended is None:
            return calendar.add(run.started, left)
        if left <= run.worked:
            at = calendar.add(run.started, left)
            # Reached exactly as the period ended in a gap: the next working instant lies
            # in the pause, so it is reached only when the clock runs again.
            if at <= run.ended:
                return at
        done += run.worked
    return None


def warning_at(clock: Clock, calendar: Calendar) -> datetime | None:
    """When the warning falls (or fell); `None` without a warning or while it cannot."""
    warning = clock.terms.warning
    return None if warning is None else reached_at(clock, calendar, warning)


def breach_at(clock: Clock, calendar: Calendar) -> datetime | None:
    """When the target is (or was) breached; `None` while that cannot happen."""
    return reached_at(clock, calendar, clock.terms.target)


def remaining(clock: Clock, calendar: Calendar, now: datetime) -> timedelta:
    """Working time left to the target; negative once it is overdue."""
    return clock.terms.target - elapsed(clock, calendar, now)


def met_target(clock: Clock) -> bool | None:
    """Whether a stopped clock stopped within its target; `None` while it runs."""
    if clock.state is not ClockState.STOPPED:
        return None
    return clock.accumulated <= clock.terms.target


@dataclass(frozen=True)
class Due:
    firing: Firing
    kind: StepKind
    at: datetime  # when it fell due (in the past after downtime)
    overdue: timedelta  # elapsed working time past the target (negative before it)


def _highest_fired(fired: Iterable[Firing]) -> dict[int, int]:
    highest: dict[int, int] = {}
    for f in fired:
        highest[f.step] = max(f.repeat, highest.get(f.step, -1))
    return highest


def _pending(clock: Clock, fired: Collection[Firing]) -> Iterable[Firing]:
    """Firings not yet fired nor passed over by a later repetition of their step."""
    highest = _highest_fired(fired)
    for firing in clock.terms.firings():
        if firing.repeat > highest.get(firing.step, -1):
            yield firing


def due(
    clock: Clock, calendar: Calendar, fired: Collection[Firing], now: datetime
) -> tuple[Due, ...]:
    """The ladder's firings due at `now` and not fired yet, in the order they fell due.

    A stopped clock fires nothing. Of a step's repetitions only the latest due one is
    returned: recording it passes over the earlier ones.
    """
    if clock.state is ClockState.STOPPED:
        return ()
    _aware(now)
    latest: dict[int, tuple[Firing, datetime]] = {}
    for firing in _pending(clock, fired):
        at = reached_at(clock, calendar, clock.terms.offset(firing))
        if at is not None and at <= now:
            latest[firing.step] = (firing, at)
    over = -remaining(clock, calendar, now)
    found = [
        Due(firing, clock.terms.ladder[firing.step].kind, at, over)
        for firing, at in latest.values()
    ]
    return tuple(sorted(found, key=lambda d: (d.at, d.firing)))


def next_due_at(clock: Clock, calendar: Calendar, fired: Collection[Firing]) -> datetime | None:
    """When the next firing falls due (what a sweep indexes); `None` when none can."""
    if clock.state is ClockState.STOPPED:
        return None
    instants = (reached_at(clock, calendar, clock.terms.offset(f)) for f in _pending(clock, fired))
    return min((at for at in instants if at is not None), default=None)
