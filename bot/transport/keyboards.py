"""Keyboards from the plain rows stored in the outbox and in card parts."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

Rows = Sequence[Sequence[Sequence[str]]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def keyboard(rows: Rows) -> Markup | None:
    """Inline keyboard from stored rows of [label, callback data] or [label, "url:" + url].

    [label, "contact:"] asks for the user's own contact (a reply keyboard: private chats only)
    and a lone ["", "remove:"] takes such a keyboard away.
    """
    if not rows:
        return None
    datas = [data for row in rows for _, data in row]
    if datas == ["remove:"]:
        return ReplyKeyboardRemove()
    if any(data == "contact:" for data in datas):
        return ReplyKeyboardMarkup(
            [[KeyboardButton(label, request_contact=True) for label, _ in row] for row in rows],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, url=data[4:])
                if data.startswith("url:")
                else InlineKeyboardButton(label, callback_data=data)
                for label, data in row
            ]
            for row in rows
        ]
    )
