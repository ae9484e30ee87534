"""Use cases of the case thread: a photo opens a case or joins the one it belongs to."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.numbering import format_case_number, local_day
from bot.case.status import CaseStatus
from bot.evidence import intake
from bot.evidence.storing import WITHDRAWN_STATUS
from bot.kernel.incoming import IncomingPhoto
from bot.kernel.services import Services, mark_changed
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Case, ChatGroup, Photo

log = logging.getLogger(__name__)

# One hint per chat in this window is enough; an album would otherwise get one per part.
HINT_QUIET = timedelta(minutes=10)


class PhotoOutcome(StrEnum):
    OPENED = "opened"
    ATTACHED = "attached"
    DUPLICATE = "duplicate"
    UNREGISTERED = "unregistered"
    REFUSED = "refused"


async def _find_case(session: AsyncSession, p: IncomingPhoto) -> Case | None:
    case = None
    if p.media_group_id:
        case = await q.case_of_album(session, chat_id=p.chat_id, media_group_id=p.media_group_id)
    if case is None:
        case = await q.case_in_thread(
            session,
            chat_id=p.chat_id,
            topic_id=p.topic_id,
            anchors=(p.reply_to_message_id, p.chain_root_id),
        )
    if case is not None and case.status == WITHDRAWN_STATUS and case.card_message_id is None:
        return None  # withdrawn before anyone saw it: a new photo starts afresh
    return case


async def _open_case(
    svc: Services, session: AsyncSession, group: ChatGroup, p: IncomingPhoto
) -> Case:
    now = svc.clock.now()
    day = local_day(now, group.timezone)
    seq = await q.next_sequence(session, prefix=group.case_prefix, day=day.isoformat())
    case = Case(
        number=format_case_number(group.case_prefix, day, seq),
        chat_id=p.chat_id,
        township_code=group.township_code,
        status=CaseStatus.COLLECTING,
        thread_mode="forum" if p.chat_is_forum else "reply",
        origin_message_id=p.message_id,
        media_group_id=p.media_group_id,
        opened_by=p.user_id,
        opened_by_name=p.user_name,
        opened_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    assert case.id is not None
    q.audit(
        session,
        at=now,
        kind="case.opened",
        case_id=case.id,
        chat_id=p.chat_id,
        actor=p.user_id,
        number=case.number,
        thread_mode=case.thread_mode,
    )
    log.info("case %s opened in chat %s", case.number, p.chat_id)
    # No thread or card yet: a file can be found broken only once it is downloaded, and a
    # refused file must not open a case. The download worker opens the thread on its first
    # verdict about a photo of the case (stored, or failing for now); when every photo is
    # refused, the case is withdrawn unseen (bot/evidence/storing.py).
    return case


async def receive_photo(svc: Services, p: IncomingPhoto) -> PhotoOutcome:
    """Attach a photo to its case, opening the case (and its thread) when it is the first."""

    async def work(session: AsyncSession) -> PhotoOutcome:
        now = svc.clock.now()
        if await q.case_of_message(session, chat_id=p.chat_id, message_id=p.message_id):
            return PhotoOutcome.DUPLICATE  # a replayed update: its effects already exist
        group = await q.get_group(session, chat_id=p.chat_id)
        refusal = intake.precheck(
            svc, kind=p.kind, file_size=p.file_size, file_name=p.file_name, mime=p.mime_type
        )
        if group is None and refusal == "not_image":
            return PhotoOutcome.REFUSED  # not evidence, in a group we do not serve
        if group is None:
            if not await q.has_recent_outbox(
                session, chat_id=p.chat_id, kind="send_text_hint", since=now - HINT_QUIET
            ):
                q.enqueue(
                    session,
                    at=now,
                    chat_id=p.chat_id,
                    kind="send_text_hint",
                    text=Raw(t("hint.unregistered", svc.language)),
                    reply_to=p.message_id,
                    thread_id=p.topic_id,
                )
            return PhotoOutcome.UNREGISTERED
        if group.is_forum != p.chat_is_forum:  # topics can be switched on or off any time
            group.is_forum = p.chat_is_forum
            session.add(group)
        case = await _find_case(session, p)
        if refusal is not None:  # nothing of it is kept; say why where it was posted
            if case is not None:
                await q.link_message(
                    session,
                    chat_id=p.chat_id,
                    message_id=p.message_id,
                    case_id=case.id or 0,
                    from_bot=False,
                    kind="refused",
                )
                intake.refuse_in_case(
                    session,
                    svc,
                    case=case,
                    message_id=p.message_id,
                    actor=p.user_id,
                    reason=refusal,
                    photo_kind=p.kind,
                    mime_type=p.mime_type,
                    file_size=p.file_size,
                )
            elif refusal != "not_image":
                q.enqueue(
                    session,
                    at=now,
                    chat_id=p.chat_id,
                    kind="send_text",
                    text=Raw(intake.refusal_text(svc, refusal, group.language)),
                    reply_to=p.message_id,
                    thread_id=p.topic_id,
                )
            return PhotoOutcome.REFUSED
        outcome = PhotoOutcome.ATTACHED
        if case is None:
            case = await _open_case(svc, session, group, p)
            outcome = PhotoOutcome.OPENED
        assert case.id is not None
        slot = None
        if not await q.case_has_photo(session, case_id=case.id, file_unique_id=p.file_unique_id):
            photo = Photo(
                case_id=case.id,
                chat_id=p.chat_id,
                message_id=p.message_id,
                file_id=p.file_id,
                file_unique_id=p.file_unique_id,
                media_group_id=p.media_group_id,
                from_user_id=p.user_id,
                received_at=now,
                kind=p.kind,
                file_size=p.file_size,
                mime_type=p.mime_type,
            )
            if not await intake.admit(session, svc, case, photo, actor=p.user_id):
                await q.link_message(
                    session,
                    chat_id=p.chat_id,
                    message_id=p.message_id,
                    case_id=case.id,
                    from_bot=False,
                    kind="refused",
                )
                return PhotoOutcome.REFUSED
            slot = photo.slot
        await q.link_message(
            session,
            chat_id=p.chat_id,
            message_id=p.message_id,
            case_id=case.id,
            from_bot=False,
            kind="photo",
        )
        q.audit(
            session,
            at=now,
            kind="photo.added",
            case_id=case.id,
            chat_id=p.chat_id,
            actor=p.user_id,
            message_id=p.message_id,
            file_unique_id=p.file_unique_id,
            photo_kind=p.kind,
            slot=slot,
        )
        if outcome is PhotoOutcome.ATTACHED:
            case.updated_at = now
            session.add(case)
            q.enqueue(session, at=now, chat_id=p.chat_id, kind="edit_card", case_id=case.id)
            if slot is not None:  # the last required shot may be what the case waited for
                mark_changed(session, case.id, actor=p.user_id)
        return outcome

    outcome = await svc.in_transaction(work)
    svc.media_changed()  # wake the download worker
    return outcome
