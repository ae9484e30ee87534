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
from collections.abc import MutableMapping, Sequence
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, insert
from sqlalchemy import update as sql_update
from sqlmodel import col, select
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.kernel.services import HANDLING, Handling, Services
from bot.transport.errors import retry_after_seconds
from storage import queries as q
from storage.models import InboxUpdate

log = logging.getLogger(__name__)


# Telegram redelivers an update it has not seen confirmed for 24 hours at most; an id seen
# longer ago than this is a new update (after a week without updates Telegram may start
# the ids anywhere), not a redelivery. Handled rows are kept this long, then purged.
REDELIVERY_WINDOW = timedelta(hours=48)
RETENTION = timedelta(days=7)
# How long the done-mark of an update that opened no transaction may wait to share one with
# the next batch's storing (or with the other updates handled meanwhile).
DONE_DELAY = 0.2  # seconds


def chat_of(update: Update) -> int:
    """The chat whose order an update keeps (0 for updates of no chat)."""
    chat = update.effective_chat
    return chat.id if chat is not None else 0


class Intake(Protocol):
    """Where stored updates go to be handled: PTB's queue in one process (QueueIntake),
    per-chat leases with several (bot/transport/inbox_lease.py)."""

    # Whether the storing transaction may claim the updates for this process. Not with
    # several processes: the chat's lease holder, maybe another process, claims them.
    claims_at_store: bool

    async def replay(self) -> None:
        """Hand on what a previous run left unhandled."""

    async def deliver(self, updates: Sequence[Update]) -> None:
        """Hand on updates just stored."""


class QueueIntake:
    """One process: straight into the application's queue (per-chat order in-process)."""

    claims_at_store = True

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


class InboxState:
    """What the inbox keeps in memory between its transactions, one per application.

    `claimed`: updates this process stored and claimed in the storing transaction, so the
    claim step lets them through without a transaction of its own. `done`: updates whose
    handlers have run without a transaction of their own (an update with a use case is
    marked in its transaction: Services.in_transaction) and whose done-mark is not written
    yet; it goes into the next transaction that stores updates, or a flush DONE_DELAY
    later. Until then the row is merely unhandled: a crash replays it at start, which
    repeats nothing, since nothing of it was recorded (docs/architecture.md).
    """

    def __init__(self) -> None:
        self.claimed: set[int] = set()
        self.done: dict[int, Any] = {}
        self._flush: asyncio.Task[None] | None = None

    def take_done(self) -> dict[int, Any]:
        """The pending done-marks (update id → when handled), now owned by the caller."""
        done, self.done = self.done, {}
        return done

    def mark(self, svc: Services, update_id: int) -> None:
        """Remember that an update was handled; write it soon."""
        self.done[update_id] = svc.clock.now()
        svc.metrics.handled(update_id)
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._flush_later(svc), name="kuaipei-inbox-done")

    async def _flush_later(self, svc: Services) -> None:
        await asyncio.sleep(DONE_DELAY)
        await self.flush(svc)

    async def flush(self, svc: Services) -> None:
        """Write the pending done-marks now (at stop, and DONE_DELAY after a mark)."""
        done = self.take_done()
        if not done:
            return
        try:
            async with svc.db.transaction() as session:
                await _write_done(session, done)
        except Exception:  # left unhandled: replayed at start, which the handlers allow
            log.exception("marking %d update(s) handled failed", len(done))

    async def close(self, svc: Services) -> None:
        """At stop: no timer left behind, every pending mark written."""
        if self._flush is not None and not self._flush.done():
            self._flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush
        await self.flush(svc)


def inbox_state(bot_data: MutableMapping[str, Any]) -> InboxState:
    """The application's inbox state (created on first use)."""
    state = bot_data.get("inbox")
    if not isinstance(state, InboxState):
        state = bot_data["inbox"] = InboxState()
    return state


# Built once: a statement built per call costs more CPU than SQLite takes to run it.
_SEEN = select(InboxUpdate.update_id).where(
    col(InboxUpdate.update_id).in_(bindparam("ids", expanding=True))
)
_STORE = insert(InboxUpdate)


