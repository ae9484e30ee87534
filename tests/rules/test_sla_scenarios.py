"""Whole simulated days of stage clocks and their ladders (docs/domain.md §6.1).

Terms come from the deployment's `sla:` block (`Sla().terms`), clocks start, pause and stop
on the case's events, and a sweep looks every minute, recording what fires the way
bot/sla/sweep.py records it on the stage_clock row: only rows whose `due_at` (`next_look`)
has come are looked at, the clock is read back from its stored JSON, each firing is
appended to the row, an acknowledgement silences the step last fired and holds the ladder,
and a step climbs one level up when nobody of it is on duty. The assertions are the exact
local instants (Asia/Shanghai) at which each step fires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.config.sla import Sla, SlaStage, SlaStages, SlaTerms
from bot.rules.access import on_duty
from bot.rules.calendar import Calendar, CalendarKind
from bot.rules.ladder import batches, climb, due_now, next_look
from bot.rules.sla import Event, Firing, Stage, StepKind, action_for
from bot.rules.sla_clock import Clock, ClockState, Due, elapsed, react, start

ZONE = "Asia/Shanghai"
CN = ZoneInfo(ZONE)
M = timedelta(minutes=1)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CN)


def shown(at: datetime) -> str:
    """An instant as people in the county read it: `Sat 2025-10-11 16:00`."""
    there = at.astimezone(CN)
    text = f"{DAYS[there.weekday()]} {there:%Y-%m-%d %H:%M}"
    return text if there.second == there.microsecond == 0 else f"{text}:{there:%S.%f}"


class Fired(NamedTuple):
    at: str  # when the sweep fired it, local
    clock: str  # which clock
    step: str  # the ladder's step, `remind→supervisors` when it climbed
    repeat: int


# Who is on duty when, by step kind: one tuple of on-duty hours per person (empty: always).
Roster = Mapping[StepKind, Sequence[tuple[str, ...]]]


@dataclass
class Row:
    """One stage_clock row as the sweep reads and writes it."""

    name: str
    stored: dict[str, Any]  # the clock as JSON, as in stage_clock.clock
    fired: list[Firing] = field(default_factory=list)
    silenced: list[int] = field(default_factory=list)
    ack_until: datetime | None = None
    due_at: datetime | None = None  # when the sweep claims the row next
    roster: Roster | None = None  # None: everybody is always on duty

    @property
    def clock(self) -> Clock:
        return Clock.from_json(json.loads(json.dumps(self.stored)))

    def keep(self, clock: Clock) -> None:
        self.stored = json.loads(json.dumps(clock.to_json()))


@dataclass
class Sweep:
    """The deployment's clocks of a county and a sweep over them, one look every `tick`."""

    sla: Sla
    now: datetime  # the last instant looked at
    tick: timedelta = M
    roster: Roster | None = None  # the rows' unless a row has its own
    rows: list[Row] = field(default_factory=list)
    log: list[Fired] = field(default_factory=list)
    dues: list[tuple[str, Due]] = field(default_factory=list)
    _calendars: dict[tuple[int, CalendarKind], Calendar] = field(default_factory=dict)

    def calendar(self, kind: CalendarKind) -> Calendar:
        # The kind is frozen onto the clock, the days and hours are the current file's.
        key = (id(self.sla), kind)
        if key not in self._calendars:
            self._calendars[key] = self.sla.calendar(kind, ZONE)
        return self._calendars[key]

    def row(self, name: str) -> Row:
        return next(r for r in reversed(self.rows) if r.name == name)

    def start(
        self,
        name: str,
        stage: Stage,
        at: datetime,
        insurer: str | None = None,
        roster: Roster | None = None,
    ) -> Row:
        clock = start(self.sla.terms(stage, insurer), at)
        row = Row(name, clock.to_json(), roster=self.roster if roster is None else roster)
        self.rows.append(row)
        self.refresh(row)
        return row

    def refresh(self, row: Row) -> None:
        """The row's index entry, as bot/case/clocks.py `refresh` writes it."""
        clock = row.clock
        if clock.state is ClockState.STOPPED:
            row.due_at = row.ack_until = None
            return
        calendar = self.calendar(clock.terms.calendar)
        row.due_at = next_look(clock, calendar, row.fired, row.silenced, row.ack_until)

    def event(self, event: Event, at: datetime) -> None:
        """What the case's transaction applies at its end: every stage's clock reacts, a
        stage started anew gets a new row (named for its stage)."""
        for stage in Stage:
            if action_for(stage, event) is None:
                continue
            row = next((r for r in reversed(self.rows) if r.name == stage.value), None)
            old = None if row is None else row.clock
            terms = self.sla.terms(stage)
            new = react(old, event, at, self.calendar(terms.calendar), terms)
            if new is None:
                continue
            restarted = old is not None and old.state is ClockState.STOPPED and new is not old
            if row is None or restarted:
                row = Row(stage.value, new.to_json(), roster=self.roster)
                self.rows.append(row)
            else:
                row.keep(new)
            self.refresh(row)

    def acknowledge(self, name: str, at: datetime) -> None:
        """接单 as bot/sla/buttons.py records it: the step last fired is silenced and the
        ladder held for the grace."""
        row = self.row(name)
        if row.fired:
            row.silenced = sorted({*row.silenced, row.fired[-1].step})
        row.ack_until = at + timedelta(minutes=self.sla.ack_grace_minutes)
        self.refresh(row)

    @staticmethod
    def fires_as(kind: StepKind, roster: Roster | None, at: datetime) -> StepKind:
        """The step that actually fires: one level up while nobody of it is on duty."""
        if roster is None:
            return kind
        # The sweep's instants are UTC; people's hours are the county's wall clock.
        wall = at.astimezone(CN).time()
        return climb(
            kind, lambda level: any(on_duty(hours, wall) for hours in roster.get(level, ()))
        )

    def look(self, at: datetime) -> list[tuple[Row, Due, StepKind]]:
        """One sweep at `at`: what fires, and as which step."""
        out: list[tuple[Row, Due, StepKind]] = []
        for row in self.rows:
            if row.due_at is None or row.due_at > at:
                continue
            clock = row.clock
            if row.ack_until is not None and row.ack_until <= at:
                row.ack_until = None
            calendar = self.calendar(clock.terms.calendar)
            dues = due_now(clock, calendar, row.fired, row.silenced, row.ack_until, at)
            for d in dues:
                row.fired.append(d.firing)
                kind = self.fires_as(d.kind, row.roster, at)
                step = d.kind.value if kind is d.kind else f"{d.kind.value}→{kind.value}"
                self.log.append(Fired(shown(at), row.name, step, d.firing.repeat))
                self.dues.append((row.name, d))
                out.append((row, d, kind))
            self.refresh(row)
            # Claimed early (the calendar changed since the row was indexed) is fine; still
            # due after firing nothing is what the sweep warns about: the index and the
            # ladder disagree.
            assert dues or row.due_at is None or row.due_at > at, (
                f"{row.name} is due at {shown(row.due_at)} but fires nothing at {shown(at)}"
            )
        self.now = at
        return out

    def run(self, until: datetime) -> None:
        """Look at every tick after the last look, up to `until`."""
        at = self.now + self.tick
        while at <= until:
            self.look(at)
            at += self.tick

    def outage(self, until: datetime) -> None:
        """The bot is down: no look before `until`, which is the first look after."""
        self.now = until - self.tick

    def next_look(self, name: str) -> datetime | None:
        return self.row(name).due_at

    def fired_at_due(self) -> list[tuple[str, str, str]]:
        """Each firing's clock, step and the instant it fell due."""
        return [(name, d.kind.value, shown(d.at)) for name, d in self.dues]


