"""Text in case threads (answers, quick forms) and the drivers' confirmation deep links."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.flows.text_router import receive_text
from bot.parties.confirm import START_PREFIX, open_link
from bot.parties.contact import SharedContact, receive_contact
from handlers.common import incoming_text, services


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand a group text to the parties use case (most texts are chatter and are ignored)."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or not message.text:
        return
    await receive_text(
        services(context),
        incoming_text(message, user, edited=update.edited_message is not None),
    )


async def confirmation_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start cf_<token> in a private chat: show the driver what to confirm."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or not context.args:
        return
    token = context.args[0].removeprefix(START_PREFIX)
    await open_link(services(context), token=token, chat_id=chat.id, user_id=user.id)


async def contact_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A contact in a private chat: the driver proving the answer they gave is theirs."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or message.contact is None:
        return
    await receive_contact(
        services(context),
        SharedContact(
            chat_id=chat.id,
            user_id=user.id,
            contact_user_id=message.contact.user_id,
            phone_number=message.contact.phone_number,
        ),
    )
