"""An edited message corrects what it set: a quick-form line that party, an answer the field
it answered; the question open now stays open."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel import outbox
from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import store
from bot.parties.intake import answer_other, refuse_input, set_fields, take_answer
from bot.parties.quickform import QuickForm
from bot.rules.cleaning import clip
from storage.models import Case, MessageInput


async def correct_quick_form(
    session: AsyncSession,
    svc: Services,
    case: Case,
    form: QuickForm,
    m: IncomingText,
    *,
    label: str,
) -> str:
    """An edited quick-form line sets what it now says on the party it was about."""
    assert case.id is not None
    if form.label != label:
        return refuse_input(session, svc, case, m, t("edit.other_party", svc.language, label=label))
    if form.unknown:
        tokens = clip(" ".join(form.unknown))
        return refuse_input(session, svc, case, m, t("err.quick", svc.language, tokens=tokens))
    party = await store.party(session, case_id=case.id, label=label)
    fields = {
        k: v
        for k, v in (
            ("plate", form.plate),
            ("insurer_code", form.insurer),
            ("phone", form.phone),
            ("driver_name", form.driver_name),
            ("vehicle_type", form.vehicle_type),
            ("policy_number", form.policy_number),
        )
        if v is not None
    }
    await set_fields(session, svc, case, party, actor=m.user_id, source="edit", **fields)
    outbox.say(
        session,
        svc,
        case,
        t("parties.ack.corrected", svc.language, label=label),
        reply_to=m.message_id,
    )
    return "corrected"


async def correct_answer(
    session: AsyncSession, svc: Services, case: Case, record: MessageInput, m: IncomingText
) -> str:
    """An edited answer corrects the field it set; the question open now stays open."""
    assert case.id is not None
    label = record.party_label or "甲"
    outcome: str | None
    if record.question == "other":
        outcome = await answer_other(session, svc, case, m, expected=label)
    else:
        party = await store.party(session, case_id=case.id, label=label)
        outcome = await take_answer(session, svc, case, party, record.question, m, source="edit")
    if outcome is not None and outcome != "answered":
        return outcome
    outbox.say(
        session,
        svc,
        case,
        t("parties.ack.corrected", svc.language, label=label),
        reply_to=m.message_id,
    )
    return "corrected"