def sweep_from(at: datetime, sla: Sla | None = None, tick: timedelta = M, **more: Any) -> Sweep:
    """A sweep whose first look is at `at`, then every `tick`."""
    return Sweep(sla=Sla() if sla is None else sla, now=at - tick, tick=tick, **more)


def with_picc_at_night(sla: Sla) -> Sla:
    """The example file's PICC, which keeps an adjuster on duty at night: its response
    stage runs on 24x7."""
    response = sla.stages.insurer_response.model_copy(
        update={"insurers": {"PICC": SlaTerms(calendar=CalendarKind.ALWAYS)}}
    )
    stages = sla.stages.model_copy(update={"insurer_response": response})
    return sla.model_copy(update={"stages": stages})


# --- working hours: only 08:30-12:00 and 13:30-17:30 count --------------------------------


def test_a_response_pinged_before_lunch_resumes_counting_at_half_past_one():
    sweep = sweep_from(local(2026, 12, 1, 11, 50))  # Tuesday
    sweep.start("R", Stage.INSURER_RESPONSE, local(2026, 12, 1, 11, 50))
    sweep.run(local(2026, 12, 2, 23, 59))
    # 10 minutes run out at 12:00 sharp: a deadline lies in working time, so 13:30.
    assert sweep.log == [
        ("Tue 2026-12-01 11:55", "R", "remind", 0),
        ("Tue 2026-12-01 13:30", "R", "supervisors", 0),
        ("Tue 2026-12-01 13:50", "R", "liaison", 0),
        ("Tue 2026-12-01 13:55", "R", "remind", 1),
        ("Tue 2026-12-01 14:25", "R", "remind", 2),
        ("Tue 2026-12-01 14:55", "R", "remind", 3),
    ]
    assert sweep.next_look("R") is None


