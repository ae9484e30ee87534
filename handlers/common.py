"""What every handler needs: the services, a display name, and Telegram calls that retry."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot, Chat, ChatMember, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.kernel.incoming import IncomingText
from bot.kernel.outbox import reply
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.transport.retry import TelegramUnavailable, with_retries

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The use cases' collaborators, stored on the application at build time."""
    return context.bot_data["services"]


def display_name(user: User | None) -> str:
    """A person's name as the group sees it."""
    if user is None:
        return ""
    return user.full_name or (user.username or str(user.id))


def topic_id(message: Message) -> int | None:
    """The forum topic of a message; never trust message_thread_id outside topics."""
    return message.message_thread_id if message.is_topic_message else None


def chain_root(message: Message) -> int | None:
    """In a plain supergroup, Telegram's reply-chain root of a message, if any."""
    if message.is_topic_message or message.chat.type != Chat.SUPERGROUP:
        return None
    return message.message_thread_id


async def is_chat_admin(bot: Bot, chat_id: int, user_id: int) -> bool:
    """Ask Telegram (never the database) whether a person administers a group.

    Raises TelegramUnavailable when Telegram keeps failing: an unanswered question is
    not a "no", so the caller must not refuse on it.
    """
    member = await with_retries(lambda: bot.get_chat_member(chat_id, user_id), what="getChatMember")
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def answers_try_again(handler: Handler) -> Handler:
    """Wrap a handler so that a Telegram that keeps failing gets a "try again", not silence."""

    @functools.wraps(handler)
    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await handler(update, context)
        except TelegramUnavailable as exc:
            log.warning(
                "update %s: Telegram kept failing (%s); asked to try again", update.update_id, exc
            )
            await _try_again(update, context)

    return wrapped


async def _try_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    text = t("telegram.try_again", svc.language)
    query, message = update.callback_query, update.effective_message
    if query is not None:
        # A callback query must be answered within seconds: directly, not via the outbox.
        with contextlib.suppress(TelegramUnavailable, TelegramError):
            await with_retries(
                lambda: query.answer(text, show_alert=True), what="answerCallbackQuery"
            )
    elif message is not None:
        await reply(
            svc,
            chat_id=message.chat.id,
            text=text,
            reply_to=message.message_id,
            thread_id=topic_id(message),
        )


def reply_to_id(message: Message) -> int | None:
    """The id of the message this one answers, if any."""
    return message.reply_to_message.message_id if message.reply_to_message else None


def incoming_text(message: Message, user: User, *, edited: bool) -> IncomingText:
    """A text as the use cases see it: who, where in which thread, what, and whether edited."""
    return IncomingText(
        chat_id=message.chat.id,
        message_id=message.message_id,
        user_id=user.id,
        user_name=display_name(user),
        text=message.text or "",
        topic_id=topic_id(message),
        reply_to_message_id=reply_to_id(message),
        chain_root_id=chain_root(message),
        edited=edited,
        private=message.chat.type == Chat.PRIVATE,
    )
