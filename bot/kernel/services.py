"""What a use case needs, passed explicitly: database, clock, deployment, outbox signal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config.deployment import Deployment
from bot.kernel.clock import Clock
from storage.db import Database

T = TypeVar("T")


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
    # Evidence: where originals and thumbnails are kept, the download worker's wake-up,
    # and the optional online geocoder (bot/evidence/geocoder.py; None = offline only).
    media_dir: Path = Path("./data/media")
    media_signal: asyncio.Event = field(default_factory=asyncio.Event)
    geocoder: Any = None
    # A fuller CJK font for the agreement PDF (None: the shipped GB2312 subset alone).
    agreement_font: Path | None = None

    def outbox_changed(self) -> None:
        """Wake the sender: something new is waiting in the outbox."""
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

    async def in_transaction(
        self, work: Callable[[AsyncSession], Awaitable[T]], *, attempts: int = 4
    ) -> T:
        """Run `work` in one transaction, retrying races (unique keys, SQLite busy)."""
        for attempt in range(attempts):
            try:
                async with self.db.transaction() as session:
                    result = await work(session)
                self.outbox_changed()
                return result
            except (IntegrityError, OperationalError):
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")
