"""/join, /role, /whoami, /team: translate the command, ask Telegram about admins, call the use case."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.kernel.incoming import Command
from bot.roles.assign import set_role
from bot.roles.join import join
from bot.roles.show import team, whoami
from handlers.common import answers_try_again, display_name, is_chat_admin, services, topic_id


async def _command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, ask_admin: bool
) -> Command | None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return None
    admin = False
    if ask_admin and chat.type != chat.PRIVATE:
        admin = await is_chat_admin(context.bot, chat.id, user.id)
    target = message.reply_to_message
    # In a forum, a message "replies" to its topic's creation message; that is no target.
    if target is not None and target.forum_topic_created is not None:
        target = None
    target_user = target.from_user if target is not None else None
    return Command(
        chat_id=chat.id,
        chat_type=chat.type,
        user_id=user.id,
        user_name=display_name(user),
        message_id=message.message_id,
        thread_id=topic_id(message),
        args=tuple(context.args or ()),
        chat_admin=admin,
        target_id=target_user.id if target_user else None,
        target_name=display_name(target_user),
        target_is_bot=bool(target_user and target_user.is_bot),
    )


async def join_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/join [role [insurer]]."""
    if cmd := await _command(update, context, ask_admin=False):
        await join(services(context), cmd)


@answers_try_again
async def role_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/role … in reply to someone's message (group admins)."""
    if cmd := await _command(update, context, ask_admin=True):
        await set_role(services(context), cmd)


@answers_try_again
async def whoami_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/whoami (Telegram admin status is one of the roles shown)."""
    if cmd := await _command(update, context, ask_admin=True):
        await whoami(services(context), cmd)


async def team_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/team."""
    if cmd := await _command(update, context, ask_admin=False):
        await team(services(context), cmd)
