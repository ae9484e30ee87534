"""Single photos that joined their sender's case by time, and splitting them off again.

A single photo posted outside any case thread soon after its sender's previous photo
joins that person's case (bot/flows/opening.py); it may still be a second accident, so
the bot says so under the photo with a ✂️ button. The flow that opens the new case lives
with the opening (bot/flows/opening.py `split_photo`); this module moves the evidence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import EDITABLE
from bot.evidence import checklist
from bot.evidence.data import case_photos, slots_of
from bot.kernel import outbox
from bot.kernel.buttons import button_data
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Case, CaseMessage, OutboxItem, Photo, PhotoFlag

SPLIT = "evidence.split"


async def recent_case(
    session: AsyncSession, svc: Services, *, chat_id: int, user_id: int, now: datetime
) -> Case | None:
    """The open case of a person's last photo in a chat, if it came within the join window."""
    minutes = svc.deployment.rules.single_photo_join_minutes
    if minutes <= 0:
        return None
    stmt = (
        select(Photo)
        .where(Photo.chat_id == chat_id, Photo.from_user_id == user_id)
        .order_by(col(Photo.received_at).desc(), col(Photo.id).desc())
        .limit(1)
    )
    last = (await session.exec(stmt)).first()
    if last is None or last.received_at < now - timedelta(minutes=minutes):
        return None
    case = await session.get(Case, last.case_id)
    return case if case is not None and case.status in EDITABLE else None


async def note_joined(session: AsyncSession, svc: Services, case: Case, photo: Photo) -> None:
    """Say under a joined photo (once, when it is known good) which case it went to."""
    key = f"evidence.joined:{photo.id}"
    if (await session.exec(select(OutboxItem.id).where(OutboxItem.dedupe_key == key))).first():
        return
    lang = await outbox.chat_language(session, svc, case.chat_id)
    data = await button_data(
        session,
        now=svc.clock.now(),
        chat_id=case.chat_id,
        action_name=SPLIT,
        case_id=case.id,
        photo_id=photo.id,
    )
    minutes = f"{svc.deployment.rules.single_photo_join_minutes:g}"
    # Not in the case's thread: where the photo was posted, so the sender sees it there.
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=case.chat_id,
        kind="send_text",
        dedupe_key=key,
        text=Raw(t("evidence.joined.note", lang, number=case.number, minutes=minutes)),
        reply_to=photo.message_id,
        buttons=[[[t("evidence.button.split", lang), data]]],
    )


async def to_split(session: AsyncSession, case: Case, photo: Photo) -> list[Photo]:
    """The photo and its sender's later photos that joined the case by time, in order."""
    assert case.id is not None
    return [
        p
        for p in await case_photos(session, case.id)
        if p.id is not None
        and photo.id is not None
        and p.from_user_id == photo.from_user_id
        and (p.id == photo.id or (p.id > photo.id and p.joined))
    ]


async def move(
    session: AsyncSession,
    svc: Services,
    photos: list[Photo],
    *,
    source: Case,
    target: Case,
    actor: int,
) -> None:
    """Move photos (their flags and message links) to another case, slotted afresh there."""
    assert target.id is not None
    slots = await slots_of(session, svc, target)
    taken = [p.slot for p in await case_photos(session, target.id)]
    for i, photo in enumerate(photos):
        photo.case_id = target.id
        photo.slot = checklist.assign_in_order(slots, taken, 1)[0]
        taken.append(photo.slot)
        photo.joined = i > 0  # the first opens the new case; the later ones still joined it
        session.add(photo)
        flags = await session.exec(select(PhotoFlag).where(PhotoFlag.photo_id == photo.id))
        for flag in flags.all():
            flag.case_id = target.id
            session.add(flag)
        link = await session.get(CaseMessage, (photo.chat_id, photo.message_id))
        if link is not None:
            link.case_id = target.id
            session.add(link)
    await session.flush()
    q.audit(
        session,
        at=svc.clock.now(),
        kind="photo.split",
        case_id=source.id,
        chat_id=source.chat_id,
        actor=actor,
        to_case=target.id,
        number=target.number,
        photos=[p.id for p in photos],
    )
