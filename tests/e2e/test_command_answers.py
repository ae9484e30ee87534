"""Every command answers, also where it does not work: it says where it does."""

from __future__ import annotations

import pytest

from bot.compose.app import Runtime
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import all_handled, bot_messages, register, said, text_of

WHERE = {
    "/paid 100 REF-1": "案件话题",
    "/agreement": "案件话题",
    "/case HS-20260101-001": "/case",
    "/queue": "/queue",
}


@pytest.mark.parametrize("command", list(WHERE))
async def test_a_case_command_in_a_private_chat_says_where_it_works(
    world: World, bot: Runtime, command: str
):
    sb = world.sb
    private = sb.create_chat("private", members=[world.villager])
    sb.send_text(private, world.villager, command)
    answer = await said(sb, private, "已登记的事故处理群")
    assert WHERE[command] in answer["text"]
    assert "本群" not in answer["text"]  # a private chat is no group


@pytest.mark.parametrize("command", ["/paid 100 REF-1", "/agreement"])
async def test_paid_and_agreement_in_an_unregistered_group_say_where_they_work(
    world: World, bot: Runtime, command: str
):
    sb = world.sb
    sb.send_text(world.stray, world.villager, command)
    answer = await said(sb, world.stray, "本群尚未登记")
    assert "案件话题" in answer["text"]


async def test_paid_outside_a_case_thread_of_a_registered_group_says_where_it_works(
    world: World, bot: Runtime
):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_text(world.forum, world.villager, "/paid 100 REF-1")
    answer = await said(sb, world.forum, "/paid")
    assert "案件话题" in answer["text"]


async def test_an_edited_join_asks_for_no_second_role(world: World, bot: Runtime):
    """Only /paid and case-thread texts correct on an edit; other commands ignore edits."""
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sent = sb.send_text(world.forum, world.villager, "/join 定损员 平安")
    await said(sb, world.forum, "申请成为")
    sb.edit_text(world.forum, world.villager, sent["message_id"], "/join 定损员 人保")
    # The bot handles a chat's updates in order: once /whoami is answered, so is the edit.
    whoami = sb.send_text(world.forum, world.villager, "/whoami")
    await sb.wait_for(
        lambda: any(
            m.get("reply_to_message_id") == whoami["message_id"]
            for m in bot_messages(sb, world.forum)
        ),
        timeout=10,
    )
    await eventually(lambda: all_handled(bot))
    asked = [m for m in bot_messages(sb, world.forum) if "申请成为" in text_of(m)]
    assert len(asked) == 1 and "平安产险" in text_of(asked[0])
