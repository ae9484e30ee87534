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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.rules.calendar import CalendarKind

ZERO = timedelta(0)


def micros(span: timedelta) -> int:
    """A span as whole microseconds: exact in JSON, where floats are not."""
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def from_micros(us: int) -> timedelta:
    """The span of `micros`."""
    return timedelta(microseconds=us)


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
    # Ready no longer (an edit took something away): collecting again, a new scene clock.
    CASE_UNREADY = "case_unready"
    INSURER_PINGED = "insurer_pinged"
    # Acknowledge or adjust; approving, asking for a survey and rejecting are first
    # actions too and stop the response clock by themselves.
    INSURER_ACTED = "insurer_acted"
    INSURER_APPROVED = "insurer_approved"
    SURVEY_REQUESTED = "survey_requested"
    INSURER_REJECTED = "insurer_rejected"
    RESUBMITTED = "resubmitted"
    PAID_IN_FULL = "paid_in_full"
    # A new routing round no longer asks this insurer: its clocks end with its claim.
    CLAIM_WITHDRAWN = "claim_withdrawn"
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
_INSURER_ENDS = _FAST_PATH_ENDS | {Event.CLAIM_WITHDRAWN}
_FIRST_ACTIONS = frozenset(
    {Event.INSURER_ACTED, Event.INSURER_APPROVED, Event.SURVEY_REQUESTED, Event.INSURER_REJECTED}
)

RULES: Mapping[Stage, StageRule] = {
    # Handed back by the police, or ready no longer, the case is collected again: a new
    # scene clock.
    Stage.SCENE: StageRule(
        starts=frozenset({Event.CASE_OPENED, Event.POLICE_HANDED_BACK, Event.CASE_UNREADY}),
        stops=frozenset({Event.CASE_READY}) | _FAST_PATH_ENDS,
    ),
    Stage.INSURER_RESPONSE: StageRule(
        starts=frozenset({Event.INSURER_PINGED}),
        stops=_FIRST_ACTIONS | _INSURER_ENDS,
    ),
    # The insurer cannot decide while the assistant owes a survey or an answer to a
    # rejection: that time is the survey clock's, not the insurer's.
    Stage.INSURER_DECISION: StageRule(
        starts=frozenset({Event.INSURER_PINGED}),
        stops=frozenset({Event.INSURER_APPROVED}) | _INSURER_ENDS,
        pauses=frozenset({Event.SURVEY_REQUESTED, Event.INSURER_REJECTED}),
        resumes=frozenset({Event.RESUBMITTED}),
    ),
    Stage.PAYOUT: StageRule(
        starts=frozenset({Event.INSURER_APPROVED}),
        stops=frozenset({Event.PAID_IN_FULL}) | _INSURER_ENDS,
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
            "target_us": micros(self.target),
            "warning_us": None if self.warning is None else micros(self.warning),
            "ladder": [
                {
                    "kind": s.kind.value,
                    "after": s.after.value,
                    "delay_us": micros(s.delay),
                    "every_us": None if s.every is None else micros(s.every),
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
            target=from_micros(data["target_us"]),
            warning=None if data["warning_us"] is None else from_micros(data["warning_us"]),
            ladder=tuple(
                Step(
                    kind=StepKind(s["kind"]),
                    after=Anchor(s["after"]),
                    delay=from_micros(s["delay_us"]),
                    every=None if s["every_us"] is None else from_micros(s["every_us"]),
                    times=s["times"],
                )
                for s in data["ladder"]
            ),
        )
