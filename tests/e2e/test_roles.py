"""People and roles end to end: /join and its approval, /role by reply, /whoami, /team, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, Person, load_deployment
from bot.kernel.clock import ManualClock
from storage.models import AuditEvent, Member, RoleRequest
from tests.e2e.conftest import World, bot_settings
from tests.e2e.helpers import (
    becomes,
    button_data_of,
    calls,
    message_of,
    press,
    register,
    said,
    text_of,
)

# 10:00 in Asia/Shanghai: day shifts are on duty, night shifts are not.
MORNING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


async def _rows(runtime: Runtime, model: Any, *where: Any) -> list[Any]:
    async with runtime.services.db.session() as s:
        return list((await s.exec(select(model).where(*where))).all())


def _last_id(sb: Any, chat: int) -> int:
    return max((m["message_id"] for m in sb.transcript(chat)), default=0)


async def test_join_request_approved_by_an_admin_only(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sb.send_text(chat, world.villager, "/join 定损员 平安")
    request = await said(sb, chat, "申请成为")
    assert "定损员" in text_of(request) and "平安产险" in text_of(request)
    mentioned = [e["user"]["id"] for e in request["entities"] if e["type"] == "text_mention"]
    assert mentioned == [world.villager]  # the requester is mentioned

    # A member who is no admin presses approve: an alert, nothing changes, it is audited.
    qid = await press(sb, chat, world.assistant, request, "批准")
    answer = sb.callback_answer(qid)
    assert answer["show_alert"] is True and "管理员" in answer["text"]
    assert await _rows(bot, Member, Member.chat_id == chat) == []
    refused = await _rows(bot, AuditEvent, AuditEvent.kind == "role.refused")
    assert [e.actor_user_id for e in refused] == [world.assistant]
    assert "批准" in str(message_of(sb, chat, request["message_id"])["buttons"])  # still pending

    # The admin (Telegram says so) approves: the request message shows the outcome.
    await press(sb, chat, world.admin, request, "批准")
    done = await becomes(sb, chat, request["message_id"], "现为本群的")
    assert "李队长" in text_of(done) and not done.get("buttons")
    members = await _rows(bot, Member, Member.chat_id == chat)
    assert [(m.user_id, m.role, m.insurer_code) for m in members] == [
        (world.villager, "adjuster", "PINGAN")
    ]
    assert calls(sb, "getChatMember", chat)  # admin status came from Telegram

    # Approving twice (a stale client replays the old button) is harmless.
    data = button_data_of(request, "批准")
    qid = sb.press_button(chat, world.admin, request["message_id"], data, strict=False)
    await sb.wait_for(lambda: sb.callback_answer(qid) is not None, timeout=10)
    assert "处理过" in sb.callback_answer(qid)["text"]
    assert len(await _rows(bot, Member, Member.chat_id == chat)) == 1
    assert len(await _rows(bot, AuditEvent, AuditEvent.kind == "role.approved")) == 1

    # Asking for a role already held is answered, and files nothing.
    sb.send_text(chat, world.villager, "/join adjuster PINGAN")
    await said(sb, chat, "已经是本群的定损员")
    assert len(await _rows(bot, RoleRequest)) == 1


async def test_join_by_buttons_and_a_declined_request(world: World, bot: Runtime):
    sb, chat = world.sb, world.plain
    await register(world, chat, "射埠镇")
    sb.send_text(chat, world.villager, "/join")
    picker = await said(sb, chat, "请选择要申请的角色")

    qid = await press(sb, chat, world.assistant, picker, "保险主管")  # not their picker
    assert sb.callback_answer(qid)["show_alert"] is True
    await press(sb, chat, world.villager, picker, "保险主管")
    picker = await becomes(sb, chat, picker["message_id"], "请选择所属保险公司")
    await press(sb, chat, world.villager, picker, "人保财险")
    request = await becomes(sb, chat, picker["message_id"], "申请成为")
    assert "保险主管" in text_of(request) and "人保财险" in text_of(request)
    [row] = await _rows(bot, RoleRequest)
    assert (row.user_id, row.role, row.insurer_code, row.status) == (
        world.villager,
        "supervisor",
        "PICC",
        "pending",
    )

    await press(sb, chat, world.admin, request, "拒绝")
    await becomes(sb, chat, request["message_id"], "未获批准")
    assert (await _rows(bot, RoleRequest))[0].status == "denied"
    assert await _rows(bot, Member) == []


async def test_join_mistakes_are_explained(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    sb.send_text(chat, world.villager, "/join 交警")
    await said(sb, chat, "尚未登记")  # unregistered group
    await register(world, chat, "花石镇")
    for text, answer in (
        ("/join 定损员", "需要写明保险公司"),
        ("/join 定损员 火星保险", "未找到保险公司"),
        ("/join 交警 平安", "不属于保险公司"),
        ("/join 厨师", "未知角色"),
        ("/join admin", "以Telegram群管理员为准"),
    ):
        mark = _last_id(sb, chat)
        sb.send_text(chat, world.villager, text)
        await said(sb, chat, answer, after=mark)
    assert await _rows(bot, RoleRequest) == []


async def test_role_by_reply_and_whoami(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    hello = sb.send_text(chat, world.villager, "大家好，我是射埠中队的")

    # Someone who is no admin cannot grant; the attempt is audited.
    sb.send_text(chat, world.assistant, "/role 联席办", reply_to=hello["message_id"])
    await said(sb, chat, "只有群管理员可以设置角色")
    assert await _rows(bot, Member) == []
    assert len(await _rows(bot, AuditEvent, AuditEvent.kind == "role.refused")) == 1

    sb.send_text(chat, world.admin, "/role police", reply_to=hello["message_id"])
    granted = await said(sb, chat, "现为本群的")
    assert "赵师傅" in text_of(granted) and "交警" in text_of(granted)
    [member] = await _rows(bot, Member)
    assert (member.user_id, member.role, member.display_name) == (
        world.villager,
        "police",
        "赵师傅",
    )

    mark = _last_id(sb, chat)
    sb.send_text(chat, world.villager, "/whoami")
    mine = await said(sb, chat, "在本群的角色", after=mark)
    assert "交警 · 群内授权 · 全天" in text_of(mine)

    mark = _last_id(sb, chat)
    sb.send_text(chat, world.admin, "/role")  # not a reply
    await said(sb, chat, "用法", after=mark)

    sb.send_text(chat, world.admin, "/role remove 交警", reply_to=hello["message_id"])
    await said(sb, chat, "已取消")
    assert await _rows(bot, Member) == []
    mark = _last_id(sb, chat)
    sb.send_text(chat, world.villager, "/whoami")
    await said(sb, chat, "还没有角色", after=mark)
    kinds = [e.kind for e in await _rows(bot, AuditEvent) if e.kind.startswith("role.")]
    assert kinds == ["role.refused", "role.granted", "role.removed"]


@pytest.fixture
async def staffed(world: World, database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The bot with deployment people who are sandbox users, on a clock at 10:00 local."""
    world.sb.add_member(world.forum, bad := world.sb.create_user("<b>坏</b>名字"))
    world.bad = bad  # type: ignore[attr-defined]
    people = (
        Person(user_id=world.assistant, name="王协理", role="assistant"),
        Person(
            user_id=world.villager,
            name="赵定损",
            role="adjuster",
            insurer="PICC",
            on_duty=("08:00-18:00",),
        ),
        Person(
            user_id=world.admin,
            name="李夜班",
            role="adjuster",
            insurer="CPIC",
            on_duty=("22:00-06:00",),
        ),
        Person(user_id=4242, name="平安主管", role="supervisor", insurer="PINGAN"),
        Person(user_id=4343, name="白石交警", role="police", townships=("BS",)),
    )
    deployment = load_deployment(EXAMPLE_FILE).model_copy(update={"people": people})
    runtime = build_runtime(
        bot_settings(world.sb, database_url, tmp_path / "media"),
        deployment,
        clock=ManualClock(MORNING),
        poll_timeout=1,
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


async def test_whoami_and_team_show_deployment_and_chat_people(world: World, staffed: Runtime):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sb.send_text(chat, world.villager, "/whoami")
    mine = text_of(await said(sb, chat, "在本群的角色"))
    assert "定损员 · 人保财险 · 部署文件 · 值班中 08:00-18:00" in mine

    mark = _last_id(sb, chat)
    sb.send_text(chat, world.admin, "/whoami")
    admin = text_of(await said(sb, chat, "在本群的角色", after=mark))
    assert "定损员 · 太保产险 · 部署文件 · 不在班 22:00-06:00" in admin
    assert "管理员 · Telegram群管理员" in admin

    bad = world.bad  # type: ignore[attr-defined]
    hello = sb.send_text(chat, bad, "我是平安的")
    sb.send_text(chat, world.admin, "/role 定损员 平安", reply_to=hello["message_id"])
    await said(sb, chat, "现为本群的")

    mark = _last_id(sb, chat)
    sb.send_text(chat, world.assistant, "/team")
    team = await said(sb, chat, "本群人员", after=mark)
    lines = text_of(team).splitlines()
    assert lines[0] == "本群人员 · 花石镇"
    assert "协理员：王协理" in lines
    assert not any("白石交警" in line for line in lines)  # serves another township
    picc = lines.index("人保财险")
    assert lines[picc + 1] == "　定损员：赵定损（值班中）"
    pingan = lines.index("平安产险")
    assert lines[pingan + 1] == "　定损员：<b>坏</b>名字"  # escaped, shown as typed
    assert lines[pingan + 2] == "　保险主管：平安主管"
    assert lines[lines.index("太保产险") + 1] == "　定损员：李夜班（不在班）"
    assert not any(e["type"] == "text_mention" for e in team.get("entities") or [])  # no pings


async def test_pending_request_survives_a_restart(world: World, database_url: str, tmp_path: Path):
    sb, chat = world.sb, world.plain
    settings = bot_settings(sb, database_url, tmp_path / "media")
    deployment = load_deployment(EXAMPLE_FILE)
    first = build_runtime(settings, deployment, poll_timeout=1)
    await first.start()
    try:
        await register(world, chat, "射埠镇")
        sb.send_text(chat, world.villager, "/join 联席办")
        request = await said(sb, chat, "申请成为")
    finally:
        await first.stop()

    second = build_runtime(settings, deployment, poll_timeout=1)
    await second.start()
    try:
        await press(sb, chat, world.admin, request, "批准")
        await becomes(sb, chat, request["message_id"], "现为本群的")
        [member] = await _rows(second, Member)
        assert (member.user_id, member.role) == (world.villager, "liaison")
    finally:
        await second.stop()


async def test_commands_are_published_in_both_languages(world: World, bot: Runtime):
    published = {c["params"].get("language_code"): c for c in calls(world.sb, "setMyCommands")}
    for lang in (None, "en"):
        names = [c["command"] for c in _commands(published[lang])]
        assert {"join", "role", "whoami", "team"} <= set(names)


def _commands(call: dict[str, Any]) -> list[dict[str, Any]]:
    import json

    raw = call["params"]["commands"]
    return json.loads(raw) if isinstance(raw, str) else raw
