"""Inline button presses: answered at once, then run through the button's use case."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.kernel.buttons import PREFIX, Press, needs_chat_admin, press_button
from bot.kernel.texts import t
from bot.transport.retry import TelegramUnavailable, with_retries
from handlers.common import answers_try_again, display_name, is_chat_admin, services

log = logging.getLogger(__name__)


@answers_try_again
async def button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Look the token up, run its action, and answer the query with the outcome."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    svc = services(context)
    token = query.data.removeprefix(PREFIX)
    chat_id = query.message.chat.id
    chat_admin = None
    if await needs_chat_admin(svc, token):
        chat_admin = await is_chat_admin(context.bot, chat_id, query.from_user.id)
    result = await press_button(
        svc,
        Press(
            token=token,
            chat_id=chat_id,
            message_id=query.message.message_id,
            user_id=query.from_user.id,
            user_name=display_name(query.from_user),
            chat_admin=chat_admin,
        ),
        texts={
            "unknown": t("button.unknown", svc.language),
            "expired": t("button.expired", svc.language),
        },
    )
    # Callback queries expire within seconds; the answer goes straight back. The action
    # has happened and the card shows it: a lost answer must not say "try again". Nor
    # must a refused one fail the update: handled again after a crash, the press was
    # already answered (or has expired) and Telegram says the query id is invalid.
    try:
        await with_retries(
            lambda: query.answer(result.text or None, show_alert=result.alert),
            what="answerCallbackQuery",
        )
    except TelegramUnavailable:
        pass
    except BadRequest as exc:
        log.info("callback query not answered: %s", exc)