def test_a_response_pinged_at_lunch_or_in_the_evening_counts_from_the_next_opening():
    sweep = sweep_from(local(2026, 12, 1, 12, 40))
    sweep.start("lunch", Stage.INSURER_RESPONSE, local(2026, 12, 1, 12, 40))
    sweep.run(local(2026, 12, 1, 19))
    sweep.start("evening", Stage.INSURER_RESPONSE, local(2026, 12, 1, 19))
    sweep.run(local(2026, 12, 2, 23, 59))
    assert sweep.log == [
        ("Tue 2026-12-01 13:35", "lunch", "remind", 0),
        ("Tue 2026-12-01 13:40", "lunch", "supervisors", 0),
        ("Tue 2026-12-01 14:00", "lunch", "liaison", 0),
        ("Tue 2026-12-01 14:05", "lunch", "remind", 1),
        ("Tue 2026-12-01 14:35", "lunch", "remind", 2),
        ("Tue 2026-12-01 15:05", "lunch", "remind", 3),
        ("Wed 2026-12-02 08:35", "evening", "remind", 0),
        ("Wed 2026-12-02 08:40", "evening", "supervisors", 0),
        ("Wed 2026-12-02 09:00", "evening", "liaison", 0),
        ("Wed 2026-12-02 09:05", "evening", "remind", 1),
        ("Wed 2026-12-02 09:35", "evening", "remind", 2),
        ("Wed 2026-12-02 10:05", "evening", "remind", 3),
    ]


def test_an_insurer_on_24x7_counts_through_lunch():
    sweep = sweep_from(local(2026, 12, 1, 11, 50), with_picc_at_night(Sla()))
    sweep.start("PICC", Stage.INSURER_RESPONSE, local(2026, 12, 1, 11, 50), insurer="PICC")
    sweep.start("PINGAN", Stage.INSURER_RESPONSE, local(2026, 12, 1, 11, 50), insurer="PINGAN")
    sweep.run(local(2026, 12, 1, 13, 31))
    assert sweep.log == [
        ("Tue 2026-12-01 11:55", "PICC", "remind", 0),
        ("Tue 2026-12-01 11:55", "PINGAN", "remind", 0),
        ("Tue 2026-12-01 12:00", "PICC", "supervisors", 0),
        ("Tue 2026-12-01 12:20", "PICC", "liaison", 0),
        ("Tue 2026-12-01 12:25", "PICC", "remind", 1),
        ("Tue 2026-12-01 12:55", "PICC", "remind", 2),
        ("Tue 2026-12-01 13:25", "PICC", "remind", 3),
        ("Tue 2026-12-01 13:30", "PINGAN", "supervisors", 0),
    ]


# --- a holiday week: 2025 National Day, from the chinese-calendar package --------------------


def test_a_payout_across_national_day_breaches_on_the_make_up_saturday():
    # 3 working days (22½ h) from Tuesday 09-30 16:00: 1½ h before the holiday, nothing
    # 10-01..10-08, Thursday, Friday, and 6 h of the make-up Saturday 10-11.
    sweep = sweep_from(local(2025, 9, 30, 16), tick=5 * M)
    sweep.start("payout", Stage.PAYOUT, local(2025, 9, 30, 16))
    sweep.run(local(2025, 10, 15, 23, 55))
    assert sweep.log == [
        ("Sat 2025-10-11 16:00", "payout", "supervisors", 0),
        # 2 working days later: the rest of Saturday, Monday, and Tuesday to 16:00.
        ("Tue 2025-10-14 16:00", "payout", "liaison", 0),
    ]


