"""One poller among several processes (MULTI_PROCESS, polling mode).

Telegram allows one getUpdates consumer per bot (a second draws 409 Conflict). The
processes elect it with a PostgreSQL session-level advisory lock held on a dedicated
connection: the process that gets `pg_try_advisory_lock` polls; the others stand by and
try again every few seconds. The lock belongs to the connection, so when the poller's
process dies (or its connection does) PostgreSQL frees it and a stand-by takes over.
Every process, polling or not, handles (inbox leases) and sends (outbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.transport.ingest import Poller
from storage.db import Database

log = logging.getLogger(__name__)

# Which advisory lock is the poller's: a constant of this application ("kuaipoll").
POLLER_LOCK = 0x6B7561706F6C6C


class PollerElection:
    """Runs `poller` while this process holds the poller lock."""

    def __init__(self, poller: Poller, db: Database, *, retry: float) -> None:
        self.poller = poller
        self.db = db
        self.retry = retry
        self.polling = False
        self._task: asyncio.Task[None] | None = None
        self._conn: AsyncConnection | None = None

    async def start(self) -> None:
        """Stand for election in the background (the first try happens at once)."""
        self._task = asyncio.create_task(self._run(), name="kuaipei-election")

    async def stop(self) -> None:
        """Stop polling and give the lock up, so a stand-by takes over without waiting."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._resign()

    async def _run(self) -> None:
        while True:
            try:
                if not self.polling:
                    if await self._try_lock():
                        log.info("poller election: this process polls")
                        await self.poller.start()
                        self.polling = True
                else:
                    await self._check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the lock went with the connection: stand again
                log.warning("poller election: connection lost (%s); standing again", exc)
                await self._resign()
            await asyncio.sleep(self.retry)

    async def _try_lock(self) -> bool:
        if self._conn is None:
            conn = await self.db.engine.connect()
            # No transaction may stay open on a connection held for hours.
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        result = await self._conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({POLLER_LOCK})")
        return bool(result.scalar())

    async def _check(self) -> None:
        assert self._conn is not None
        await self._conn.exec_driver_sql("SELECT 1")

    async def _resign(self) -> None:
        if self.polling:
            self.polling = False
            await self.poller.stop()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):  # closing the connection frees the lock too
                await conn.exec_driver_sql(f"SELECT pg_advisory_unlock({POLLER_LOCK})")
            with contextlib.suppress(Exception):
                await conn.close()
