"""Stage clocks and escalation ladders: what moves a clock, elapsed time across pauses,
warning and breach instants, and each step of a ladder firing exactly once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.calendar import AlwaysOpen, Calendar, CalendarKind, working_calendar
from bot.rules.sla import (
    PER_INSURER,
    RULES,
    Action,
    Anchor,
    Event,
    Firing,
    Stage,
    Step,
    StepKind,
    Terms,
    action_for,
)
from bot.rules.sla_clock import (
    Clock,
    ClockState,
    Run,
    breach_at,
    due,
    elapsed,
    met_target,
    next_due_at,
    pause,
    reached_at,
    react,
    remaining,
    resume,
    start,
    stop,
    warning_at,
)

CN = ZoneInfo("Asia/Shanghai")
WORK = working_calendar("Asia/Shanghai", ["08:30-12:00", "13:30-17:30"])
ALWAYS = AlwaysOpen()
M = timedelta(minutes=1)
H = timedelta(hours=1)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CN)


T0 = local(2026, 12, 1, 9)  # a Tuesday

# insurer_response as docs/domain.md §6.1 has it: 10 min, warn at 5, remind at the warning
# repeating every 30 min three times, supervisors at the breach, liaison 20 min after it.
RESPONSE = Terms(
    stage=Stage.INSURER_RESPONSE,
    calendar=CalendarKind.ALWAYS,
    target=10 * M,
    warning=5 * M,
    ladder=(
        Step(StepKind.REMIND, Anchor.WARNING, every=30 * M, times=3),
        Step(StepKind.SUPERVISORS, Anchor.BREACH),
        Step(StepKind.LIAISON, Anchor.BREACH, delay=20 * M),
    ),
)
DECISION = Terms(
    stage=Stage.INSURER_DECISION,
    calendar=CalendarKind.WORKING,
    target=2 * H,
    warning=H,
    ladder=(Step(StepKind.SUPERVISORS), Step(StepKind.LIAISON, delay=2 * H)),
)


# --- what moves a clock -----------------------------------------------------------------


def test_every_stage_has_rules_and_no_event_plays_two_parts():
    assert set(RULES) == set(Stage)
    for stage, rule in RULES.items():
        parts = (rule.starts, rule.stops, rule.pauses, rule.resumes)
        assert sum(len(p) for p in parts) == len(set().union(*parts)), stage
        assert rule.starts and rule.stops, stage
        assert bool(rule.pauses) == bool(rule.resumes), stage


def test_the_table_written_out():
    expected = {
        Stage.SCENE: (
            {Event.CASE_OPENED, Event.POLICE_HANDED_BACK, Event.CASE_UNREADY},
            {Event.CASE_READY, Event.HANDED_TO_POLICE, Event.CANCELLED, Event.CLOSED},
            set(),
            set(),
        ),
        Stage.INSURER_RESPONSE: (
            {Event.INSURER_PINGED},
            {
                Event.INSURER_ACTED,
                Event.INSURER_APPROVED,
                Event.SURVEY_REQUESTED,
                Event.INSURER_REJECTED,
                Event.HANDED_TO_POLICE,
                Event.CLAIM_WITHDRAWN,
                Event.CANCELLED,
                Event.CLOSED,
            },
            set(),
            set(),
        ),
        Stage.INSURER_DECISION: (
            {Event.INSURER_PINGED},
            {
                Event.INSURER_APPROVED,
                Event.HANDED_TO_POLICE,
                Event.CLAIM_WITHDRAWN,
                Event.CANCELLED,
                Event.CLOSED,
            },
            {Event.SURVEY_REQUESTED, Event.INSURER_REJECTED},
            {Event.RESUBMITTED},
        ),
        Stage.PAYOUT: (
            {Event.INSURER_APPROVED},
            {
                Event.PAID_IN_FULL,
                Event.HANDED_TO_POLICE,
                Event.CLAIM_WITHDRAWN,
                Event.CANCELLED,
                Event.CLOSED,
            },
            set(),
            set(),
        ),
        Stage.POLICE_PICKUP: (
            {Event.HANDED_TO_POLICE},
            {Event.OFFICER_CLAIMED, Event.POLICE_HANDED_BACK, Event.CANCELLED, Event.CLOSED},
            set(),
            set(),
        ),
        Stage.POLICE_RESOLUTION: (
            {Event.OFFICER_CLAIMED},
            {Event.POLICE_HANDED_BACK, Event.CANCELLED, Event.CLOSED},
            set(),
            set(),
        ),
        Stage.SURVEY: (
            {Event.SURVEY_REQUESTED, Event.INSURER_REJECTED},
            {Event.RESUBMITTED, Event.HANDED_TO_POLICE, Event.CANCELLED, Event.CLOSED},
            set(),
            set(),
        ),
    }
    for stage, (starts, stops, pauses, resumes) in expected.items():
        rule = RULES[stage]
        assert (rule.starts, rule.stops, rule.pauses, rule.resumes) == (
            starts,
            stops,
            pauses,
            resumes,
        ), stage


def test_a_survey_request_pauses_the_decision_until_resubmission():
    assert action_for(Stage.INSURER_DECISION, Event.SURVEY_REQUESTED) is Action.PAUSE
    assert action_for(Stage.INSURER_DECISION, Event.RESUBMITTED) is Action.RESUME
    assert action_for(Stage.SURVEY, Event.SURVEY_REQUESTED) is Action.START
    assert action_for(Stage.SURVEY, Event.RESUBMITTED) is Action.STOP


def test_a_police_take_over_stops_the_fast_path_and_starts_the_police_clock():
    fast_path = {Stage.SCENE, Stage.SURVEY, *PER_INSURER}
    for stage in fast_path:
        assert action_for(stage, Event.HANDED_TO_POLICE) is Action.STOP, stage
    assert action_for(Stage.POLICE_PICKUP, Event.HANDED_TO_POLICE) is Action.START


def test_cancelled_and_closed_stop_everything():
    for stage in Stage:
        for event in (Event.CANCELLED, Event.CLOSED):
            assert action_for(stage, event) is Action.STOP, (stage, event)


def test_unrelated_events_do_nothing():
    assert action_for(Stage.PAYOUT, Event.CASE_READY) is None
    assert action_for(Stage.SCENE, Event.INSURER_PINGED) is None


def test_the_per_insurer_stages():
    assert PER_INSURER == {Stage.INSURER_RESPONSE, Stage.INSURER_DECISION, Stage.PAYOUT}


# --- start, pause, resume, stop ------------------------------------------------------------


def test_a_started_clock_runs():
    clock = start(RESPONSE, T0)
    assert clock.state is ClockState.RUNNING and clock.started_at == T0
    assert elapsed(clock, ALWAYS, T0 + 7 * M) == 7 * M
    assert remaining(clock, ALWAYS, T0 + 7 * M) == 3 * M
    assert remaining(clock, ALWAYS, T0 + 12 * M) == -2 * M
    assert elapsed(clock, ALWAYS, T0 - M) == timedelta(0)


def test_elapsed_survives_pauses_exactly():
    clock = start(DECISION, T0)  # Tuesday 09:00
    clock = pause(clock, local(2026, 12, 1, 9, 40) + timedelta(seconds=17), WORK)
    assert clock.state is ClockState.PAUSED
    assert clock.accumulated == 40 * M + timedelta(seconds=17)
    # Paused, nothing more counts however long it lasts.
    assert elapsed(clock, WORK, local(2026, 12, 3, 12)) == 40 * M + timedelta(seconds=17)
    clock = resume(clock, local(2026, 12, 4, 17))  # Friday 17:00
    clock = pause(clock, local(2026, 12, 7, 9), WORK)  # Monday 09:00: 30 + 30 min
    clock = resume(clock, local(2026, 12, 7, 11))
    assert elapsed(clock, WORK, local(2026, 12, 7, 11, 30)) == (
        40 * M + timedelta(seconds=17) + H + 30 * M
    )
    assert [r.worked for r in clock.runs[:-1]] == [40 * M + timedelta(seconds=17), H]


def test_the_warning_and_breach_move_with_a_pause():
    clock = start(DECISION, T0)
    assert warning_at(clock, WORK) == local(2026, 12, 1, 10)
    assert breach_at(clock, WORK) == local(2026, 12, 1, 11)
    clock = pause(clock, local(2026, 12, 1, 9, 30), WORK)
    assert warning_at(clock, WORK) is None and breach_at(clock, WORK) is None
    clock = resume(clock, local(2026, 12, 1, 16, 30))
    # 30 min done; 30 more to the warning, 90 more to the breach: 60 today, 30 tomorrow.
    assert warning_at(clock, WORK) == local(2026, 12, 1, 17)
    assert breach_at(clock, WORK) == local(2026, 12, 2, 9)


def test_a_point_passed_before_a_pause_keeps_its_instant():
    clock = start(DECISION, T0)
    clock = pause(clock, local(2026, 12, 1, 10, 30), WORK)
    assert warning_at(clock, WORK) == local(2026, 12, 1, 10)
    assert breach_at(clock, WORK) is None


def test_a_point_reached_as_the_day_closed_falls_when_the_clock_runs_again():
    # 1.5 h of a 1.5 h target run out at Friday's close; the clock is paused on Saturday.
    terms = Terms(Stage.INSURER_DECISION, CalendarKind.WORKING, target=90 * M)
    clock = pause(start(terms, local(2026, 12, 4, 16)), local(2026, 12, 5, 10), WORK)
    assert clock.accumulated == 90 * M
    assert breach_at(clock, WORK) is None  # Monday 08:30 would be inside the pause
    clock = resume(clock, local(2026, 12, 7, 10))
    assert breach_at(clock, WORK) == local(2026, 12, 7, 10)
    # Paused at the close itself: the close is not working time, so not reached either.
    clock = pause(start(terms, local(2026, 12, 4, 16)), local(2026, 12, 4, 17, 30), WORK)
    assert breach_at(clock, WORK) is None
    # Paused at a working instant just as the target ran out: reached right then.
    hour = Terms(Stage.INSURER_DECISION, CalendarKind.WORKING, target=H)
    clock = pause(start(hour, local(2026, 12, 4, 16)), local(2026, 12, 4, 17), WORK)
    assert breach_at(clock, WORK) == local(2026, 12, 4, 17)


def test_stopping_freezes_the_clock_and_says_whether_it_met_its_target():
    clock = start(RESPONSE, T0)
    assert met_target(clock) is None
    done = stop(clock, T0 + 8 * M, ALWAYS)
    assert done.state is ClockState.STOPPED and done.stopped_at == T0 + 8 * M
    assert elapsed(done, ALWAYS, T0 + H) == 8 * M
    assert met_target(done) is True
    assert met_target(stop(clock, T0 + 10 * M, ALWAYS)) is True  # on the target is met
    assert met_target(stop(clock, T0 + 11 * M, ALWAYS)) is False
    assert breach_at(done, ALWAYS) is None


def test_a_paused_clock_can_be_stopped():
    clock = pause(start(DECISION, T0), T0 + 20 * M, WORK)
    done = stop(clock, local(2026, 12, 2, 10), WORK)
    assert done.state is ClockState.STOPPED
    assert done.accumulated == 20 * M
    assert done.runs == clock.runs


def test_repeating_a_change_changes_nothing():
    running = start(DECISION, T0)
    assert resume(running, T0 + M) is running
    paused = pause(running, T0 + 10 * M, WORK)
    assert pause(paused, T0 + 20 * M, WORK) is paused
    stopped = stop(paused, T0 + 30 * M, WORK)
    for again in (
        stop(stopped, T0 + H, WORK),
        pause(stopped, T0 + H, WORK),
        resume(stopped, T0 + H),
    ):
        assert again is stopped


def test_time_does_not_run_backwards():
    clock = start(DECISION, T0)
    with pytest.raises(ValueError, match="before the clock's last change"):
        pause(clock, T0 - M, WORK)
    paused = pause(clock, T0 + 10 * M, WORK)
    with pytest.raises(ValueError, match="before the clock's last change"):
        resume(paused, T0 + 5 * M)
    with pytest.raises(ValueError, match="before the clock's last change"):
        stop(paused, T0 + 5 * M, WORK)


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        start(DECISION, datetime(2026, 12, 1, 9))


def test_a_clock_needs_a_run_and_a_stopped_clock_none_open():
    with pytest.raises(ValueError):
        Clock(DECISION, ())
    with pytest.raises(ValueError):
        Clock(DECISION, (Run(T0),), stopped_at=T0 + M)


# --- react: events on a stage's clock ------------------------------------------------------


def test_react_starts_pauses_resumes_and_stops():
    clock = react(None, Event.INSURER_PINGED, T0, WORK, DECISION)
    assert clock is not None and clock.state is ClockState.RUNNING
    clock = react(clock, Event.SURVEY_REQUESTED, T0 + 30 * M, WORK, DECISION)
    assert clock is not None and clock.state is ClockState.PAUSED
    clock = react(clock, Event.RESUBMITTED, T0 + 2 * H, WORK, DECISION)
    assert clock is not None and clock.state is ClockState.RUNNING
    clock = react(clock, Event.INSURER_APPROVED, T0 + 2 * H + 15 * M, WORK, DECISION)
    assert clock is not None and clock.state is ClockState.STOPPED
    assert clock.accumulated == 45 * M


def test_react_keeps_a_live_clock_on_a_second_start_and_restarts_a_stopped_one():
    scene = Terms(Stage.SCENE, CalendarKind.ALWAYS, target=30 * M, warning=20 * M)
    clock = react(None, Event.CASE_OPENED, T0, ALWAYS, scene)
    assert react(clock, Event.CASE_OPENED, T0 + M, ALWAYS, scene) is clock
    stopped = react(clock, Event.HANDED_TO_POLICE, T0 + 5 * M, ALWAYS, scene)
    assert stopped is not None and stopped.state is ClockState.STOPPED
    again = react(stopped, Event.POLICE_HANDED_BACK, T0 + H, ALWAYS, scene)
    assert again is not None and again.started_at == T0 + H and again.accumulated == timedelta(0)


def test_react_without_a_clock_or_with_an_unrelated_event():
    assert react(None, Event.RESUBMITTED, T0, WORK, DECISION) is None
    clock = start(DECISION, T0)
    assert react(clock, Event.CASE_READY, T0 + M, WORK, DECISION) is clock
    with pytest.raises(ValueError, match="terms"):
        react(clock, Event.CASE_READY, T0 + M, WORK, RESPONSE)


# --- terms and steps -------------------------------------------------------------------------


def test_terms_and_steps_refuse_what_cannot_work():
    with pytest.raises(ValueError, match="target"):
        Terms(Stage.SCENE, CalendarKind.ALWAYS, target=timedelta(0))
    with pytest.raises(ValueError, match="warning"):
        Terms(Stage.SCENE, CalendarKind.ALWAYS, target=M, warning=2 * M)
    with pytest.raises(ValueError, match="warning"):
        Terms(Stage.SCENE, CalendarKind.ALWAYS, target=M, warning=timedelta(0))
    with pytest.raises(ValueError, match="warning that is not set"):
        Terms(
            Stage.SCENE,
            CalendarKind.ALWAYS,
            target=M,
            ladder=(Step(StepKind.REMIND, Anchor.WARNING),),
        )
    with pytest.raises(ValueError, match="negative"):
        Step(StepKind.REMIND, delay=-M)
    with pytest.raises(ValueError, match="both every and times"):
        Step(StepKind.REMIND, times=2)
    with pytest.raises(ValueError, match="both every and times"):
        Step(StepKind.REMIND, every=M)
    with pytest.raises(ValueError, match="positive"):
        Step(StepKind.REMIND, every=timedelta(0), times=1)


def test_the_ladder_in_the_order_it_falls_due():
    assert RESPONSE.firings() == (
        Firing(0, 0),  # remind at 5 min
        Firing(1, 0),  # supervisors at 10
        Firing(2, 0),  # liaison at 30
        Firing(0, 1),  # remind again at 35, 65, 95
        Firing(0, 2),
        Firing(0, 3),
    )
    assert [RESPONSE.offset(f) for f in RESPONSE.firings()] == [
        5 * M,
        10 * M,
        30 * M,
        35 * M,
        65 * M,
        95 * M,
    ]
    with pytest.raises(ValueError, match="repetition"):
        RESPONSE.offset(Firing(0, 4))


# --- what is due ------------------------------------------------------------------------------


def _sweep(
    clock: Clock, calendar: Calendar, until: datetime, tick: timedelta
) -> list[tuple[datetime, Firing]]:
    """A sweep every `tick`, recording what fires like the database will."""
    fired: list[Firing] = []
    log: list[tuple[datetime, Firing]] = []
    now = clock.started_at
    while now <= until:
        for d in due(clock, calendar, fired, now):
            fired.append(d.firing)
            log.append((now, d.firing))
        now += tick
    return log


def test_every_step_fires_exactly_once_at_its_time():
    log = _sweep(start(RESPONSE, T0), ALWAYS, T0 + 3 * H, timedelta(seconds=20))
    assert log == [
        (T0 + 5 * M, Firing(0, 0)),
        (T0 + 10 * M, Firing(1, 0)),
        (T0 + 30 * M, Firing(2, 0)),
        (T0 + 35 * M, Firing(0, 1)),
        (T0 + 65 * M, Firing(0, 2)),
        (T0 + 95 * M, Firing(0, 3)),
    ]


def test_repeats_stop_at_their_limit():
    log = _sweep(start(RESPONSE, T0), ALWAYS, T0 + 24 * H, timedelta(minutes=5))
    assert [f for _, f in log if f.step == 0] == [Firing(0, k) for k in range(4)]
    assert next_due_at(start(RESPONSE, T0), ALWAYS, [f for _, f in log]) is None


def test_after_downtime_each_overdue_step_fires_once():
    clock = start(RESPONSE, T0)
    # Down from the start until 70 min: remind (three repetitions due), supervisors, liaison.
    found = due(clock, ALWAYS, [], T0 + 70 * M)
    assert [d.firing for d in found] == [Firing(1, 0), Firing(2, 0), Firing(0, 2)]
    assert [d.at for d in found] == [T0 + 10 * M, T0 + 30 * M, T0 + 65 * M]
    assert [d.kind for d in found] == [StepKind.SUPERVISORS, StepKind.LIAISON, StepKind.REMIND]
    assert all(d.overdue == 60 * M for d in found)
    fired = [d.firing for d in found]
    assert due(clock, ALWAYS, fired, T0 + 70 * M) == ()
    assert due(clock, ALWAYS, fired, T0 + 94 * M) == ()
    assert [d.firing for d in due(clock, ALWAYS, fired, T0 + 95 * M)] == [Firing(0, 3)]


def test_a_fired_step_stays_fired_however_often_it_is_asked():
    clock = start(RESPONSE, T0)
    fired = [Firing(0, 0)]
    for minute in range(5, 10):
        assert due(clock, ALWAYS, fired, T0 + minute * M) == ()


def test_a_stopped_clock_fires_nothing():
    clock = stop(start(RESPONSE, T0), T0 + 3 * M, ALWAYS)
    assert due(clock, ALWAYS, [], T0 + 5 * H) == ()
    assert next_due_at(clock, ALWAYS, []) is None


def test_a_paused_clock_fires_nothing_new_but_what_it_had_reached():
    clock = pause(start(DECISION, T0), local(2026, 12, 1, 11, 10), WORK)  # past the breach
    found = due(clock, WORK, [], local(2026, 12, 5, 12))
    assert [d.firing for d in found] == [Firing(0, 0)]
    assert found[0].at == local(2026, 12, 1, 11)
    assert next_due_at(clock, WORK, [Firing(0, 0)]) is None  # the liaison waits for the resume


def test_the_ladder_follows_working_time():
    clock = start(DECISION, local(2026, 12, 4, 16))  # Friday 16:00
    # Breach after 2 working hours: 1.5 h on Friday, 30 min on Monday; liaison 2 h later.
    assert next_due_at(clock, WORK, []) == local(2026, 12, 7, 9)
    assert due(clock, WORK, [], local(2026, 12, 6, 23)) == ()
    assert [d.firing for d in due(clock, WORK, [], local(2026, 12, 7, 9))] == [Firing(0, 0)]
    assert next_due_at(clock, WORK, [Firing(0, 0)]) == local(2026, 12, 7, 11)


def test_next_due_at_is_when_due_first_answers():
    clock = start(RESPONSE, T0)
    fired: list[Firing] = []
    while (at := next_due_at(clock, ALWAYS, fired)) is not None:
        assert due(clock, ALWAYS, fired, at - timedelta(microseconds=1)) == ()
        found = due(clock, ALWAYS, fired, at)
        assert found
        fired += [d.firing for d in found]
    assert len(fired) == len(RESPONSE.firings())


# --- frozen onto the case: JSON and back ----------------------------------------------------


def test_terms_and_clocks_go_to_json_and_back_unchanged():
    running = start(RESPONSE, T0)
    paused = pause(start(DECISION, T0), T0 + timedelta(minutes=7, microseconds=3), WORK)
    resumed = resume(paused, T0 + H)
    stopped = stop(resumed, T0 + 2 * H, WORK)
    for clock in (running, paused, resumed, stopped):
        text = json.dumps(clock.to_json())
        back = Clock.from_json(json.loads(text))
        assert back == clock
        assert elapsed(back, WORK, T0 + 3 * H) == elapsed(clock, WORK, T0 + 3 * H)
    for terms in (RESPONSE, DECISION):
        assert Terms.from_json(json.loads(json.dumps(terms.to_json()))) == terms


# --- properties --------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 6, 30), timezones=st.just(CN)
)
gaps = st.lists(st.integers(min_value=0, max_value=5 * 24 * 3600), min_size=1, max_size=8)
calendars = st.sampled_from([WORK, ALWAYS])


def _played(
    calendar: Calendar, at: datetime, seconds: list[int]
) -> tuple[Clock, timedelta, datetime]:
    """A clock paused and resumed at the given gaps, and the working time it ran."""
    clock = start(DECISION, at)
    ran = timedelta(0)
    for i, gap in enumerate(seconds):
        nxt = at + timedelta(seconds=gap)
        if i % 2 == 0:
            ran += calendar.count(at, nxt)
            clock = pause(clock, nxt, calendar)
        else:
            clock = resume(clock, nxt)
        at = nxt
    return clock, ran, at


@settings(max_examples=150, deadline=None)
@given(calendars, instants, gaps, st.integers(0, 3 * 24 * 3600))
def test_elapsed_is_the_working_time_of_the_runs(calendar, at, seconds, later):
    clock, ran, last = _played(calendar, at, seconds)
    now = last + timedelta(seconds=later)
    if clock.state is ClockState.RUNNING:
        ran += calendar.count(last, now)
    assert elapsed(clock, calendar, now) == ran
    assert Clock.from_json(json.loads(json.dumps(clock.to_json()))) == clock


@settings(max_examples=150, deadline=None)
@given(calendars, instants, gaps, st.integers(1, 20 * 3600))
def test_a_future_point_is_reached_when_elapsed_gets_there(calendar, at, seconds, ahead):
    clock, _, last = _played(calendar, at, seconds)
    if clock.state is not ClockState.RUNNING:
        clock = resume(clock, last)
    offset = elapsed(clock, calendar, last) + timedelta(seconds=ahead)
    when = reached_at(clock, calendar, offset)
    assert when is not None and when >= last
    assert elapsed(clock, calendar, when) == offset
    assert calendar.is_working(when)
