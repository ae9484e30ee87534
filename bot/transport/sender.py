"""The one sender: delivers the outbox to Telegram, in order per chat, within the limits.

Each chat has a lane that sends its items one by one (which one next: lane_order.py),
holding the chat's lease while it does (chat_lease.py), so a case's topic exists before
its card and its card before any edit. Lanes of different chats run side by side. Results
(topic ids, card ids) are stored as soon as Telegram returns them, so a restart resumes
where it stopped; a call whose answer was lost follows the bound of ambiguity.py. How each
kind of item is sent is deliveries.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.config.settings import CARD_SETTLE_SECONDS
from bot.kernel.services import Services
from bot.transport.ambiguity import back_off, settle_ambiguity
from bot.transport.chat_lease import LEASE, ChatLeases
from bot.transport.deliveries import Deliveries
from bot.transport.errors import Delivery, delivery_of, repeat_duplicates, retry_after_seconds
from bot.transport.lane_order import LOOKAHEAD, next_due, next_retry
from bot.transport.throttle import Throttle
from storage import queries as q
from storage.models import OutboxItem
from storage.types import OutboxStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

# Of a group's flood limit, the share bulk items (reminders from a sweep) leave to the
# chat's own traffic: a storm of reminders must not make people wait for their answers.
BULK_LEAVES = 0.25
BULK_LOOK_AGAIN = 0.2  # seconds
# Waits between attempts to record how a call ended when the database refuses the write
# (SQLite busy past its timeout, a PostgreSQL connection lost): the outcome is a fact that
# only this process knows, so it is written again rather than the item left `sending`.
RECORD_RETRY = (0.2, 0.5, 1.0, 2.0, 5.0)

# The lane's statements, built once: building one per item cost more CPU than SQLite
# takes to run it.
_OUTBOX = OutboxItem.__table__.c  # type: ignore[attr-defined]
_CLAIM = (
    update(OutboxItem)
    .where(
        col(OutboxItem.id) == bindparam("item"),
        col(OutboxItem.status) == OutboxStatus.PENDING.value,
    )
    .values(status=OutboxStatus.SENDING.value, claimed_by=bindparam("holder"))
)
_OUTCOME = (
    update(OutboxItem)
    .where(col(OutboxItem.id) == bindparam("item"))
    .values(
        status=bindparam("status", type_=_OUTBOX.status.type),
        error=bindparam("error", type_=_OUTBOX.error.type),
        done_at=bindparam("at", type_=_OUTBOX.done_at.type),
    )
)
_PENDING = (
    select(OutboxItem)
    .where(OutboxItem.chat_id == bindparam("chat"), OutboxItem.status == OutboxStatus.PENDING)
    .order_by(col(OutboxItem.id))
    .limit(LOOKAHEAD)
)


@dataclass
class _Outcome:
    """How a sent item ended, not yet written: the lane's next transaction records it."""

    item: OutboxItem
    status: OutboxStatus
    error: str | None
    at: datetime


# What the lane's take step found instead of an item (Sender._take_next). `_LET_GO`: nothing
# due and the chat was this sender's, so nothing a stopped sender left can wait in it (it
# was taken over when this sender took the chat); `_NOTHING`: nothing due otherwise.
_NOTHING = object()
_LET_GO = object()
_BUSY = object()


class _Retry(Exception):
    """A transient failure: try the item again later."""


class _Ambiguous(_Retry):
    """The answer to a call that a repeat would duplicate was lost: Telegram may have acted."""

    def __init__(self, method: str, detail: str) -> None:
        super().__init__(detail)
        self.method = method


