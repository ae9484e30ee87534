"""Stage clocks and escalation ladders as data (docs/domain.md §6.1).

Every stage of a case has a clock that runs on a calendar (`bot/rules/calendar.py`):
what starts, pauses, resumes and stops it is the table `RULES`. A clock measures working
time since its stage started, less the time it was paused; it is due a warning at one
point of that elapsed time and breaches at its target.

A stage's terms (calendar, target, warning point and ladder) are taken from the
deployment file when the stage starts and frozen onto the clock (`Terms`), so that a new
file applies to stages that start after it and never rewrites a running ladder. The
calendar is frozen by kind only: holidays and working hours are facts of the county, so a
corrected holiday list applies to running clocks from then on. Clocks and terms are plain
values that go to JSON and back unchanged.

A ladder is a list of typed steps, each at a delay after the warning or the breach,
optionally repeated. `due` says which steps are due now, given those already fired: each
step once per repetition, and after a gap (downtime) only the latest due repetition of a
step, so a catch-up fires each overdue step once rather than once per missed repetition.
All offsets are elapsed working time of the clock, so a paused clock fires nothing new
and a step's instant moves with every pause.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.rules.calendar import Calendar, CalendarKind

ZERO = timedelta(0)


class Stage(StrEnum):
    SCENE = "scene"  # case opened → ready (the assistant's)
    INSURER_RESPONSE = "insurer_response"  # ping → that insurer's first action
    INSURER_DECISION = "insurer_decision"  # ping → that insurer's approval
    PAYOUT = "payout"  # approval → fully paid, per insurer
    POLICE_PICKUP = "police_pickup"  # handed to police → claimed by an officer
    POLICE_RESOLUTION = "police_resolution"  # claimed → handed back, cancelled or closed
    SURVEY = "survey"  # survey requested or disputed → resubmitted


# One clock per paying insurer for these; the events of one insurer move only its clocks.
PER_INSURER = frozenset({Stage.INSURER_RESPONSE, Stage.INSURER_DECISION, Stage.PAYOUT})


class Event(StrEnum):
    """What happens to a case that moves a clock."""

    CASE_OPENED = "case_opened"
    CASE_READY = "case_ready"
    INSURER_PINGED = "insurer_pinged"
    # Acknowledge or adjust; approving, asking for a survey and rejecting are first
    # actions too and stop the response clock by themselves.
    INSURER_ACTED = "insurer_acted"
    INSURER_APPROVED = "insurer_approved"
    SURVEY_REQUESTED = "survey_requested"
    INSURER_REJECTED = "insurer_rejected"
    RESUBMITTED = "resubmitted"
    PAID_IN_FULL = "paid_in_full"
    HANDED_TO_POLICE = "handed_to_police"
    OFFICER_CLAIMED = "officer_claimed"
    POLICE_HANDED_BACK = "police_handed_back"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class Action(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


@dataclass(frozen=True)
class StageRule:
    starts: frozenset[Event]
    stops: frozenset[Event]
    pauses: frozenset[Event] = frozenset()
    resumes: frozenset[Event] = frozenset()


_ENDS = frozenset({Event.CANCELLED, Event.CLOSED})
# A police take-over ends the fast path, and with it the fast path's clocks.
_FAST_PATH_ENDS = _ENDS | {Event.HANDED_TO_POLICE}
_FIRST_ACTIONS = frozenset(
    {Event.INSURER_ACTED, Event.INSURER_APPROVED, Event.SURVEY_REQUESTED, Event.INSURER_REJECTED}
)

RULES: Mapping[Stage, StageRule] = {
    # Handed back by the police, the case is collected again: a new scene clock.
    Stage.SCENE: StageRule(
        starts=frozenset({Event.CASE_OPENED, Event.POLICE_HANDED_BACK}),
        stops=frozenset({Event.CASE_READY}) | _FAST_PATH_ENDS,
    ),
    Stage.INSURER_RESPONSE: StageRule(
        starts=frozenset({Event.INSURER_PINGED}),
        stops=_FIRST_ACTIONS | _FAST_PATH_ENDS,
    ),
    # The insurer cannot decide while the assistant owes a survey or an answer to a
    # rejection: that time is the survey clock's, not the insurer's.
    Stage.INSURER_DECISION: StageRule(
        starts=frozenset({Event.INSURER_PINGED}),
        stops=frozenset({Event.INSURER_APPROVED}) | _FAST_PATH_ENDS,
        pauses=frozenset({Event.SURVEY_REQUESTED, Event.INSURER_REJECTED}),
        resumes=frozenset({Event.RESUBMITTED}),
    ),
    Stage.PAYOUT: StageRule(
        starts=frozenset({Event.INSURER_APPROVED}),
        stops=frozenset({Event.PAID_IN_FULL}) | _FAST_PATH_ENDS,
    ),
    Stage.POLICE_PICKUP: StageRule(
        starts=frozenset({Event.HANDED_TO_POLICE}),
        stops=frozenset({Event.OFFICER_CLAIMED, Event.POLICE_HANDED_BACK}) | _ENDS,
    ),
    Stage.POLICE_RESOLUTION: StageRule(
        starts=frozenset({Event.OFFICER_CLAIMED}),
        stops=frozenset({Event.POLICE_HANDED_BACK}) | _ENDS,
    ),
    Stage.SURVEY: StageRule(
        starts=frozenset({Event.SURVEY_REQUESTED, Event.INSURER_REJECTED}),
        stops=frozenset({Event.RESUBMITTED}) | _FAST_PATH_ENDS,
    ),
}


def action_for(stage: Stage, event: Event) -> Action | None:
    """What an event does to a stage's clock (nothing: `None`)."""
    rule = RULES[stage]
    for action, events in (
        (Action.START, rule.starts),
        (Action.STOP, rule.stops),
        (Action.PAUSE, rule.pauses),
        (Action.RESUME, rule.resumes),
    ):
        if event in events:
            return action
    return None


