"""A basic group upgraded to a supergroup changes its chat id; follow it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.flows.groups import follow_migration
from handlers.common import services


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Rewrite the stored chat id from the migration service message."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await follow_migration(services(context), old_chat_id=old, new_chat_id=new)
