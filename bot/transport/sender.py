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
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, insert, update
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
# The order-free kinds and the edits of a named message (`edit_ref`), which keep order only
# with the other items of the same name (`may_overtake`).
OVERTAKING = ORDER_FREE | {"edit_ref"}
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
# How long a card stays as it is after it reached the chat before the next edit of it goes
# out: the changes of a burst (six checks tapped, several people answering at once) then
# cost one edit, and the card is never more than this behind. An edit after a quiet moment
# goes out at once. Edits count against the group's 20 calls a minute like new messages.
CARD_SETTLE = 1.0  # seconds
# The call cut off when a sender died mid-item: unknown, so it counts as any of them.
UNKNOWN_CALL = "*"

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
# The chat's lease as the lane reads and writes it: plain rows, no ORM object to flush.
_LEASE = ChatLease.__table__.c  # type: ignore[attr-defined]
_READ_LEASE = (
    select(ChatLease.holder, ChatLease.until, ChatLease.sent)
    .where(ChatLease.chat_id == bindparam("chat"))
    .with_for_update()
)
_NEW_LEASE = insert(ChatLease)
_HOLD_LEASE = (
    update(ChatLease)
    .where(col(ChatLease.chat_id) == bindparam("chat"))
    .values(
        holder=bindparam("holder", type_=_LEASE.holder.type),
        until=bindparam("until", type_=_LEASE.until.type),
        sent=bindparam("sent", type_=_LEASE.sent.type),
    )
)
_DROP_LEASE = delete(ChatLease).where(col(ChatLease.chat_id) == bindparam("chat"))
_RUN_OUT_LEASE = (
    update(ChatLease)
    .where(col(ChatLease.chat_id) == bindparam("chat"))
    .values(
        until=bindparam("until", type_=_LEASE.until.type),
        sent=bindparam("sent", type_=_LEASE.sent.type),
    )
)
# What a stopped sender left `sending` in a chat: any other sender's, or one holder's.
_LEFT_SENDING = select(OutboxItem).where(
    OutboxItem.chat_id == bindparam("chat"), OutboxItem.status == OutboxStatus.SENDING
)
_LEFT_BY_OTHERS = _LEFT_SENDING.where(col(OutboxItem.claimed_by) != bindparam("holder"))
_LEFT_BY = _LEFT_SENDING.where(OutboxItem.claimed_by == bindparam("holder"))
_PENDING = (
    select(OutboxItem)
    .where(OutboxItem.chat_id == bindparam("chat"), OutboxItem.status == OutboxStatus.PENDING)
    .order_by(col(OutboxItem.id))
    .limit(LOOKAHEAD)
)


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
    if later.kind not in OVERTAKING or waiting.kind not in OVERTAKING:
        return False
    # A prompt or ping edited in place (`edit_ref`) goes after the send, or an earlier edit,
    # of its own message, and past anything else of its case that waits: a retried reply
    # must not hold up the question a person is waiting for.
    ref = later.payload.get("ref")
    return ref is None or ref != waiting.payload.get("ref")


def _next_retry(items: list[OutboxItem], now: datetime) -> float | None:
    """Seconds until the first postponed item of the chat is due, if any is."""
    due = [i.not_before for i in items if i.not_before is not None and i.not_before > now]
    return (min(due) - now).total_seconds() if due else None


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


