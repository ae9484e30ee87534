"""Telegram's known refusals end in a working thread, never in a lost card."""

from __future__ import annotations

from telegram import Bot

from bot.compose.app import Runtime
from bot.kernel.outbox import reply
from sandbox.photos import scene_photo
from tests.e2e.conftest import TOKEN, World, eventually
from tests.e2e.helpers import bot_messages, card_shows, cards, cases_in, register, text_of


async def test_forum_without_topic_rights_falls_back_to_reply_chain(world: World, bot: Runtime):
    sb = world.sb
    chat = sb.create_chat(
        "supergroup",
        title="河口镇快处群",
        is_forum=True,
        members=[world.admin, world.assistant],
        admins=[world.admin],
        bot_rights={"can_manage_topics": False, "can_pin_messages": True},
    )
    await register(world, chat, "河口镇")
    first = sb.send_photo(chat, world.assistant, scene_photo(1))
    await eventually(lambda: card_shows(sb, chat, 1))
    case = (await cases_in(bot, chat))[0]
    assert case.thread_mode == "reply"
    assert not sb.topics(chat)
    assert cards(sb, chat)[0]["reply_to_message_id"] == first["message_id"]


async def test_deleted_topic_gets_the_card_back_in_a_reply_chain(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    first = sb.send_photo(world.forum, world.assistant, scene_photo(1))
    await eventually(lambda: card_shows(sb, world.forum, 1))
    case = (await cases_in(bot, world.forum))[0]
    async with Bot(TOKEN, base_url=sb.base_url) as admin_bot:  # someone deletes the topic
        await admin_bot.delete_forum_topic(world.forum, case.message_thread_id)

    sb.send_photo(world.forum, world.assistant, scene_photo(2), reply_to=first["message_id"])
    await eventually(lambda: card_shows(sb, world.forum, 2), timeout=20)
    case = (await cases_in(bot, world.forum))[0]
    assert case.thread_mode == "reply"
    live = cards(sb, world.forum)
    assert len(live) == 1 and live[0]["reply_to_message_id"] == first["message_id"]


async def test_group_upgraded_to_supergroup_keeps_working(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.stray, "射埠镇")
    new_id = sb.migrate_chat(world.stray, by=world.admin)
    # Something queued for the old id is delivered to the new one.
    await reply(bot.services, chat_id=world.stray, text="ping", reply_to=None, thread_id=None)
    await sb.wait_for(lambda: any(text_of(m) == "ping" for m in bot_messages(sb, new_id)), 15)
    sb.send_photo(new_id, world.assistant, scene_photo(1))
    await eventually(lambda: card_shows(sb, new_id, 1))
    cases = await cases_in(bot, new_id)
    assert len(cases) == 1 and cases[0].number.startswith("SB-")
    assert await cases_in(bot, world.stray) == []
