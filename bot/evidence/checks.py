"""The checks a stored photo goes through: reused elsewhere, taken far away, too old or in
the future. Each flag is kept on the photo and shown on the card."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evidence import fraud, geo
from bot.evidence.data import add_flag, case_link, known_elsewhere
from bot.kernel.services import Services
from storage import queries as q
from storage.models import Case, Photo, PhotoFlag


def places(svc: Services) -> list[geo.Place]:
    """The deployment's named points: service points and township centres."""
    d = svc.deployment
    return [
        *(geo.Place(p.code, p.name, "service_point", p.lat, p.lon) for p in d.service_points),
        *(geo.Place(t.code, t.name, "township", t.lat, t.lon) for t in d.townships),
    ]


async def raise_flag(
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
    await raise_flag(
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
        await raise_flag(session, svc, case=case, photo=photo, kind="too_far", km=round(km, 1))


def check_time(case: Case, photo: Photo, max_hours: float) -> float | None:
    if photo.taken_at is None:
        return None
    return fraud.hours_too_old(photo.taken_at, case.opened_at, max_hours)


async def check_future(session: AsyncSession, svc: Services, case: Case, photo: Photo) -> None:
    """Flag a capture time after the photo was sent: a wrong camera clock or edited EXIF."""
    if photo.taken_at is None:
        return
    minutes = fraud.minutes_in_future(
        photo.taken_at, photo.received_at, svc.deployment.rules.evidence_clock_skew_minutes
    )
    if minutes is None:
        return
    # Shown as the camera claims it, in the region's time, so people can compare.
    zone = ZoneInfo(svc.deployment.region.timezone)
    taken = photo.taken_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    await raise_flag(
        session, svc, case=case, photo=photo, kind="future", taken=taken, minutes=round(minutes)
    )
