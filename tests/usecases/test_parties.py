"""The fast path's guard: only the case's people change it, by button or by text.

A villager with no role (not the opener, no assistant, police or admin grant) is refused
with an alert or one line in the thread, nothing changes, and the attempt is audited; the
opener and anyone given the assistant role work the case. A case that left the fast path
refuses its buttons and quick forms.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.flows.text_router import receive_text
from bot.kernel.services import Services
from bot.kernel.texts import t
from storage.models import Case, Party, PendingInput
from tests.factories import (
    ASSISTANT,
    STRANGER,
    get,
    issue,
    make_case,
    make_group,
    make_member,
    make_party,
    press,
    produced,
    rows,
    text_in,
)

QUICK_FORM = "甲 湘C99999 人保 13700003333 王五 小型轿车"
# The card's fast-path buttons, with the arguments the card issues them with.
BUTTONS = (
    ("party.edit", {"label": "甲"}),
    ("confirm.paper", {"label": "乙"}),
    ("elig.answer", {"question": "injury", "value": False}),
    ("elig.answer", {"question": "injury", "value": True}),
    ("liab.menu", {}),
    ("est.ask", {}),
)


@pytest.fixture
async def case(svc: Services) -> Case:
    """A case being collected, with both parties entered but not confirmed."""
    await make_group(svc)
    case = await make_case(svc)
    await make_party(svc, case, label="甲")
    await make_party(svc, case, label="乙")
    return case


async def plates(svc: Services) -> dict[str, str | None]:
    return {p.label: p.plate for p in await rows(svc, Party)}


async def test_a_stranger_cannot_change_a_case_from_its_card(svc: Services, case: Case):
    for action, args in BUTTONS:
        token = await issue(svc, action, case=case, **args)
        got = await produced(svc, press(svc, token, STRANGER))
        assert got.result.alert is True, action
        assert got.result.text == t("err.not_allowed", "zh"), action
        assert got.outbox == [], action
        assert [
            (e.kind, e.actor_user_id, e.data["reason"], e.data["action"]) for e in got.audit
        ] == [("button.refused", STRANGER, "role", action)]
    row = await get(svc, Case, case.id)
    assert row.status == "collecting" and row.eligibility == {}
    assert all(p.confirmed_at is None for p in await rows(svc, Party))
    assert await rows(svc, PendingInput, PendingInput.user_id == STRANGER) == []


async def test_a_strangers_quick_form_changes_nothing(svc: Services, case: Case):
    got = await produced(svc, receive_text(svc, text_in(case, QUICK_FORM, STRANGER)))
    assert got.result == "refused"
    assert got.texts() == [t("err.not_allowed", "zh")]
    assert [(e.kind, e.actor_user_id, e.data["action"]) for e in got.audit] == [
        ("input.refused", STRANGER, "quick_form")
    ]
    assert await plates(svc) == {"甲": "湘C12345", "乙": "湘C67890"}


async def test_the_opener_and_a_member_given_the_assistant_role_may_work_the_case(
    svc: Services, case: Case
):
    await make_member(svc, user_id=STRANGER, role="assistant")
    got = await produced(svc, receive_text(svc, text_in(case, QUICK_FORM, STRANGER)))
    assert got.result != "refused"
    assert "input.refused" not in got.audit_kinds()
    assert (await plates(svc))["甲"] == "湘C99999"
    token = await issue(svc, "elig.answer", case=case, question="injury", value=False)
    for who in (STRANGER, ASSISTANT):
        result = await press(svc, token, who)
        assert result.alert is False, who
    assert (await get(svc, Case, case.id)).eligibility == {"injury": False}


async def test_an_injury_answer_hands_the_case_to_the_police(svc: Services, case: Case):
    token = await issue(svc, "elig.answer", case=case, question="injury", value=True)
    got = await produced(svc, press(svc, token, ASSISTANT))
    assert got.result.alert is False
    assert (await get(svc, Case, case.id)).status == "police"
    assert "case.police" in got.audit_kinds()
    # The handover mentions the deployment's police, in the case's thread.
    assert any("tg://user?id=700000001" in text for text in got.texts())


@pytest.mark.parametrize("status", ["police", "awaiting_insurer", "closed", "cancelled"])
async def test_a_case_off_the_fast_path_refuses_its_buttons_and_quick_forms(
    svc: Services, status: str
):
    await make_group(svc)
    case = await make_case(svc, status=status)
    await make_party(svc, case, label="甲")
    for action, args in BUTTONS:
        token = await issue(svc, action, case=case, **args)
        got = await produced(svc, press(svc, token, ASSISTANT))
        assert got.result.alert and got.result.text == t("err.not_collecting", "zh"), action
        assert got.outbox == [], action
    got = await produced(svc, receive_text(svc, text_in(case, QUICK_FORM, ASSISTANT)))
    assert got.result == "refused"
    assert got.texts() == [t("err.not_collecting", "zh")]
    assert (await plates(svc)) == {"甲": "湘C12345"}
    assert (await get(svc, Case, case.id)).status == status


async def test_two_people_answer_their_own_questions_at_once(svc: Services, case: Case):
    await make_member(svc, user_id=STRANGER, role="assistant")
    for who, label in ((ASSISTANT, "甲"), (STRANGER, "乙")):
        assert not (
            await press(svc, await issue(svc, "party.edit", case=case, label=label), who)
        ).alert
    results = await asyncio.gather(
        receive_text(svc, text_in(case, "湘C22222", STRANGER)),
        receive_text(svc, text_in(case, "湘C11111", ASSISTANT)),
    )
    assert "refused" not in results
    assert await plates(svc) == {"甲": "湘C11111", "乙": "湘C22222"}


async def test_text_in_an_unregistered_group_or_outside_a_case_is_left_alone(
    svc: Services, case: Case
):
    stray = await produced(
        svc,
        receive_text(
            svc,
            text_in(case, QUICK_FORM, ASSISTANT, topic=False).__class__(
                chat_id=case.chat_id,
                message_id=1,
                user_id=ASSISTANT,
                user_name="王协理",
                text=QUICK_FORM,
                topic_id=None,
                reply_to_message_id=None,
                chain_root_id=None,
            ),
        ),
    )
    assert (stray.result, stray.outbox, stray.audit) == ("ignored", [], [])
    elsewhere = await produced(
        svc,
        receive_text(
            svc,
            text_in(case, QUICK_FORM, ASSISTANT).__class__(
                chat_id=-42,
                message_id=2,
                user_id=ASSISTANT,
                user_name="王协理",
                text=QUICK_FORM,
                topic_id=None,
                reply_to_message_id=None,
                chain_root_id=None,
            ),
        ),
    )
    assert (elsewhere.result, elsewhere.outbox, elsewhere.audit) == ("unregistered", [], [])
    assert (await plates(svc))["甲"] == "湘C12345"


async def test_a_quick_form_replayed_after_a_crash_is_taken_once(svc: Services, case: Case):
    # Handled and committed, then killed before the update was marked handled: the restart
    # hands the same message in again. No second acknowledgement, no failed update.
    message = text_in(case, QUICK_FORM, ASSISTANT)
    first = await produced(svc, receive_text(svc, message))
    # Taken: the card shows it (docs/architecture.md, "Quiet threads"), and it is audited.
    assert first.result == "quick_form"
    assert first.outbox and any(e.kind == "party.updated" for e in first.audit)
    again = await produced(svc, receive_text(svc, message))
    assert again.result == "already taken"
    assert again.outbox == [] and again.audit == []
    assert (await plates(svc))["甲"] == "湘C99999"
