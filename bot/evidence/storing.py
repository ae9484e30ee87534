"""Use cases of the download worker: a fetched photo is stored and screened, or refused.

Each is one transaction: change the photo, audit, record the flags, queue what is said.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evidence import fraud, geo
from bot.evidence.data import add_flag, case_link, case_photos, known_elsewhere, number_of
from bot.evidence.imaging import ImageFacts
from bot.evidence.intake import refuse_in_case
from bot.kernel.buttons import button_data
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Case, OutboxItem, Photo, PhotoFlag
from storage.types import PhotoStatus


def places(svc: Services) -> list[geo.Place]:
    """The deployment's named points: service points and township centres."""
    d = svc.deployment
    return [
        *(geo.Place(p.code, p.name, "service_point", p.lat, p.lon) for p in d.service_points),
        *(geo.Place(t.code, t.name, "township", t.lat, t.lon) for t in d.townships),
    ]


async def _flag(
    session: AsyncSession,
    svc: Services,
    *,
    case: Case,
    photo: Photo,
    kind: str,
    other: Case | None = None,
    **detail: Any,
) -> None:
    now = svc.clock.now()
    flag = await add_flag(
        session,
        at=now,
        photo=photo,
        kind=kind,
        other_case_id=other.id if other else None,
        **detail,
    )
    if flag is None:
        return
    q.audit(
        session,
        at=now,
        kind="photo.flagged",
        case_id=case.id,
        chat_id=case.chat_id,
        flag=kind,
        photo_id=photo.id,
        message_id=photo.message_id,
        other_case_id=other.id if other else None,
        other_case_number=other.number if other else None,
        other_case_link=case_link(other) if other else None,
        **detail,
    )


async def check_reuse(session: AsyncSession, svc: Services, case: Case, photo: Photo) -> None:
    """Flag a photo that already belongs to another case (file, bytes or picture)."""
    assert case.id is not None
    known = await known_elsewhere(
        session,
        case_id=case.id,
        file_unique_id=photo.file_unique_id,
        sha256=photo.sha256,
        with_hashes=photo.phash is not None,
    )
    match = fraud.find_reuse(
        file_unique_id=photo.file_unique_id,
        sha256=photo.sha256,
        phash=photo.phash,
        known=known,
        max_bits=svc.deployment.evidence.hash_distance_max,
    )
    if match is None:
        return
    other = await session.get(Case, match.case_id)
    await _flag(
        session,
        svc,
        case=case,
        photo=photo,
        kind="reused",
        other=other,
        by=match.by,
        bits=match.bits,
    )


async def check_place(session: AsyncSession, svc: Services, case: Case, photo: Photo) -> None:
    """Flag (or clear) a capture place too far from the scene."""
    stmt = select(PhotoFlag).where(PhotoFlag.photo_id == photo.id, PhotoFlag.kind == "too_far")
    existing = (await session.exec(stmt)).first()
    km = None
    lat, lon, scene_lat, scene_lon = photo.gps_lat, photo.gps_lon, case.scene_lat, case.scene_lon
    if lat is not None and lon is not None and scene_lat is not None and scene_lon is not None:
        km = fraud.km_too_far(
            (lat, lon),
            (scene_lat, scene_lon),
            svc.deployment.rules.evidence_max_distance_km,
        )
    if km is None and existing is not None:  # the scene moved: the flag no longer holds
        await session.delete(existing)
        q.audit(
            session,
            at=svc.clock.now(),
            kind="photo.unflagged",
            case_id=case.id,
            chat_id=case.chat_id,
            flag="too_far",
            photo_id=photo.id,
        )
    elif km is not None:
        if existing is not None and existing.detail.get("km") != round(km, 1):
            await session.delete(existing)
            await session.flush()
        await _flag(session, svc, case=case, photo=photo, kind="too_far", km=round(km, 1))


def _check_time(case: Case, photo: Photo, max_hours: float) -> float | None:
    if photo.taken_at is None:
        return None
    return fraud.hours_too_old(photo.taken_at, case.opened_at, max_hours)


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
        await check_reuse(session, svc, case, photo)
        hours = _check_time(case, photo, svc.deployment.rules.evidence_max_age_hours)
        if hours is not None:
            await _flag(session, svc, case=case, photo=photo, kind="too_old", hours=round(hours))
        await check_place(session, svc, case, photo)
        if facts.gps is not None and case.scene_lat is None:
            await _propose_scene(session, svc, case, photo, now)
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
        session.add(photo)

    await svc.in_transaction(work)
