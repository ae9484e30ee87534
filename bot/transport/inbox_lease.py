"""Per-chat inbox leases (MULTI_PROCESS): with several processes on one PostgreSQL
database, any of them may store any update (webhook pushes go to whichever process the
proxy picks), but one process at a time handles a chat's stored updates, in update_id
order.

A process that stored updates offers their chats. To handle a chat it takes the chat's
row in `inbox_lease` (a row lock decides between two processes asking at once) and then
runs the chat's unhandled rows through the application one by one, oldest first. Its
heartbeat (bot/transport/fleet.py) renews the lease; a process that dies stops renewing,
and after PROCESS_LEASE_SECONDS another takes the chat over, clears the dead process's
claims and handles what it left (the update it was in the middle of is handled again;
handlers are idempotent).

Nothing stored is stranded. A process that finds the chat held leaves the row to the
holder, which looks again before letting go: it lets go under the lease row's lock only
when it sees nothing left, and the storing process's attempt to take the lease waits for
that lock, so either the holder sees the row or the storing process gets the chat. Every
heartbeat also picks up chats that have unhandled rows and no live lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from telegram import Update
from telegram.ext import Application

from bot.kernel.services import Services
from bot.transport.ingest import chat_of
from storage.models import InboxLease, InboxUpdate

log = logging.getLogger(__name__)

# How many of a chat's rows one look reads; the lane looks again after them.
BATCH = 20
# Chats handled at once by one process (PTB's default for concurrent updates).
MAX_LANES = 64


class InboxLeases:
    """The intake of one process among several (bot/transport/ingest.py `Intake`)."""

    # The chat's lease holder claims each update when it runs it, in whichever process.
    claims_at_store = False

    def __init__(self, app: Application, svc: Services, *, holder: str, lease: timedelta) -> None:
        self.app, self.svc = app, svc
        self.holder = holder
        self.lease = lease
        self._lanes: dict[int, asyncio.Task[None]] = {}
        # Chats offered while their lane ran: it must look once more before it ends.
        self._poked: set[int] = set()
        self._slots = asyncio.Semaphore(MAX_LANES)
        self._stopping = False

    # --- the intake -------------------------------------------------------------------
    async def replay(self) -> None:
        """What earlier runs left: the chats nobody holds (held ones wait for their lease)."""
        await self.pick_up()

    async def deliver(self, updates: Sequence[Update]) -> None:
        """Offer the chats of updates just stored."""
        for chat_id in dict.fromkeys(chat_of(u) for u in updates):
            await self.offer(chat_id)

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the lanes finish the update in hand; their leases go with the fleet's stop."""
        self._stopping = True
        lanes = list(self._lanes.values())
        if lanes:
            _done, pending = await asyncio.wait(lanes, timeout=timeout)
            for task in pending:
                task.cancel()

    # --- leases -------------------------------------------------------------------------
    async def offer(self, chat_id: int) -> None:
        """Handle the chat here if nobody else does; otherwise its holder will.

        No database work here (a webhook answers Telegram right after it): the chat's lane
        takes the lease first. One lane per chat in this process, however many pushes of
        the chat arrive at once."""
        if self._stopping:
            return
        lane = self._lanes.get(chat_id)
        if lane is not None and not lane.done():
            self._poked.add(chat_id)
            return
        self._lanes[chat_id] = asyncio.create_task(
            self._lane(chat_id), name=f"kuaipei-inbox-{chat_id}"
        )

    async def acquire(self, chat_id: int) -> bool:
        """Take the chat's lease if it is free, ours or run out. Taking it over clears the
        claims of the chat's unhandled rows: whoever claimed them is gone."""
        now = self.svc.clock.now()
        try:
            async with self.svc.db.transaction() as session:
                # Blocks (never skips) while a holder decides under the lock whether to let
                # go: that wait is what keeps a row stored meanwhile from being stranded.
                lease = await session.get(InboxLease, chat_id, with_for_update=True)
                if lease is None:
                    session.add(
                        InboxLease(chat_id=chat_id, holder=self.holder, until=now + self.lease)
                    )
                    await session.flush()
                elif lease.holder == self.holder:
                    lease.until = now + self.lease
                    session.add(lease)
                    return True
                elif lease.until > now:
                    return False
                else:
                    log.info("inbox: chat %s taken over from %s", chat_id, lease.holder)
                    lease.holder, lease.until = self.holder, now + self.lease
                    session.add(lease)
                conn = await session.connection()
                await conn.execute(
                    update(InboxUpdate)
                    .where(
                        col(InboxUpdate.chat_id) == chat_id,
                        col(InboxUpdate.handled_at).is_(None),
                        col(InboxUpdate.claimed_at).is_not(None),
                    )
                    .values(claimed_at=None)
                )
        except IntegrityError:  # another process inserted the lease first: it handles the chat
            return False
        return True

    async def release(self, chat_id: int, tried: set[int]) -> bool:
        """Let go of the chat when nothing is left; False when there is more to handle.

        `tried` are the rows this hold already ran (one whose handling failed is not run
        again by the same hold)."""
        async with self.svc.db.transaction() as session:
            lease = await session.get(InboxLease, chat_id, with_for_update=True)
            if lease is None or lease.holder != self.holder:
                return True  # lost it (our heartbeat failed): the new holder goes on
            stmt = select(InboxUpdate.update_id).where(
                col(InboxUpdate.chat_id) == chat_id, col(InboxUpdate.handled_at).is_(None)
            )
            left = set((await session.exec(stmt)).all()) - tried
            if left:
                return False
            await session.delete(lease)
        return True

    async def pick_up(self) -> None:
        """Offer every chat with unhandled rows and no live lease."""
        if self._stopping:
            return
        now = self.svc.clock.now()
        async with self.svc.db.session() as session:
            stmt = (
                select(InboxUpdate.chat_id)
                .outerjoin(InboxLease, col(InboxLease.chat_id) == col(InboxUpdate.chat_id))
                .where(
                    col(InboxUpdate.handled_at).is_(None),
                    col(InboxUpdate.chat_id).is_not(None),
                    or_(col(InboxLease.chat_id).is_(None), col(InboxLease.until) <= now),
                )
                .distinct()
            )
            chats = [c for c in (await session.exec(stmt)).all() if c is not None]
        for chat_id in chats:
            await self.offer(chat_id)

    # --- a chat's lane ------------------------------------------------------------------
    async def _next(self, chat_id: int, tried: set[int]) -> list[Update]:
        async with self.svc.db.session() as session:
            stmt = (
                select(InboxUpdate.update_id, InboxUpdate.payload)
                .join(
                    InboxLease,
                    and_(
                        col(InboxLease.chat_id) == col(InboxUpdate.chat_id),
                        col(InboxLease.holder) == self.holder,
                    ),
                )
                .where(col(InboxUpdate.chat_id) == chat_id, col(InboxUpdate.handled_at).is_(None))
                .order_by(col(InboxUpdate.update_id))
                .limit(BATCH + len(tried))
            )
            rows = (await session.exec(stmt)).all()
        fresh = [(uid, payload) for uid, payload in rows if uid not in tried][:BATCH]
        updates = []
        for uid, payload in fresh:
            tried.add(uid)
            update = Update.de_json(dict(payload), self.app.bot)
            if update is not None:
                updates.append(update)
        return updates

    async def _lane(self, chat_id: int) -> None:
        tried: set[int] = set()
        try:
            async with self._slots:
                if not await self.acquire(chat_id):
                    return  # another process holds the chat and will see what we stored
                while not self._stopping:
                    updates = await self._next(chat_id, tried)
                    for update in updates:
                        if self._stopping:
                            return
                        # The handler groups in order, as PTB's queue would run them; the
                        # lane is the chat's order, so no other path may run its updates.
                        await self.app.process_update(update)
                    if updates:
                        continue
                    self._poked.discard(chat_id)
                    if not await self.release(chat_id, tried):
                        continue
                    # Stored here while we let go: take the chat again if still free.
                    if chat_id not in self._poked or not await self.acquire(chat_id):
                        return
        except Exception:  # the lease runs out and the pick-up hands the chat on
            log.exception("inbox lane of chat %s failed", chat_id)
        finally:
            with contextlib.suppress(KeyError):
                if self._lanes.get(chat_id) is asyncio.current_task():
                    del self._lanes[chat_id]
