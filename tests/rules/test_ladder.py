"""Escalation ladders at work (bot/rules/ladder.py): the acknowledgement hold, silenced
steps, climbing one level up when nobody of a step is on duty, batching a sweep's notices
and the link into a case's thread. Whole simulated days are in test_sla_scenarios.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config.sla import Sla
from bot.rules.calendar import AlwaysOpen, CalendarKind
from bot.rules.ladder import ONE_UP, batches, climb, due_now, next_look, passed_over, thread_link
from bot.rules.sla import Anchor, Firing, Stage, Step, StepKind, Terms
from bot.rules.sla_clock import due, next_due_at, pause, start, stop

CN = ZoneInfo("Asia/Shanghai")
ALWAYS = AlwaysOpen()
M = timedelta(minutes=1)
T0 = datetime(2026, 12, 1, 9, tzinfo=CN)  # a Tuesday

# The default ladder of an insurer's response, on 24x7: remind at 5 min, again at 35, 65
# and 95; supervisors at 10; liaison at 30.
RESPONSE = replace(Sla().terms(Stage.INSURER_RESPONSE), calendar=CalendarKind.ALWAYS)


def test_the_minutes_of_the_default_response_ladder():
    assert [(f, RESPONSE.offset(f)) for f in RESPONSE.firings()] == [
        (Firing(0, 0), 5 * M),
        (Firing(1, 0), 10 * M),
        (Firing(2, 0), 30 * M),
        (Firing(0, 1), 35 * M),
        (Firing(0, 2), 65 * M),
        (Firing(0, 3), 95 * M),
    ]


# --- the acknowledgement hold ---------------------------------------------------------------


def test_without_an_acknowledgement_due_now_is_due():
    clock = start(RESPONSE, T0)
    for now in (T0 + 4 * M, T0 + 5 * M, T0 + 31 * M):
        assert due_now(clock, ALWAYS, [], [], None, now) == due(clock, ALWAYS, [], now)
    assert next_look(clock, ALWAYS, [], [], None) == next_due_at(clock, ALWAYS, [])


def test_nothing_fires_while_the_hold_lasts_and_the_held_fire_at_its_lapse():
    clock = start(RESPONSE, T0)
    fired = [Firing(0, 0)]  # the 09:05 reminder, acknowledged at 09:06
    until = T0 + 36 * M
    for minute in range(6, 36):
        assert due_now(clock, ALWAYS, fired, [0], until, T0 + minute * M) == ()
    assert next_look(clock, ALWAYS, fired, [0], until) == until
    # At the lapse itself (the hold is half open), the supervisors of 09:10 and the
    # liaison of 09:30, once each; the silenced reminder's 09:35 repetition not at all.
    found = due_now(clock, ALWAYS, fired, [0], until, until)
    assert [(d.firing, d.at) for d in found] == [
        (Firing(1, 0), T0 + 10 * M),
        (Firing(2, 0), T0 + 30 * M),
    ]
    assert all(d.overdue == 26 * M for d in found)
    fired += [d.firing for d in found]
    assert due_now(clock, ALWAYS, fired, [0], until, T0 + 5 * 60 * M) == ()
    assert next_look(clock, ALWAYS, fired, [0], until) is None


def test_a_hold_that_lapses_before_the_next_step_does_not_move_it():
    clock = start(RESPONSE, T0)
    fired = [Firing(0, 0), Firing(1, 0)]
    until = T0 + 20 * M
    assert next_look(clock, ALWAYS, fired, [1], until) == T0 + 30 * M
    assert due_now(clock, ALWAYS, fired, [1], until, T0 + 30 * M)[0].firing == Firing(2, 0)


def test_a_past_hold_holds_nothing():
    clock = start(RESPONSE, T0)
    found = due_now(clock, ALWAYS, [], [], T0 + 2 * M, T0 + 5 * M)
    assert [d.firing for d in found] == [Firing(0, 0)]


def test_an_unsilenced_step_that_repeated_during_the_hold_fires_its_latest_once():
    clock = start(RESPONSE, T0)
    fired = [Firing(0, 0), Firing(1, 0), Firing(2, 0)]
    # The liaison acknowledged at 09:31 with a long hold: the reminder's 09:35 and
    # 10:05 repetitions fall inside it.
    until = T0 + 80 * M
    assert next_look(clock, ALWAYS, fired, [2], until) == until
    found = due_now(clock, ALWAYS, fired, [2], until, until)
    assert [(d.firing, d.at) for d in found] == [(Firing(0, 2), T0 + 65 * M)]
    fired.append(found[0].firing)
    assert next_look(clock, ALWAYS, fired, [2], None) == T0 + 95 * M


def test_a_silenced_step_never_fires_again():
    clock = start(RESPONSE, T0)
    fired = [Firing(0, 0)]
    assert [d.firing for d in due_now(clock, ALWAYS, fired, [0], None, T0 + 24 * 60 * M)] == [
        Firing(1, 0),
        Firing(2, 0),
    ]
    everything = [*fired, Firing(1, 0), Firing(2, 0)]
    assert next_look(clock, ALWAYS, everything, [0], None) is None


def test_passed_over_counts_a_silenced_step_as_done_through_its_last_repetition():
    assert passed_over(RESPONSE, [Firing(1, 0)], [0]) == {Firing(1, 0), Firing(0, 3)}
    assert passed_over(RESPONSE, [], [1]) == {Firing(1, 0)}
    # A step index the (frozen) ladder does not have is left alone.
    assert passed_over(RESPONSE, [Firing(0, 0)], [7, -1]) == {Firing(0, 0)}


def test_a_stopped_or_paused_clock_fires_nothing_at_the_lapse():
    clock = start(RESPONSE, T0)
    fired = [Firing(0, 0)]
    until = T0 + 36 * M
    stopped = stop(clock, T0 + 8 * M, ALWAYS)
    assert due_now(stopped, ALWAYS, fired, [0], until, until) == ()
    assert next_look(stopped, ALWAYS, fired, [0], until) is None
    paused = pause(clock, T0 + 8 * M, ALWAYS)
    assert due_now(paused, ALWAYS, fired, [0], until, T0 + 60 * 60 * M) == ()
    assert next_look(paused, ALWAYS, fired, [0], until) is None


def test_a_step_delayed_after_the_breach_is_held_like_any_other():
    terms = Terms(
        Stage.SCENE,
        CalendarKind.ALWAYS,
        target=30 * M,
        warning=20 * M,
        ladder=(Step(StepKind.REMIND, Anchor.WARNING), Step(StepKind.POLICE, delay=15 * M)),
    )
    clock = start(terms, T0)
    until = T0 + 50 * M  # acknowledged at 09:20 with a 30 min hold
    assert due_now(clock, ALWAYS, [Firing(0, 0)], [0], until, T0 + 45 * M) == ()
    assert next_look(clock, ALWAYS, [Firing(0, 0)], [0], until) == until
    (held,) = due_now(clock, ALWAYS, [Firing(0, 0)], [0], until, until)
    assert (held.kind, held.at, held.overdue) == (StepKind.POLICE, T0 + 45 * M, 20 * M)


# --- nobody on duty: one level up ---------------------------------------------------------------


def test_one_level_up_written_out():
    assert ONE_UP == {
        StepKind.REMIND: StepKind.SUPERVISORS,
        StepKind.SUPERVISORS: StepKind.LIAISON,
        StepKind.POLICE: StepKind.LIAISON,
    }


@pytest.mark.parametrize(
    ("kind", "on_duty", "fires"),
    [
        (StepKind.REMIND, {StepKind.REMIND}, StepKind.REMIND),
        (StepKind.REMIND, {StepKind.SUPERVISORS}, StepKind.SUPERVISORS),
        (StepKind.REMIND, set(), StepKind.LIAISON),
        (StepKind.SUPERVISORS, {StepKind.REMIND}, StepKind.LIAISON),
        (StepKind.SUPERVISORS, {StepKind.SUPERVISORS}, StepKind.SUPERVISORS),
        (StepKind.POLICE, {StepKind.POLICE}, StepKind.POLICE),
        # Police off duty go to the liaison office, never to an insurer's supervisors.
        (StepKind.POLICE, {StepKind.SUPERVISORS}, StepKind.LIAISON),
        (StepKind.LIAISON, set(), StepKind.LIAISON),
    ],
)
def test_climb(kind: StepKind, on_duty: set[StepKind], fires: StepKind):
    assert climb(kind, lambda level: level in on_duty) is fires


def test_the_liaison_office_is_the_top_and_is_never_asked_about():
    asked: list[StepKind] = []

    def reachable(level: StepKind) -> bool:
        asked.append(level)
        return False

    assert climb(StepKind.LIAISON, reachable) is StepKind.LIAISON
    assert asked == []
    assert climb(StepKind.REMIND, reachable) is StepKind.LIAISON
    assert asked == [StepKind.REMIND, StepKind.SUPERVISORS]


# --- batches --------------------------------------------------------------------------------------


def test_batches_group_in_the_order_each_destination_first_appears():
    items = ["a1", "b1", "a2", "c1", "b2", "a3"]
    assert batches(items, lambda s: s[0], 10) == [
        ("a", ["a1", "a2", "a3"]),
        ("b", ["b1", "b2"]),
        ("c", ["c1"]),
    ]


def test_batches_cut_a_group_into_messages_of_at_most_size():
    items = [("chat", n) for n in range(45)]
    found = batches(items, lambda item: item[0], 20)
    assert [(key, [n for _, n in group]) for key, group in found] == [
        ("chat", list(range(20))),
        ("chat", list(range(20, 40))),
        ("chat", list(range(40, 45))),
    ]
    assert [len(g) for _, g in batches(items, lambda item: item[0], 1)] == [1] * 45
    assert [len(g) for _, g in batches(items[:20], lambda item: item[0], 20)] == [20]


def test_batches_of_nothing_and_of_no_size():
    assert batches([], lambda s: s, 5) == []
    with pytest.raises(ValueError, match="at least one"):
        batches(["a"], lambda s: s, 0)


# --- the link into a case's thread ------------------------------------------------------------------


def test_a_forum_topic_is_linked_by_its_topic_id():
    link = thread_link(-1001234567890, topic_id=42, message_id=7)
    assert link == "https://t.me/c/1234567890/42"


def test_a_reply_chain_group_links_the_cards_message():
    link = thread_link(-1001234567890, topic_id=None, message_id=7)
    assert link == "https://t.me/c/1234567890/7"


def test_no_link_without_a_target_or_in_a_basic_group():
    assert thread_link(-1001234567890, topic_id=None, message_id=None) is None
    assert thread_link(-4123456789, topic_id=None, message_id=7) is None  # basic group
    assert thread_link(-123456, topic_id=3, message_id=7) is None
    assert thread_link(123456, topic_id=None, message_id=7) is None  # a private chat
