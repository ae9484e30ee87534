"""The deployment file's `sla:` block: working hours and days, and per stage its target,
warning point, calendar and escalation ladder (docs/domain.md §6.1)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import Field, model_validator

from bot.config.model import Strict
from bot.rules.calendar import (
    AlwaysOpen,
    Calendar,
    CalendarKind,
    HolidayTable,
    day_length,
    parse_hours,
    working_calendar,
)
from bot.rules.sla import Anchor, Stage, Step, StepKind, Terms


class SlaRepeat(Strict):
    """A step fired again `times` more times, `every` minutes or (working) days apart."""

    every_minutes: int | None = Field(default=None, gt=0)
    every_days: int | None = Field(default=None, gt=0)
    times: int = Field(ge=1)


class SlaStep(Strict):
    """One rung of a ladder: who is told, and when after the warning or the breach."""

    step: StepKind
    after: Anchor = Anchor.BREACH
    delay_minutes: int | None = Field(default=None, ge=0)
    delay_days: int | None = Field(default=None, ge=0)
    repeat: SlaRepeat | None = None


class SlaTerms(Strict):
    """An insurer's own terms for a stage; what it leaves out is the stage's."""

    calendar: CalendarKind | None = None
    target_minutes: int | None = Field(default=None, gt=0)
    target_days: int | None = Field(default=None, gt=0)
    warn_percent: int | None = Field(default=None, ge=1, le=100)


class SlaStage(Strict):
    """A stage's service level (docs/domain.md §6.1). A target in days on the `working`
    calendar is that many working days (a day being the sum of sla.working_hours); on
    `24x7` it is that many times 24 hours. Ladder delays and repeats count the same way."""

    calendar: CalendarKind = CalendarKind.WORKING
    target_minutes: int | None = Field(default=None, gt=0)
    target_days: int | None = Field(default=None, gt=0)
    # The warning point, as a percentage of the target; null: no warning.
    warn_percent: int | None = Field(default=80, ge=1, le=100)
    insurers: dict[str, SlaTerms] = Field(default_factory=dict)
    ladder: tuple[SlaStep, ...] = ()


_R, _S, _L, _P = StepKind.REMIND, StepKind.SUPERVISORS, StepKind.LIAISON, StepKind.POLICE


def _step(kind: StepKind, after: Anchor = Anchor.BREACH, **more: object) -> SlaStep:
    return SlaStep.model_validate({"step": kind, "after": after, **more})


_WARN = Anchor.WARNING


_ALWAYS = CalendarKind.ALWAYS


class SlaStages(Strict):
    """The stages' defaults are docs/domain.md §6.1; a file names only what it changes."""

    scene: SlaStage = SlaStage(
        calendar=_ALWAYS,
        target_minutes=30,
        warn_percent=67,
        ladder=(_step(_R, _WARN), _step(_P, delay_minutes=15)),
    )
    insurer_response: SlaStage = SlaStage(
        target_minutes=10,
        warn_percent=50,
        ladder=(
            _step(_R, _WARN, repeat={"every_minutes": 30, "times": 3}),
            _step(_S),
            _step(_L, delay_minutes=20),
        ),
    )
    insurer_decision: SlaStage = SlaStage(
        target_minutes=120, warn_percent=50, ladder=(_step(_S), _step(_L, delay_minutes=120))
    )
    # The insurers' own commitment for small undisputed claims (docs/domain.md §6).
    payout: SlaStage = SlaStage(
        target_days=3, warn_percent=67, ladder=(_step(_S), _step(_L, delay_days=2))
    )
    police_pickup: SlaStage = SlaStage(
        calendar=_ALWAYS,
        target_minutes=30,
        warn_percent=50,
        ladder=(_step(_R, _WARN), _step(_L)),
    )
    police_resolution: SlaStage = SlaStage(target_days=1, warn_percent=None, ladder=(_step(_L),))
    survey: SlaStage = SlaStage(
        target_days=1, warn_percent=50, ladder=(_step(_R, _WARN), _step(_L, delay_days=1))
    )

    def of(self, stage: Stage) -> SlaStage:
        stage_terms: SlaStage = getattr(self, stage.value)
        return stage_terms


