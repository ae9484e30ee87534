"""Files, videos and locations in a group: evidence intake and the scene."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.evidence.scene import locate_scene
from bot.flows.opening import receive_photo
from bot.kernel.incoming import IncomingPhoto, IncomingPlace
from handlers.common import chain_root, display_name, reply_to_id, services, topic_id


async def document_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file (or a video) in a group: evidence when it is an image, refused otherwise."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    media = message.document or message.video or message.video_note or message.animation
    if media is None:
        return
    kind = "document" if message.document is not None and message.animation is None else "video"
    await receive_photo(
        services(context),
        IncomingPhoto(
            chat_id=chat.id,
            chat_title=chat.title or "",
            chat_is_forum=bool(chat.is_forum),
            message_id=message.message_id,
            user_id=message.from_user.id if message.from_user else 0,
            user_name=display_name(message.from_user),
            file_id=media.file_id,
            file_unique_id=media.file_unique_id,
            media_group_id=message.media_group_id,
            topic_id=topic_id(message),
            reply_to_message_id=reply_to_id(message),
            chain_root_id=chain_root(message),
            kind=kind,
            file_size=media.file_size,
            file_name=getattr(media, "file_name", None),
            mime_type=getattr(media, "mime_type", None),
        ),
    )


async def location_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A location or venue in a case thread sets the scene."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or message.location is None:
        return
    venue = message.venue
    await locate_scene(
        services(context),
        IncomingPlace(
            chat_id=chat.id,
            message_id=message.message_id,
            user_id=message.from_user.id if message.from_user else 0,
            lat=message.location.latitude,
            lon=message.location.longitude,
            title=venue.title if venue else None,
            address=venue.address if venue else None,
            topic_id=topic_id(message),
            reply_to_message_id=reply_to_id(message),
            chain_root_id=chain_root(message),
        ),
    )
