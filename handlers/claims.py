"""The insurer loop's commands: /paid in a case thread, and activity in a closed topic."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.claims.paid import paid_command
from bot.flows.topic import reopen_topic_if_closed
from handlers.common import incoming_text, is_chat_admin, services, topic_id


async def paid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/paid 1800 <reference>: an insurer confirms a (part) payment."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or not message.text:
        return
    await paid_command(
        services(context),
        incoming_text(message, user, edited=update.edited_message is not None),
        " ".join(context.args or []),
    )


async def topic_activity(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a closed case's topic by someone with a role reopens the topic."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    thread = topic_id(message) if message is not None else None
    if message is None or chat is None or user is None or user.is_bot or thread is None:
        return
    await reopen_topic_if_closed(
        services(context),
        chat_id=chat.id,
        topic_id=thread,
        message_id=message.message_id,
        user_id=user.id,
        is_chat_admin=lambda: is_chat_admin(context.bot, chat.id, user.id),
    )
