"""The one sender: delivers the outbox to Telegram, in order per chat, within the limits.

Each chat has a lane that sends its items one by one in the order they were recorded,
so a case's topic exists before its card and its card before any edit. An item that
failed and waits to be retried steps aside where order does not matter (see
`may_overtake`), so one message Telegram keeps refusing does not hold up the chat. Lanes
of different chats run side by side. Results (topic ids, card ids) are stored as soon as
Telegram returns them, so a restart resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.kernel.services import Services
from bot.transport.deliveries import Deliveries
from bot.transport.errors import retry_after_seconds
from bot.transport.throttle import Throttle
from storage import queries as q
from storage.models import ChatLease, OutboxItem
from storage.types import OutboxStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BACKOFF = timedelta(minutes=5)
# Kinds whose order among themselves is cosmetic: a reply is complete on its own, a card
# edit renders the case as it is at send time, a text edit names a message already sent.
# Everything else (the topic and card with their pins, topic renames, closing, reopening,
# documents, the areas' own kinds) is a barrier within its case.
ORDER_FREE = frozenset({"send_text", "send_text_hint", "edit_card", "edit_text"})
# How many of a chat's pending items a lane looks through for one it may send now.
LOOKAHEAD = 50
# Of a group's flood limit, the share bulk items (reminders from a sweep) leave to the
# chat's own traffic: a storm of reminders must not make people wait for their answers.
BULK_LEAVES = 0.25
BULK_LOOK_AGAIN = 0.2  # seconds
# How long a sender holds a chat without delivering before another process may take it.
LEASE = timedelta(seconds=20)


def may_overtake(later: OutboxItem, waiting: OutboxItem) -> bool:
    """Whether `later` may be sent while the earlier `waiting` item waits for its retry.

    Order only matters within one case (items of no case form a group of their own): there
    the later item may go first when both are of the order-free kinds. A waiting topic or
    card thus holds everything of its case (the thread must exist first), and a waiting
    close or reopen of a topic holds what follows it in that case.
    """
    if later.case_id != waiting.case_id:
        return True
    return later.kind in ORDER_FREE and waiting.kind in ORDER_FREE


class _Retry(Exception):
    """A transient failure: try the item again later."""


class Sender(Deliveries):
    """Delivers outbox items; start() it with the application, stop() it before shutdown."""

    def __init__(
        self,
        bot: Bot,
        svc: Services,
        throttle: Throttle,
        poll_interval: float = 1.0,
        bulk_kinds: frozenset[str] = frozenset(),
        *,
        lease: timedelta = LEASE,
        holder: str | None = None,
        shared_limits: bool = False,
    ):
        self.bot = bot
        self.svc = svc
        self.throttle = throttle
        self.poll_interval = poll_interval
        # Kinds sent only when nothing else of the chat is due, within a share of its limit.
        self.bulk_kinds = bulk_kinds
        # Who this sender is among the processes sharing the database (chat leases).
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease = lease
        # Several processes (MULTI_PROCESS): a group's recent send times travel with its
        # lease, so whoever sends into it next keeps the group's flood limit.
        self.shared_limits = shared_limits
        self._lanes: dict[int, asyncio.Task[None]] = {}
        self._main: asyncio.Task[None] | None = None
        self._stopping = False
        self.handlers: dict[str, Callable[[OutboxItem], Awaitable[None]]] = {
            "open_thread": self._open_thread,
            "edit_card": self._edit_card,
            "send_text": self._send_text,
            "send_text_hint": self._send_text,
            "edit_text": self._edit_text,
            "send_document": self._send_document,
            "send_file": self._send_file,
            "edit_topic": self._topic_call,
            "close_topic": self._topic_call,
            "reopen_topic": self._topic_call,
        }

    async def start(self) -> None:
        """Begin delivering in the background."""
        self._stopping = False
        self._main = asyncio.create_task(self._run(), name="kuaipei-sender")

    def alive(self) -> bool:
        """Whether delivery runs (what /healthz reports)."""
        return self._main is not None and not self._main.done() and not self._stopping

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the items in flight and stop."""
        self._stopping = True
        self.svc.outbox_changed()
        tasks = [t for t in (self._main, *self._lanes.values()) if t is not None]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self) -> None:
        signal = self.svc.outbox_signal
        while not self._stopping:
            signal.clear()
            try:
                await self._spawn_lanes()
            except Exception:  # one bad poll must not stop delivery for good
                log.exception("sender poll failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), timeout=self.poll_interval)

    async def _spawn_lanes(self) -> None:
        async with self.svc.db.session() as session:
            stmt = (
                select(OutboxItem.chat_id)
                .where(OutboxItem.status == OutboxStatus.PENDING)
                .distinct()
            )
            chats = list((await session.exec(stmt)).all())
        for chat_id in chats:
            lane = self._lanes.get(chat_id)
            if lane is None or lane.done():
                self._lanes[chat_id] = asyncio.create_task(self._lane(chat_id))

    async def _lane(self, chat_id: int) -> None:
        try:
            await self._run_lane(chat_id)
        finally:
            await self._let_go(chat_id)

    async def _run_lane(self, chat_id: int) -> None:
        while not self._stopping:
            async with self.svc.db.session() as session:
                stmt = (
                    select(OutboxItem)
                    .where(OutboxItem.chat_id == chat_id, OutboxItem.status == OutboxStatus.PENDING)
                    .order_by(col(OutboxItem.id))
                    .limit(LOOKAHEAD)
                )
                items = list((await session.exec(stmt)).all())
            item = self._next_due(items, self.svc.clock.now(), self.bulk_kinds)
            if item is None:
                return  # the poll starts the lane again when something is due
            if item.kind in self.bulk_kinds:
                wait = self.throttle.bulk_wait(chat_id, leave=BULK_LEAVES)
                if wait > 0:
                    # Look again soon: the chat's own traffic, arriving meanwhile, goes first.
                    await asyncio.sleep(min(wait, BULK_LOOK_AGAIN))
                    continue
            claimed = await self._claim(chat_id, item)
            if claimed is None:
                return  # another process delivers this chat now
            if claimed:
                await self._deliver(item)

    async def _claim(self, chat_id: int, item: OutboxItem) -> bool | None:
        """Hold the chat's lease and claim the item, in one transaction: None when another
        sender holds the chat, False when the item was taken meanwhile."""
        now = self.svc.clock.now()
        try:
            async with self.svc.db.transaction() as session:
                lease = await session.get(ChatLease, chat_id, with_for_update=True)
                if lease is None:
                    lease = ChatLease(chat_id=chat_id, holder=self.holder, until=now + self.lease)
                elif lease.holder != self.holder:
                    if lease.until > now:
                        return None
                    cut_off = await self._reclaim(session, chat_id, lease.holder)
                    if self.shared_limits:
                        self._take_window(chat_id, lease.sent or [], cut_off)
                    if cut_off:
                        # What the last holder left is older than `item`: the lane looks
                        # again (holding the chat now), so the chat's order is kept.
                        lease.holder, lease.until = self.holder, now + self.lease
                        session.add(lease)
                        return False
                lease.holder, lease.until = self.holder, now + self.lease
                if self.shared_limits and chat_id < 0:
                    lease.sent = self.throttle.group_times(chat_id)
                session.add(lease)
                conn = await session.connection()
                result = await conn.execute(
                    update(OutboxItem)
                    .where(
                        col(OutboxItem.id) == item.id,
                        col(OutboxItem.status) == OutboxStatus.PENDING.value,
                    )
                    .values(status=OutboxStatus.SENDING.value, claimed_by=self.holder)
                )
                return result.rowcount == 1
        except IntegrityError:  # another sender leased the chat first
            return None

    def _take_window(self, chat_id: int, sent: list[float], cut_off: int) -> None:
        # The sends of the process that held the group before; one it was making when it
        # died was never written down, so count it as made just now.
        self.throttle.seed_group(chat_id, sent, now=min(cut_off, 1))

    @staticmethod
    async def _reclaim(session: AsyncSession, chat_id: int, holder: str) -> int:
        # The sender that held the chat stopped without finishing these: send them again
        # (the one repeat a send cut off mid-call can cause; docs/architecture.md).
        conn = await session.connection()
        result = await conn.execute(
            update(OutboxItem)
            .where(
                col(OutboxItem.chat_id) == chat_id,
                col(OutboxItem.status) == OutboxStatus.SENDING.value,
                col(OutboxItem.claimed_by) == holder,
            )
            .values(status=OutboxStatus.PENDING.value, claimed_by=None)
        )
        return int(result.rowcount or 0)

    async def _let_go(self, chat_id: int) -> None:
        """Give the chat back at once when the lane has nothing left to send."""
        with contextlib.suppress(Exception):  # the lease then simply runs out
            async with self.svc.db.transaction() as session:
                lease = await session.get(ChatLease, chat_id)
                if lease is not None and lease.holder == self.holder:
                    if self.shared_limits and chat_id < 0:
                        # Keep the row (run out at once) for the send times it carries.
                        lease.until = self.svc.clock.now()
                        lease.sent = self.throttle.group_times(chat_id)
                        session.add(lease)
                    else:
                        await session.delete(lease)

    @staticmethod
    def _next_due(
        items: list[OutboxItem], now: datetime, bulk: frozenset[str] = frozenset()
    ) -> OutboxItem | None:
        """The oldest item that is due and that no earlier waiting item holds back; bulk
        kinds only when no other item is."""
        # An item held back holds its place too: what follows it must not overtake it either.
        waiting: list[OutboxItem] = []
        first_bulk: OutboxItem | None = None
        for item in items:
            due = item.not_before is None or item.not_before <= now
            if due and all(may_overtake(item, w) for w in waiting):
                if item.kind not in bulk:
                    return item
                first_bulk = first_bulk or item
            # A bulk item steps aside for the rest without holding any of it back.
            if item.kind not in bulk:
                waiting.append(item)
        return first_bulk

    async def _deliver(self, item: OutboxItem) -> None:
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise ValueError(f"no handler for outbox kind {item.kind!r}")
            await handler(item)
        except _Retry as exc:
            await self._postpone(item, str(exc))
            return
        except (BadRequest, Forbidden, ValueError) as exc:
            log.warning("outbox item %s (%s) failed for good: %s", item.id, item.kind, exc)
            await self._finish(item, OutboxStatus.FAILED, str(exc))
            return
        except Exception as exc:
            log.exception("outbox item %s (%s) raised", item.id, item.kind)
            await self._postpone(item, repr(exc))
            return
        await self._finish(item, OutboxStatus.DONE, None)

    async def _finish(self, item: OutboxItem, status: OutboxStatus, error: str | None) -> None:
        async with self.svc.db.transaction() as session:
            row = await session.get(OutboxItem, item.id)
            if row is not None:
                row.status, row.error, row.done_at = status, error, self.svc.clock.now()
                session.add(row)

    async def _postpone(self, item: OutboxItem, error: str) -> None:
        async with self.svc.db.transaction() as session:
            row = await session.get(OutboxItem, item.id)
            if row is None:
                return
            row.attempts += 1
            row.status, row.claimed_by = OutboxStatus.PENDING, None
            delay = min(timedelta(seconds=2 ** min(row.attempts, 10)), MAX_BACKOFF)
            row.not_before = self.svc.clock.now() + delay
            row.error = error
            session.add(row)
        log.info("outbox item %s postponed (%s attempts): %s", item.id, row.attempts, error)

    async def call(self, chat_id: int, fn: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        """One Bot API call into a chat: wait for the limits, wait out a 429, follow migrations."""
        for _ in range(5):
            await self.throttle.acquire(chat_id)
            try:
                result = await fn(chat_id=chat_id, **kwargs)
                self.svc.metrics.sends.labels(method=getattr(fn, "__name__", "call")).inc()
                return result
            except RetryAfter as exc:
                self.svc.metrics.rate_limited.inc()
                seconds = retry_after_seconds(exc)
                log.warning("Telegram asked to wait %.0f s", seconds)
                await asyncio.sleep(seconds)
            except ChatMigrated as exc:
                await self._migrate(chat_id, exc.new_chat_id)
                raise _Retry(f"chat migrated to {exc.new_chat_id}") from exc
            except NetworkError as exc:
                if isinstance(exc, BadRequest | Forbidden):
                    raise
                raise _Retry(str(exc)) from exc
        raise _Retry("rate limited repeatedly")

    async def _migrate(self, old: int, new: int) -> None:
        async with self.svc.db.transaction() as session:
            await q.rewrite_chat_id(session, old=old, new=new)
            q.audit(session, at=self.svc.clock.now(), kind="group.migrated", chat_id=new, old=old)
        log.info("group %s became supergroup %s", old, new)
