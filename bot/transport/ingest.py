"""Ingest: every update is stored in the inbox before it is handled, and handled once.

python-telegram-bot's Updater confirms updates to Telegram as soon as it has queued
them, so a crash can lose what was queued but not yet handled. Kuaipei polls itself:
it stores a batch in the inbox first and only then asks for the next batch (which
confirms the previous one). On start, whatever is in the inbox but not handled is
handled again; the handlers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from sqlalchemy import delete
from sqlmodel import col, select
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.kernel.services import Services
from bot.transport.errors import retry_after_seconds
from storage import queries as q
from storage.models import InboxUpdate

log = logging.getLogger(__name__)


# Telegram redelivers an update it has not seen confirmed for 24 hours at most; an id seen
# longer ago than this is a new update (after a week without updates Telegram may start
# the ids anywhere), not a redelivery. Handled rows are kept this long, then purged.
REDELIVERY_WINDOW = timedelta(hours=48)
RETENTION = timedelta(days=7)


def chat_of(update: Update) -> int:
    """The chat whose order an update keeps (0 for updates of no chat)."""
    chat = update.effective_chat
    return chat.id if chat is not None else 0


class Intake(Protocol):
    """Where stored updates go to be handled: PTB's queue in one process (QueueIntake),
    per-chat leases with several (bot/transport/inbox_lease.py)."""

    async def replay(self) -> None:
        """Hand on what a previous run left unhandled."""

    async def deliver(self, updates: Sequence[Update]) -> None:
        """Hand on updates just stored."""


class QueueIntake:
    """One process: straight into the application's queue (per-chat order in-process)."""

    def __init__(self, app: Application, svc: Services) -> None:
        self.app, self.svc = app, svc

    async def replay(self) -> None:
        """Queue the stored updates a previous run did not finish, oldest first."""
        for update in await unhandled_updates(self.svc, self.app):
            await self.app.update_queue.put(update)

    async def deliver(self, updates: Sequence[Update]) -> None:
        """Queue updates just stored."""
        for update in updates:
            await self.app.update_queue.put(update)


async def store_updates(svc: Services, updates: list[Update]) -> None:
    """Put updates in the inbox; an update_id seen within the redelivery window is a
    redelivery and left as it is, one seen before it is a new update and replaces it."""
    if not updates:
        return
    now = svc.clock.now()
    new = 0
    async with svc.db.transaction() as session:
        for update in updates:
            row = await session.get(InboxUpdate, update.update_id)
            if row is None:
                session.add(
                    InboxUpdate(
                        update_id=update.update_id,
                        payload=update.to_dict(),
                        received_at=now,
                        chat_id=chat_of(update),
                    )
                )
            elif row.handled_at is not None and row.received_at < now - REDELIVERY_WINDOW:
                log.info("update id %s reused by Telegram: a new update", update.update_id)
                row.payload, row.received_at = update.to_dict(), now
                row.claimed_at = row.handled_at = row.error = None
                session.add(row)
            else:
                continue
            new += 1
    svc.metrics.updates_received.inc(new)


async def purge_handled(svc: Services) -> int:
    """Delete handled inbox rows older than the retention period; how many (audited)."""
    now = svc.clock.now()
    async with svc.db.transaction() as session:
        conn = await session.connection()
        result = await conn.execute(
            delete(InboxUpdate).where(
                col(InboxUpdate.handled_at).is_not(None),
                col(InboxUpdate.handled_at) < now - RETENTION,
            )
        )
        count = int(result.rowcount or 0)
        if count:
            q.audit(
                session,
                at=now,
                kind="inbox.purged",
                rows=count,
                before=(now - RETENTION).isoformat(),
            )
    return count


async def unhandled_updates(svc: Services, app: Application) -> list[Update]:
    """The stored updates a previous run did not finish, oldest first; their claims reset."""
    async with svc.db.transaction() as session:
        stmt = (
            select(InboxUpdate)
            .where(col(InboxUpdate.handled_at).is_(None))
            .order_by(col(InboxUpdate.update_id))
        )
        rows = list((await session.exec(stmt)).all())
        for row in rows:
            row.claimed_at = None
            session.add(row)
    return [Update.de_json(row.payload, app.bot) for row in rows]


async def claim_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: let an update through once; stop any second delivery of the same id."""
    if not isinstance(update, Update):
        return
    svc: Services = context.bot_data["services"]
    async with svc.db.transaction() as session:
        row = await session.get(InboxUpdate, update.update_id)
        if row is None:  # came in another way (webhook, tests): store it now
            row = InboxUpdate(
                update_id=update.update_id,
                payload=update.to_dict(),
                received_at=svc.clock.now(),
                chat_id=chat_of(update),
            )
        elif row.claimed_at is not None or row.handled_at is not None:
            log.info("update %s delivered again: ignored", update.update_id)
            raise ApplicationHandlerStop
        row.claimed_at = svc.clock.now()
        session.add(row)
    svc.metrics.claimed(update.update_id)


async def mark_handled(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Last group: the update's handlers have run (or failed and were logged)."""
    if not isinstance(update, Update):
        return
    svc: Services = context.bot_data["services"]
    async with svc.db.transaction() as session:
        row = await session.get(InboxUpdate, update.update_id)
        if row is not None:
            row.handled_at = svc.clock.now()
            session.add(row)
    svc.metrics.handled(update.update_id)


class Poller:
    """Long polling that stores each batch before confirming it."""

    def __init__(
        self, app: Application, svc: Services, *, timeout: int = 10, intake: Intake | None = None
    ) -> None:
        self.app = app
        self.svc = svc
        self.timeout = timeout
        self.intake: Intake = intake or QueueIntake(app, svc)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Replay what the last run left unhandled, then poll in the background."""
        await self.app.bot.delete_webhook(drop_pending_updates=False)
        await self.intake.replay()
        self._task = asyncio.create_task(self._run(), name="kuaipei-poller")

    async def stop(self) -> None:
        """Stop polling; updates already stored stay in the inbox for the next run."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset, timeout=self.timeout, allowed_updates=Update.ALL_TYPES
                )
                await store_updates(self.svc, list(updates))
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
                continue
            except (NetworkError, TelegramError) as exc:
                log.warning("getUpdates failed: %s; retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except Exception:
                log.exception("storing updates failed; retrying")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            await self.intake.deliver(updates)
            if updates:
                offset = updates[-1].update_id + 1