async def _write_done(session: Any, done: dict[int, Any]) -> None:
    conn = await session.connection()
    for at in set(done.values()):
        ids = [uid for uid, when in done.items() if when == at]
        await conn.execute(
            sql_update(InboxUpdate).where(col(InboxUpdate.update_id).in_(ids)).values(handled_at=at)
        )


async def store_updates(
    svc: Services,
    updates: list[Update],
    *,
    state: InboxState | None = None,
) -> list[Update]:
    """Put updates in the inbox; an update_id seen within the redelivery window is a
    redelivery and left as it is, one seen before it is a new update and replaces it.

    With `state` (the poller and the webhook), the new updates are claimed in the same
    transaction (returned, and remembered in `state.claimed`) and the pending done-marks
    are written with them: one transaction per batch instead of three per update.
    """
    if not updates:
        return []
    now = svc.clock.now()
    fresh: list[Update] = []
    done = state.take_done() if state is not None else {}
    claimed_at = now if state is not None else None
    try:
        async with svc.db.transaction() as session:
            conn = await session.connection()
            # One read for the batch, and the new rows (nearly always all of them) written
            # as plain rows in one statement: no ORM object, no unit of work.
            result = await conn.execute(_SEEN, {"ids": [u.update_id for u in updates]})
            seen = {uid for (uid,) in result}
            fresh_ids: set[int] = set()
            new_rows: list[dict[str, Any]] = []
            for upd in updates:
                if upd.update_id in fresh_ids:
                    continue  # the same id twice in one batch: stored once
                fresh_ids.add(upd.update_id)
                row = (
                    await session.get(InboxUpdate, upd.update_id) if upd.update_id in seen else None
                )
                if row is None:
                    new_rows.append(
                        {
                            "update_id": upd.update_id,
                            "payload": upd.to_dict(),
                            "chat_id": chat_of(upd),
                            "received_at": now,
                            "claimed_at": claimed_at,
                            "handled_at": None,
                            "error": None,
                        }
                    )
                    fresh.append(upd)
                elif row.handled_at is not None and row.received_at < now - REDELIVERY_WINDOW:
                    log.info("update id %s reused by Telegram: a new update", upd.update_id)
                    row.payload, row.received_at = upd.to_dict(), now
                    row.handled_at = row.error = None
                    row.claimed_at, row.chat_id = claimed_at, chat_of(upd)
                    session.add(row)
                    fresh.append(upd)
            if new_rows:
                await conn.execute(_STORE, new_rows)
            if done:
                await _write_done(session, done)
    except BaseException:
        if state is not None:  # not written: keep them for the next try
            state.done = {**done, **state.done}
        raise
    if state is not None:
        state.claimed.update(u.update_id for u in fresh)
    svc.metrics.updates_received.inc(len(fresh))
    return fresh


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
    state = inbox_state(context.bot_data)
    if update.update_id in state.claimed:  # claimed when it was stored
        state.claimed.discard(update.update_id)
        svc.metrics.claimed(update.update_id)
        HANDLING.set(Handling(update.update_id))
        return
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
    # The handlers run in this task from here: their use case's transaction writes the
    # done-mark with its effects (Services.in_transaction).
    HANDLING.set(Handling(update.update_id))


async def mark_handled(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Last group: the update's handlers have run (or failed and were logged).

    An update whose use case committed was marked in that transaction; one that opened
    none (ignored, refused before any change) is marked with the next batch or shortly
    after (InboxState): replaying such an update repeats nothing.
    """
    if not isinstance(update, Update):
        return
    svc: Services = context.bot_data["services"]
    handling = HANDLING.get()
    HANDLING.set(None)
    if handling is not None and handling.update_id == update.update_id and handling.marked:
        svc.metrics.handled(update.update_id)
        return
    inbox_state(context.bot_data).mark(svc, update.update_id)


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

    def _state(self) -> InboxState | None:
        return inbox_state(self.app.bot_data) if self.intake.claims_at_store else None

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
                await store_updates(self.svc, list(updates), state=self._state())
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
