"""Photos in a group: open a case or add to the one they belong to."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.flows.opening import receive_photo
from bot.kernel.incoming import IncomingPhoto
from handlers.common import chain_root, display_name, reply_to_id, services, topic_id


async def photo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand a group photo to the case use case."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.photo:
        return
    largest = message.photo[-1]
    await receive_photo(
        services(context),
        IncomingPhoto(
            chat_id=chat.id,
            chat_title=chat.title or "",
            chat_is_forum=bool(chat.is_forum),
            message_id=message.message_id,
            user_id=message.from_user.id if message.from_user else 0,
            user_name=display_name(message.from_user),
            file_id=largest.file_id,
            file_unique_id=largest.file_unique_id,
            media_group_id=message.media_group_id,
            topic_id=topic_id(message),
            reply_to_message_id=reply_to_id(message),
            chain_root_id=chain_root(message),
        ),
    )