# --- the ladder -----------------------------------------------------------------------


class StepKind(StrEnum):
    REMIND = "remind"  # whoever holds the stage: on-duty adjusters, the assistant, police
    SUPERVISORS = "supervisors"  # that insurer's supervisors
    LIAISON = "liaison"  # the liaison office (联席办)
    POLICE = "police"  # the township's police


class Anchor(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


@dataclass(frozen=True)
class Step:
    """One rung: `kind` at `delay` after the anchor, then `times` more every `every`."""

    kind: StepKind
    after: Anchor = Anchor.BREACH
    delay: timedelta = ZERO
    every: timedelta | None = None
    times: int = 0

    def __post_init__(self) -> None:
        if self.delay < ZERO:
            raise ValueError(f"{self.kind} step: the delay cannot be negative")
        if self.times < 0:
            raise ValueError(f"{self.kind} step: repeat times cannot be negative")
        if (self.times > 0) != (self.every is not None):
            raise ValueError(f"{self.kind} step: a repeat needs both every and times")
        if self.every is not None and self.every <= ZERO:
            raise ValueError(f"{self.kind} step: a repeat must be every positive interval")


@dataclass(frozen=True, order=True)
class Firing:
    """One firing of a ladder: step `step` (its index in the ladder), repetition `repeat`
    (0 the first time)."""

    step: int
    repeat: int = 0


@dataclass(frozen=True)
class Terms:
    """A stage's service level as frozen onto its clock when the stage starts."""

    stage: Stage
    calendar: CalendarKind
    target: timedelta
    warning: timedelta | None = None
    ladder: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        if self.target <= ZERO:
            raise ValueError(f"{self.stage}: the target must be positive")
        if self.warning is not None and not ZERO < self.warning <= self.target:
            raise ValueError(f"{self.stage}: the warning must come after the start, by the target")
        for step in self.ladder:
            if step.after is Anchor.WARNING and self.warning is None:
                raise ValueError(
                    f"{self.stage}: a {step.kind} step after a warning that is not set"
                )

    def offset(self, firing: Firing) -> timedelta:
        """Elapsed working time at which a firing is due."""
        step = self.ladder[firing.step]
        if not 0 <= firing.repeat <= step.times:
            raise ValueError(f"{self.stage}: step {firing.step} has no repetition {firing.repeat}")
        base = self.warning if step.after is Anchor.WARNING else self.target
        assert base is not None  # checked when the terms were made
        return base + step.delay + firing.repeat * (step.every or ZERO)

    def firings(self) -> tuple[Firing, ...]:
        """Every firing of the ladder, in the order they fall due."""
        every = [Firing(i, k) for i, s in enumerate(self.ladder) for k in range(s.times + 1)]
        return tuple(sorted(every, key=lambda f: (self.offset(f), f)))

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "calendar": self.calendar.value,
            "target_us": _us(self.target),
            "warning_us": None if self.warning is None else _us(self.warning),
            "ladder": [
                {
                    "kind": s.kind.value,
                    "after": s.after.value,
                    "delay_us": _us(s.delay),
                    "every_us": None if s.every is None else _us(s.every),
                    "times": s.times,
                }
                for s in self.ladder
            ],
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Terms:
        return Terms(
            stage=Stage(data["stage"]),
            calendar=CalendarKind(data["calendar"]),
            target=_td(data["target_us"]),
            warning=None if data["warning_us"] is None else _td(data["warning_us"]),
            ladder=tuple(
                Step(
                    kind=StepKind(s["kind"]),
                    after=Anchor(s["after"]),
                    delay=_td(s["delay_us"]),
                    every=None if s["every_us"] is None else _td(s["every_us"]),
                    times=s["times"],
                )
                for s in data["ladder"]
            ),
        )


# --- the clock ------------------------------------------------------------------------


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
                    "worked_us": _us(r.worked),
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
                    worked=_td(r["worked_us"]),
                )
                for r in data["runs"]
            ),
            stopped_at=None
            if data["stopped_at"] is None
            else datetime.fromisoformat(data["stopped_at"]),
        )


def _us(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _td(us: int) -> timedelta:
    return timedelta(microseconds=us)


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


# --- reading a clock --------------------------------------------------------------------


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


# --- what is due ------------------------------------------------------------------------


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