def test_a_decision_before_national_day_breaches_on_the_make_up_sunday():
    sweep = sweep_from(local(2025, 9, 26, 17))  # Friday
    sweep.start("decision", Stage.INSURER_DECISION, local(2025, 9, 26, 17))
    sweep.run(local(2025, 9, 29, 8))
    assert sweep.log == [
        ("Sun 2025-09-28 10:00", "decision", "supervisors", 0),
        # 4 h run out at 12:00 on the Sunday: the next opening, 13:30 the same day.
        ("Sun 2025-09-28 13:30", "decision", "liaison", 0),
    ]


def test_a_survey_after_national_day_escalates_on_the_make_up_saturday():
    sweep = sweep_from(local(2025, 10, 9, 14))  # Thursday, the first day back
    sweep.start("survey", Stage.SURVEY, local(2025, 10, 9, 14))
    sweep.run(local(2025, 10, 13, 8))
    assert sweep.log == [
        ("Fri 2025-10-10 08:45", "survey", "remind", 0),  # 3¾ h: 3½ on Thursday
        ("Sat 2025-10-11 14:00", "survey", "liaison", 0),  # breach Friday 14:00 + 1 day
    ]


def test_the_deployments_own_days_override_the_package():
    # This county works 10-08 and does not work the make-up Saturday 10-11.
    sla = Sla(holidays=(date(2025, 10, 11),), working_days=(date(2025, 10, 8),))
    sweep = sweep_from(local(2025, 9, 30, 16), sla, tick=5 * M)
    sweep.start("payout", Stage.PAYOUT, local(2025, 9, 30, 16))
    sweep.run(local(2025, 10, 15, 23, 55))
    assert sweep.log == [
        ("Fri 2025-10-10 16:00", "payout", "supervisors", 0),  # 1½ h + Wed, Thu, 6 h Fri
        ("Tue 2025-10-14 16:00", "payout", "liaison", 0),  # 1½ h Fri, Mon, 6 h Tue
    ]


# --- across midnight and a weekend -------------------------------------------------------------


def test_a_response_pinged_just_before_friday_closes_fires_on_monday_morning():
    sweep = sweep_from(local(2026, 12, 4, 17, 25))  # Friday
    sweep.start("R", Stage.INSURER_RESPONSE, local(2026, 12, 4, 17, 25))
    sweep.run(local(2026, 12, 7, 23, 59))
    assert sweep.log == [
        ("Mon 2026-12-07 08:30", "R", "remind", 0),  # the warning ran out at Friday's close
        ("Mon 2026-12-07 08:35", "R", "supervisors", 0),
        ("Mon 2026-12-07 08:55", "R", "liaison", 0),
        ("Mon 2026-12-07 09:00", "R", "remind", 1),
        ("Mon 2026-12-07 09:30", "R", "remind", 2),
        ("Mon 2026-12-07 10:00", "R", "remind", 3),
    ]


def test_24x7_clocks_run_through_saturday_midnight():
    sweep = sweep_from(local(2026, 12, 5, 23, 50))  # Saturday night
    sweep.start("scene", Stage.SCENE, local(2026, 12, 5, 23, 50))
    sweep.start("pickup", Stage.POLICE_PICKUP, local(2026, 12, 5, 23, 50))
    sweep.run(local(2026, 12, 6, 23, 59))
    assert sweep.log == [
        ("Sun 2026-12-06 00:05", "pickup", "remind", 0),
        ("Sun 2026-12-06 00:10", "scene", "remind", 0),
        ("Sun 2026-12-06 00:20", "pickup", "liaison", 0),
        ("Sun 2026-12-06 00:35", "scene", "police", 0),
    ]


# --- pause and resume ---------------------------------------------------------------------------


