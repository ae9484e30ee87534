"""Inline keyboards from the plain rows stored in the outbox and in card parts."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Rows = Sequence[Sequence[Sequence[str]]]


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    """Inline keyboard from stored rows of [label, callback data] or [label, "url:" + url]."""
    if not rows:
        return None
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
