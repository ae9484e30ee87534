"""Photos and files arriving in a case: checked before download, given a checklist slot.

Called inside the photo use case's transaction (bot/flows/opening.py). The download, the image
checks and the fraud guards happen later in the download worker (bot/evidence/storing.py);
the case never waits for them.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evidence import checklist
from bot.evidence.data import case_photos, slots_of
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Case, OutboxItem, Photo
from storage.types import PhotoStatus

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif"}
ASK_KIND = "evidence_ask"


def refusal_text(svc: Services, reason: str, lang: str | None = None) -> str:
    """The one line that tells why a file was not kept."""
    ev = svc.deployment.evidence
    return t(
        f"evidence.refused.{reason}",
        lang or svc.language,
        mb=f"{ev.max_download_mb:g}",
        formats="/".join(ev.formats),
        mp=f"{ev.max_image_pixels / 1e6:g}",
        max=svc.deployment.rules.photos_max,
    )


def precheck(
    svc: Services, *, kind: str, file_size: int | None, file_name: str | None, mime: str | None
) -> str | None:
    """What can be refused before downloading: not an image by type or name, empty, too big."""
    if kind == "video":
        return "not_image"
    if kind == "document":
        suffix = PurePosixPath(file_name or "").suffix.lower()
        if not ((mime or "").lower().startswith("image/") or suffix in IMAGE_EXTENSIONS):
            return "not_image"
    if file_size is not None:
        if file_size == 0:
            return "empty"
        if file_size > svc.deployment.evidence.max_download_mb * 1024 * 1024:
            return "too_big"
    return None


def refuse_in_case(
    session: AsyncSession,
    svc: Services,
    *,
    case: Case,
    message_id: int,
    actor: int | None,
    reason: str,
    **data: Any,
) -> None:
    """Say in the case thread why a file was not kept, and log it."""
    now = svc.clock.now()
    q.audit(
        session,
        at=now,
        kind="photo.refused",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        reason=reason,
        message_id=message_id,
        **data,
    )
    q.enqueue(
        session,
        at=now,
        chat_id=case.chat_id,
        kind="send_text",
        case_id=case.id,
        text=Raw(refusal_text(svc, reason)),
        reply_to=message_id,
    )


async def admit(
    session: AsyncSession, svc: Services, case: Case, photo: Photo, *, actor: int
) -> bool:
    """Add a photo to its case with its checklist slot; False (and a refusal) over the limit."""
    assert case.id is not None
    photos = await case_photos(session, case.id)
    if len(photos) >= svc.deployment.rules.photos_max:
        refuse_in_case(
            session,
            svc,
            case=case,
            message_id=photo.message_id,
            actor=actor,
            reason="limit",
            file_unique_id=photo.file_unique_id,
        )
        return False
    slots = await slots_of(session, svc, case)
    taken = [p.slot for p in photos]
    photo.slot = checklist.assign_in_order(slots, taken, 1)[0]
    photo.status = PhotoStatus.PENDING
    session.add(photo)
    await session.flush()
    return True


async def ask_next(session: AsyncSession, svc: Services, case: Case, photo: Photo) -> None:
    """Ask for the next shot once a photo is known good (a refused file must not count)."""
    opening = photo.message_id == case.origin_message_id or (
        photo.media_group_id is not None and photo.media_group_id == case.media_group_id
    )
    if photo.slot is not None and not opening:  # the new card itself asks for the next shot
        # One question per album, worded when it is sent (from the state then).
        key = f"evidence.ask:{case.id}:{photo.media_group_id or photo.message_id}"
        await _enqueue_once(
            session,
            key=key,
            at=svc.clock.now(),
            chat_id=case.chat_id,
            kind=ASK_KIND,
            case_id=case.id,
            album=photo.media_group_id,
        )


async def open_thread(session: AsyncSession, svc: Services, case: Case) -> None:
    """Open the case's thread and card, once: when the first photo's download has a verdict.

    A file found broken only after download must not open a case (bot/flows/opening.py).
    """
    await _enqueue_once(
        session,
        key=f"open_thread:{case.id}",
        at=svc.clock.now(),
        chat_id=case.chat_id,
        kind="open_thread",
        case_id=case.id,
    )


async def thread_requested(session: AsyncSession, case: Case) -> bool:
    """Whether the case's thread was ever asked for (its card may be out)."""
    stmt = select(OutboxItem.id).where(OutboxItem.dedupe_key == f"open_thread:{case.id}")
    return (await session.exec(stmt)).first() is not None


async def _enqueue_once(session: AsyncSession, *, key: str, **fields: Any) -> None:
    stmt = select(OutboxItem.id).where(OutboxItem.dedupe_key == key)
    if (await session.exec(stmt)).first() is None:
        q.enqueue(session, dedupe_key=key, **fields)