def test_a_case_whose_decision_waits_for_a_survey_for_two_days():
    sweep = sweep_from(local(2026, 12, 1, 9))  # Tuesday
    sweep.event(Event.INSURER_PINGED, local(2026, 12, 1, 9))
    sweep.run(local(2026, 12, 1, 9, 40))
    # Asked for a survey at an instant off the minute: the response clock stops, the
    # decision clock pauses, the survey clock starts.
    asked = local(2026, 12, 1, 9, 40) + timedelta(seconds=17, microseconds=3)
    sweep.event(Event.SURVEY_REQUESTED, asked)
    sweep.run(local(2026, 12, 3, 14))
    decision = sweep.row(Stage.INSURER_DECISION.value).clock
    assert decision.state is ClockState.PAUSED
    ran = timedelta(minutes=40, seconds=17, microseconds=3)
    calendar = sweep.calendar(CalendarKind.WORKING)
    assert elapsed(decision, calendar, local(2026, 12, 3, 14)) == ran
    assert sweep.next_look(Stage.INSURER_DECISION.value) is None
    sweep.event(Event.RESUBMITTED, local(2026, 12, 3, 14))  # Thursday
    sweep.run(local(2026, 12, 4, 23, 59))
    assert sweep.log == [
        ("Tue 2026-12-01 09:05", "insurer_response", "remind", 0),
        ("Tue 2026-12-01 09:10", "insurer_response", "supervisors", 0),
        ("Tue 2026-12-01 09:30", "insurer_response", "liaison", 0),
        ("Tue 2026-12-01 09:35", "insurer_response", "remind", 1),
        # The survey's warning at 3¾ h, its liaison 1 working day after its breach.
        ("Tue 2026-12-01 14:56", "survey", "remind", 0),
        ("Thu 2026-12-03 09:41", "survey", "liaison", 0),
        # Unpaused the supervisors would have been told on Tuesday at 11:00; the 40 min
        # run before the survey carry over, to the microsecond.
        ("Thu 2026-12-03 15:20", "insurer_decision", "supervisors", 0),
        ("Thu 2026-12-03 17:20", "insurer_decision", "liaison", 0),
    ]
    assert [(n, s, at) for n, s, at in sweep.fired_at_due() if n != "insurer_response"] == [
        ("survey", "remind", "Tue 2026-12-01 14:55:17.000003"),
        ("survey", "liaison", "Thu 2026-12-03 09:40:17.000003"),
        ("insurer_decision", "supervisors", "Thu 2026-12-03 15:19:42.999997"),
        ("insurer_decision", "liaison", "Thu 2026-12-03 17:19:42.999997"),
    ]
    assert sweep.row(Stage.SURVEY.value).clock.state is ClockState.STOPPED


def test_a_clock_paused_again_before_its_next_step_fires_nothing_while_paused():
    sweep = sweep_from(local(2026, 12, 1, 9))
    sweep.event(Event.INSURER_PINGED, local(2026, 12, 1, 9))
    sweep.event(Event.INSURER_REJECTED, local(2026, 12, 1, 10))  # 1 h of 2 run
    sweep.run(local(2026, 12, 1, 16))
    sweep.event(Event.RESUBMITTED, local(2026, 12, 1, 16))  # 1 h left: 17:00
    sweep.run(local(2026, 12, 1, 16, 50))
    sweep.event(Event.SURVEY_REQUESTED, local(2026, 12, 1, 16, 50))  # 10 min short
    sweep.run(local(2026, 12, 2, 11))
    sweep.event(Event.RESUBMITTED, local(2026, 12, 2, 11))
    sweep.run(local(2026, 12, 2, 23, 59))
    decision = [f for f in sweep.log if f.clock == Stage.INSURER_DECISION.value]
    assert decision == [
        ("Wed 2026-12-02 11:10", "insurer_decision", "supervisors", 0),
        # 2 h more: 50 min to noon, 70 from 13:30.
        ("Wed 2026-12-02 14:40", "insurer_decision", "liaison", 0),
    ]


# --- repeat limits ----------------------------------------------------------------------------


def test_a_repeated_reminder_fires_one_plus_times_and_no_more_in_a_week():
    sla = Sla()
    steps = sla.terms(Stage.INSURER_RESPONSE).ladder
    assert (steps[0].kind, steps[0].times) == (StepKind.REMIND, 3)
    sweep = sweep_from(local(2026, 12, 1, 9), sla, tick=5 * M)
    sweep.start("R", Stage.INSURER_RESPONSE, local(2026, 12, 1, 9))
    sweep.run(local(2026, 12, 7, 23, 55))
    reminders = [f for f in sweep.log if f.step == "remind"]
    assert reminders == [
        ("Tue 2026-12-01 09:05", "R", "remind", 0),
        ("Tue 2026-12-01 09:35", "R", "remind", 1),
        ("Tue 2026-12-01 10:05", "R", "remind", 2),
        ("Tue 2026-12-01 10:35", "R", "remind", 3),
    ]
    assert len(reminders) == 1 + steps[0].times
    assert len(sweep.log) == 6
    assert sweep.next_look("R") is None


