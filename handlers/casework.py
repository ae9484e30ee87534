"""/case <number> (the timeline), /queue (the police queue), /overdue, /stats and /export:
translate, call the use case."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.kernel.incoming import Command
from bot.liaison.commands import export_cases, show_stats
from bot.police.queue import show_queue
from bot.sla.overdue import show_overdue
from bot.timeline.show import show_timeline
from handlers.common import display_name, services, topic_id


def _command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Command | None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return None
    return Command(
        chat_id=chat.id,
        chat_type=chat.type,
        user_id=user.id,
        user_name=display_name(user),
        message_id=message.message_id,
        thread_id=topic_id(message),
        args=tuple(context.args or ()),
    )


async def case_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/case <number>."""
    if cmd := _command(update, context):
        await show_timeline(services(context), cmd)


async def queue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/queue."""
    if cmd := _command(update, context):
        await show_queue(services(context), cmd)


async def overdue_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue."""
    if cmd := _command(update, context):
        await show_overdue(services(context), cmd)


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats [period] [township|insurer]."""
    if cmd := _command(update, context):
        await show_stats(services(context), cmd)


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export [period] [csv]: the file is written outside the update's transaction."""
    if cmd := _command(update, context):
        await export_cases(services(context), cmd)
