"""The "next shot" question, worded when it is sent: an album settles first, and a newer
question covers an older one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.case.status import CaseStatus
from bot.evidence import checklist
from bot.evidence.data import case_photos, slots_of
from bot.evidence.intake import ASK_KIND
from bot.kernel import outbox
from bot.kernel.services import Services
from bot.kernel.texts import t
from storage.models import Case, OutboxItem, Photo
from storage.types import OutboxStatus


async def ask_text(svc: Services, case_id: int) -> str | None:
    """The next missing shot (or that the checklist is complete), from the current state."""
    async with svc.db.session() as session:
        case = await session.get(Case, case_id)
        if case is None or case.status != CaseStatus.COLLECTING:
            return None
        lang = await outbox.chat_language(session, svc, case.chat_id)
        photos = await case_photos(session, case_id)
        slots = await slots_of(session, svc, case)
    left = checklist.missing(slots, [p.slot for p in photos])
    if left:
        return t("evidence.ask", lang, slot=left[0].label(lang), left=len(left))
    return t("evidence.ask.done", lang, count=len(photos))


ALBUM_QUIET_SECONDS = 1.5


async def _album_quiet(svc: Services, case_id: int, album: str) -> None:
    # An album has no end marker: wait (briefly, in this chat's lane only) until no part
    # has arrived for a moment, so the question covers the whole album.
    for _ in range(3):
        async with svc.db.session() as session:
            stmt = select(func.max(Photo.received_at)).where(
                Photo.case_id == case_id, Photo.media_group_id == album
            )
            newest = (await session.exec(stmt)).one()
        if newest is None:
            return
        if newest.tzinfo is None:
            newest = newest.replace(tzinfo=UTC)
        quiet = ALBUM_QUIET_SECONDS - (svc.clock.now() - newest).total_seconds()
        if quiet <= 0:
            return
        await asyncio.sleep(quiet)


def sender_kinds(
    send_text: Callable[[OutboxItem], Awaitable[None]], svc: Services
) -> dict[str, Any]:
    """Outbox kinds of the evidence area, for the Sender's handlers."""

    async def deliver_ask(item: OutboxItem) -> None:
        if item.case_id is None:
            return
        async with svc.db.transaction() as session:  # a newer question covers this one
            stmt = select(OutboxItem).where(
                OutboxItem.case_id == item.case_id,
                OutboxItem.kind == ASK_KIND,
                OutboxItem.status == OutboxStatus.PENDING,
                col(OutboxItem.id) != item.id,
            )
            for row in (await session.exec(stmt)).all():
                row.status, row.done_at = OutboxStatus.SUPERSEDED, svc.clock.now()
                session.add(row)
        album = item.payload.get("album")
        if album:
            await _album_quiet(svc, item.case_id, album)
        text = await ask_text(svc, item.case_id)
        if text is None:
            return
        await send_text(
            OutboxItem(
                id=item.id,
                chat_id=item.chat_id,
                case_id=item.case_id,
                kind=item.kind,
                payload={"text": text},
                created_at=item.created_at,
            )
        )

    return {ASK_KIND: deliver_ask}
