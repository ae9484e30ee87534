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
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.kernel.services import Services
from bot.transport.deliveries import Deliveries
from bot.transport.errors import Delivery, delivery_of, repeat_duplicates, retry_after_seconds
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
# Waits between attempts to record how a call ended when the database refuses the write
# (SQLite busy past its timeout, a PostgreSQL connection lost): the outcome is a fact that
# only this process knows, so it is written again rather than the item left `sending`.
RECORD_RETRY = (0.2, 0.5, 1.0, 2.0, 5.0)
# Kinds whose every call is idempotent (edits, topic renames, closing, reopening): one cut
# off mid-call is simply sent again. Every other kind makes at least one call a repeat
# would duplicate, so the bound of docs/architecture.md applies to it.
IDEMPOTENT_KINDS = frozenset(
    {"edit_card", "edit_text", "edit_topic", "close_topic", "reopen_topic"}
)
# The call cut off when a sender died mid-item: unknown, so it counts as any of them.
UNKNOWN_CALL = "*"


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        return "-"


# Where this process runs: a lease held by a dead process of the same host and pid
# namespace is taken at once instead of after LEASE, so a restart after a crash resumes
# its chats at once. Another host's (or container's) holder is only ever waited out.
HERE = f"{socket.gethostname()}@{_pid_namespace()}"


def holder_is_dead(holder: str) -> bool:
    """Whether a lease holder (`host@pidns:pid:nonce`) is a process here that has exited."""
    where, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if where != HERE or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists under another user
        return False
    return False


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


class _Ambiguous(_Retry):
    """The answer to a call that a repeat would duplicate was lost: Telegram may have acted."""

    def __init__(self, method: str, detail: str) -> None:
        super().__init__(detail)
        self.method = method


def note_ambiguity(row: OutboxItem, call: str) -> bool:
    """Count an ambiguous failure of `call` on the item; False when it must not be repeated.

    Each call of an item may be repeated once after its answer was lost: a second
    ambiguity on the same call (or on an unknown one, a sender that died mid-item) could
    make a third copy, so the item ends there. Telegram has no idempotency key that would
    let us ask whether the first attempt arrived.
    """
    seen = set(row.ambiguous_calls.split(",")) if row.ambiguous_calls else set()
    if call in seen or UNKNOWN_CALL in seen or (call == UNKNOWN_CALL and seen):
        return False
    row.ambiguous += 1
    row.ambiguous_calls = ",".join(sorted(seen | {call}))
    return True