_RETIRED_SLA = {
    "notify_insurer_hours",
    "insurer_document_list_days",
    "coverage_decision_days",
    "payment_days",
}


class Sla(Strict):
    """Service levels: the working calendar, each stage's clock and ladder, the digest."""

    # Local wall-clock hours of a working day, in the region's time zone.
    working_hours: tuple[str, ...] = ("08:30-12:00", "13:30-17:30")
    working_weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO: 1 is Monday
    # On top of China's public holidays and make-up days from the chinese-calendar package.
    holidays: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()
    # Years whose days off and working days this file lists in full itself.
    listed_years: tuple[int, ...] = ()
    stages: SlaStages = SlaStages()
    # How long an acknowledgement (接单) holds a ladder before the case climbs again.
    ack_grace_minutes: int = Field(default=30, gt=0)
    # Cases one reminder lists at most; more make more messages.
    cases_per_message: int = Field(default=20, ge=1, le=50)
    # When the liaison office's daily digest is sent, local time (region's zone).
    digest_time: str = Field(default="08:00", pattern=r"^\d{2}:\d{2}$")

    @model_validator(mode="before")
    @classmethod
    def _retired_settings(cls, data: object) -> object:
        # Files written before the stage clocks name these; they never did anything, and
        # ignoring them would let an operator believe they still do.
        if isinstance(data, dict) and (old := sorted(_RETIRED_SLA & set(data))):
            raise ValueError(
                f"{', '.join(old)}: no longer settings; the service levels are under "
                "sla.stages (see kuaipei.example.yaml)"
            )
        return data

    def calendar(
        self, kind: CalendarKind, zone: str, table: HolidayTable | None = None
    ) -> Calendar:
        """A stage calendar. A year without holiday data is counted by its weekdays, so
        that clocks keep running; `checks.sla_warnings` says so at start and in checks."""
        if kind is CalendarKind.ALWAYS:
            return AlwaysOpen()
        return working_calendar(
            zone,
            self.working_hours,
            weekdays=self.working_weekdays,
            extra_holidays=self.holidays,
            extra_working_days=self.working_days,
            listed_years=self.listed_years,
            table=table,
            guess_unknown_years=True,
        )

    def terms(self, stage: Stage, insurer: str | None = None) -> Terms:
        """The terms a stage starting now takes (an insurer's own, where it has them),
        in working time: what is frozen onto the clock."""
        base = self.stages.of(stage)
        own = base.insurers.get(insurer, SlaTerms()) if insurer is not None else SlaTerms()
        kind = own.calendar or base.calendar
        day = (
            timedelta(days=1)
            if kind is CalendarKind.ALWAYS
            else day_length(parse_hours(h) for h in self.working_hours)
        )
        if own.target_minutes is not None or own.target_days is not None:
            target = _span(own.target_minutes, own.target_days, day)
        else:
            target = _span(base.target_minutes, base.target_days, day)
        percent = own.warn_percent if own.warn_percent is not None else base.warn_percent
        warning = None
        if percent is not None:
            # Whole minutes, half up: 67 % of 30 min is 20 min.
            warning = timedelta(minutes=(target // timedelta(minutes=1) * percent + 50) // 100)
        return Terms(
            stage=stage,
            calendar=kind,
            target=target,
            warning=warning,
            ladder=tuple(
                Step(
                    kind=s.step,
                    after=s.after,
                    delay=_span(s.delay_minutes, s.delay_days, day, allow_zero=True),
                    every=None
                    if s.repeat is None
                    else _span(s.repeat.every_minutes, s.repeat.every_days, day),
                    times=0 if s.repeat is None else s.repeat.times,
                )
                for s in base.ladder
            ),
        )


def _span(
    minutes: int | None, days: int | None, day: timedelta, *, allow_zero: bool = False
) -> timedelta:
    """Minutes or days as working time; the checks have made sure it is one of them."""
    if minutes is not None and days is not None:
        raise ValueError("give minutes or days, not both")
    if days is not None:
        return days * day
    if minutes is not None:
        return timedelta(minutes=minutes)
    if allow_zero:
        return timedelta(0)
    raise ValueError("neither minutes nor days given")
