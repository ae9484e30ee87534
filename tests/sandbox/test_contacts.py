"""Reply keyboards and contact messages, as the Bot API has them."""

from __future__ import annotations

import pytest
from telegram import Bot, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest

from sandbox import Sandbox
from tests.sandbox.conftest import Cast


async def test_a_request_contact_button_shares_the_users_own_number(
    bot: Bot, sb: Sandbox, cast: Cast
) -> None:
    uid = sb.create_user("张三", phone_number="8613800001111")
    dm = sb.create_chat("private", members=[uid])
    with pytest.raises(ValueError, match="no request_contact"):
        sb.share_contact(dm, uid)
    button = KeyboardButton("分享手机号", request_contact=True)
    await bot.send_message(dm, "请分享", reply_markup=ReplyKeyboardMarkup([[button]]))
    shown = sb.reply_keyboard(dm)
    assert shown["keyboard"][0][0] == {"text": "分享手机号", "request_contact": True}
    assert "reply_markup" not in sb.transcript(dm)[-1] or not sb.transcript(dm)[-1]["buttons"]

    sent = sb.share_contact(dm, uid)
    (update,) = await bot.get_updates()
    contact = update.message.contact
    assert contact.user_id == uid == update.message.from_user.id
    assert contact.phone_number == "8613800001111" and contact.first_name == "张三"
    assert sent["contact"]["user_id"] == uid

    await bot.send_message(dm, "好", reply_markup=ReplyKeyboardRemove())
    assert sb.reply_keyboard(dm) is None
    with pytest.raises(ValueError):
        sb.share_contact(dm, uid)


async def test_any_contact_can_be_sent_from_the_attachment_menu(
    bot: Bot, sb: Sandbox, cast: Cast
) -> None:
    other = sb.create_user("李四", phone_number="8613900002222")
    sb.send_contact(cast.dm, cast.wang, "+86 139 0000 2222", "李四", user_id=other)
    (update,) = await bot.get_updates()
    contact = update.message.contact
    assert (contact.user_id, contact.phone_number) == (other, "+86 139 0000 2222")
    assert update.message.from_user.id == cast.wang


async def test_a_reply_keyboard_needs_buttons_with_text(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    with pytest.raises(BadRequest, match="(?i)text must be non-empty"):
        await bot.send_message(
            cast.dm, "x", reply_markup=ReplyKeyboardMarkup([[KeyboardButton("")]])
        )
    with pytest.raises(BadRequest, match="must be non-empty"):
        await bot.send_message(cast.dm, "x", reply_markup={"keyboard": [[]]})
