"""What every handler needs: the services and a display name for a user."""

from __future__ import annotations

from telegram import Bot, Chat, ChatMember, Message, User
from telegram.ext import ContextTypes

from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services


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
    """Ask Telegram (never the database) whether a person administers a group."""
    member = await bot.get_chat_member(chat_id, user_id)
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


def reply_to_id(message: Message) -> int | None:
    """The id of the message this one answers, if any."""
    return message.reply_to_message.message_id if message.reply_to_message else None


def incoming_text(message: Message, user: User) -> IncomingText:
    """A group text as the use cases see it: who, where in which thread, what."""
    return IncomingText(
        chat_id=message.chat.id,
        message_id=message.message_id,
        user_id=user.id,
        user_name=display_name(user),
        text=message.text or "",
        topic_id=topic_id(message),
        reply_to_message_id=reply_to_id(message),
        chain_root_id=chain_root(message),
    )
