"""The operator's endpoints on a small port of their own: /healthz and /metrics.

/healthz answers 200 with what it checked (the database answers, the sender runs, how
old the oldest unhandled update is) or 503 naming what failed; /metrics is Prometheus'
text format of `bot/kernel/metrics.py`, with the outbox and inbox gauges read at scrape.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, text
from sqlmodel import col, select

from bot.kernel.services import Services
from storage.models import InboxUpdate, OutboxItem
from storage.types import OutboxStatus

log = logging.getLogger(__name__)

# An update older than this and not handled means handling is stuck.
INBOX_LAG_LIMIT = 300.0  # seconds


class HealthServer:
    """Serves /healthz and /metrics until stopped."""

    def __init__(self, svc: Services, sender_alive: Any, *, host: str, port: int) -> None:
        self.svc, self.sender_alive = svc, sender_alive
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("health and metrics on http://%s:%s/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _ages(self) -> tuple[int, float, float]:
        """Outbox depth, its oldest item's age, the oldest unhandled update's age."""
        now = self.svc.clock.now()
        async with self.svc.db.session() as session:
            depth, oldest = (
                await session.exec(
                    select(func.count(), func.min(OutboxItem.created_at)).where(
                        OutboxItem.status == OutboxStatus.PENDING
                    )
                )
            ).one()
            waiting = (
                await session.exec(
                    select(func.min(InboxUpdate.received_at)).where(
                        col(InboxUpdate.handled_at).is_(None)
                    )
                )
            ).one()

        def age(at: datetime | None) -> float:
            if at is None:
                return 0.0
            if at.tzinfo is None:  # SQLite's aggregate comes back without the UTC type
                at = at.replace(tzinfo=now.tzinfo)
            return max(0.0, (now - at).total_seconds())

        return int(depth), age(oldest), age(waiting)

    async def _healthz(self, request: web.Request) -> web.Response:
        checks: dict[str, Any] = {}
        problems = []
        try:
            async with self.svc.db.session() as session:
                await session.exec(select(text("1")))
            checks["database"] = "ok"
            depth, outbox_age, lag = await self._ages()
            checks.update(outbox_depth=depth, outbox_oldest_seconds=outbox_age, inbox_lag=lag)
            if lag > INBOX_LAG_LIMIT:
                problems.append(f"inbox lag {lag:.0f} s")
        except Exception as exc:  # the endpoint says so rather than failing itself
            checks["database"] = "unreachable"
            problems.append(f"database: {type(exc).__name__}")
        checks["sender"] = "running" if self.sender_alive() else "stopped"
        if not self.sender_alive():
            problems.append("sender stopped")
        body = {"ok": not problems, "problems": problems, **checks}
        return web.json_response(body, status=200 if not problems else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        m = self.svc.metrics
        try:
            depth, outbox_age, lag = await self._ages()
            m.outbox_depth.set(depth)
            m.outbox_age.set(outbox_age)
            m.inbox_lag.set(lag)
        except Exception:  # the counters are still worth serving
            log.warning("metrics: the database did not answer")
        return web.Response(
            body=generate_latest(m.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