class Sender(Deliveries):
    """Delivers outbox items; start() it with the application, stop() it before shutdown."""

    def __init__(
        self,
        bot: Bot,
        svc: Services,
        throttle: Throttle,
        poll_interval: float = 1.0,
        bulk_kinds: frozenset[str] = frozenset(),
    ):
        self.bot = bot
        self.svc = svc
        self.throttle = throttle
        self.poll_interval = poll_interval
        # Kinds sent only when nothing else of the chat is due, within a share of its limit.
        self.bulk_kinds = bulk_kinds
        # Who this sender is among the processes sharing the database (chat leases).
        self.holder = f"{HERE}:{os.getpid()}:{secrets.token_hex(4)}"
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
            chats = set((await session.exec(stmt)).all())
            # A chat whose last item a dead sender left `sending` has nothing pending that
            # would start its lane: it is looked at for a takeover too (see _adopt).
            stmt = (
                select(OutboxItem.chat_id)
                .where(
                    OutboxItem.status == OutboxStatus.SENDING,
                    col(OutboxItem.claimed_by) != self.holder,
                )
                .distinct()
            )
            chats.update((await session.exec(stmt)).all())
        for chat_id in sorted(chats):
            lane = self._lanes.get(chat_id)
            if lane is None or lane.done():
                self._lanes[chat_id] = asyncio.create_task(self._lane(chat_id))

    async def _lane(self, chat_id: int) -> None:
        try:
            await self._run_lane(chat_id)
        except Exception:  # the next poll starts the lane again
            log.exception("sender lane of chat %s failed", chat_id)
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
                if await self._adopt(chat_id):
                    continue  # what a stopped sender left is pending (or ended) now
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
                    session.add(ChatLease(chat_id=chat_id, holder=self.holder, until=now + LEASE))
                    # A sender stopped mid-item lets go of its chats too (stop() cancels a
                    # lane stuck in a long wait): what it left `sending` is orphaned.
                    await self._reclaim(session, chat_id, None)
                elif lease.holder != self.holder:
                    if lease.until > now and not holder_is_dead(lease.holder):
                        return None
                    await self._reclaim(session, chat_id, lease.holder)
                if lease is not None:
                    lease.holder, lease.until = self.holder, now + LEASE
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

    async def _adopt(self, chat_id: int) -> bool:
        """Take over the chat's items a stopped sender left `sending` when nothing else of
        the chat is due (`_claim` does it on the way otherwise): True when there were any."""
        now = self.svc.clock.now()
        try:
            async with self.svc.db.transaction() as session:
                stmt = select(OutboxItem.id).where(
                    OutboxItem.chat_id == chat_id,
                    OutboxItem.status == OutboxStatus.SENDING,
                    col(OutboxItem.claimed_by) != self.holder,
                )
                if (await session.exec(stmt.limit(1))).first() is None:
                    return False
                lease = await session.get(ChatLease, chat_id, with_for_update=True)
                if lease is None:
                    session.add(ChatLease(chat_id=chat_id, holder=self.holder, until=now + LEASE))
                    await self._reclaim(session, chat_id, None)
                    return True
                if lease.holder == self.holder:
                    await self._reclaim(session, chat_id, None)
                    return True
                if lease.until > now and not holder_is_dead(lease.holder):
                    return False  # its holder is alive and may still answer for them
                await self._reclaim(session, chat_id, lease.holder)
                lease.holder, lease.until = self.holder, now + LEASE
                session.add(lease)
                return True
        except IntegrityError:  # another sender leased the chat first
            return False

    async def _reclaim(self, session: AsyncSession, chat_id: int, holder: str | None) -> None:
        """Take over what a sender that stopped (`holder`; None: any other) left `sending`.

        Whether its last call reached Telegram is unknown: an idempotent kind is sent again,
        any other is an ambiguous failure of an unknown call (docs/architecture.md).
        """
        stmt = select(OutboxItem).where(
            OutboxItem.chat_id == chat_id, OutboxItem.status == OutboxStatus.SENDING
        )
        if holder is None:
            stmt = stmt.where(col(OutboxItem.claimed_by) != self.holder)
        else:
            stmt = stmt.where(OutboxItem.claimed_by == holder)
        for row in (await session.exec(stmt)).all():
            if row.kind in IDEMPOTENT_KINDS:
                row.status, row.claimed_by = OutboxStatus.PENDING, None
                session.add(row)
            else:
                self.settle_ambiguity(
                    session, row, UNKNOWN_CALL, f"sender {row.claimed_by} stopped"
                )
        await session.flush()

    async def _let_go(self, chat_id: int) -> None:
        """Give the chat back at once when the lane has nothing left to send."""
        with contextlib.suppress(Exception):  # the lease then simply runs out
            async with self.svc.db.transaction() as session:
                lease = await session.get(ChatLease, chat_id)
                if lease is not None and lease.holder == self.holder:
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
        except _Ambiguous as exc:
            await self._ambiguous(item, exc.method, str(exc))
            return
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

    async def _recorded(self, write: Callable[[], Awaitable[T]]) -> T:
        """Run `write` (one transaction recording a call's outcome) until the database
        takes it. Stopping gives up: the item stays `sending` and the next sender takes it
        over as a sender that died mid-item (docs/architecture.md)."""
        attempt = 0
        while True:
            try:
                return await write()
            except OperationalError as exc:
                if self._stopping:
                    raise
                wait = RECORD_RETRY[min(attempt, len(RECORD_RETRY) - 1)]
                attempt += 1
                log.warning(
                    "recording an outbox outcome failed (%s), again in %s s", exc.orig, wait
                )
                await asyncio.sleep(wait)

    async def _finish(self, item: OutboxItem, status: OutboxStatus, error: str | None) -> None:
        async def write() -> None:
            async with self.svc.db.transaction() as session:
                row = await session.get(OutboxItem, item.id)
                if row is not None:
                    row.status, row.error, row.done_at = status, error, self.svc.clock.now()
                    session.add(row)

        await self._recorded(write)

    async def _postpone(self, item: OutboxItem, error: str) -> None:
        async def write() -> OutboxItem | None:
            async with self.svc.db.transaction() as session:
                row = await session.get(OutboxItem, item.id)
                if row is None:
                    return None
                self._back_off(row, error)
                session.add(row)
                return row

        row = await self._recorded(write)
        if row is not None:
            log.info("outbox item %s postponed (%s attempts): %s", item.id, row.attempts, error)

    def _back_off(self, row: OutboxItem, error: str) -> None:
        row.attempts += 1
        row.status, row.claimed_by = OutboxStatus.PENDING, None
        delay = min(timedelta(seconds=2 ** min(row.attempts, 10)), MAX_BACKOFF)
        row.not_before = self.svc.clock.now() + delay
        row.error = error

    async def _ambiguous(self, item: OutboxItem, call: str, error: str) -> None:
        """A lost answer to `call`: repeat the item once, or end it (see note_ambiguity)."""

        async def write() -> bool:
            async with self.svc.db.transaction() as session:
                row = await session.get(OutboxItem, item.id)
                if row is None:
                    return False
                return self.settle_ambiguity(session, row, call, error)

        if await self._recorded(write):
            log.warning(
                "outbox item %s (%s): %s answer lost, repeating once: %s",
                item.id,
                item.kind,
                call,
                error,
            )

    def settle_ambiguity(
        self, session: AsyncSession, row: OutboxItem, call: str, error: str
    ) -> bool:
        """Record an ambiguous failure in the caller's transaction: the item is repeated
        (True) or, on a second ambiguity of the call, ends as failed (False)."""
        now = self.svc.clock.now()
        data: dict[str, Any] = {"item": row.id, "item_kind": row.kind, "call": call}
        if note_ambiguity(row, call):
            self._back_off(row, f"ambiguous ({call}): {error}")
            if call == UNKNOWN_CALL:
                row.not_before = None  # a takeover resumes at once: the wait was the lease
            q.audit(
                session,
                at=now,
                kind="outbox.ambiguous",
                case_id=row.case_id,
                chat_id=row.chat_id,
                **data,
            )
        else:
            row.status, row.claimed_by, row.done_at = OutboxStatus.FAILED, None, now
            row.error = f"not repeated: second ambiguous failure ({call}): {error}"
            q.audit(
                session,
                at=now,
                kind="outbox.not_repeated",
                case_id=row.case_id,
                chat_id=row.chat_id,
                **data,
            )
            log.warning(
                "outbox item %s (%s) not repeated: a second ambiguous failure of %s; "
                "it may or may not have reached the chat",
                row.id,
                row.kind,
                call,
            )
        session.add(row)
        return row.status == OutboxStatus.PENDING

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
                method = getattr(fn, "__name__", "call")
                if delivery_of(exc) is Delivery.AMBIGUOUS and repeat_duplicates(method):
                    raise _Ambiguous(method, str(exc)) from exc
                raise _Retry(str(exc)) from exc  # clean, or a call that may be repeated
        raise _Retry("rate limited repeatedly")

    async def _migrate(self, old: int, new: int) -> None:
        async with self.svc.db.transaction() as session:
            await q.rewrite_chat_id(session, old=old, new=new)
            q.audit(session, at=self.svc.clock.now(), kind="group.migrated", chat_id=new, old=old)
        log.info("group %s became supergroup %s", old, new)
