"""The police moves' refusals and races: who may press, and of two officers exactly one wins."""

from __future__ import annotations

import asyncio

import pytest

from bot.kernel.services import Services
from bot.kernel.texts import t
from storage.models import AuditEvent, Case
from tests.factories import (
    ASSISTANT,
    NAMES,
    OFFICER_2,
    PINGAN_ADJUSTER,
    POLICE,
    STRANGER,
    get,
    issue,
    make_case,
    make_group,
    make_member,
    press,
    produced,
    rows,
)


@pytest.fixture
async def officers(svc: Services) -> tuple[int, int]:
    """The deployment's officer and a second one granted in the group."""
    await make_group(svc)
    await make_member(svc, user_id=OFFICER_2, role="police")
    return POLICE, OFFICER_2


async def test_people_who_are_not_police_are_refused_and_audited(
    svc: Services, officers: tuple[int, int]
):
    handed = await make_case(svc, status="police")
    open_case = await make_case(svc, status="collecting")
    attempts = (
        (STRANGER, handed, "police.claim"),
        (ASSISTANT, open_case, "police.take_over"),
        (PINGAN_ADJUSTER, handed, "police.cancel"),
    )
    for who, case, action in attempts:
        token = await issue(svc, action, case=case)
        got = await produced(svc, press(svc, token, who))
        assert got.result.alert and got.result.text == t("police.alert.not_police", "zh")
        assert got.outbox == []
        assert [(e.kind, e.actor_user_id, e.data["attempted"]) for e in got.audit] == [
            ("police.refused", who, action)
        ]
    assert (await get(svc, Case, handed.id)).police_claimed_by is None
    assert (await get(svc, Case, open_case.id)).status == "collecting"


async def test_two_officers_claim_at_once_one_wins(svc: Services, officers: tuple[int, int]):
    case = await make_case(svc, status="police")
    token = await issue(svc, "police.claim", case=case)
    results = await asyncio.gather(*(press(svc, token, who) for who in officers))
    assert sorted(r.alert for r in results) == [False, True]
    row = await get(svc, Case, case.id)
    assert row.police_claimed_by in officers
    [claimed] = await rows(svc, AuditEvent, AuditEvent.kind == "police.claimed")
    assert claimed.actor_user_id == row.police_claimed_by
    loser = next(r for r in results if r.alert)
    assert loser.text == t("police.no.claimed", "zh", who=row.police_claimed_by_name)


async def test_two_officers_take_over_at_once_one_wins(svc: Services, officers: tuple[int, int]):
    case = await make_case(svc, status="collecting")
    token = await issue(svc, "police.take_over", case=case)
    results = await asyncio.gather(*(press(svc, token, who) for who in officers))
    assert sorted(r.alert for r in results) == [False, True]
    row = await get(svc, Case, case.id)
    assert row.status == "police" and row.police_claimed_by in officers
    assert len(await rows(svc, AuditEvent, AuditEvent.kind == "case.police")) == 1


@pytest.mark.parametrize("action", ["police.release", "police.hand_back", "police.cancel"])
async def test_only_the_holder_may_release_hand_back_or_cancel(
    svc: Services, officers: tuple[int, int], action: str
):
    holder, other = officers
    case = await make_case(svc, status="police", police_claimed_by=holder)
    token = await issue(svc, action, case=case)
    got = await produced(svc, press(svc, token, other))
    assert got.result.alert
    assert got.result.text == t("police.no.claimed", "zh", who=NAMES[holder])
    assert got.outbox == [] and got.audit == []
    row = await get(svc, Case, case.id)
    assert (row.status, row.police_claimed_by) == ("police", holder)


async def test_claiming_ones_own_case_again_is_a_toast(svc: Services, officers: tuple[int, int]):
    case = await make_case(svc, status="police", police_claimed_by=POLICE)
    token = await issue(svc, "police.claim", case=case)
    got = await produced(svc, press(svc, token, POLICE))
    assert not got.result.alert and got.result.text == t("police.no.mine", "zh")
    assert got.audit == []


@pytest.mark.parametrize("status", ["cancelled", "closed"])
async def test_an_old_button_after_the_end_is_refused(
    svc: Services, officers: tuple[int, int], status: str
):
    case = await make_case(svc, status=status)
    for action in ("police.claim", "police.cancel", "police.take_over", "police.hand_back"):
        token = await issue(svc, action, case=case)
        got = await produced(svc, press(svc, token, POLICE))
        assert got.result.alert and got.result.text == t("police.no.terminal", "zh"), action
        assert got.outbox == [] and got.audit == []
    assert (await get(svc, Case, case.id)).status == status


async def test_release_of_an_unclaimed_case_is_refused(svc: Services, officers: tuple[int, int]):
    case = await make_case(svc, status="police")
    token = await issue(svc, "police.release", case=case)
    got = await produced(svc, press(svc, token, POLICE))
    assert got.result.alert and got.result.text == t("police.no.not_claimed", "zh")
    assert got.audit == []
