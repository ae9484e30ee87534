"""The officer's reply to the cancel question: the reason, then the case is cancelled."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import lifecycle
from bot.case.status import CaseStatus
from bot.kernel import outbox, questions
from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.police.checks import (
    audit_refused,
    holder_is,
    is_officer,
    officer_mention,
    redraw,
    refusal_text,
)
from bot.police.rules import Refusal, clean_reason, refusal
from bot.rules.access import Action
from storage.models import Case, PendingInput


async def cancel_answer(
    session: AsyncSession, svc: Services, case: Case, _pending: PendingInput, m: IncomingText
) -> str:
    """The officer's reply with the reason: re-check, then cancel the case."""
    assert case.id is not None
    lang, now = svc.language, svc.clock.now()

    def reply(text: str) -> None:
        outbox.say(session, svc, case, text, reply_to=m.message_id)

    if not await is_officer(session, svc, case, user_id=m.user_id, move=Action.POLICE_CANCEL):
        await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
        audit_refused(
            session,
            svc,
            case,
            user_id=m.user_id,
            user_name=m.user_name,
            move=Action.POLICE_CANCEL,
            reason="not_police",
        )
        reply(t("police.err.cannot", lang, why=Raw(t("police.alert.not_police", lang))))
        return "refused"
    why = refusal(
        Action.POLICE_CANCEL,
        status=case.status,
        claimed_by=case.police_claimed_by,
        officer=m.user_id,
    )
    if why is not None:
        await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
        reply(t("police.err.cannot", lang, why=Raw(refusal_text(svc, why, case))))
        return "refused"
    reason = clean_reason(m.text)
    if reason is None:
        reply(t("police.err.reason", lang))  # the question stays open
        return "refused"
    was = case.status
    won = await lifecycle.move(
        session,
        case,
        CaseStatus.CANCELLED,
        at=now,
        actor=m.user_id,
        conditions=(holder_is(m.user_id),),
        actor_name=m.user_name,
        reason=reason,
        was=was,
    )
    await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
    if not won:
        reply(t("police.err.cannot", lang, why=Raw(refusal_text(svc, Refusal.CLAIMED, case))))
        return "refused"
    who = officer_mention(m.user_id, m.user_name)
    reply(t("police.say.cancelled", lang, who=who, reason=reason))
    redraw(session, svc, case)
    return "cancelled"
