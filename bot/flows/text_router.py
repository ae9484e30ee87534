"""Text in a case thread: the answer to someone's pending question, or a quick-form line.

The table below says which area answers which question; nothing registers itself."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.guard import refused
from bot.case.status import EDITABLE
from bot.kernel import outbox, questions
from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties.corrections import correct_answer, correct_quick_form
from bot.parties.intake import QUICK_FORM, answer, apply_quick_form, remember
from bot.parties.quickform import parse_quick_form
from storage import queries as q
from storage.models import Case, MessageInput


async def receive_text(svc: Services, m: IncomingText) -> str:
    """Route a text to its case's pending question or quick form; return what happened."""

    async def work(session: AsyncSession) -> str:
        now = svc.clock.now()
        if await q.get_group(session, chat_id=m.chat_id) is None:
            return "unregistered"
        if m.edited:
            return await _edited(session, svc, m)
        if await session.get(MessageInput, (m.chat_id, m.message_id)) is not None:
            # Taken already: its handling committed, then the process died before the
            # update was marked handled, and the restart replays it (bot/transport/ingest.py).
            return "already taken"
        case = await q.case_in_thread(
            session,
            chat_id=m.chat_id,
            topic_id=m.topic_id,
            anchors=(m.reply_to_message_id, m.chain_root_id),
        )
        pending = None
        if case is not None and case.id is not None:
            pending = await questions.pending_for(
                session, case_id=case.id, user_id=m.user_id, now=now
            )
        else:
            # In a plain group someone may answer without replying: their one open question.
            pending = await questions.only_pending_in_chat(
                session, chat_id=m.chat_id, user_id=m.user_id, now=now
            )
            if pending is not None:
                case = await session.get(Case, pending.case_id)
        if case is None or case.id is None:
            return "ignored"
        await q.link_message(
            session,
            chat_id=m.chat_id,
            message_id=m.message_id,
            case_id=case.id,
            from_bot=False,
            kind="text",
        )
        other = svc.registry.answer_for(pending.question) if pending is not None else None
        if pending is not None and other is not None:
            outcome = await other(session, svc, case, pending, m)
            if outcome not in ("refused", "stale", "ignored"):
                remember(session, svc, case, m, question=pending.question, label=None)
            return outcome
        form = parse_quick_form(
            m.text,
            find_insurer=_insurer_finder(svc),
            vehicle_types=svc.deployment.rules.vehicle_types,
        )
        if form is None and pending is None:
            return "ignored"
        if case.status not in EDITABLE:
            outbox.say(
                session, svc, case, t("err.not_collecting", svc.language), reply_to=m.message_id
            )
            return "refused"
        if await refused(
            session,
            svc,
            case,
            user_id=m.user_id,
            attempted=f"answer.{pending.question}" if pending and not form else "quick_form",
            kind="input.refused",
        ):
            outbox.say(
                session, svc, case, t("err.not_allowed", svc.language), reply_to=m.message_id
            )
            return "refused"
        if form is not None:
            return await apply_quick_form(session, svc, case, form, m)
        assert pending is not None
        return await answer(session, svc, case, pending, m)

    return await svc.in_transaction(work)


async def _edited(session: AsyncSession, svc: Services, m: IncomingText) -> str:
    """Telegram's edit of a text: correct what the message was taken as, never answer anew.

    An edit is the same message again, so it must not answer the question open now (that
    is someone else's turn, or the next field) nor count as a new quick-form line. What the
    message was taken as is remembered (MessageInput); only that is corrected, and only
    while the case may be edited and by someone who may edit it.
    """
    record = await session.get(MessageInput, (m.chat_id, m.message_id))
    form = parse_quick_form(
        m.text, find_insurer=_insurer_finder(svc), vehicle_types=svc.deployment.rules.vehicle_types
    )
    if record is None:
        case = await q.case_in_thread(
            session,
            chat_id=m.chat_id,
            topic_id=m.topic_id,
            anchors=(m.reply_to_message_id, m.chain_root_id),
        )
        if case is None or case.id is None:
            return "ignored"
        pending = await questions.pending_for(
            session, case_id=case.id, user_id=m.user_id, now=svc.clock.now()
        )
        if form is None and pending is None:
            return "ignored"  # chatter, edited
        outbox.say(session, svc, case, t("edit.not_taken", svc.language), reply_to=m.message_id)
        return "refused"
    case = await session.get(Case, record.case_id)
    if case is None or case.id is None:
        return "ignored"
    parties_answer = (
        record.question == QUICK_FORM or svc.registry.answer_for(record.question) is None
    )
    if case.status not in EDITABLE or not parties_answer:
        # The insurers' and the police's answers moved the case on; they are not re-read.
        outbox.say(session, svc, case, t("edit.closed", svc.language), reply_to=m.message_id)
        return "refused"
    if await refused(
        session,
        svc,
        case,
        user_id=m.user_id,
        attempted=f"edit.{record.question}",
        kind="input.refused",
    ):
        outbox.say(session, svc, case, t("err.not_allowed", svc.language), reply_to=m.message_id)
        return "refused"
    if record.question == QUICK_FORM:
        if form is None:
            outbox.say(session, svc, case, t("edit.not_taken", svc.language), reply_to=m.message_id)
            return "refused"
        return await correct_quick_form(
            session, svc, case, form, m, label=record.party_label or form.label
        )
    return await correct_answer(session, svc, case, record, m)


def _insurer_finder(svc: Services) -> Callable[[str], str | None]:
    def find(text: str) -> str | None:
        found = svc.deployment.find_insurer(text)
        return found.code if found else None

    return find
