"""The evidence buttons' guard: retagging and the checklist switch are the case's people's,
and an old menu changes nothing once the case has left the fast path."""

from __future__ import annotations

import pytest

from bot.kernel.services import Services
from bot.kernel.texts import t
from storage.models import AuditEvent, Case, Photo
from tests.factories import (
    ASSISTANT,
    STRANGER,
    get,
    issue,
    make_case,
    make_group,
    make_member,
    make_photo,
    press,
    produced,
    rows,
)


@pytest.fixture
async def case(svc: Services) -> Case:
    await make_group(svc)
    return await make_case(svc)


async def test_a_stranger_may_not_retag_or_switch_the_checklist(svc: Services, case: Case):
    photo = await make_photo(svc, case, slot="front_oblique")
    for action, args in (
        ("evidence.retag_menu", {}),
        ("evidence.retag_photo", {"photo_id": photo.id}),
        ("evidence.set_tag", {"photo_id": photo.id, "slot": "rear_oblique"}),
        ("evidence.scenario", {"scenario": "junction"}),
    ):
        token = await issue(svc, action, case=case, **args)
        got = await produced(svc, press(svc, token, STRANGER))
        assert got.result.alert and got.result.text == t("evidence.not_allowed", "zh"), action
        assert got.outbox == [], action
        assert [(e.kind, e.actor_user_id, e.data["action"]) for e in got.audit] == [
            ("button.refused", STRANGER, action)
        ]
    assert (await get(svc, Photo, photo.id)).slot == "front_oblique"
    assert (await get(svc, Case, case.id)).scenario == "default"


async def test_the_opener_and_an_assistant_may_retag(svc: Services, case: Case):
    front = await make_photo(svc, case, slot="front_oblique")
    rear = await make_photo(svc, case, slot="rear_oblique")
    token = await issue(svc, "evidence.set_tag", case=case, photo_id=front.id, slot="rear_oblique")
    got = await produced(svc, press(svc, token, ASSISTANT))
    assert not got.result.alert
    # The two photos swap their slots, each move audited, and the card is redrawn.
    assert (await get(svc, Photo, front.id)).slot == "rear_oblique"
    assert (await get(svc, Photo, rear.id)).slot == "front_oblique"
    assert got.audit_kinds().count("photo.retagged") == 2
    assert "edit_card" in got.kinds()

    await make_member(svc, user_id=STRANGER, role="assistant")
    token = await issue(svc, "evidence.set_tag", case=case, photo_id=front.id, slot="impact")
    assert not (await press(svc, token, STRANGER)).alert
    assert (await get(svc, Photo, front.id)).slot == "impact"


@pytest.mark.parametrize("status", ["police", "awaiting_insurer", "cancelled"])
async def test_an_old_retag_menu_changes_nothing_once_the_case_left_the_fast_path(
    svc: Services, status: str
):
    await make_group(svc)
    case = await make_case(svc, status=status)
    photo = await make_photo(svc, case, slot="front_oblique")
    token = await issue(svc, "evidence.set_tag", case=case, photo_id=photo.id, slot=None)
    got = await produced(svc, press(svc, token, ASSISTANT))
    assert got.result.alert and got.result.text == t("err.not_collecting", "zh")
    assert got.outbox == [] and got.audit == []
    assert (await get(svc, Photo, photo.id)).slot == "front_oblique"
    assert await rows(svc, AuditEvent, AuditEvent.kind == "photo.retagged") == []


async def test_a_tag_naming_another_cases_photo_or_no_slot_of_the_checklist_is_refused(
    svc: Services, case: Case
):
    other = await make_case(svc)
    theirs = await make_photo(svc, other, slot="impact")
    mine = await make_photo(svc, case, slot="impact")
    for args in (
        {"photo_id": theirs.id, "slot": "front_oblique"},
        {"photo_id": mine.id, "slot": "roof"},
    ):
        token = await issue(svc, "evidence.set_tag", case=case, **args)
        got = await produced(svc, press(svc, token, ASSISTANT))
        assert got.result.alert, args
        assert got.audit == [] and got.outbox == [], args
    assert (await get(svc, Photo, theirs.id)).slot == "impact"
    assert (await get(svc, Photo, mine.id)).slot == "impact"
