"""The bot processes sharing one database (MULTI_PROCESS): who is alive, and what that
means for Telegram's overall send budget.

Each process registers a row in `bot_process` and refreshes it with a heartbeat. The
overall limit (30 messages a second for the bot, whichever process sends) is split
evenly among the processes seen alive, so their sum stays within it without a database
round trip per message; a process that dies stops counting once its heartbeat is older
than the lease. The per-group limit travels with the sender's chat lease instead
(bot/transport/sender.py). Every heartbeat also renews the process's inbox leases
(bot/transport/inbox_lease.py), so a slow handler does not lose its chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from bot.kernel.services import Services
from bot.transport.chat_lease import new_holder
from bot.transport.throttle import Throttle
from storage.models import BotProcess, InboxLease

log = logging.getLogger(__name__)


def overall_share(budget: int, live: int) -> int:
    """One process's part of the overall budget when `live` processes share it."""
    return max(1, budget // max(1, live))


class Fleet:
    """This process's registration and heartbeat; start() before the ingress."""

    def __init__(
        self,
        svc: Services,
        throttle: Throttle,
        *,
        lease: timedelta,
        holder: str | None = None,
    ) -> None:
        self.svc = svc
        self.throttle = throttle
        self.lease = lease
        self.holder = holder or new_holder()
        # A third of the lease: two heartbeats may fail before the leases run out.
        self.interval = lease.total_seconds() / 3
        self.live = 1
        self._task: asyncio.Task[None] | None = None
        # Run with every heartbeat (the inbox's pick-up of chats nobody holds).
        self.on_beat: list[Callable[[], Awaitable[None]]] = []

    async def start(self) -> None:
        """Register and beat in the background."""
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as session:
            session.add(BotProcess(holder=self.holder, started_at=now, seen_at=now))
        await self.beat()
        self._task = asyncio.create_task(self._run(), name="kuaipei-fleet")

    async def stop(self) -> None:
        """Stop beating and leave: the others take this process's share and chats at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):  # otherwise the rows simply run out
            async with self.svc.db.transaction() as session:
                conn = await session.connection()
                await conn.execute(delete(InboxLease).where(col(InboxLease.holder) == self.holder))
                await conn.execute(delete(BotProcess).where(col(BotProcess.holder) == self.holder))

    async def beat(self) -> None:
        """Refresh this process's row and leases; count the live processes; split the budget."""
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as session:
            conn = await session.connection()
            seen = await conn.execute(
                update(BotProcess).where(col(BotProcess.holder) == self.holder).values(seen_at=now)
            )
            if not seen.rowcount:  # stalled so long that the others cleared our row
                session.add(BotProcess(holder=self.holder, started_at=now, seen_at=now))
            await conn.execute(
                update(InboxLease)
                .where(col(InboxLease.holder) == self.holder)
                .values(until=now + self.lease)
            )
            # Dead processes' rows go once they are well past any lease they could hold.
            await conn.execute(
                delete(BotProcess).where(col(BotProcess.seen_at) < now - 10 * self.lease)
            )
            live = (
                await session.exec(
                    select(func.count()).where(col(BotProcess.seen_at) >= now - self.lease)
                )
            ).one()
        self.live = max(1, int(live))
        self.throttle.share_overall(overall_share(self.throttle.overall_budget, self.live))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.beat()
            except Exception:  # the next beat tries again; the leases last three beats
                log.exception("heartbeat failed")
            for job in self.on_beat:
                try:
                    await job()
                except Exception:
                    log.exception("heartbeat job failed")