class Sender(Deliveries):
    """Delivers outbox items; start() it with the application, stop() it before shutdown."""

    def __init__(
        self,
        bot: Bot,
        svc: Services,
        throttle: Throttle,
        poll_interval: float = 1.0,
        bulk_kinds: frozenset[str] = frozenset(),
        card_settle: float = CARD_SETTLE_SECONDS,
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
        self.card_settle = card_settle
        self.card_shown = {}
        # A lane that holds a card edit back wakes itself when the card has settled.
        self._wakeups: dict[int, asyncio.TimerHandle] = {}
        self.leases = ChatLeases(
            svc, throttle, holder=holder, lease=lease, shared_limits=shared_limits
        )
        # Who this sender is among the processes sharing the database (chat leases).
        self.holder = self.leases.holder
        self._lanes: dict[int, asyncio.Task[None]] = {}
        # Chats woken while their lane was running: the lane looks again before it ends.
        self._dirty: set[int] = set()
        self._main: asyncio.Task[None] | None = None
        self._stopping = False
        self.handlers: dict[str, Callable[[OutboxItem], Awaitable[None]]] = {
            "open_thread": self._open_thread,
            "edit_card": self._edit_card,
            "send_text": self._send_text,
            "send_text_hint": self._send_text,
            "edit_text": self._edit_text,
            "edit_ref": self._edit_ref,
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
        for handle in self._wakeups.values():
            handle.cancel()
        self._wakeups.clear()
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
        loop = asyncio.get_running_loop()
        # The first round, and at least every poll_interval however busy the other chats
        # keep the signal, looks at the whole outbox.
        search, searched = True, loop.time()
        while not self._stopping:
            signal.clear()
            chats, self.svc.outbox_chats = self.svc.outbox_chats, set()
            search = search or self.svc.outbox_anywhere
            search = search or loop.time() - searched >= self.poll_interval
            self.svc.outbox_anywhere = False
            try:
                # A commit that said which chats it queued for wakes those lanes directly;
                # the search (a query of its own) is for the rest: other processes' rows,
                # retries coming due, writers that did not say.
                for chat_id in chats:
                    self._wake(chat_id)
                if search:
                    searched = loop.time()
                    await self._spawn_lanes()
            except Exception:  # one bad poll must not stop delivery for good
                log.exception("sender poll failed")
            try:
                await asyncio.wait_for(signal.wait(), timeout=self.poll_interval)
                search = False
            except TimeoutError:
                search = True

    def _wake(self, chat_id: int) -> None:
        """Start the chat's lane, or have the running one look again before it ends."""
        lane = self._lanes.get(chat_id)
        if lane is None or lane.done():
            self._lanes[chat_id] = asyncio.create_task(self._lane(chat_id))
        else:
            self._dirty.add(chat_id)

    async def _spawn_lanes(self) -> None:
        async with self.svc.db.session() as session:
            stmt = (
                select(OutboxItem.chat_id)
                .where(OutboxItem.status == OutboxStatus.PENDING)
                .distinct()
            )
            chats = set((await session.exec(stmt)).all())
            # A chat whose last item a dead sender left `sending` has nothing pending that
            # would start its lane: it is looked at for a takeover too (ChatLeases.adopt).
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
            self._wake(chat_id)

    async def _lane(self, chat_id: int) -> None:
        let_go = False
        try:
            let_go = await self._run_lane(chat_id)
        except Exception:  # the next poll starts the lane again
            log.exception("sender lane of chat %s failed", chat_id)
        finally:
            if not let_go:
                await self.leases.let_go(chat_id)
            if chat_id in self._dirty and not self._stopping:
                # Woken while letting go: what was queued meanwhile goes out now.
                self._dirty.discard(chat_id)
                self._lanes[chat_id] = asyncio.create_task(self._lane(chat_id))

    async def _run_lane(self, chat_id: int) -> bool:
        """Deliver the chat's due items; True when the chat was let go of (or never held)
        on the way out.

        The outcome of the item just sent is written by the transaction that takes the
        next one (and lets go of the chat when nothing is left): per item one transaction
        before the call and none after it, instead of a read, a claim, a finish and a
        let-go (docs/architecture.md, "How an update flows").
        """
        finished: _Outcome | None = None
        try:
            while not self._stopping:
                self._dirty.discard(chat_id)
                taken, finished = await self._take_next(chat_id, finished), None
                if taken is _BUSY:
                    return True  # another process delivers this chat now
                if taken is _NOTHING or taken is _LET_GO:
                    if chat_id in self._dirty:
                        continue  # queued while this lane looked
                    # A chat that was ours has nothing to adopt: spare the transaction.
                    if taken is _NOTHING and await self.leases.adopt(chat_id):
                        continue  # what a stopped sender left is pending (or ended) now
                    return True  # the poll starts the lane again when something is due
                if isinstance(taken, float):  # a bulk item waits for the chat's own traffic
                    await asyncio.sleep(taken)
                    continue
                assert isinstance(taken, OutboxItem)
                finished = await self._attempt(taken)
        finally:
            if finished is not None:  # stopping, or the take failed: write it on its own
                await self._finish(finished.item, finished.status, finished.error)
        return False

    async def _take_next(
        self, chat_id: int, finished: _Outcome | None
    ) -> OutboxItem | float | object:
        """In one transaction: write the outcome of the item just sent, then hold the chat
        and claim its next due item (returned). `_NOTHING` when none is due (the chat is
        let go of; `_LET_GO` when it was this sender's), `_BUSY` when another sender holds
        it, or seconds to wait when only a bulk item is due and the chat's own traffic has
        the limit."""
        now = self.svc.clock.now()
        try:
            async with self.svc.db.transaction() as session:
                if finished is not None:
                    await self._write_outcome(session, finished)
                leases = self.leases
                lease = await leases.read(session, chat_id)
                if leases.held_elsewhere(lease, now):
                    return _BUSY
                ours = leases.ours(lease)
                items = await self._pending(session, chat_id)
                settling = self._settling(items)
                item = next_due(items, now, self.bulk_kinds, set(settling))
                if item is None:
                    if settling:  # a card edit held to coalesce a burst: come back for it
                        self._wake_later(chat_id, min(settling.values()))
                    retry = next_retry(items, now)
                    if retry is not None:  # a postponed item: back when it is due
                        self._wake_later(chat_id, retry)
                    if ours:
                        await leases.give_back(session, chat_id)  # nothing left to send
                        return _LET_GO
                    return _NOTHING
                if item.kind in self.bulk_kinds:
                    wait = self.throttle.bulk_wait(chat_id, leave=BULK_LEAVES)
                    if wait > 0:
                        # Look again soon: the chat's own traffic, arriving meanwhile, goes first.
                        return min(wait, BULK_LOOK_AGAIN)
                if await self.hold_chat(session, chat_id, lease, now):
                    # Taken over: what a stopped sender left `sending` came back first, and
                    # may now be the next item.
                    items = await self._pending(session, chat_id)
                    item = next_due(items, now, self.bulk_kinds, set(self._settling(items)))
                    if item is None:
                        await leases.give_back(session, chat_id)
                        return _NOTHING
                if not await self.claim_row(session, item):
                    return 0.0  # taken meanwhile: look again
                return item
        except IntegrityError:  # another sender leased the chat first
            if finished is not None:
                await self._finish(finished.item, finished.status, finished.error)
            return _BUSY

    async def hold_chat(
        self, session: AsyncSession, chat_id: int, lease: Any, now: datetime
    ) -> int:
        """Hold the chat (its `lease` row as read, None when nobody holds it) for another
        LEASE: taken when free, taken over from a stopped sender — whose items `sending`
        come back first — or renewed; how many items the stopped sender left."""
        leases = self.leases
        if lease is None:
            await leases.take(session, chat_id, now)
        cut_off = 0 if leases.ours(lease) else await leases.take_over(session, chat_id, lease)
        if lease is not None:
            await leases.hold(session, chat_id, lease, now)
        return cut_off

    async def claim_row(self, session: AsyncSession, item: OutboxItem) -> bool:
        """Claim a pending item for this sender; False when another took it meanwhile."""
        conn = await session.connection()
        result = await conn.execute(_CLAIM, {"item": item.id, "holder": self.holder})
        return bool(result.rowcount == 1)

    @staticmethod
    async def _pending(session: AsyncSession, chat_id: int) -> list[OutboxItem]:
        return list((await session.exec(_PENDING, params={"chat": chat_id})).all())

    def _settling(self, items: list[OutboxItem]) -> dict[int, float]:
        """The card edits held back because their card reached the chat less than
        `card_settle` ago: item id → seconds left."""
        now = time.monotonic()
        left: dict[int, float] = {}
        for item in items:
            if item.kind != "edit_card" or item.case_id is None or item.id is None:
                continue
            shown = self.card_shown.get(item.case_id)
            if shown is None:
                continue
            wait = shown + self.card_settle - now
            if wait > 0:
                left[item.id] = wait
            else:
                del self.card_shown[item.case_id]  # settled: forget it
        return left

    def _wake_later(self, chat_id: int, delay: float) -> None:
        """Start the chat's lane again in `delay` seconds (sooner if already planned)."""
        loop = asyncio.get_running_loop()
        planned = self._wakeups.get(chat_id)
        if planned is not None and planned.when() <= loop.time() + delay:
            return
        if planned is not None:
            planned.cancel()

        def wake() -> None:
            self._wakeups.pop(chat_id, None)
            if not self._stopping:
                self._wake(chat_id)

        self._wakeups[chat_id] = loop.call_later(delay, wake)

    async def _deliver(self, item: OutboxItem) -> None:
        """Send a claimed item and record how it ended."""
        outcome = await self._attempt(item)
        if outcome is not None:
            await self._finish(outcome.item, outcome.status, outcome.error)

    async def _attempt(self, item: OutboxItem) -> _Outcome | None:
        """Send a claimed item. A retry or an ambiguity is recorded at once; an item that
        ended (done, or failed for good) is returned for the caller to record, so the
        lane can write it with the claim of the next item."""
        handler = self.handlers.get(item.kind)
        log.debug(  # a private chat's id is a person's: only groups are named
            "outbox item %s (%s) of case %s to chat %s",
            item.id,
            item.kind,
            item.case_id,
            item.chat_id if item.chat_id < 0 else "(private)",
        )
        try:
            if handler is None:
                raise ValueError(f"no handler for outbox kind {item.kind!r}")
            await handler(item)
        except _Ambiguous as exc:
            await self._ambiguous(item, exc.method, str(exc))
            return None
        except _Retry as exc:
            await self._postpone(item, str(exc))
            return None
        except (BadRequest, Forbidden, ValueError) as exc:
            log.warning("outbox item %s (%s) failed for good: %s", item.id, item.kind, exc)
            return _Outcome(item, OutboxStatus.FAILED, str(exc), self.svc.clock.now())
        except Exception as exc:
            log.exception("outbox item %s (%s) raised", item.id, item.kind)
            await self._postpone(item, repr(exc))
            return None
        return _Outcome(item, OutboxStatus.DONE, None, self.svc.clock.now())

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
                outcome = _Outcome(item, status, error, self.svc.clock.now())
                await self._write_outcome(session, outcome)

        await self._recorded(write)

    @staticmethod
    async def _write_outcome(session: AsyncSession, outcome: _Outcome) -> None:
        conn = await session.connection()
        await conn.execute(
            _OUTCOME,
            {
                "item": outcome.item.id,
                "status": outcome.status.value,
                "error": outcome.error,
                "at": outcome.at,
            },
        )

    async def _postpone(self, item: OutboxItem, error: str) -> None:
        async def write() -> OutboxItem | None:
            async with self.svc.db.transaction() as session:
                row = await session.get(OutboxItem, item.id)
                if row is None:
                    return None
                back_off(row, error, self.svc.clock.now())
                session.add(row)
                return row

        row = await self._recorded(write)
        if row is not None:
            log.info("outbox item %s postponed (%s attempts): %s", item.id, row.attempts, error)

    async def _ambiguous(self, item: OutboxItem, call: str, error: str) -> None:
        """A lost answer to `call`: repeat the item once, or end it (see note_ambiguity)."""

        async def write() -> bool:
            async with self.svc.db.transaction() as session:
                row = await session.get(OutboxItem, item.id)
                if row is None:
                    return False
                return settle_ambiguity(session, row, call, error, self.svc.clock.now())

        if await self._recorded(write):
            log.warning(
                "outbox item %s (%s): %s answer lost, repeating once: %s",
                item.id,
                item.kind,
                call,
                error,
            )

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
