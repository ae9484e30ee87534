"""Reads of the evidence area over one session (small functions the use cases compose)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evidence.checklist import Slot, expand, party_labels
from bot.evidence.fraud import Known
from bot.kernel.services import Services
from storage.models import Case, Party, Photo, PhotoFlag


async def case_photos(session: AsyncSession, case_id: int) -> list[Photo]:
    """The photos of a case in arrival order (#1, #2 ...)."""
    stmt = select(Photo).where(Photo.case_id == case_id).order_by(col(Photo.id))
    return list((await session.exec(stmt)).all())


def number_of(photos: list[Photo], photo_id: int | None) -> int:
    """A photo's number in its case (1-based; 0 when not found)."""
    for i, p in enumerate(photos, start=1):
        if p.id == photo_id:
            return i
    return 0


async def slots_of(session: AsyncSession, svc: Services, case: Case) -> list[Slot]:
    """The checklist of a case: its scenario's shots, per party for the parties it names."""
    ev = svc.deployment.evidence
    specs = ev.scenarios.get(case.scenario) or ev.scenarios["default"]
    stmt = select(Party.label).where(Party.case_id == case.id)
    named = list((await session.exec(stmt)).all())
    return expand(specs, party_labels(named, ev.default_parties))


async def known_elsewhere(
    session: AsyncSession,
    *,
    case_id: int,
    file_unique_id: str,
    sha256: str | None,
    with_hashes: bool,
) -> list[Known]:
    """Photos of other cases that could be this one: same file or bytes, or any hashed one."""
    cond = col(Photo.file_unique_id) == file_unique_id
    if sha256 is not None:
        cond = cond | (col(Photo.sha256) == sha256)
    if with_hashes:
        cond = cond | col(Photo.phash).is_not(None)
    stmt = select(Photo).where(Photo.case_id != case_id).where(cond)
    return [
        Known(p.case_id, p.id or 0, p.file_unique_id, p.sha256, p.phash)
        for p in (await session.exec(stmt)).all()
    ]


async def flags_of(session: AsyncSession, case_id: int) -> list[PhotoFlag]:
    """The fraud flags of a case, oldest first."""
    stmt = select(PhotoFlag).where(PhotoFlag.case_id == case_id).order_by(col(PhotoFlag.id))
    return list((await session.exec(stmt)).all())


async def add_flag(
    session: AsyncSession,
    *,
    at: datetime,
    photo: Photo,
    kind: str,
    other_case_id: int | None = None,
    **detail: object,
) -> PhotoFlag | None:
    """Record a flag once per photo and kind; None when it was already there."""
    stmt = select(PhotoFlag).where(PhotoFlag.photo_id == photo.id, PhotoFlag.kind == kind)
    if (await session.exec(stmt)).first() is not None:
        return None
    flag = PhotoFlag(
        case_id=photo.case_id,
        photo_id=photo.id or 0,
        kind=kind,
        other_case_id=other_case_id,
        detail=dict(detail),
        created_at=at,
    )
    session.add(flag)
    return flag


def case_link(case: Case) -> str | None:
    """A t.me link to a case's card (supergroups only: basic groups have no message links)."""
    if case.card_message_id is None or not str(case.chat_id).startswith("-100"):
        return None
    return f"https://t.me/c/{str(case.chat_id)[4:]}/{case.card_message_id}"
