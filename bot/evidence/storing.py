"""Use cases of the download worker: a fetched photo is stored and screened, or refused.

Each is one transaction: change the photo, audit, record the flags, queue what is said.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import lifecycle
from bot.case.status import CaseStatus
from bot.evidence import geo
from bot.evidence.checks import (
    check_future,
    check_place,
    check_reuse,
    check_time,
    places,
    raise_flag,
)
from bot.evidence.data import case_photos, number_of
from bot.evidence.imaging import ImageFacts
from bot.evidence.intake import (
    ask_next,
    open_thread,
    refusal_text,
    refuse_in_case,
    thread_requested,
)
from bot.evidence.split import note_joined
from bot.kernel.buttons import button_data
from bot.kernel.services import ConcurrentChange, Services
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Case, OutboxItem, Photo, PhotoFlag
from storage.types import PhotoStatus

# A case none of whose photos could be kept is withdrawn unseen: cancelled, no thread.
WITHDRAWN_STATUS = CaseStatus.CANCELLED


async def record_stored(svc: Services, photo_id: int, facts: ImageFacts) -> None:
    """The photo is on disk: record what it is, screen it, re-render the card."""

    async def work(session: AsyncSession) -> None:
        now = svc.clock.now()
        photo = await session.get(Photo, photo_id)
        if photo is None:
            return
        case = await session.get(Case, photo.case_id)
        assert case is not None and case.id is not None
        photo.status = PhotoStatus.STORED
        photo.stored_at = now
        photo.sha256, photo.phash = facts.sha256, facts.phash
        photo.image_format, photo.width, photo.height = facts.format, facts.width, facts.height
        photo.has_metadata = facts.has_metadata
        photo.taken_at = facts.taken.at if facts.taken else None
        photo.taken_offset = facts.taken.offset if facts.taken else None
        photo.gps_lat, photo.gps_lon = facts.gps if facts.gps else (None, None)
        photo.next_attempt_at, photo.last_error = None, None
        session.add(photo)
        await session.flush()
        q.audit(
            session,
            at=now,
            kind="photo.stored",
            case_id=case.id,
            chat_id=case.chat_id,
            photo_id=photo.id,
            sha256=facts.sha256,
            format=facts.format,
            width=facts.width,
            height=facts.height,
            has_metadata=facts.has_metadata,
            taken_at=photo.taken_at.isoformat() if photo.taken_at else None,
            gps=list(facts.gps) if facts.gps else None,
        )
        await open_thread(session, svc, case)  # before anything said in the thread
        await check_reuse(session, svc, case, photo)
        hours = check_time(case, photo, svc.deployment.rules.evidence_max_age_hours)
        if hours is not None:
            await raise_flag(
                session, svc, case=case, photo=photo, kind="too_old", hours=round(hours)
            )
        await check_future(session, svc, case, photo)
        await check_place(session, svc, case, photo)
        if facts.gps is not None and case.scene_lat is None:
            await _propose_scene(session, svc, case, photo, now)
        await ask_next(session, svc, case, photo)
        if photo.joined:
            await note_joined(session, svc, case, photo)
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)

    await svc.in_transaction(work)


async def _propose_scene(
    session: AsyncSession, svc: Services, case: Case, photo: Photo, now: datetime
) -> None:
    key = f"evidence.gps_propose:{case.id}"  # the first photo with a position proposes it
    if (await session.exec(select(OutboxItem.id).where(OutboxItem.dedupe_key == key))).first():
        return
    assert case.id is not None and photo.gps_lat is not None and photo.gps_lon is not None
    near = geo.nearest((photo.gps_lat, photo.gps_lon), places(svc))
    if near is None:
        return
    place, km = near
    n = number_of(await case_photos(session, case.id), photo.id)
    data = await button_data(
        session,
        now=now,
        chat_id=case.chat_id,
        action_name="evidence.use_photo_gps",
        case_id=case.id,
        photo_id=photo.id,
    )
    q.enqueue(
        session,
        at=now,
        chat_id=case.chat_id,
        kind="send_text",
        case_id=case.id,
        dedupe_key=key,
        text=Raw(
            t("evidence.gps.propose", svc.language, n=n, place=place.name, km=geo.format_km(km))
        ),
        reply_to=photo.message_id,
        buttons=[[[t("evidence.button.use_gps", svc.language), data]]],
    )


async def record_refused(svc: Services, photo_id: int, reason: str, detail: str = "") -> None:
    """The file is not acceptable evidence: keep nothing of it and say why in the thread."""

    async def work(session: AsyncSession) -> None:
        photo = await session.get(Photo, photo_id)
        if photo is None:
            return
        case = await session.get(Case, photo.case_id)
        assert case is not None
        for flag in (
            await session.exec(select(PhotoFlag).where(PhotoFlag.photo_id == photo_id))
        ).all():
            await session.delete(flag)
        await session.flush()
        await session.delete(photo)
        await session.flush()
        if not await thread_requested(session, case) and not await case_photos(
            session, case.id or 0
        ):
            await _withdraw(session, svc, case, photo, reason, detail)
            return
        refuse_in_case(
            session,
            svc,
            case=case,
            message_id=photo.message_id,
            actor=photo.from_user_id,
            reason=reason,
            file_unique_id=photo.file_unique_id,
            photo_kind=photo.kind,
            detail=detail[:200],
        )
        q.enqueue(
            session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id
        )

    await svc.in_transaction(work)


async def _withdraw(
    session: AsyncSession, svc: Services, case: Case, photo: Photo, reason: str, detail: str
) -> None:
    # Nobody has seen the case (no thread, no card): cancel it quietly and answer the file
    # where it was posted, as a file refused before download is answered.
    now = svc.clock.now()
    q.audit(
        session,
        at=now,
        kind="photo.refused",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=photo.from_user_id,
        reason=reason,
        message_id=photo.message_id,
        photo_kind=photo.kind,
        detail=detail[:200],
    )
    if not await lifecycle.move(
        session, case, CaseStatus.CANCELLED, at=now, actor=None, kind="case.withdrawn"
    ):
        raise ConcurrentChange(f"case {case.number} moved while withdrawing it")
    q.enqueue(
        session,
        at=now,
        chat_id=case.chat_id,
        kind="send_text",
        text=Raw(refusal_text(svc, reason)),
        reply_to=photo.message_id,
    )


async def record_failure(
    svc: Services, photo_id: int, error: str, *, retry_base: float, retry_cap: float
) -> None:
    """A download failed: try again later with backoff, or give up after too many attempts."""

    async def work(session: AsyncSession) -> None:
        now = svc.clock.now()
        photo = await session.get(Photo, photo_id)
        if photo is None:
            return
        photo.attempts += 1
        photo.last_error = error[:300]
        case = await session.get(Case, photo.case_id)
        if case is not None:  # the case waits for no download that keeps failing
            await open_thread(session, svc, case)
        if photo.attempts >= svc.deployment.evidence.download_max_attempts:
            photo.status = PhotoStatus.FAILED
            photo.next_attempt_at = None
            q.audit(
                session,
                at=now,
                kind="photo.download_failed",
                case_id=photo.case_id,
                chat_id=photo.chat_id,
                photo_id=photo.id,
                attempts=photo.attempts,
                error=error[:300],
            )
            q.enqueue(
                session, at=now, chat_id=photo.chat_id, kind="edit_card", case_id=photo.case_id
            )
        else:
            delay = min(retry_base * 2 ** (photo.attempts - 1), retry_cap)
            photo.next_attempt_at = now + timedelta(seconds=delay)
            q.audit(
                session,
                at=now,
                kind="photo.download_retry",
                case_id=photo.case_id,
                chat_id=photo.chat_id,
                photo_id=photo.id,
                attempts=photo.attempts,
                retry_in_seconds=delay,
                error=error[:300],
            )
            if photo.attempts == 1:
                # The sender held card edits back while this photo was on its first try
                # (bot/transport/deliveries.py `_edit_card`): show the card as it is now.
                q.enqueue(
                    session, at=now, chat_id=photo.chat_id, kind="edit_card", case_id=photo.case_id
                )
        session.add(photo)

    await svc.in_transaction(work)
