"""/start and /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.kernel.outbox import reply
from bot.kernel.texts import t
from handlers.common import services, topic_id


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain in a few lines how the bot is used."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    svc = services(context)
    await reply(
        svc,
        chat_id=chat.id,
        text=t("help", svc.language),
        reply_to=message.message_id,
        thread_id=topic_id(message),
    )