def test_after_downtime_only_the_latest_due_repetition_fires():
    sweep = sweep_from(local(2026, 12, 1, 9))
    sweep.start("R", Stage.INSURER_RESPONSE, local(2026, 12, 1, 9))
    sweep.run(local(2026, 12, 1, 9, 2))
    sweep.outage(local(2026, 12, 1, 10, 20))  # down from 09:02 to 10:20
    sweep.run(local(2026, 12, 1, 23, 59))
    assert sweep.log == [
        ("Tue 2026-12-01 10:20", "R", "supervisors", 0),
        ("Tue 2026-12-01 10:20", "R", "liaison", 0),
        ("Tue 2026-12-01 10:20", "R", "remind", 2),  # repetitions 0 and 1 passed over
        ("Tue 2026-12-01 10:35", "R", "remind", 3),
    ]
    assert [at for _, _, at in sweep.fired_at_due()] == [
        "Tue 2026-12-01 09:10",
        "Tue 2026-12-01 09:30",
        "Tue 2026-12-01 10:05",
        "Tue 2026-12-01 10:35",
    ]


def test_a_daily_reminder_after_a_weekend_down_fires_once():
    # A county that reminds the assistant of a survey every working day, twice more.
    survey = SlaStage.model_validate(
        {
            "target_days": 1,
            "warn_percent": 50,
            "ladder": [
                {"step": "remind", "after": "warning", "repeat": {"every_days": 1, "times": 2}},
                {"step": "liaison", "delay_days": 1},
            ],
        }
    )
    sla = Sla(stages=SlaStages(survey=survey))
    assert sla.terms(Stage.SURVEY).ladder[0].times == 2
    sweep = sweep_from(local(2026, 12, 3, 10), sla)  # Thursday
    sweep.start("survey", Stage.SURVEY, local(2026, 12, 3, 10))
    sweep.run(local(2026, 12, 4, 9))
    sweep.outage(local(2026, 12, 7, 16))  # down from Friday 09:00 to Monday 16:00
    sweep.run(local(2026, 12, 8, 23, 59))
    assert sweep.log == [
        ("Thu 2026-12-03 15:15", "survey", "remind", 0),
        ("Mon 2026-12-07 16:00", "survey", "liaison", 0),
        # Friday's 15:15 repetition is passed over by Monday's.
        ("Mon 2026-12-07 16:00", "survey", "remind", 2),
    ]
    assert [at for _, _, at in sweep.fired_at_due()] == [
        "Thu 2026-12-03 15:15",
        "Mon 2026-12-07 10:00",
        "Mon 2026-12-07 15:15",
    ]


# --- acknowledgement: the ladder held until the grace lapses -------------------------------------


def test_an_acknowledged_pickup_holds_the_liaison_until_the_lapse():
    sweep = sweep_from(local(2026, 12, 6, 23, 50))  # Sunday night, 24x7
    sweep.start("pickup", Stage.POLICE_PICKUP, local(2026, 12, 6, 23, 50))
    sweep.run(local(2026, 12, 7, 0, 10))
    sweep.acknowledge("pickup", local(2026, 12, 7, 0, 10))  # held 30 min
    assert sweep.next_look("pickup") == local(2026, 12, 7, 0, 40)
    sweep.run(local(2026, 12, 7, 23, 59))
    assert sweep.log == [
        ("Mon 2026-12-07 00:05", "pickup", "remind", 0),
        ("Mon 2026-12-07 00:40", "pickup", "liaison", 0),  # due at 00:20, during the hold
    ]
    assert sweep.fired_at_due()[1] == ("pickup", "liaison", "Mon 2026-12-07 00:20")
    assert sweep.next_look("pickup") is None


def _held_decision() -> Sla:
    """A decision ladder with two repeating steps and a grace of an hour."""
    stage = SlaStage.model_validate(
        {
            "target_minutes": 60,
            "warn_percent": 50,
            "ladder": [
                {"step": "remind", "after": "warning", "repeat": {"every_minutes": 20, "times": 3}},
                {"step": "supervisors", "repeat": {"every_minutes": 30, "times": 2}},
                {"step": "liaison", "delay_minutes": 90},
            ],
        }
    )
    return Sla(stages=SlaStages(insurer_decision=stage), ack_grace_minutes=60)


