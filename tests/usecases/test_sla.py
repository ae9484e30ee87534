"""Stage clocks and their ladders against the use cases on a real database.

The life-cycle tests start, pause and stop clocks through the use cases themselves (a
photo opening a case, routing, an insurer's buttons, the police's); the ladder tests
start scene clocks by noting the cases' opening, the door those use cases go through.
The sweep is called as the app's job calls it, at instants the manual clock is moved to.
Every test starts at 10:00 on a Monday in Asia/Shanghai (`MORNING`), working time, with
every adjuster of the example deployment on duty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import replace

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims.routing import route
from bot.config.deployment import LiaisonChat
from bot.flows.opening import PhotoOutcome, receive_photo
from bot.flows.text_router import receive_text
from bot.kernel.incoming import Command, IncomingPhoto
from bot.kernel.outbox import mention
from bot.kernel.services import Services, mark_changed
from bot.kernel.texts import Raw, t
from bot.rules.sla import Event
from bot.rules.sla_clock import Clock, Run
from bot.sla.overdue import show_overdue
from bot.sla.sweep import sweep
from bot.timeline.format import format_duration
from storage.models import AuditEvent, Case, ChatGroup, InsurerClaim, OutboxItem, StageClock
from tests.factories import (
    ASSISTANT,
    CHAT,
    MORNING,
    NAMES,
    OFFICER_2,
    OTHER_CHAT,
    PICC_ADJUSTER,
    PICC_SUPERVISOR,
    PINGAN_ADJUSTER,
    PINGAN_ADJUSTER_2,
    PINGAN_SUPERVISOR,
    POLICE,
    STRANGER,
    claim_token,
    get,
    issue,
    make_case,
    make_group,
    make_member,
    make_party,
    make_photo,
    next_message_id,
    press,
    produced,
    rows,
    text_in,
)
from tests.sla_factories import (
    LIAISON,
    NAMES_OF_EXAMPLE,
    NOTICE,
    ack_buttons,
    at_minute,
    clock,
    clocks_of,
    events,
    later,
    live,
    minutes,
    noted,
    notices,
    set_on_duty,
    set_sla,
    set_stage,
)

FAST_ANSWERS = {
    "injury": False,
    "movable": True,
    "documents": True,
    "intoxication": False,
    "dangerous_goods": False,
    "agreed": True,
}
_OF_EACH = ("plate", "driving_licence", "vehicle_licence")
SHOTS = (
    "front_oblique",
    "rear_oblique",
    "impact",
    *(f"{shot}:{label}" for label in ("甲", "乙") for shot in _OF_EACH),
)


async def routed(svc: Services) -> tuple[Case, InsurerClaim, InsurerClaim]:
    """The claims tests' two cars (甲 insured by 平安, 乙 by 人保), at equal fault so that
    both insurers pay, sent to them by the routing use case so that their clocks start as
    in the app."""
    if not await rows(svc, ChatGroup):
        await make_group(svc)
        await make_member(svc, user_id=ASSISTANT, role="assistant")
    case = await make_case(svc, status="ready", eligibility=FAST_ANSWERS)
    await complete(svc, case)

    async def work(session: AsyncSession) -> None:
        fresh = await session.get(Case, case.id)
        assert fresh is not None
        await route(session, svc, fresh, actor=ASSISTANT)

    await svc.in_transaction(work)
    claims = {
        c.insurer_code: c for c in await rows(svc, InsurerClaim, InsurerClaim.case_id == case.id)
    }
    return await get(svc, Case, case.id), claims["PINGAN"], claims["PICC"]


async def complete(svc: Services, case: Case) -> None:
    """Every shot and both parties of a case, as the assistant would have gathered them
    (so that a disputed case may be resubmitted)."""
    for label in ("甲", "乙"):
        await make_party(svc, case, label=label, confirmed=True, grade="equal")
    for shot in SHOTS:
        await make_photo(svc, case, slot=shot)


def photo_message(user_id: int = ASSISTANT) -> IncomingPhoto:
    message_id = next_message_id()
    return IncomingPhoto(
        chat_id=CHAT,
        chat_title="花石镇快处快赔群",
        chat_is_forum=True,
        message_id=message_id,
        user_id=user_id,
        user_name=NAMES[user_id],
        file_id=f"file-{message_id}",
        file_unique_id=f"unique-{message_id}",
        media_group_id=None,
        topic_id=None,
        reply_to_message_id=None,
        chain_root_id=None,
    )


async def opened(svc: Services, count: int = 1, *, opener: int = ASSISTANT) -> list[Case]:
    """Cases opened now (their scene clocks running), in a group made on first use."""
    if not await rows(svc, ChatGroup):
        await make_group(svc)
    cases = [await make_case(svc, opener=opener) for _ in range(count)]
    await noted(svc, cases, Event.CASE_OPENED)
    return cases


def ids(found: Iterable[int | None]) -> list[int]:
    """Row ids sorted, each as often as it occurs (every row here has its id)."""
    return sorted(i or 0 for i in found)


def fired_as(event: AuditEvent) -> tuple[int | None, str, str | None, str, str, int, list[int]]:
    d = event.data
    return (
        event.case_id,
        d["stage"],
        d["insurer"],
        d["step"],
        d["fired_as"],
        d["repeat"],
        d["told"],
    )


async def produced_events(svc: Services, call: Awaitable[int]) -> list[AuditEvent]:
    """The `sla.fired` events one sweep wrote."""
    return [e for e in (await produced(svc, call)).audit if e.kind == "sla.fired"]


# --- clocks follow the use cases ------------------------------------------------------


async def test_a_photo_opening_a_case_starts_scene_and_readiness_stops_it(svc: Services):
    await make_group(svc)
    await make_member(svc, user_id=ASSISTANT, role="assistant")
    assert await receive_photo(svc, photo_message()) == PhotoOutcome.OPENED
    [case] = await rows(svc, Case)
    [scene] = await clocks_of(svc, case)
    assert (scene.stage, scene.insurer_code, scene.state) == ("scene", None, "running")
    assert scene.started_at == MORNING
    # 24x7, 30 minutes, the reminder at 67 %: 20 minutes.
    assert scene.breach_at == MORNING + minutes(30)
    assert scene.due_at == MORNING + minutes(20)

    later(svc, 12)
    await complete(svc, case)

    async def answered(session: AsyncSession) -> None:
        fresh = await session.get(Case, case.id)
        assert fresh is not None
        fresh.eligibility = dict(FAST_ANSWERS)
        session.add(fresh)
        mark_changed(session, case.id, actor=ASSISTANT)

    await svc.in_transaction(answered)
    assert (await get(svc, Case, case.id)).status == "awaiting_insurer"
    scene = await clock(svc, case, "scene")
    assert scene.state == "stopped"
    assert (scene.started_at, scene.stopped_at) == (MORNING, MORNING + minutes(12))
    assert (scene.worked_seconds, scene.met_target, scene.due_at) == (720, True, None)
    assert await live(svc, case) == {
        (stage, insurer)
        for stage in ("insurer_response", "insurer_decision")
        for insurer in ("PINGAN", "PICC")
    }
    response = await clock(svc, case, "insurer_response", "PINGAN")
    assert response.started_at == MORNING + minutes(12)


async def test_routing_starts_both_insurer_clocks_per_paying_insurer(svc: Services):
    case, _, _ = await routed(svc)
    clocks = await clocks_of(svc, case)
    assert sorted((c.stage, c.insurer_code, c.state) for c in clocks) == [
        ("insurer_decision", "PICC", "running"),
        ("insurer_decision", "PINGAN", "running"),
        ("insurer_response", "PICC", "running"),
        ("insurer_response", "PINGAN", "running"),
    ]
    assert {c.started_at for c in clocks} == {MORNING}
    # 人保's response runs round the clock in the example; 平安's in working hours, now.
    assert {c.breach_at for c in clocks if c.stage == "insurer_response"} == {MORNING + minutes(10)}
    assert {c.due_at for c in clocks if c.stage == "insurer_response"} == {MORNING + minutes(5)}
    assert {c.target_seconds for c in clocks if c.stage == "insurer_decision"} == {7200}


async def test_approving_stops_that_insurers_clocks_and_starts_its_payout(svc: Services):
    case, pingan, _ = await routed(svc)
    later(svc, 3)
    result = await press(svc, await claim_token(svc, case, pingan, "approve"), PINGAN_ADJUSTER)
    assert not result.alert
    for stage in ("insurer_response", "insurer_decision"):
        row = await clock(svc, case, stage, "PINGAN")
        assert row.state == "stopped", stage
        assert (row.started_at, row.stopped_at) == (MORNING, MORNING + minutes(3))
        assert (row.worked_seconds, row.met_target, row.due_at, row.breach_at) == (
            180,
            True,
            None,
            None,
        )
    payout = await clock(svc, case, "payout", "PINGAN")
    assert (payout.state, payout.started_at) == ("running", MORNING + minutes(3))
    # 人保 has not decided: its clocks run on.
    assert await live(svc, case) == {
        ("payout", "PINGAN"),
        ("insurer_response", "PICC"),
        ("insurer_decision", "PICC"),
    }


async def test_a_survey_pauses_the_decision_and_resubmission_resumes_it(svc: Services):
    case, pingan, _ = await routed(svc)
    later(svc, 4)
    result = await press(svc, await claim_token(svc, case, pingan, "survey"), PINGAN_ADJUSTER)
    assert not result.alert
    assert (await get(svc, Case, case.id)).status == "disputed"
    # Asking for a survey is 平安's first action; its decision waits for the assistant.
    response = await clock(svc, case, "insurer_response", "PINGAN")
    assert (response.state, response.worked_seconds) == ("stopped", 240)
    decision = await clock(svc, case, "insurer_decision", "PINGAN")
    assert (decision.state, decision.due_at, decision.breach_at) == ("paused", None, None)
    survey = await clock(svc, case, "survey")
    assert (survey.state, survey.started_at, survey.insurer_code) == (
        "running",
        MORNING + minutes(4),
        None,
    )

    later(svc, 30)
    token = await issue(svc, "claim.resubmit", case=case)
    result = await press(svc, token, ASSISTANT)
    assert not result.alert, result.text
    assert (await get(svc, Case, case.id)).status == "awaiting_insurer"
    survey = await clock(svc, case, "survey")
    assert (survey.state, survey.worked_seconds, survey.met_target) == ("stopped", 1800, True)
    decision = await clock(svc, case, "insurer_decision", "PINGAN")
    assert decision.state == "running"
    runs = Clock.from_json(decision.clock).runs
    # The 30 minutes the assistant owed the survey are not the insurer's.
    assert runs == (
        Run(MORNING, MORNING + minutes(4), minutes(4)),
        Run(MORNING + minutes(34)),
    )
    assert decision.breach_at is not None and decision.due_at is not None
    # 平安 is asked again: a new response clock; 人保, still waiting, keeps its clocks.
    responses = [c for c in await clocks_of(svc, case) if c.stage == "insurer_response"]
    assert [(c.insurer_code, c.state, c.started_at) for c in responses] == [
        ("PINGAN", "stopped", MORNING),
        ("PICC", "running", MORNING),
        ("PINGAN", "running", MORNING + minutes(34)),
    ]
    assert (await clock(svc, case, "insurer_decision", "PICC")).started_at == MORNING


async def test_a_police_take_over_stops_the_fast_path_and_starts_the_polices_clocks(
    svc: Services,
):
    case, _, _ = await routed(svc)
    later(svc, 5)
    result = await press(svc, await issue(svc, "police.take_over", case=case), POLICE)
    assert not result.alert, result.text
    by_key = {(c.stage, c.insurer_code): c for c in await clocks_of(svc, case)}
    for insurer in ("PINGAN", "PICC"):
        for stage in ("insurer_response", "insurer_decision"):
            row = by_key[(stage, insurer)]
            assert (row.state, row.stopped_at, row.worked_seconds) == (
                "stopped",
                MORNING + minutes(5),
                300,
            )
    # Taken over by the officer who pressed: picked up at once, resolution running.
    pickup = by_key[("police_pickup", None)]
    assert (pickup.state, pickup.started_at, pickup.stopped_at) == (
        "stopped",
        MORNING + minutes(5),
        MORNING + minutes(5),
    )
    assert (pickup.worked_seconds, pickup.met_target) == (0, True)
    assert await live(svc, case) == {("police_resolution", None)}
    resolution = by_key[("police_resolution", None)]
    assert resolution.started_at == MORNING + minutes(5)


async def test_a_case_handed_back_by_the_police_gets_a_new_scene_clock(svc: Services):
    [case] = await opened(svc)
    later(svc, 5)
    await press(svc, await issue(svc, "police.take_over", case=case), POLICE)
    first_scene = await clock(svc, case, "scene")
    assert (first_scene.state, first_scene.worked_seconds) == ("stopped", 300)
    later(svc, 40)
    result = await press(svc, await issue(svc, "police.hand_back", case=case), POLICE)
    assert not result.alert, result.text
    resolution = await clock(svc, case, "police_resolution")
    assert (resolution.state, resolution.stopped_at) == ("stopped", MORNING + minutes(45))
    scenes = [c for c in await clocks_of(svc, case) if c.stage == "scene"]
    assert [(c.state, c.started_at) for c in scenes] == [
        ("stopped", MORNING),
        ("running", MORNING + minutes(45)),
    ]
    assert await live(svc, case) == {("scene", None)}


async def test_cancelling_stops_every_clock(svc: Services):
    case, _, _ = await routed(svc)
    await press(svc, await issue(svc, "police.take_over", case=case), POLICE)
    later(svc, 20)
    assert not (await press(svc, await issue(svc, "police.cancel", case=case), POLICE)).alert
    outcome = await receive_text(svc, text_in(case, "当事人已自行离开现场", POLICE))
    assert outcome == "cancelled"
    assert (await get(svc, Case, case.id)).status == "cancelled"
    assert await live(svc, case) == set()
    resolution = await clock(svc, case, "police_resolution")
    assert (resolution.stopped_at, resolution.met_target) == (MORNING + minutes(20), True)
    assert resolution.worked_seconds == 1200


async def test_closing_stops_every_clock_and_keeps_the_record(svc: Services):
    case, pingan, picc = await routed(svc)
    for claim, who in ((pingan, PINGAN_ADJUSTER), (picc, PICC_ADJUSTER)):
        assert not (await press(svc, await claim_token(svc, case, claim, "approve"), who)).alert
    assert (await get(svc, Case, case.id)).status == "approved"
    later(svc, 60)
    for claim, who in ((pingan, PINGAN_ADJUSTER), (picc, PICC_ADJUSTER)):
        token = await claim_token(svc, case, claim, "paid_full")
        assert not (await press(svc, token, who)).alert
    assert (await get(svc, Case, case.id)).status == "closed"
    assert await live(svc, case) == set()
    clocks = await clocks_of(svc, case)
    assert sorted((c.stage, c.insurer_code) for c in clocks) == sorted(
        (stage, insurer)
        for stage in ("insurer_response", "insurer_decision", "payout")
        for insurer in ("PINGAN", "PICC")
    )
    for row in clocks:
        assert row.stopped_at is not None and row.worked_seconds is not None, row.stage
        assert row.met_target is True and row.due_at is None, row.stage
    payouts = [c for c in clocks if c.stage == "payout"]
    assert {(c.started_at, c.stopped_at, c.worked_seconds) for c in payouts} == {
        (MORNING, MORNING + minutes(60), 3600)
    }


# --- the sweep ----------------------------------------------------------------------


async def test_each_step_fires_once_however_often_the_sweep_looks(svc: Services):
    [case] = await opened(svc)
    later(svc, 19)
    assert await sweep(svc) == 0
    later(svc, 1)
    got = await produced(svc, sweep(svc))
    assert got.result == 1
    [event] = [e for e in got.audit if e.kind == "sla.fired"]
    assert fired_as(event) == (case.id, "scene", None, "remind", "remind", 0, [ASSISTANT])
    assert event.data["due_at"] == (MORNING + minutes(20)).isoformat()
    assert event.data["overdue_seconds"] == -600  # ten minutes before the breach
    assert [i.kind for i in got.outbox] == [NOTICE, "sla_card"]
    row = await clock(svc, case, "scene")
    assert (row.fired, row.step_kind, row.fired_at) == ([[0, 0]], "remind", svc.clock.now())
    assert row.due_at == MORNING + minutes(45)  # the police, 15 minutes after the breach

    again = await produced(svc, sweep(svc))
    assert (again.result, again.outbox, again.audit) == (0, [], [])

    later(svc, 25)
    got = await produced(svc, sweep(svc))
    assert [fired_as(e) for e in got.audit] == [
        (case.id, "scene", None, "police", "police", 0, [POLICE])
    ]
    row = await clock(svc, case, "scene")
    assert (row.fired, row.due_at, row.state) == ([[0, 0], [1, 0]], None, "running")
    later(svc, 60)
    assert await sweep(svc) == 0
    assert len(await events(svc, "sla.fired")) == 2


async def test_after_downtime_each_overdue_step_fires_once(svc: Services):
    case, _, _ = await routed(svc)
    # Down for 1 h 50 min: the reminder fell due at 5, 35, 65 and 95 minutes, the
    # supervisors at 10, the liaison office at 30; the decision's breach is still ahead.
    later(svc, 110)
    got = await produced(svc, sweep(svc))
    assert got.result == 6
    fired = sorted(
        (e.data["insurer"], e.data["step"], e.data["repeat"], e.data["due_at"])
        for e in got.audit
        if e.kind == "sla.fired"
    )
    at = {"remind": 95, "supervisors": 10, "liaison": 30}
    assert fired == sorted(
        (insurer, step, 3 if step == "remind" else 0, (MORNING + minutes(at[step])).isoformat())
        for insurer in ("PINGAN", "PICC")
        for step in at
    )
    for insurer in ("PINGAN", "PICC"):
        row = await clock(svc, case, "insurer_response", insurer)
        assert sorted(row.fired) == [[0, 3], [1, 0], [2, 0]]
        assert row.due_at is None  # the ladder is done; the clock runs on until 平安 acts
    assert await sweep(svc) == 0
    later(svc, 30)
    assert await sweep(svc) == 0
    assert len(await events(svc, "sla.fired")) == 6


async def test_a_sweep_in_small_rounds_still_fires_each_step_once(svc: Services):
    cases = await opened(svc, 5)
    later(svc, 20)
    got = await produced(svc, sweep(svc, round_size=2))
    assert got.result == 5
    assert ids(e.case_id for e in got.audit if e.kind == "sla.fired") == ids(c.id for c in cases)
    # Each round is its own transaction and batches its own firings.
    assert [len(ack_buttons(i)) for i in got.outbox if i.kind == NOTICE] == [2, 2, 1]
    assert await sweep(svc, round_size=2) == 0


async def test_a_running_clock_keeps_the_terms_it_started_with(svc: Services):
    [before] = await opened(svc)
    # The county doubles the scene's time; the running clock keeps its 30 minutes.
    set_stage(svc, "scene", calendar="24x7", target_minutes=60, warn_percent=50, ladder=[])
    [after] = await opened(svc)
    later(svc, 20)
    assert [e.case_id for e in await produced_events(svc, sweep(svc))] == [before.id]
    assert (await clock(svc, after, "scene")).breach_at == MORNING + minutes(60)
    assert (await clock(svc, before, "scene")).breach_at == MORNING + minutes(30)


# --- batching -----------------------------------------------------------------------


async def test_cases_due_for_one_person_make_one_notice_with_a_button_each(svc: Services):
    mine = await opened(svc, 3)
    [theirs] = await opened(svc, opener=STRANGER)
    later(svc, 20)
    got = await produced(svc, sweep(svc))
    assert got.result == 4
    items = [i for i in got.outbox if i.kind == NOTICE]
    assert len(items) == 2
    [for_me] = [i for i in items if f"tg://user?id={ASSISTANT}" in i.payload["text"]]
    [for_them] = [i for i in items if f"tg://user?id={STRANGER}" in i.payload["text"]]
    assert for_me.chat_id == CHAT
    text = for_me.payload["text"]
    lines = text.split("\n")
    assert lines[0].startswith("⏰") and "3" in lines[0]
    assert [next(c.number for c in mine if c.number in line) for line in lines[1:]] == [
        c.number for c in mine
    ]
    assert theirs.number not in text
    buttons = ack_buttons(for_me)
    assert [label for label, _ in buttons] == [t("sla.b.ack", "zh", number=c.number) for c in mine]
    assert len({token for _, token in buttons}) == 3
    assert [label for label, _ in ack_buttons(for_them)] == [
        t("sla.b.ack", "zh", number=theirs.number)
    ]
    # Each case's card is refreshed once to show the step.
    cards = [i.case_id for i in got.outbox if i.kind == "sla_card"]
    assert ids(cards) == ids(c.id for c in [*mine, theirs])


async def test_more_cases_than_a_message_holds_are_split(svc: Services):
    set_sla(svc, cases_per_message=2)
    cases = await opened(svc, 5)
    later(svc, 20)
    got = await produced(svc, sweep(svc))
    assert got.result == 5
    items = [i for i in got.outbox if i.kind == NOTICE]
    assert [len(ack_buttons(i)) for i in items] == [2, 2, 1]
    listed = [c.number for i in items for c in cases if c.number in i.payload["text"]]
    assert sorted(listed) == sorted(c.number for c in cases)
    assert all(f"tg://user?id={ASSISTANT}" in i.payload["text"] for i in items)


async def test_two_stages_of_one_case_in_one_notice_are_told_apart(svc: Services):
    # At 10:30 the liaison office is due both insurers' responses of the one case.
    case, _, _ = await routed(svc)
    later(svc, 30)
    await sweep(svc)
    notice = await notice_for(svc, LIAISON)
    text = notice.payload["text"]
    assert text.count(case.number) >= 2
    who = Raw(f"{mention(LIAISON, NAMES_OF_EXAMPLE[LIAISON])} ")
    # One case: the heading says one case, and no two buttons look the same.
    assert text.split("\n")[0] == t("sla.head.liaison", "zh", who=who, n=1)
    labels = [label for label, _ in ack_buttons(notice)]
    assert len(labels) == len(set(labels)), labels


# --- 接单 ---------------------------------------------------------------------------


async def notice_for(svc: Services, user_id: int, since: int = 0) -> OutboxItem:
    """The one notice (after outbox id `since`) that mentions a person."""
    found = [
        i
        for i in await notices(svc)
        if (i.id or 0) > since and f"tg://user?id={user_id}" in i.payload["text"]
    ]
    assert len(found) == 1, found
    return found[0]


def snapshot(row: StageClock) -> dict[str, object]:
    return row.model_dump()


async def test_acknowledging_quietens_the_step_and_holds_the_ladder_until_it_lapses(
    svc: Services,
):
    # The reminder repeats every 5 minutes, three times; the police come at breach + 15.
    set_stage(
        svc,
        "scene",
        calendar="24x7",
        target_minutes=30,
        warn_percent=67,
        ladder=[
            {"step": "remind", "after": "warning", "repeat": {"every_minutes": 5, "times": 3}},
            {"step": "police", "after": "breach", "delay_minutes": 15},
        ],
    )
    [case] = await opened(svc)
    later(svc, 20)
    assert await sweep(svc) == 1
    [(_, token)] = ack_buttons(await notice_for(svc, ASSISTANT))

    pressed = await produced(svc, press(svc, token, ASSISTANT))
    assert not pressed.result.alert
    assert pressed.result.text == t("sla.ack.ok", "zh", grace=format_duration(minutes(30)))
    [ack] = [e for e in pressed.audit if e.kind == "sla.acknowledged"]
    assert (ack.actor_user_id, ack.case_id, ack.data["stage"]) == (ASSISTANT, case.id, "scene")
    row = await clock(svc, case, "scene")
    assert (row.ack_by, row.ack_at, row.ack_until) == (
        ASSISTANT,
        MORNING + minutes(20),
        MORNING + minutes(50),
    )
    assert row.silenced == [0] and row.state == "running"
    # The police step (45) waits for the acknowledgement to lapse (50).
    assert row.due_at == MORNING + minutes(50)

    for _ in range(5):  # 25, 30, 35 (the quietened repeats), 40, 45 (the held police step)
        later(svc, 5)
        assert await sweep(svc) == 0
    later(svc, 5)
    got = await produced(svc, sweep(svc))
    assert got.audit_kinds() == ["sla.ack_lapsed", "sla.fired"]
    lapsed, police = got.audit
    assert (lapsed.case_id, lapsed.data["stage"], lapsed.data["by"]) == (
        case.id,
        "scene",
        NAMES[ASSISTANT],
    )
    assert fired_as(police) == (case.id, "scene", None, "police", "police", 0, [POLICE])
    row = await clock(svc, case, "scene")
    assert (row.ack_by, row.ack_until, row.due_at) == (None, None, None)
    later(svc, 30)
    assert await sweep(svc) == 0
    assert [e.data["step"] for e in await events(svc, "sla.fired")] == ["remind", "police"]


async def test_acknowledging_a_reminder_quietens_the_reminder_not_the_step_fired_last(
    svc: Services,
):
    # The reminder repeats every 10 minutes (20, 30, 40, 50); the police come at 45.
    set_stage(
        svc,
        "scene",
        calendar="24x7",
        target_minutes=30,
        warn_percent=67,
        ladder=[
            {"step": "remind", "after": "warning", "repeat": {"every_minutes": 10, "times": 3}},
            {"step": "police", "after": "breach", "delay_minutes": 15},
        ],
    )
    [case] = await opened(svc)
    for minute in (20, 30, 40, 45):
        at_minute(svc, minute)
        assert await sweep(svc) == 1
    reminders = [n for n in await notices(svc) if f"tg://user?id={ASSISTANT}" in n.payload["text"]]
    [(_, token)] = ack_buttons(reminders[-1])
    later(svc, 1)
    assert not (await press(svc, token, ASSISTANT)).alert
    # The assistant answered the reminder: it is the reminder that stops repeating.
    assert (await clock(svc, case, "scene")).silenced == [0]
    later(svc, 30)  # the acknowledgement lapses at 76
    assert [e.data["step"] for e in await produced_events(svc, sweep(svc))] == []
    assert [e.data["step"] for e in await events(svc, "sla.fired")] == [
        "remind",
        "remind",
        "remind",
        "police",
    ]


async def test_a_stranger_acknowledging_changes_nothing_and_is_audited(svc: Services):
    [case] = await opened(svc)
    later(svc, 20)
    await sweep(svc)
    [(_, token)] = ack_buttons(await notice_for(svc, ASSISTANT))
    before = snapshot(await clock(svc, case, "scene"))
    for who in (STRANGER, PINGAN_SUPERVISOR):  # nobody's supervisor on the scene stage
        got = await produced(svc, press(svc, token, who))
        assert got.result.alert and got.result.text == t("sla.ack.not_yours", "zh")
        assert got.outbox == []
        assert [(e.kind, e.actor_user_id, e.case_id) for e in got.audit] == [
            ("sla.ack_refused", who, case.id)
        ]
    assert snapshot(await clock(svc, case, "scene")) == before
    assert await events(svc, "sla.acknowledged") == []


async def test_pressing_twice_acknowledges_once(svc: Services):
    [case] = await opened(svc)
    later(svc, 20)
    await sweep(svc)
    [(_, token)] = ack_buttons(await notice_for(svc, ASSISTANT))
    assert not (await press(svc, token, ASSISTANT)).alert
    later(svc, 1)
    got = await produced(svc, press(svc, token, ASSISTANT))
    assert got.result.text == t("sla.ack.again", "zh", who=NAMES[ASSISTANT])
    assert got.audit == []
    row = await clock(svc, case, "scene")
    assert row.ack_at == MORNING + minutes(20)
    assert len(await events(svc, "sla.acknowledged")) == 1


async def test_an_insurers_supervisor_may_acknowledge_its_response_which_ends_it(
    svc: Services,
):
    case, _, _ = await routed(svc)
    later(svc, 5)
    assert await sweep(svc) == 2  # each insurer's reminder
    reminder = await notice_for(svc, PINGAN_ADJUSTER)
    [(_, token)] = ack_buttons(reminder)
    # Addressed to 平安's on-duty adjusters, not to its supervisor nor to 人保's.
    [event] = [e for e in await events(svc, "sla.fired") if e.data["insurer"] == "PINGAN"]
    assert sorted(event.data["told"]) == sorted([PINGAN_ADJUSTER, PINGAN_ADJUSTER_2])
    assert f"tg://user?id={PINGAN_SUPERVISOR}" not in reminder.payload["text"]

    got = await produced(svc, press(svc, token, PICC_SUPERVISOR))
    assert got.result.alert and got.audit_kinds() == ["sla.ack_refused"]

    got = await produced(svc, press(svc, token, PINGAN_SUPERVISOR))
    assert not got.result.alert, got.result.text
    [ack] = [e for e in got.audit if e.kind == "sla.acknowledged"]
    assert (ack.actor_user_id, ack.data["stage"], ack.data["insurer"]) == (
        PINGAN_SUPERVISOR,
        "insurer_response",
        "PINGAN",
    )
    response = await clock(svc, case, "insurer_response", "PINGAN")
    assert (response.state, response.stopped_at, response.worked_seconds) == (
        "stopped",
        MORNING + minutes(5),
        300,
    )
    assert (response.met_target, response.ack_by) == (True, PINGAN_SUPERVISOR)
    assert await live(svc, case) == {
        ("insurer_decision", "PINGAN"),
        ("insurer_response", "PICC"),
        ("insurer_decision", "PICC"),
    }
    # A stage that is over has nothing left to acknowledge.
    again = await produced(svc, press(svc, token, PINGAN_ADJUSTER))
    assert again.result.text == t("sla.ack.over", "zh") and again.audit == []
    # A supervisor granted in the group after the reminder went out may acknowledge too.
    await make_member(svc, user_id=OFFICER_2, role="supervisor", insurer="PICC")
    [(_, picc_token)] = ack_buttons(await notice_for(svc, PICC_ADJUSTER))
    assert not (await press(svc, picc_token, OFFICER_2)).alert
    assert (await clock(svc, case, "insurer_response", "PICC")).ack_by == OFFICER_2


async def test_two_adjusters_acknowledging_at_once_make_one_acknowledgement(svc: Services):
    case, _, _ = await routed(svc)
    later(svc, 5)
    await sweep(svc)
    [(_, token)] = ack_buttons(await notice_for(svc, PINGAN_ADJUSTER))
    results = await asyncio.gather(
        press(svc, token, PINGAN_ADJUSTER), press(svc, token, PINGAN_ADJUSTER_2)
    )
    ok = t("sla.ack.ok", "zh", grace=format_duration(minutes(30)))
    assert [r.text for r in results].count(ok) == 1
    [ack] = await events(svc, "sla.acknowledged")
    response = await clock(svc, case, "insurer_response", "PINGAN")
    assert response.ack_by == ack.actor_user_id
    assert response.ack_by in (PINGAN_ADJUSTER, PINGAN_ADJUSTER_2)
    assert response.state == "stopped"


async def test_the_liaison_office_is_told_in_its_own_chat_and_may_acknowledge_there(
    svc: Services,
):
    office = LiaisonChat(chat_id=OTHER_CHAT)
    svc.deployment = svc.deployment.model_copy(update={"liaison_chats": (office,)})
    case, _, _ = await routed(svc)
    later(svc, 30)
    got = await produced(svc, sweep(svc))
    [office] = [i for i in got.outbox if i.kind == NOTICE and i.chat_id == OTHER_CHAT]
    # In its own chat the office is not mentioned; the groups' notices stay in the group.
    assert "tg://user" not in office.payload["text"] and case.number in office.payload["text"]
    assert {i.chat_id for i in got.outbox if i.kind == NOTICE} == {CHAT, OTHER_CHAT}
    liaison = [e for e in got.audit if e.kind == "sla.fired" and e.data["step"] == "liaison"]
    assert {e.data["insurer"] for e in liaison} == {"PINGAN", "PICC"}
    # Cards are refreshed in the case's own group.
    assert {i.chat_id for i in got.outbox if i.kind == "sla_card"} == {CHAT}
    token = ack_buttons(office)[0][1]
    pressed = await produced(svc, press(svc, token, LIAISON, chat_id=OTHER_CHAT))
    assert not pressed.result.alert, pressed.result.text
    assert [e.actor_user_id for e in pressed.audit if e.kind == "sla.acknowledged"] == [LIAISON]

    total, lines = await answer(svc, LIAISON, chat_id=OTHER_CHAT)
    assert total >= 1 and case.number in "\n".join(lines)


# --- who is on duty -----------------------------------------------------------------


async def test_an_adjuster_off_duty_is_not_reminded(svc: Services):
    set_on_duty(svc, {PINGAN_ADJUSTER_2: ("13:30-18:00",)})
    await routed(svc)
    later(svc, 5)
    await sweep(svc)
    [event] = [e for e in await events(svc, "sla.fired") if e.data["insurer"] == "PINGAN"]
    assert (event.data["fired_as"], event.data["told"]) == ("remind", [PINGAN_ADJUSTER])
    text = (await notice_for(svc, PINGAN_ADJUSTER)).payload["text"]
    assert f"tg://user?id={PINGAN_ADJUSTER_2}" not in text


async def test_with_no_adjuster_on_duty_the_reminder_goes_to_the_supervisors(svc: Services):
    set_on_duty(svc, {PINGAN_ADJUSTER: ("13:30-18:00",), PINGAN_ADJUSTER_2: ("13:30-18:00",)})
    case, _, _ = await routed(svc)
    later(svc, 5)
    got = await produced(svc, sweep(svc))
    fired = sorted(
        (e.data["insurer"], e.data["step"], e.data["fired_as"], tuple(e.data["told"]))
        for e in got.audit
        if e.kind == "sla.fired"
    )
    assert fired == [
        ("PICC", "remind", "remind", (PICC_ADJUSTER,)),
        ("PINGAN", "remind", "supervisors", (PINGAN_SUPERVISOR,)),
    ]
    text = (await notice_for(svc, PINGAN_SUPERVISOR)).payload["text"]
    assert text.split("\n")[0].startswith("⚠️")  # the supervisors' heading
    assert case.number in text
    assert (await clock(svc, case, "insurer_response", "PINGAN")).step_kind == "supervisors"


# --- /overdue -----------------------------------------------------------------------


def overdue_command(user_id: int, chat_id: int = CHAT) -> Command:
    return Command(
        chat_id=chat_id,
        chat_type="supergroup",
        user_id=user_id,
        user_name=NAMES_OF_EXAMPLE[user_id],
        message_id=next_message_id(),
        thread_id=None,
    )


async def answer(svc: Services, user_id: int, chat_id: int = CHAT) -> tuple[int, list[str]]:
    got = await produced(svc, show_overdue(svc, overdue_command(user_id, chat_id)))
    [item] = got.outbox
    assert item.kind == "send_text" and item.chat_id == chat_id
    return got.result, str(item.payload["text"]).split("\n")


async def test_overdue_lists_the_oldest_breach_first_and_insurers_see_their_own(
    svc: Services,
):
    [first] = await opened(svc)  # scene breaches at 10:30
    later(svc, 5)
    [second] = await opened(svc)  # 10:35
    later(svc, 5)
    routed_case, _, _ = await routed(svc)  # both insurers' responses breach at 10:20
    later(svc, 10)
    await noted(svc, [second], Event.CASE_READY)  # stopped clocks are not overdue
    later(svc, 20)  # 10:40
    total, lines = await answer(svc, POLICE)
    # Three late stages of two cases: the heading counts cases, the list shows stages.
    assert total == 2
    assert lines[0] == t("sla.overdue.head", "zh", n=2)
    stage = {k: t(f"sla.stage.{k}", "zh") for k in ("scene", "insurer_response")}
    listed = [
        (next(c.number for c in (first, second, routed_case) if c.number in line), line)
        for line in lines[1:]
    ]
    assert [number for number, _ in listed] == [
        routed_case.number,
        routed_case.number,
        first.number,
    ]
    assert stage["insurer_response"] in listed[0][1] and "平安" in listed[0][1]
    assert stage["insurer_response"] in listed[1][1] and "人保" in listed[1][1]
    assert stage["scene"] in listed[2][1]

    total, lines = await answer(svc, PINGAN_ADJUSTER)
    assert total == 1 and len(lines) == 2
    assert routed_case.number in lines[1] and "平安" in lines[1] and "人保" not in lines[1]

    total, lines = await answer(svc, STRANGER)
    assert (total, lines) == (0, [t("sla.overdue.nobody", "zh")])
    in_private = replace(overdue_command(POLICE), chat_id=POLICE, chat_type="private")
    got = await produced(svc, show_overdue(svc, in_private))
    assert [i.payload["text"] for i in got.outbox] == [t("sla.overdue.private", "zh")]


# --- concurrent sweeps --------------------------------------------------------------


async def test_two_sweeps_at_once_fire_each_step_exactly_once(svc: Services):
    # On PostgreSQL the sweeps share the due rows (skip locked); on SQLite the second
    # waits for the first's write lock. Either way, each step fires once in all.
    cases = await opened(svc, 50)
    later(svc, 20)
    fired = await asyncio.gather(sweep(svc), sweep(svc))
    assert sum(fired) == 50
    events_ = await events(svc, "sla.fired")
    assert ids(e.case_id for e in events_) == ids(c.id for c in cases)
    for case in cases:
        assert (await clock(svc, case, "scene")).fired == [[0, 0]]
    listed = [
        c.number for item in await notices(svc) for c in cases if c.number in item.payload["text"]
    ]
    assert sorted(listed) == sorted(c.number for c in cases)
    assert await asyncio.gather(sweep(svc), sweep(svc)) == [0, 0]
