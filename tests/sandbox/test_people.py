"""Control-side actions: membership changes, user edits, topics as users see them."""

from __future__ import annotations

import pytest
from telegram import Bot

from sandbox import Sandbox
from tests.sandbox.conftest import Cast


async def test_remove_and_add_bot_send_my_chat_member(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.remove_bot(cast.plain, by=cast.wang)
    sb.send_text(cast.plain, cast.wang, "bot cannot see this")
    sb.add_bot(cast.plain, by=cast.wang)
    updates = await bot.get_updates()
    assert [u.my_chat_member.new_chat_member.status for u in updates] == ["left", "administrator"]
    assert updates[0].my_chat_member.from_user.id == cast.wang


async def test_user_edit_creates_edited_message(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    msg = sb.send_text(cast.forum, cast.li, "湘C1234")
    sb.edit_text(cast.forum, cast.li, msg["message_id"], "湘C12345")
    updates = await bot.get_updates()
    assert updates[1].edited_message.text == "湘C12345"
    assert updates[1].edited_message.edit_date is not None
    with pytest.raises(ValueError):
        sb.edit_text(cast.forum, cast.wang, msg["message_id"], "not mine")


async def test_closed_topics_admit_only_topic_managers(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    tid = (await bot.create_forum_topic(cast.forum, "HS-2")).message_thread_id
    await bot.close_forum_topic(cast.forum, tid)
    with pytest.raises(ValueError, match="TOPIC_CLOSED"):
        sb.send_text(cast.forum, cast.li, "member", thread_id=tid)
    assert sb.send_text(cast.forum, cast.wang, "admin", thread_id=tid)["is_topic_message"]


async def test_delete_forum_topic(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    tid = (await bot.create_forum_topic(cast.forum, "HS-3")).message_thread_id
    await bot.send_message(cast.forum, "x", message_thread_id=tid)
    assert await bot.delete_forum_topic(cast.forum, tid)
    assert sb.topics(cast.forum) == [] and sb.transcript(cast.forum, tid) == []
    with pytest.raises(Exception, match="(?i)message thread not found"):
        await bot.send_message(cast.forum, "x", message_thread_id=tid)


async def test_unpin_all_and_member_count(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    a = await bot.send_message(cast.group, "a")
    b = await bot.send_message(cast.group, "b")
    await bot.pin_chat_message(cast.group, a.message_id)
    await bot.pin_chat_message(cast.group, b.message_id)
    assert await bot.unpin_all_chat_messages(cast.group)
    assert not any(e["pinned"] for e in sb.transcript(cast.group))
    assert await bot.get_chat_member_count(cast.group) == 3


def test_control_errors_are_clear(sb: Sandbox, cast: Cast) -> None:
    with pytest.raises(KeyError, match="no chat"):
        sb.send_text(-1, cast.wang, "x")
    outsider = sb.create_user("路人")
    with pytest.raises(ValueError, match="not a member"):
        sb.send_text(cast.forum, outsider, "x")
    with pytest.raises(ValueError, match="only supergroups"):
        sb.create_chat("group", is_forum=True)