def test_a_silenced_step_never_repeats_and_a_held_step_fires_once_at_the_lapse():
    sweep = sweep_from(local(2026, 12, 1, 9), _held_decision())  # Tuesday
    sweep.start("D", Stage.INSURER_DECISION, local(2026, 12, 1, 9))
    sweep.run(local(2026, 12, 1, 9, 35))
    sweep.acknowledge("D", local(2026, 12, 1, 9, 35))  # answers the 09:30 reminder
    assert sweep.next_look("D") == local(2026, 12, 1, 10, 35)
    sweep.run(local(2026, 12, 1, 10, 50))
    # The supervisors acknowledge their 10:35 notice, holding to 11:50.
    sweep.acknowledge("D", local(2026, 12, 1, 10, 50))
    assert sweep.next_look("D") == local(2026, 12, 1, 11, 50)
    sweep.run(local(2026, 12, 2, 23, 59))
    assert sweep.log == [
        ("Tue 2026-12-01 09:30", "D", "remind", 0),
        # 09:50, 10:10 and 10:30 reminders silenced; the supervisors' 10:00 and 10:30
        # fell in the hold: the latest of them, once, at the lapse.
        ("Tue 2026-12-01 10:35", "D", "supervisors", 1),
        # Their 11:00 repetition silenced too; the liaison's 11:30 held to 11:50.
        ("Tue 2026-12-01 11:50", "D", "liaison", 0),
    ]
    assert sweep.fired_at_due()[1:] == [
        ("D", "supervisors", "Tue 2026-12-01 10:30"),
        ("D", "liaison", "Tue 2026-12-01 11:30"),
    ]
    assert sweep.next_look("D") is None


def test_a_clock_stopped_during_the_hold_fires_nothing_at_the_lapse():
    sweep = sweep_from(local(2026, 12, 1, 9), _held_decision())
    sweep.event(Event.INSURER_PINGED, local(2026, 12, 1, 9))
    sweep.run(local(2026, 12, 1, 9, 35))
    sweep.acknowledge(Stage.INSURER_DECISION.value, local(2026, 12, 1, 9, 35))
    sweep.event(Event.INSURER_APPROVED, local(2026, 12, 1, 10, 20))
    sweep.run(local(2026, 12, 1, 23, 59))
    decision = [f for f in sweep.log if f.clock == Stage.INSURER_DECISION.value]
    assert decision == [("Tue 2026-12-01 09:30", "insurer_decision", "remind", 0)]


# --- nobody on duty: one level up -----------------------------------------------------------------

_NIGHT: Roster = {
    StepKind.REMIND: [("08:30-17:30",), ("08:30-17:30",)],  # PICC's adjusters
    StepKind.SUPERVISORS: [("08:00-18:00",), ("20:00-24:00",)],  # one on the late shift
}


def test_a_night_ping_climbs_past_adjusters_and_supervisors_who_are_off_duty():
    sla = with_picc_at_night(Sla())
    sweep = sweep_from(local(2026, 12, 1, 22, 50), sla, roster=_NIGHT)
    sweep.start("PICC", Stage.INSURER_RESPONSE, local(2026, 12, 1, 22, 50), insurer="PICC")
    sweep.run(local(2026, 12, 2, 8))
    assert sweep.log == [
        ("Tue 2026-12-01 22:55", "PICC", "remind→supervisors", 0),
        ("Tue 2026-12-01 23:00", "PICC", "supervisors", 0),
        ("Tue 2026-12-01 23:20", "PICC", "liaison", 0),
        ("Tue 2026-12-01 23:25", "PICC", "remind→supervisors", 1),
        ("Tue 2026-12-01 23:55", "PICC", "remind→supervisors", 2),
        # The late shift ended at midnight.
        ("Wed 2026-12-02 00:25", "PICC", "remind→liaison", 3),
    ]


