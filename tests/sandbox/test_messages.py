"""Sending, editing, deleting and pinning through PTB's Bot, with every field checked."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    ReplyParameters,
)
from telegram.constants import ChatType

from sandbox import Sandbox
from tests.sandbox.conftest import Cast, jpeg

KB = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("同意", callback_data="v1:ok:1"),
            InlineKeyboardButton("拒绝", callback_data="v1:no:1"),
        ]
    ]
)


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.first_name) == (
        123456,
        "kuaipei_bot",
        True,
        "快赔Bot",
    )
    assert me.can_read_all_group_messages is False


async def test_send_message_returns_a_full_message(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    m = await bot.send_message(
        cast.plain, "<b>案件</b> &amp; 车牌", parse_mode="HTML", reply_markup=KB
    )
    assert m.message_id == 2 and m.text == "案件 & 车牌"
    assert m.chat.id == cast.plain and m.chat.type == ChatType.SUPERGROUP
    assert m.chat.title == "石门镇快处群"
    assert m.from_user.id == bot.id and m.from_user.is_bot
    assert m.entities[0].type == "bold" and (m.entities[0].offset, m.entities[0].length) == (0, 2)
    assert m.reply_markup == KB
    assert isinstance(m.date.timestamp(), float) and m.message_thread_id is None
    entry = sb.transcript(cast.plain)[-1]
    assert entry["text"] == "案件 & 车牌" and entry["buttons"] == [["同意", "拒绝"]]
    assert entry["from"]["is_bot"] is True


async def test_message_ids_count_per_chat(bot: Bot, cast: Cast) -> None:
    a = await bot.send_message(cast.dm, "一")
    b = await bot.send_message(cast.dm, "二")
    c = await bot.send_message(cast.group, "三")
    assert (a.message_id, b.message_id, c.message_id) == (1, 2, 2)
    assert a.chat.type == ChatType.PRIVATE and a.chat.first_name == "王协理"


async def test_reply_parameters_give_reply_to_message(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    user_msg = sb.send_text(cast.plain, cast.wang, "湘C12345 追尾")
    m = await bot.send_message(
        cast.plain, "收到", reply_parameters=ReplyParameters(user_msg["message_id"])
    )
    assert m.reply_to_message.message_id == user_msg["message_id"]
    assert m.reply_to_message.text == "湘C12345 追尾"
    assert m.reply_to_message.from_user.id == cast.wang
    # a non-forum supergroup threads replies by their chain root
    assert m.message_thread_id == user_msg["message_id"] and not m.is_topic_message
    reply = sb.send_text(cast.plain, cast.li, "好的", reply_to=m.message_id)
    assert reply["message_thread_id"] == user_msg["message_id"]


async def test_missing_reply_target(bot: Bot, cast: Cast) -> None:
    with pytest.raises(Exception, match="(?i)message to be replied not found"):
        await bot.send_message(cast.plain, "x", reply_parameters=ReplyParameters(999))
    m = await bot.send_message(
        cast.plain, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert m.reply_to_message is None


async def test_forum_topic_lifecycle(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    topic = await bot.create_forum_topic(cast.forum, "HS-20261129-001 花石镇", icon_color=16766590)
    tid = topic.message_thread_id
    assert topic.name == "HS-20261129-001 花石镇" and topic.icon_color == 16766590
    m = await bot.send_message(cast.forum, "案件卡片", message_thread_id=tid)
    assert m.message_thread_id == tid and m.is_topic_message
    assert m.chat.is_forum
    assert m.reply_to_message.forum_topic_created.name == "HS-20261129-001 花石镇"
    user = sb.send_text(cast.forum, cast.wang, "湘C1", thread_id=tid)
    assert user["is_topic_message"] and user["message_thread_id"] == tid
    assert await bot.edit_forum_topic(cast.forum, tid, name="HS-20261129-001 已结案")
    assert await bot.close_forum_topic(cast.forum, tid)
    assert sb.topics(cast.forum) == [
        {
            "message_thread_id": tid,
            "name": "HS-20261129-001 已结案",
            "icon_color": 16766590,
            "closed": True,
        }
    ]
    with pytest.raises(Exception, match="(?i)TOPIC_CLOSED"):
        await bot.send_message(cast.forum, "x", message_thread_id=tid)
    assert await bot.reopen_forum_topic(cast.forum, tid)
    again = await bot.send_message(cast.forum, "重开", message_thread_id=tid)
    assert again.is_topic_message
    services = [e["service"] for e in sb.transcript(cast.forum, tid) if "service" in e]
    assert services == [
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
    ]


async def test_general_topic_has_no_thread(bot: Bot, cast: Cast) -> None:
    m = await bot.send_message(cast.forum, "大家好")
    assert m.message_thread_id is None and not m.is_topic_message
    with pytest.raises(Exception, match="(?i)message thread not found"):
        await bot.send_message(cast.forum, "x", message_thread_id=1)
    with pytest.raises(Exception, match="(?i)message thread not found"):
        await bot.send_message(cast.forum, "x", message_thread_id=777)


async def test_edits_are_counted_and_keyboards_follow_telegram(
    bot: Bot, sb: Sandbox, cast: Cast
) -> None:
    m = await bot.send_message(cast.plain, "待确认", reply_markup=KB)
    e1 = await bot.edit_message_text("已确认", cast.plain, m.message_id, reply_markup=KB)
    assert e1.text == "已确认" and e1.edit_date is not None and e1.reply_markup == KB
    e2 = await bot.edit_message_reply_markup(cast.plain, m.message_id, reply_markup=None)
    assert e2.reply_markup is None
    e3 = await bot.edit_message_text("已确认 ✓", cast.plain, m.message_id)
    assert e3.text == "已确认 ✓"
    entry = next(e for e in sb.transcript(cast.plain) if e["message_id"] == m.message_id)
    assert entry["edited"] == 3 and entry["text"] == "已确认 ✓" and entry["reply_markup"] is None
    with pytest.raises(Exception, match="(?i)message is not modified"):
        await bot.edit_message_text("已确认 ✓", cast.plain, m.message_id)
    with pytest.raises(Exception, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", cast.plain, 4242)
    user = sb.send_text(cast.plain, cast.wang, "我的消息")
    with pytest.raises(Exception, match="(?i)message can't be edited"):
        await bot.edit_message_text("x", cast.plain, user["message_id"])


async def test_edit_caption(bot: Bot, cast: Cast) -> None:
    m = await bot.send_photo(cast.plain, jpeg(), caption="现场一")
    e = await bot.edit_message_caption(cast.plain, m.message_id, caption="现场二")
    assert e.caption == "现场二" and e.photo == m.photo


async def test_delete_message(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    m = await bot.send_message(cast.group, "临时")
    assert await bot.delete_message(cast.group, m.message_id)
    assert all(e["message_id"] != m.message_id for e in sb.transcript(cast.group))
    with pytest.raises(Exception, match="(?i)message to delete not found"):
        await bot.delete_message(cast.group, m.message_id)


async def test_pin_and_unpin(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    m = await bot.send_message(cast.plain, "案件卡片")
    assert await bot.pin_chat_message(cast.plain, m.message_id)
    assert sb.transcript(cast.plain)[0]["pinned"] is True
    chat = await bot.get_chat(cast.plain)
    assert chat.pinned_message.message_id == m.message_id
    assert await bot.unpin_chat_message(cast.plain, m.message_id)
    assert sb.transcript(cast.plain)[0]["pinned"] is False


async def test_pin_needs_rights(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.set_bot_rights(cast.plain, {"can_manage_topics": True})
    m = await bot.send_message(cast.plain, "案件卡片")
    with pytest.raises(Exception, match="(?i)not enough rights to manage pinned messages"):
        await bot.pin_chat_message(cast.plain, m.message_id)


async def test_send_photo_and_download_user_photo(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sent = await bot.send_photo(
        cast.forum, jpeg(1000, 750), caption="<i>现场</i>", parse_mode="HTML"
    )
    assert [(p.width, p.height) for p in sent.photo] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1000, 750),
    ]
    assert sent.caption == "现场" and sent.caption_entities[0].type == "italic"
    original = jpeg(640, 480, "blue")
    msg = sb.send_photo(cast.forum, cast.wang, original, caption="湘C12345")
    largest = msg["photo"][-1]
    assert (largest["width"], largest["height"], largest["file_size"]) == (640, 480, len(original))
    tg_file = await bot.get_file(largest["file_id"])
    assert tg_file.file_size == len(original) and tg_file.file_unique_id
    assert bytes(await tg_file.download_as_bytearray()) == original
    resent = await bot.send_photo(cast.dm, largest["file_id"])
    assert resent.photo[-1].file_id == largest["file_id"]


async def test_undecodable_user_photo_gets_one_size(sb: Sandbox, cast: Cast) -> None:
    msg = sb.send_photo(cast.forum, cast.wang, b"not an image")
    assert len(msg["photo"]) == 1 and msg["photo"][0]["file_size"] == 12


async def test_bot_photo_must_decode(bot: Bot, cast: Cast) -> None:
    with pytest.raises(Exception, match="(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(cast.dm, b"not an image")


async def test_documents_round_trip(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sent = await bot.send_document(cast.dm, b"%PDF-1.4 report", filename="报告.pdf", caption="日报")
    assert sent.document.file_name == "报告.pdf" and sent.document.file_size == 15
    assert sent.document.mime_type == "application/pdf" and sent.caption == "日报"
    msg = sb.send_document(cast.forum, cast.wang, jpeg(50, 50), file_name="IMG_1.jpg")
    doc = msg["document"]
    assert doc["mime_type"] == "image/jpeg" and doc["file_name"] == "IMG_1.jpg"
    data = await (await bot.get_file(doc["file_id"])).download_as_bytearray()
    assert bytes(data) == jpeg(50, 50)


async def test_send_media_group(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    msgs = await bot.send_media_group(
        cast.forum,
        [InputMediaPhoto(jpeg(400, 300), caption="现场照片"), InputMediaPhoto(jpeg(300, 400))],
    )
    assert len(msgs) == 2 and msgs[0].media_group_id == msgs[1].media_group_id is not None
    assert msgs[0].caption == "现场照片" and msgs[1].caption is None
    assert msgs[1].photo[-1].width == 300
    docs = await bot.send_media_group(
        cast.dm,
        [InputMediaDocument(b"a", filename="a.txt"), InputMediaDocument(b"b", filename="b.txt")],
    )
    assert [d.document.file_name for d in docs] == ["a.txt", "b.txt"]
    with pytest.raises(Exception, match="(?i)can't be mixed"):
        await bot.send_media_group(
            cast.dm, [InputMediaDocument(b"a", filename="a.txt"), InputMediaPhoto(jpeg())]
        )
    assert len(sb.transcript(cast.forum)) == 2


async def test_location_and_venue(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    loc = await bot.send_location(cast.dm, 27.85, 112.9)
    assert (loc.location.latitude, loc.location.longitude) == (27.85, 112.9)
    venue = await bot.send_venue(cast.dm, 27.85, 112.9, "花石镇派出所", "湘潭县花石镇")
    assert venue.venue.title == "花石镇派出所" and venue.venue.location.latitude == 27.85
    user = sb.send_venue(cast.dm, cast.wang, 27.8, 112.8, "路口", "G107")
    assert user["venue"]["address"] == "G107" and user["location"]["longitude"] == 112.8
    assert sb.send_location(cast.dm, cast.wang, 1.5, 2.5)["location"]["latitude"] == 1.5


async def test_chat_info_and_members(bot: Bot, cast: Cast) -> None:
    chat = await bot.get_chat(cast.forum)
    assert chat.type == ChatType.SUPERGROUP and chat.is_forum and chat.title == "花石镇快处群"
    assert str(cast.forum).startswith("-100")
    wang = await bot.get_chat_member(cast.forum, cast.wang)
    assert wang.status == "administrator" and wang.can_manage_topics
    assert wang.can_pin_messages is False
    li = await bot.get_chat_member(cast.forum, cast.li)
    assert li.status == "member" and li.user.last_name == "保险"
    me = await bot.get_chat_member(cast.forum, bot.id)
    assert me.status == "administrator" and me.can_pin_messages
    admins = await bot.get_chat_administrators(cast.forum)
    assert {a.user.id for a in admins} == {cast.wang, bot.id}
    private = await bot.get_chat(cast.dm)
    assert private.type == ChatType.PRIVATE and private.username == "wang"
    with pytest.raises(Exception, match="(?i)chat not found"):
        await bot.get_chat(-100999)


async def test_commands_and_chat_action(bot: Bot, cast: Cast) -> None:
    assert await bot.set_my_commands([("setup", "登记本群"), ("case", "新建案件")])
    assert [c.command for c in await bot.get_my_commands()] == ["setup", "case"]
    with pytest.raises(Exception, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])
    assert await bot.send_chat_action(cast.forum, "typing")


async def test_leave_chat_then_forbidden(bot: Bot, cast: Cast) -> None:
    assert await bot.leave_chat(cast.plain)
    from telegram.error import Forbidden

    with pytest.raises(Forbidden, match="(?i)bot is not a member of the supergroup chat"):
        await bot.send_message(cast.plain, "x")


async def test_blocked_by_user(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    from telegram.error import Forbidden

    sb.block_bot(cast.wang)
    with pytest.raises(Forbidden, match="(?i)blocked by the user"):
        await bot.send_message(cast.dm, "x")


async def test_migrated_group_raises_chat_migrated(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    from telegram.error import ChatMigrated

    new_id = sb.migrate_chat(cast.group)
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(cast.group, "x")
    assert info.value.new_chat_id == new_id
    m = await bot.send_message(new_id, "迁移后")
    assert m.chat.type == ChatType.SUPERGROUP
    ups = await bot.get_updates()
    assert [u.message.migrate_to_chat_id for u in ups][0] == new_id
