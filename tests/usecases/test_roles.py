"""Deciding /join requests: only a group admin (as Telegram says) decides, exactly once."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import col

from bot.kernel.services import Services
from bot.kernel.texts import t
from storage.models import AuditEvent, Member, RoleRequest
from tests.factories import (
    ADMIN,
    ASSISTANT,
    OTHER_CHAT,
    POLICE,
    STRANGER,
    get,
    issue,
    make_group,
    make_member,
    make_role_request,
    press,
    produced,
    rows,
)


@pytest.fixture
async def request_(svc: Services) -> RoleRequest:
    """赵师傅 asked to be an assistant in the group."""
    await make_group(svc)
    return await make_role_request(svc, user_id=STRANGER, role="assistant")


async def granted(svc: Services) -> list[tuple[int, str]]:
    return [(m.user_id, m.role) for m in await rows(svc, Member)]


@pytest.mark.parametrize("action", ["role.approve", "role.deny"])
async def test_someone_who_is_no_admin_cannot_decide(
    svc: Services, request_: RoleRequest, action: str
):
    await make_member(svc, user_id=ASSISTANT, role="assistant")
    # An `admin` row in the database is never believed: admin comes from Telegram.
    await make_member(svc, user_id=STRANGER + 10, role="admin")
    token = await issue(svc, action, request=request_.id)
    for who in (ASSISTANT, POLICE, STRANGER, STRANGER + 10):
        got = await produced(svc, press(svc, token, who, chat_admin=False))
        assert got.result.alert and got.result.text == t("roles.alert.not_admin", "zh"), who
        assert got.outbox == []
        assert [(e.kind, e.actor_user_id, e.data["reason"]) for e in got.audit] == [
            ("role.refused", who, "not_admin")
        ]
    assert (await get(svc, RoleRequest, request_.id)).status == "pending"
    assert (STRANGER, "assistant") not in await granted(svc)


async def test_a_chat_admin_approves_and_the_role_is_granted(svc: Services, request_: RoleRequest):
    token = await issue(svc, "role.approve", request=request_.id)
    got = await produced(svc, press(svc, token, ADMIN, chat_admin=True))
    assert not got.result.alert
    assert "role.approved" in got.audit_kinds()
    assert (STRANGER, "assistant") in await granted(svc)
    row = await get(svc, RoleRequest, request_.id)
    assert (row.status, row.decided_by) == ("approved", ADMIN)


async def test_two_admins_deciding_at_once_decide_once(svc: Services, request_: RoleRequest):
    approve = await issue(svc, "role.approve", request=request_.id)
    deny = await issue(svc, "role.deny", request=request_.id)
    results = await asyncio.gather(
        press(svc, approve, ADMIN, chat_admin=True),
        press(svc, deny, ADMIN + 100, chat_admin=True),
    )
    assert t("roles.alert.decided", "zh") in [r.text for r in results]
    decided = await rows(
        svc,
        AuditEvent,
        col(AuditEvent.kind).in_(["role.approved", "role.denied"]),
    )
    assert len(decided) == 1
    row = await get(svc, RoleRequest, request_.id)
    assert row.status == decided[0].kind.removeprefix("role.")
    assert ((STRANGER, "assistant") in await granted(svc)) == (row.status == "approved")


async def test_a_decided_request_stays_decided(svc: Services, request_: RoleRequest):
    deny = await issue(svc, "role.deny", request=request_.id)
    approve = await issue(svc, "role.approve", request=request_.id)
    await press(svc, deny, ADMIN, chat_admin=True)
    got = await produced(svc, press(svc, approve, ADMIN, chat_admin=True))
    assert got.result.text == t("roles.alert.decided", "zh")
    assert got.audit == [] and got.outbox == []
    assert (await get(svc, RoleRequest, request_.id)).status == "denied"
    assert await granted(svc) == []


async def test_another_groups_request_cannot_be_decided_here(svc: Services, request_: RoleRequest):
    await make_group(svc, chat_id=OTHER_CHAT, township="SB")
    elsewhere = await make_role_request(svc, user_id=ASSISTANT, chat_id=OTHER_CHAT)
    # A token of this group naming the other group's request.
    token = await issue(svc, "role.approve", request=elsewhere.id)
    got = await produced(svc, press(svc, token, ADMIN, chat_admin=True))
    assert got.result.alert and got.result.text == t("button.unknown", "zh")
    assert (await get(svc, RoleRequest, elsewhere.id)).status == "pending"
    assert await granted(svc) == []


async def test_a_join_picker_is_only_for_the_person_who_asked(svc: Services, request_: RoleRequest):
    token = await issue(svc, "role.pick", user_id=ASSISTANT, role="assistant")
    got = await produced(svc, press(svc, token, STRANGER))
    assert got.result.alert and got.result.text == t("roles.alert.not_yours", "zh")
    assert got.outbox == [] and got.audit == []
    assert len(await rows(svc, RoleRequest)) == 1
