"""Use cases of the case thread: a photo opens a case or joins the one it belongs to, and a
photo that joined by time alone is split off into a case of its own."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks
from bot.case.guard import fast_path
from bot.case.numbering import format_case_number, local_day
from bot.case.status import CaseStatus
from bot.evidence import intake, split
from bot.evidence.storing import WITHDRAWN_STATUS
from bot.kernel.buttons import ButtonAction, Press, PressResult
from bot.kernel.incoming import IncomingPhoto
from bot.kernel.outbox import chat_language
from bot.kernel.services import Services, mark_changed
from bot.kernel.texts import Raw, t
from bot.roles.offices import office_of
from bot.rules import sla
from storage import queries as q
from storage.models import Button, Case, ChatGroup, Photo

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


async def open_case(
    svc: Services,
    session: AsyncSession,
    group: ChatGroup,
    *,
    is_forum: bool,
    origin_message_id: int,
    media_group_id: str | None,
    user_id: int,
    user_name: str,
    **audited: object,
) -> Case:
    """A new case in a group: its number, its row and the `case.opened` event.

    The first photo opens it; a photo split off from a case opens one too (`split_photo`).
    """
    now = svc.clock.now()
    day = local_day(now, group.timezone)
    seq = await q.next_sequence(session, prefix=group.case_prefix, day=day.isoformat())
    case = Case(
        number=format_case_number(group.case_prefix, day, seq),
        chat_id=group.chat_id,
        township_code=group.township_code,
        status=CaseStatus.COLLECTING,
        thread_mode="forum" if is_forum else "reply",
        origin_message_id=origin_message_id,
        media_group_id=media_group_id,
        opened_by=user_id,
        opened_by_name=user_name,
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
        chat_id=group.chat_id,
        actor=user_id,
        number=case.number,
        thread_mode=case.thread_mode,
        **audited,
    )
    clocks.note(session, case.id, sla.Event.CASE_OPENED, at=now)
    log.info("case %s opened in chat %s", case.number, group.chat_id)
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
        if group is None and await office_of(session, svc, p.chat_id) is not None:
            return PhotoOutcome.REFUSED  # the liaison office's chat never opens cases
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
        joined = False
        if case is None and p.media_group_id is None:
            # People often send an accident's photos one by one: a single photo soon after
            # its sender's last one belongs to that case (it can be split off again).
            case = await split.recent_case(
                session, svc, chat_id=p.chat_id, user_id=p.user_id, now=now
            )
            joined = case is not None
        if case is None:
            case = await open_case(
                svc,
                session,
                group,
                is_forum=p.chat_is_forum,
                origin_message_id=p.message_id,
                media_group_id=p.media_group_id,
                user_id=p.user_id,
                user_name=p.user_name,
            )
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
                joined=joined,
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
            joined=joined,
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


async def split_photo(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """✂️ under a photo that joined by time: it (and its sender's later ones) open a new case.

    The new case has its own number, thread and card, as if the photo had opened it.
    """
    assert case.id is not None  # the guard hands over stored cases only
    lang = await chat_language(session, svc, case.chat_id)
    photo = await session.get(Photo, button.args.get("photo_id"))
    if photo is None or photo.case_id != case.id or not photo.joined:
        return PressResult(t("evidence.retag.gone", lang), alert=True)
    group = await q.get_group(session, chat_id=case.chat_id)
    if group is None:
        return PressResult(t("button.unknown", lang), alert=True)
    moving = await split.to_split(session, case, photo)
    sender_name = case.opened_by_name if case.opened_by == photo.from_user_id else ""
    if press.user_id == photo.from_user_id:
        sender_name = press.user_name
    new = await open_case(
        svc,
        session,
        group,
        is_forum=group.is_forum,
        origin_message_id=photo.message_id,
        media_group_id=None,
        user_id=photo.from_user_id,
        user_name=sender_name,
        split_from=case.id,
    )
    await split.move(session, svc, moving, source=case, target=new, actor=press.user_id)
    now = svc.clock.now()
    case.updated_at = now
    session.add(case)
    await intake.open_thread(session, svc, new)  # its photos are known good already
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    mark_changed(session, case.id, actor=press.user_id)  # fewer photos: maybe not ready
    mark_changed(session, new.id, actor=press.user_id)
    done = t("evidence.split.done", lang, number=new.number, n=len(moving))
    if press.message_id is not None:
        q.enqueue(
            session,
            at=now,
            chat_id=case.chat_id,
            kind="edit_text",
            message_id=press.message_id,
            text=done,
            buttons=[],
        )
    return PressResult(done)


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    split.SPLIT: fast_path(split_photo, not_allowed="evidence.not_allowed"),
}
