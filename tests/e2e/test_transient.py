"""A hiccup of Telegram while someone waits for an answer: retried, else "try again"."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from bot.compose.app import Runtime
from storage.models import Member
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import becomes, bot_messages, calls, press, register, said, text_of

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def _shown(world: World, chat: int, text: str) -> bool:
    return any(text in text_of(m) for m in bot_messages(world.sb, chat))


@pytest.mark.parametrize("kind", ["500", "502", "429"])
async def test_setup_survives_one_failed_admin_check(world: World, bot: Runtime, kind: str):
    world.sb.inject_fault("getChatMember", kind=kind, count=1, retry_after=1)
    world.sb.send_text(world.forum, world.admin, "/setup 花石镇")
    await eventually(lambda: _shown(world, world.forum, "已登记"))
    assert len(calls(world.sb, "getChatMember")) == 2
    assert not await _shown(world, world.forum, "请稍后再试")


async def test_setup_answers_try_again_when_telegram_keeps_failing(world: World, bot: Runtime):
    world.sb.inject_fault("getChatMember", kind="500", count=20)
    world.sb.send_text(world.forum, world.admin, "/setup 花石镇")
    await eventually(lambda: _shown(world, world.forum, "请稍后再试"))
    assert not await _shown(world, world.forum, "已登记")
    assert not await _shown(world, world.forum, "只有群管理员")  # not taken for a refusal
    # Once Telegram answers again, the same command works.
    world.sb.clear_faults()
    world.sb.send_text(world.forum, world.admin, "/setup 花石镇")
    await eventually(lambda: _shown(world, world.forum, "已登记"))


async def _members(runtime: Runtime, chat: int) -> list[Member]:
    async with runtime.services.db.session() as s:
        return list((await s.exec(select(Member).where(Member.chat_id == chat))).all())


async def test_an_admin_button_answers_try_again_when_telegram_keeps_failing(
    world: World, bot: Runtime
):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sb.send_text(chat, world.villager, "/join 定损员 平安")
    request = await said(sb, chat, "申请成为")
    sb.inject_fault("getChatMember", kind="500", count=20)
    qid = await press(sb, chat, world.admin, request, "批准")
    answer = sb.callback_answer(qid)
    assert answer["show_alert"] is True and "请稍后再试" in answer["text"]
    assert await _members(bot, chat) == []

    sb.clear_faults()
    sb.inject_fault("getChatMember", kind="502", count=1)  # one hiccup is ridden out
    await press(sb, chat, world.admin, request, "批准")
    await becomes(sb, chat, request["message_id"], "现为本群的")
    assert [m.user_id for m in await _members(bot, chat)] == [world.villager]


async def test_a_reply_telegram_keeps_refusing_does_not_hold_up_the_chat(
    world: World, bot: Runtime
):
    """Three 502s on one answer: it waits out its backoff, a later answer does not."""
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sb.inject_fault("sendMessage", kind="502", count=3, text_contains="未找到案件")
    unlucky = sb.send_text(chat, world.villager, "/case HS-20260101-009")
    await sb.wait_for(lambda: sb.faults.pending() == 2, timeout=10)  # first try refused
    started = time.monotonic()
    later = sb.send_text(chat, world.villager, "/queue")

    def answered(message: dict) -> bool:
        return any(
            m.get("reply_to_message_id") == message["message_id"] for m in bot_messages(sb, chat)
        )

    await sb.wait_for(lambda: answered(later), timeout=10)
    assert time.monotonic() - started < 1.5  # not behind the 2 s + 4 s + 8 s backoff
    assert not answered(unlucky)
    await sb.wait_for(lambda: answered(unlucky), timeout=30)  # it still arrives, once
    assert sum(1 for m in bot_messages(sb, chat) if "未找到案件" in text_of(m)) == 1
