"""What a use case needs, passed explicitly: database, clock, deployment, outbox signal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config.deployment import Deployment
from bot.kernel.clock import Clock
from bot.kernel.metrics import Metrics
from bot.kernel.registry import Registry
from storage.db import OUTBOX_CHATS, Database
from storage.models import InboxUpdate

T = TypeVar("T")

# Built once: building the statement per update cost more CPU than SQLite takes to run it.
_INBOX = InboxUpdate.__table__.c  # type: ignore[attr-defined]
_MARK_HANDLED = (
    sql_update(InboxUpdate)
    .where(col(InboxUpdate.update_id) == bindparam("update"))
    .values(handled_at=bindparam("at", type_=_INBOX.handled_at.type))
)


class ConcurrentChange(Exception):
    """Another transaction changed what this one read: run the work again from the start."""


# The cases a transaction changed, kept on its session until the after-change step runs.
_CHANGED = "kuaipei.changed_cases"


def mark_changed(session: AsyncSession, case_id: int | None, *, actor: int | None) -> None:
    """Note that this transaction changed a case (by `actor`): the after-change step
    re-checks it once, however many changes the transaction made."""
    if case_id is not None:
        session.info.setdefault(_CHANGED, {})[case_id] = actor


@dataclass
class Handling:
    """The inbox update whose handlers run in this task (set when it is claimed).

    Its done-mark is written by the use case's own transaction, so the update's effects
    and "handled" commit together: a crash after that commit replays nothing, a crash
    before it replays the update with nothing of it recorded. `marked`: a committed
    transaction wrote the mark; the end-of-update step then has nothing left to write.
    """

    update_id: int
    marked: bool = False
    # Transactions that marked it, for the check that an update has one
    # (tests/e2e/test_reply_path.py).
    transactions: int = 0


# Set by the inbox's claim step (bot/transport/ingest.py) for the task handling the update.
HANDLING: ContextVar[Handling | None] = ContextVar("kuaipei_handling", default=None)


AfterChange = Callable[[AsyncSession, "Services", int, int | None], Awaitable[None]]
BeforeCommit = Callable[[AsyncSession, "Services"], Awaitable[None]]


@dataclass
class Services:
    """The shared collaborators of every use case."""

    db: Database
    clock: Clock
    deployment: Deployment
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    # Known after the first getMe; deep links (t.me/<bot>?start=...) need it.
    bot_username: str = "kuaipei_bot"
    outbox_signal: asyncio.Event = field(default_factory=asyncio.Event)
    # Which chats' lanes the signal is for; `outbox_anywhere` when a writer did not say.
    outbox_chats: set[int] = field(default_factory=set)
    outbox_anywhere: bool = False
    # Evidence: where originals and thumbnails are kept, the download worker's wake-up,
    # and the optional online geocoder (bot/evidence/geocoder.py; None = offline only).
    media_dir: Path = Path("./data/media")
    media_signal: asyncio.Event = field(default_factory=asyncio.Event)
    geocoder: Any = None
    # A fuller CJK font for the agreement PDF (None: the shipped GB2312 subset alone).
    agreement_font: Path | None = None
    # What runs at the end of every transaction for each case it marked changed (readiness:
    # bot/flows/readiness.py); set by the wiring in bot/compose/wiring.py.
    after_change: AfterChange | None = None
    # What runs last in every transaction, after the after-change step: the stage clocks
    # apply the events it noted (bot/case/clocks.py); set by the wiring.
    before_commit: BeforeCommit | None = None
    # Calendars built from the deployment file, kept for the life of the process.
    calendars: dict[Any, Any] = field(default_factory=dict)
    # Counters for the operator's Prometheus (bot/transport/health.py serves them).
    metrics: Metrics = field(default_factory=Metrics)
    # What each area registered (buttons, card sections, answers), set by bot/compose/wiring.py.
    registry: Registry = field(default_factory=Registry)

    def outbox_changed(self, chats: Iterable[int] | None = None) -> None:
        """Wake the sender: something new is waiting in the outbox (in these chats; None:
        anywhere, the sender looks)."""
        if chats is None:
            self.outbox_anywhere = True
        else:
            self.outbox_chats.update(chats)
        self.outbox_signal.set()

    def media_changed(self) -> None:
        """Wake the download worker: a photo is waiting to be fetched."""
        self.media_signal.set()

    def township_name(self, code: str) -> str:
        """The display name of a township code of the deployment."""
        for town in self.deployment.townships:
            if town.code == code:
                return town.name
        return code

    def insurer_name(self, code: str) -> str:
        """The short name of an insurer code of the deployment."""
        for insurer in self.deployment.insurers:
            if insurer.code == code:
                return insurer.short_name
        return code

    async def in_transaction(
        self,
        work: Callable[[AsyncSession], Awaitable[T]],
        *,
        attempts: int = 4,
        marks_update: bool = True,
    ) -> T:
        """Run `work` in one transaction, retrying races (unique keys, SQLite busy).

        Inside an update's handlers the transaction also marks the update handled (see
        `Handling`); `marks_update=False` for a step that runs before the update's own use
        case and is idempotent, whose commit must not count as the update's.
        """
        handling = HANDLING.get() if marks_update else None
        for attempt in range(attempts):
            try:
                async with self.db.transaction() as session:
                    result = await work(session)
                    await self._after_change(session)
                    if handling is not None:
                        await self._mark_handled(session, handling.update_id)
                if handling is not None:
                    handling.marked = True
                    handling.transactions += 1
                # The chats this transaction queued for (storage/db.py notes them at flush):
                # their lanes start now, without the sender searching the outbox.
                self.outbox_changed(session.info.get(OUTBOX_CHATS, set()))
                return result
            except (IntegrityError, OperationalError, ConcurrentChange):
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _mark_handled(self, session: AsyncSession, update_id: int) -> None:
        conn = await session.connection()
        await conn.execute(_MARK_HANDLED, {"update": update_id, "at": self.clock.now()})

    async def _after_change(self, session: AsyncSession) -> None:
        # A step may change another case (or the same one again); run until nothing is left.
        done: set[int] = set()
        while self.after_change is not None:
            changed: dict[int, int | None] = session.info.get(_CHANGED, {})
            pending = sorted(set(changed) - done)
            if not pending:
                break
            done.add(pending[0])
            await self.after_change(session, self, pending[0], changed[pending[0]])
        if self.before_commit is not None:
            await self.before_commit(session, self)
