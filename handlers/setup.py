"""/setup: a chat administrator registers the group for a township."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.flows.groups import setup_group
from bot.kernel.incoming import SetupRequest
from handlers.common import answers_try_again, is_chat_admin, services, topic_id


@answers_try_again
async def setup_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Register the group, after asking Telegram whether the sender is an administrator."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    is_admin = chat.type != chat.PRIVATE and await is_chat_admin(context.bot, chat.id, user.id)
    await setup_group(
        services(context),
        SetupRequest(
            chat_id=chat.id,
            chat_type=chat.type,
            title=chat.title or "",
            is_forum=bool(chat.is_forum),
            user_id=user.id,
            user_is_admin=is_admin,
            argument=" ".join(context.args or []).strip(),
            message_id=message.message_id,
            thread_id=topic_id(message),
        ),
    )
