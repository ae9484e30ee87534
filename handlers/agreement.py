"""/agreement in a case thread: post the current agreement PDF (draft until closed)."""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import ContextTypes

from bot.agreement.request import request_agreement
from bot.kernel.incoming import AgreementRequest
from handlers.common import (
    answers_try_again,
    chain_root,
    is_chat_admin,
    reply_to_id,
    services,
    topic_id,
)


@answers_try_again
async def agreement_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Translate /agreement; Telegram is asked whether the sender administers the group."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    await request_agreement(
        services(context),
        AgreementRequest(
            chat_id=chat.id,
            message_id=message.message_id,
            user_id=user.id,
            topic_id=topic_id(message),
            reply_to_message_id=reply_to_id(message),
            chain_root_id=chain_root(message),
            # A private chat has no admins to ask Telegram about.
            chat_admin=chat.type != Chat.PRIVATE
            and await is_chat_admin(context.bot, chat.id, user.id),
            private=chat.type == Chat.PRIVATE,
        ),
    )