def note_ambiguity(row: OutboxItem, call: str) -> bool:
    """Count an ambiguous failure of `call` on the item; False when it must not be repeated.

    A lost answer means the request was sent and read: Telegram most likely acted. So a
    call is repeated once after its answer was lost, and a second lost answer of the same
    call ends the item (a third copy is likelier than a missing one). A sender that died
    mid-item (`UNKNOWN_CALL`) may not have called at all: it was often waiting for the flood
    limit, so ending the item would lose it; each such crash repeats the item at most once.
    Telegram has no idempotency key that would let us ask whether an attempt arrived.
    """
    seen = set(row.ambiguous_calls.split(",")) if row.ambiguous_calls else set()
    if call != UNKNOWN_CALL and call in seen:
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
        card_settle: float = CARD_SETTLE,
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
        # Who this sender is among the processes sharing the database (chat leases).
        self.holder = holder or f"{HERE}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease = lease
        # Several processes (MULTI_PROCESS): a group's recent send times travel with its
        # lease, so whoever sends into it next keeps the group's flood limit.
        self.shared_limits = shared_limits
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
            self._wake(chat_id)

    async def _lane(self, chat_id: int) -> None:
        let_go = False
        try:
            let_go = await self._run_lane(chat_id)
        except Exception:  # the next poll starts the lane again
            log.exception("sender lane of chat %s failed", chat_id)
        finally:
            if not let_go:
                await self._let_go(chat_id)
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
                    if taken is _NOTHING and await self._adopt(chat_id):
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
                conn = await session.connection()
                lease = (await conn.execute(_READ_LEASE, {"chat": chat_id})).first()
                ours = lease is not None and lease.holder == self.holder
                if lease is not None and not ours:
                    if lease.until > now and not holder_is_dead(lease.holder):
                        return _BUSY
                items = await self._pending(session, chat_id)
                settling = self._settling(items)
                item = self._next_due(items, now, self.bulk_kinds, set(settling))
                if item is None:
                    if settling:  # a card edit held to coalesce a burst: come back for it
                        self._wake_later(chat_id, min(settling.values()))
                    retry = _next_retry(items, now)
                    if retry is not None:  # a postponed item: back when it is due
                        self._wake_later(chat_id, retry)
                    if ours:
                        await self._give_back(session, chat_id)  # nothing left to send
                        return _LET_GO
                    return _NOTHING
                if item.kind in self.bulk_kinds:
                    wait = self.throttle.bulk_wait(chat_id, leave=BULK_LEAVES)
                    if wait > 0:
                        # Look again soon: the chat's own traffic, arriving meanwhile, goes first.
                        return min(wait, BULK_LOOK_AGAIN)
                held = {"chat": chat_id, "holder": self.holder, "until": now + self.lease}
                fresh = lease is None
                if fresh:
                    # Inserted before anything else is written: of two senders taking the
                    # chat at once, one fails here (IntegrityError) and backs off.
                    keep = self.shared_limits and chat_id < 0
                    await conn.execute(
                        _NEW_LEASE,
                        {
                            "chat_id": chat_id,
                            "holder": self.holder,
                            "until": held["until"],
                            "sent": self.throttle.group_times(chat_id) if keep else None,
                        },
                    )
                if not ours:
                    # Taking the chat over: what a stopped sender left `sending` comes
                    # back first, and may now be the next item.
                    cut_off = await self._reclaim(session, chat_id, lease.holder if lease else None)
                    if self.shared_limits and lease is not None:
                        self._take_window(chat_id, lease.sent or [], cut_off)
                    if cut_off:
                        items = await self._pending(session, chat_id)
                        item = self._next_due(
                            items, now, self.bulk_kinds, set(self._settling(items))
                        )
                        if item is None:
                            if fresh:
                                await conn.execute(_DROP_LEASE, {"chat": chat_id})
                            return _NOTHING
                if lease is not None:
                    keep = self.shared_limits and chat_id < 0
                    sent = self.throttle.group_times(chat_id) if keep else lease.sent
                    await conn.execute(_HOLD_LEASE, {**held, "sent": sent})
                result = await conn.execute(_CLAIM, {"item": item.id, "holder": self.holder})
                if result.rowcount != 1:
                    return 0.0  # taken meanwhile: look again
                return item
        except IntegrityError:  # another sender leased the chat first
            if finished is not None:
                await self._finish(finished.item, finished.status, finished.error)
            return _BUSY

    async def _give_back(self, session: AsyncSession, chat_id: int) -> None:
        """Let go of a chat at once. With limits shared between processes the row stays,
        run out, for the group's send times it carries to whoever sends there next."""
        conn = await session.connection()
        if self.shared_limits and chat_id < 0:
            await conn.execute(
                _RUN_OUT_LEASE,
                {
                    "chat": chat_id,
                    "until": self.svc.clock.now(),
                    "sent": self.throttle.group_times(chat_id),
                },
            )
        else:
            await conn.execute(_DROP_LEASE, {"chat": chat_id})

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

    async def _claim(self, chat_id: int, item: OutboxItem) -> bool | None:
        """Hold the chat's lease and claim this very item, in one transaction: None when
        another sender holds the chat, False when the item was taken meanwhile.

        The lane takes its items with `_take_next`, which also keeps a taken-over chat's
        order; this claims one given item, for tests that stage a take-over step by step."""
        now = self.svc.clock.now()
        try:
            async with self.svc.db.transaction() as session:
                lease = await session.get(ChatLease, chat_id, with_for_update=True)
                if lease is None:
                    lease = ChatLease(chat_id=chat_id, holder=self.holder, until=now + self.lease)
                    # A sender stopped mid-item lets go of its chats too (stop() cancels a
                    # lane stuck in a long wait): what it left `sending` is orphaned.
                    await self._reclaim(session, chat_id, None)
                elif lease.holder != self.holder:
                    if lease.until > now and not holder_is_dead(lease.holder):
                        return None
                    cut_off = await self._reclaim(session, chat_id, lease.holder)
                    if self.shared_limits:
                        self._take_window(chat_id, lease.sent or [], cut_off)
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
                    session.add(
                        ChatLease(chat_id=chat_id, holder=self.holder, until=now + self.lease)
                    )
                    await self._reclaim(session, chat_id, None)
                    return True
                if lease.holder == self.holder:
                    await self._reclaim(session, chat_id, None)
                    return True
                if lease.until > now and not holder_is_dead(lease.holder):
                    return False  # its holder is alive and may still answer for them
                await self._reclaim(session, chat_id, lease.holder)
                lease.holder, lease.until = self.holder, now + self.lease
                session.add(lease)
                return True
        except IntegrityError:  # another sender leased the chat first
            return False

    async def _reclaim(self, session: AsyncSession, chat_id: int, holder: str | None) -> int:
        """Take over what a sender that stopped (`holder`; None: any other) left `sending`;
        how many items that was.

        Whether its last call reached Telegram is unknown: an idempotent kind is sent again,
        any other is an ambiguous failure of an unknown call (docs/architecture.md).
        """
        if holder is None:
            stmt, params = _LEFT_BY_OTHERS, {"chat": chat_id, "holder": self.holder}
        else:
            stmt, params = _LEFT_BY, {"chat": chat_id, "holder": holder}
        rows = (await session.exec(stmt, params=params)).all()
        for row in rows:
            if row.kind in IDEMPOTENT_KINDS:
                row.status, row.claimed_by = OutboxStatus.PENDING, None
                session.add(row)
            else:
                self.settle_ambiguity(
                    session, row, UNKNOWN_CALL, f"sender {row.claimed_by} stopped"
                )
        if rows:
            await session.flush()
        return len(rows)

    async def _let_go(self, chat_id: int) -> None:
        """Give the chat back at once when the lane has nothing left to send."""
        with contextlib.suppress(Exception):  # the lease then simply runs out
            async with self.svc.db.transaction() as session:
                lease = await session.get(ChatLease, chat_id)
                if lease is not None and lease.holder == self.holder:
                    await self._give_back(session, chat_id)

    @staticmethod
    def _next_due(
        items: list[OutboxItem],
        now: datetime,
        bulk: frozenset[str] = frozenset(),
        settling: set[int] | frozenset[int] = frozenset(),
    ) -> OutboxItem | None:
        """The oldest item that is due and that no earlier waiting item holds back; bulk
        kinds only when no other item is; never a `settling` card edit."""
        # An item held back holds its place too: what follows it must not overtake it either.
        waiting: list[OutboxItem] = []
        first_bulk: OutboxItem | None = None
        for item in items:
            if item.id in settling:
                # A card edit renders the case as it is when it goes out, so nothing after
                # it needs it first: a settling card holds back no reply, prompt or topic.
                continue
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
