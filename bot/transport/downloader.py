"""The download worker: fetches pending photos through the Bot API, checks and keeps them.

Started and stopped with the bot (bot/compose/app.py), like the sender. Each photo's state is in
the database (status, attempts, next_attempt_at), so a failed download is tried again
later — also after a restart — and no update handler ever waits for a download. With
several processes (MULTI_PROCESS) a round claims its photos (`claim`): their next attempt
moves out by the process lease, under SKIP LOCKED, so no two processes fetch one photo and
one that died mid-fetch leaves its photos to the others once the lease is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

from sqlmodel import col, or_, select
from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.evidence import media, storing
from bot.evidence.imaging import ImagePolicy, ImageRefused, configure, inspect_image
from bot.kernel.services import Services
from storage.models import ChatGroup, Photo
from storage.types import PhotoStatus

log = logging.getLogger(__name__)


class Downloader:
    """Fetches, verifies and stores case photos in the background."""

    def __init__(
        self,
        bot: Bot,
        svc: Services,
        *,
        media_dir: Path | None = None,
        poll_interval: float = 1.0,
        retry_base: float = 2.0,
        retry_cap: float = 600.0,
        concurrency: int = 3,
        batch: int = 20,
        settle: float = 0.5,
        claim: timedelta | None = None,
    ) -> None:
        self.bot = bot
        self.svc = svc
        self.media_dir = media_dir or svc.media_dir
        self.poll_interval = poll_interval
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.batch = batch
        # Photos come in bursts (albums, a case opening): start a round once the burst has
        # settled, leaving the opening moments to the handlers and the sender.
        self.settle = settle
        self.claim = claim
        self._gate = asyncio.Semaphore(concurrency)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        ev = svc.deployment.evidence
        configure(ev.max_image_pixels)
        self.policy = ImagePolicy(
            formats=tuple(ev.formats),
            max_bytes=int(ev.max_download_mb * 1024 * 1024),
            max_pixels=ev.max_image_pixels,
            thumbnail_px=ev.thumbnail_px,
            default_zone=svc.timezone,
        )

    async def start(self) -> None:
        """Begin fetching in the background."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="kuaipei-downloader")

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the photos in flight and stop; the rest waits in the database."""
        self._stopping = True
        self.svc.media_changed()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=timeout)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def _run(self) -> None:
        signal = self.svc.media_signal
        while not self._stopping:
            signal.clear()
            try:
                await self.run_once()
            except Exception:  # one bad round must not stop the worker for good
                log.exception("download round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), timeout=self.poll_interval)
                for _ in range(6):  # woken: wait (a little) until photos stop arriving
                    if self._stopping:
                        break
                    signal.clear()
                    await asyncio.wait_for(signal.wait(), timeout=self.settle)

    async def due(self) -> list[Photo]:
        """The photos to fetch now, oldest first (claimed, with several processes)."""
        now = self.svc.clock.now()
        stmt = (
            select(Photo)
            .where(Photo.status == PhotoStatus.PENDING)
            .where(or_(col(Photo.next_attempt_at).is_(None), col(Photo.next_attempt_at) <= now))
            .order_by(col(Photo.id))
            .limit(self.batch)
        )
        if self.claim is None:  # the one process: nothing else fetches
            async with self.svc.db.session() as session:
                return list((await session.exec(stmt)).all())
        async with self.svc.db.transaction() as session:
            photos = list((await session.exec(stmt.with_for_update(skip_locked=True))).all())
            # Not an attempt: `attempts` stays, so the card still waits for an album's
            # photos on their first try (bot/transport/deliveries.py).
            for photo in photos:
                photo.next_attempt_at = now + self.claim
                session.add(photo)
            return photos

    async def run_once(self) -> int:
        """Fetch every photo that is due; return how many were tried."""
        photos = await self.due()
        await asyncio.gather(*(self._guarded(p) for p in photos))
        return len(photos)

    async def _guarded(self, photo: Photo) -> None:
        async with self._gate:
            try:
                await self.process(photo)
            except Exception as exc:  # one bad photo never stops the others
                log.exception("photo %s failed", photo.id)
                await self._failed(photo, repr(exc))

    async def _failed(self, photo: Photo, error: str) -> None:
        await storing.record_failure(
            self.svc, photo.id or 0, error, retry_base=self.retry_base, retry_cap=self.retry_cap
        )

    async def process(self, photo: Photo) -> None:
        """Fetch one photo; store it, refuse it, or schedule another try."""
        assert photo.id is not None
        try:
            tg_file = await self.bot.get_file(photo.file_id)
            if tg_file.file_size is not None and tg_file.file_size > self.policy.max_bytes:
                await storing.record_refused(self.svc, photo.id, "too_big")
                return
            data = bytes(await tg_file.download_as_bytearray())
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                await storing.record_refused(self.svc, photo.id, "too_big")
            else:
                await self._failed(photo, f"BadRequest: {exc.message}")
            return
        except (TelegramError, OSError) as exc:  # network trouble, 5xx, timeouts: later
            log.info("photo %s: download failed (%s); will retry", photo.id, exc)
            await self._failed(photo, f"{type(exc).__name__}: {exc}")
            return
        policy = await self._policy_for(photo)
        try:
            facts = await asyncio.to_thread(
                inspect_image, data, policy, read_metadata=photo.kind == "document"
            )
        except ImageRefused as refused:
            log.info("photo %s refused: %s", photo.id, refused)
            await storing.record_refused(self.svc, photo.id, refused.reason.value, refused.detail)
            return
        await asyncio.to_thread(
            media.store,
            self.media_dir,
            sha256=facts.sha256,
            fmt=facts.format,
            original=data,
            thumbnail=facts.thumbnail,
        )
        await storing.record_stored(self.svc, photo.id, facts)
        # The retention purge may have removed a file of the same content (an old case's)
        # between the write above and the commit; written again, it stays (bot/retention/).
        await asyncio.to_thread(
            media.store,
            self.media_dir,
            sha256=facts.sha256,
            fmt=facts.format,
            original=data,
            thumbnail=facts.thumbnail,
        )

    async def _policy_for(self, photo: Photo) -> ImagePolicy:
        # EXIF times without an offset are read in the group's own time zone.
        async with self.svc.db.session() as session:
            stmt = select(ChatGroup.timezone).where(ChatGroup.chat_id == photo.chat_id)
            zone = (await session.exec(stmt)).first()
        if not zone or zone == self.policy.default_zone:
            return self.policy
        return ImagePolicy(
            formats=self.policy.formats,
            max_bytes=self.policy.max_bytes,
            max_pixels=self.policy.max_pixels,
            thumbnail_px=self.policy.thumbnail_px,
            default_zone=zone,
        )