def test_police_off_duty_at_night_climb_to_the_liaison_office():
    police = [("08:00-22:00",)]
    sweep = sweep_from(local(2026, 12, 1, 21, 40))
    # The assistant holding a scene is always reached; police stages remind the police.
    scene: Roster = {StepKind.REMIND: [()], StepKind.POLICE: police}
    sweep.start("scene", Stage.SCENE, local(2026, 12, 1, 21, 40), roster=scene)
    pickup: Roster = {StepKind.REMIND: police, StepKind.POLICE: police}
    sweep.start("pickup", Stage.POLICE_PICKUP, local(2026, 12, 1, 21, 50), roster=pickup)
    sweep.run(local(2026, 12, 2, 1))
    assert sweep.log == [
        ("Tue 2026-12-01 22:00", "scene", "remind", 0),
        # Nobody on duty and no supervisors on a police stage: the liaison office.
        ("Tue 2026-12-01 22:05", "pickup", "remind→liaison", 0),
        ("Tue 2026-12-01 22:20", "pickup", "liaison", 0),
        ("Tue 2026-12-01 22:25", "scene", "police→liaison", 0),
    ]


def test_a_night_of_reminders_batched_per_recipient():
    # 23 PICC cases pinged at night, 2 of them in another group; each minute's sweep
    # groups its notices by where and to whom they go, 20 to a message at most.
    sla = with_picc_at_night(Sla())
    sweep = sweep_from(local(2026, 12, 1, 22, 50), sla, roster=_NIGHT)
    chats = {f"case{i}": (-1001 if i < 21 else -1002) for i in range(23)}
    for name in chats:
        sweep.start(name, Stage.INSURER_RESPONSE, local(2026, 12, 1, 22, 50), insurer="PICC")
    sweep.run(local(2026, 12, 1, 22, 54))
    found = sweep.look(local(2026, 12, 1, 22, 55))
    messages = batches(found, lambda f: (chats[f[0].name], f[2]), sla.cases_per_message)
    assert [(key, len(group)) for key, group in messages] == [
        ((-1001, StepKind.SUPERVISORS), 20),
        ((-1001, StepKind.SUPERVISORS), 1),
        ((-1002, StepKind.SUPERVISORS), 2),
    ]
    assert [row.name for row, _, _ in messages[1][1]] == ["case20"]


# --- a policy change does not touch a running ladder ---------------------------------------------


def test_a_running_clock_keeps_its_terms_across_a_new_deployment_file():
    old = Sla()
    sweep = sweep_from(local(2026, 12, 1, 9), old, tick=5 * M)  # Tuesday
    sweep.start("before", Stage.INSURER_DECISION, local(2026, 12, 1, 9))
    sweep.run(local(2026, 12, 1, 9, 10))
    sweep.start("payout", Stage.PAYOUT, local(2026, 12, 1, 9, 10))
    sweep.run(local(2026, 12, 1, 9, 20))
    # The new file: decisions in 30 min around the clock with only the liaison told,
    # payouts in 2 days, and the county takes Wednesday off.
    decision = SlaStage.model_validate(
        {"calendar": "24x7", "target_minutes": 30, "ladder": [{"step": "liaison"}]}
    )
    payout = old.stages.payout.model_copy(update={"target_days": 2})
    new = Sla(
        stages=SlaStages(insurer_decision=decision, payout=payout),
        holidays=(date(2026, 12, 2),),
    )
    assert new.terms(Stage.INSURER_DECISION) != old.terms(Stage.INSURER_DECISION)
    sweep.sla = new
    sweep.run(local(2026, 12, 1, 11, 50))
    sweep.start("after", Stage.INSURER_DECISION, local(2026, 12, 1, 11, 50))
    sweep.run(local(2026, 12, 9, 23, 59))
    assert sweep.log == [
        # The old ladder on the working calendar: supervisors at 2 h, liaison at 4 h.
        ("Tue 2026-12-01 11:00", "before", "supervisors", 0),
        ("Tue 2026-12-01 12:20", "after", "liaison", 0),  # the new: 30 min, 24x7
        ("Tue 2026-12-01 14:30", "before", "liaison", 0),
        # 3 working days, not 2, but on the county's days as they are now (holidays are
        # facts, not terms): 6 h 50 Tue, Wednesday off, Thu, Fri, 40 min on Monday.
        ("Mon 2026-12-07 09:10", "payout", "supervisors", 0),
        ("Wed 2026-12-09 09:10", "payout", "liaison", 0),  # 2 working days on
    ]
    assert sweep.row("before").clock.terms == old.terms(Stage.INSURER_DECISION)
    assert sweep.row("after").clock.terms == new.terms(Stage.INSURER_DECISION)
