"""Telegram update → use case. Each module covers one area."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.transport.ingest import claim_update, mark_handled
from handlers.agreement import agreement_command
from handlers.buttons import button_pressed
from handlers.casework import (
    case_command,
    export_command,
    overdue_command,
    queue_command,
    stats_command,
)
from handlers.claims import paid, topic_activity
from handlers.evidence import document_message, location_message
from handlers.help import help_command
from handlers.migration import migrated
from handlers.parties import confirmation_link, contact_message, group_text
from handlers.photos import photo_message
from handlers.roles import join_command, role_command, team_command, whoami_command
from handlers.setup import setup_command

INGEST_GROUP = -2
# Closed-topic reopening sees every topic message, before the main group: it is
# idempotent and never marks the update handled, so the main handler's transaction is
# the update's last and carries the done-mark (a crash between the two replays the
# update, and the reopening finds nothing left to do).
TOPIC_GROUP = -1
MAIN_GROUP = 0
DONE_GROUP = 100
# Telegram sends an edit as the message again. Only /paid and case-thread texts know how to
# correct what their message did; every other handler would do it a second time.
NEW = filters.UpdateType.MESSAGE


def register(app: Application) -> None:
    """Wire every handler into the application."""
    app.add_handler(TypeHandler(Update, claim_update), group=INGEST_GROUP)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated), group=MAIN_GROUP)
    app.add_handler(CommandHandler("setup", setup_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("join", join_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("role", role_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("whoami", whoami_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("team", team_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("paid", paid), group=MAIN_GROUP)
    app.add_handler(CommandHandler("case", case_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("queue", queue_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("overdue", overdue_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("stats", stats_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("export", export_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(CommandHandler("agreement", agreement_command, filters=NEW), group=MAIN_GROUP)
    app.add_handler(
        CommandHandler(
            "start",
            confirmation_link,
            filters=NEW & filters.ChatType.PRIVATE & filters.Regex(r"^/start\s+cf_[\w-]+$"),
        ),
        group=MAIN_GROUP,
    )
    app.add_handler(CommandHandler(["start", "help"], help_command, filters=NEW), group=MAIN_GROUP)
    # A command the bot does not know, typed to the bot itself, gets the help; in a group
    # it may be another bot's, so there it gets nothing. Registered after every command.
    app.add_handler(
        MessageHandler(NEW & filters.COMMAND & filters.ChatType.PRIVATE, help_command),
        group=MAIN_GROUP,
    )
    app.add_handler(
        MessageHandler(NEW & filters.CONTACT & filters.ChatType.PRIVATE, contact_message),
        group=MAIN_GROUP,
    )
    app.add_handler(
        MessageHandler(NEW & filters.PHOTO & filters.ChatType.GROUPS, photo_message),
        group=MAIN_GROUP,
    )
    app.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.GROUPS, group_text),
        group=MAIN_GROUP,
    )
    app.add_handler(
        MessageHandler(
            NEW
            & (filters.Document.ALL | filters.VIDEO | filters.VIDEO_NOTE)
            & filters.ChatType.GROUPS,
            document_message,
        ),
        group=MAIN_GROUP,
    )
    app.add_handler(
        MessageHandler(NEW & filters.LOCATION & filters.ChatType.GROUPS, location_message),
        group=MAIN_GROUP,
    )
    # Every press is answered, forged data included: the token lookup refuses it.
    app.add_handler(CallbackQueryHandler(button_pressed), group=MAIN_GROUP)
    app.add_handler(
        MessageHandler(
            NEW & filters.IS_TOPIC_MESSAGE & filters.ChatType.SUPERGROUP, topic_activity
        ),
        group=TOPIC_GROUP,
    )
    app.add_handler(TypeHandler(Update, mark_handled), group=DONE_GROUP)
