"""The insurers' buttons: approve, adjust, survey, reject, recognise, paid in full, resubmit.

Each press is checked first (bot/claims/checks.py); a press that no longer applies
(superseded claim, decision already taken) changes nothing. Answers to the questions
these buttons ask are bot/claims/replies.py.
"""

from __future__ import annotations

from html import unescape

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import CaseStatus
from bot.claims import decide, payments, routing, rules, settle, store, thread
from bot.claims.checks import already_or_stale, checked_press
from bot.claims.rules import ClaimStatus, Event
from bot.kernel import outbox
from bot.kernel.buttons import ButtonAction, Press, PressResult, button_data
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import readiness
from bot.parties.readiness import missing
from bot.roles.lookup import may_work_on
from bot.rules.access import Action
from bot.rules.amounts import format_fen
from storage import queries as q
from storage.models import Button, Case, InsurerClaim


async def approve(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """One tap: approve the requested amount; the claim number and 定损 may follow."""
    got = await checked_press(session, svc, press, button, Action.INSURER_APPROVE, on_ping=True)
    if isinstance(got, PressResult):
        return got
    claim, case = got
    now = svc.clock.now()
    if claim.status != ClaimStatus.PINGED or not await decide.approve_claim(
        session, claim, user_id=press.user_id, user_name=press.user_name, now=now
    ):
        return already_or_stale(svc, claim, (ClaimStatus.APPROVED, ClaimStatus.PAID))
    decide.audit_claim(
        session, svc, case, claim, "claim.approved", press.user_id, amount_fen=claim.approved_fen
    )
    await decide.ask_insurer(session, svc, case, claim, press.user_id, "claim_no")
    await settle.settle_case_status(session, svc, case, actor=press.user_id)
    # The ping itself shows the approval and asks for the numbers (bot/claims/thread.py).
    await thread.show_approved(session, svc, case, claim)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return PressResult(
        t(
            "claims.approved_toast",
            svc.language,
            insurer=svc.insurer_name(claim.insurer_code),
            amount=format_fen(claim.approved_fen or 0),
        )
    )


async def adjust(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """Ask the presser for the amount they approve instead."""
    got = await checked_press(session, svc, press, button, Action.INSURER_ADJUST, on_ping=True)
    if isinstance(got, PressResult):
        return got
    claim, case = got
    if claim.status != ClaimStatus.PINGED:
        return already_or_stale(svc, claim, (ClaimStatus.APPROVED, ClaimStatus.PAID))
    await decide.ask_insurer(session, svc, case, claim, press.user_id, "adjust")
    outbox.say(
        session,
        svc,
        case,
        t(
            "claims.adjust_ask",
            svc.language,
            asker=outbox.mention(press.user_id, press.user_name),
            insurer=svc.insurer_name(claim.insurer_code),
            amount=format_fen(claim.requested_fen),
        ),
        reply_to=await store.ping_message_id(session, claim.id),
    )
    return PressResult(t("claims.saved", svc.language))


async def _resubmit_button(
    session: AsyncSession, svc: Services, case: Case
) -> list[list[list[str]]]:
    data = await button_data(
        session,
        now=svc.clock.now(),
        chat_id=case.chat_id,
        case_id=case.id,
        action_name="claim.resubmit",
    )
    return [[[t("claims.b.resubmit", svc.language), data]]]


async def _dispute(
    session: AsyncSession,
    svc: Services,
    press: Press,
    button: Button,
    *,
    what: Action,
    event: Event,
    status: ClaimStatus,
    audit_kind: str,
    question: str,
    text_key: str,
    police: bool,
) -> PressResult:
    """Survey or reject: the claim is decided, the case disputed, the people concerned told."""
    got = await checked_press(session, svc, press, button, what, on_ping=True)
    if isinstance(got, PressResult):
        return got
    claim, case = got
    now = svc.clock.now()
    if claim.status != ClaimStatus.PINGED or not await settle.transition(
        session, claim, event, at=now, **decide.decided(press.user_id, press.user_name, now)
    ):
        return already_or_stale(svc, claim, (status,))
    decide.audit_claim(session, svc, case, claim, audit_kind, press.user_id)
    await settle.settle_case_status(session, svc, case, actor=press.user_id)
    await decide.ask_insurer(session, svc, case, claim, press.user_id, question)
    assistant, police_mentions = await settle.assistant_and_police(
        session, svc, case, police=police
    )
    outbox.say(
        session,
        svc,
        case,
        t(
            text_key,
            svc.language,
            insurer=svc.insurer_name(claim.insurer_code),
            who=press.user_name,
            assistant=assistant,
            police=police_mentions,
            asker=outbox.mention(press.user_id, press.user_name),
        ),
        reply_to=await store.ping_message_id(session, claim.id),
        buttons=await _resubmit_button(session, svc, case),
    )
    return PressResult(t("claims.saved", svc.language))


async def survey(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """An on-site survey: the case is disputed until the assistant resubmits."""
    return await _dispute(
        session,
        svc,
        press,
        button,
        what=Action.INSURER_SURVEY,
        event=Event.SURVEY,
        status=ClaimStatus.SURVEY,
        audit_kind="claim.survey_requested",
        question="survey_result",
        text_key="claims.survey",
        police=False,
    )


async def reject(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """Reject: the case is disputed, the assistant and police are told, a reason is asked."""
    return await _dispute(
        session,
        svc,
        press,
        button,
        what=Action.INSURER_REJECT,
        event=Event.REJECT,
        status=ClaimStatus.REJECTED,
        audit_kind="claim.rejected",
        question="reject_reason",
        text_key="claims.reject",
        police=True,
    )


async def recognize(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """互认: this insurer accepts another insurer's survey result as its assessment."""
    got = await checked_press(
        session, svc, press, button, Action.INSURER_MUTUAL_RECOGNITION, on_ping=False
    )
    if isinstance(got, PressResult):
        return got
    claim, case = got
    source = await session.get(InsurerClaim, button.args.get("source"))
    if source is None or source.case_id != case.id or source.survey_fen is None:
        return PressResult(t("claims.stale", svc.language), alert=True)
    if claim.recognized_claim_id == source.id:
        return PressResult(t("claims.already", svc.language))
    claim.recognized_claim_id = source.id
    if claim.assessed_fen is None:
        claim.assessed_fen = source.survey_fen
    session.add(claim)
    decide.audit_claim(
        session, svc, case, claim, "claim.recognized", press.user_id, source=source.id
    )
    outbox.say(
        session,
        svc,
        case,
        t(
            "claims.recognized",
            svc.language,
            insurer=svc.insurer_name(claim.insurer_code),
            other=svc.insurer_name(source.insurer_code),
            who=press.user_name,
        ),
    )
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return PressResult(t("claims.saved", svc.language))


async def paid_full(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """The insurer confirms it paid what is still outstanding."""
    got = await checked_press(
        session, svc, press, button, Action.INSURER_RECORD_PAYOUT, on_ping=False
    )
    if isinstance(got, PressResult):
        return got
    claim, case = got
    if claim.status == ClaimStatus.PAID:
        return PressResult(t("claims.already", svc.language))
    left = rules.outstanding(claim.approved_fen, claim.paid_fen)
    refusal = await payments.record_payment(
        session,
        svc,
        case,
        claim,
        amount_fen=left,
        reference=None,
        user_id=press.user_id,
        user_name=press.user_name,
    )
    if refusal:
        return PressResult(refusal, alert=True)
    toast = t(
        "claims.paid",
        svc.language,
        insurer=svc.insurer_name(claim.insurer_code),
        amount=format_fen(left),
        ref="",
        paid=format_fen(claim.paid_fen),
        approved=format_fen(claim.approved_fen or 0),
    )
    return PressResult(unescape(toast))


async def resubmit(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """The assistant updated the evidence: send the disputed case to the insurers again."""
    case = await session.get(Case, button.case_id) if button.case_id else None
    if case is None or case.status != CaseStatus.DISPUTED:
        return PressResult(t("claims.stale", svc.language), alert=True)
    if not await may_work_on(session, svc, case, press.user_id):
        q.audit(
            session,
            at=svc.clock.now(),
            kind="claim.refused",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=press.user_id,
            action=button.action,
            reason="role",
        )
        return PressResult(t("claims.resubmit_refused", svc.language), alert=True)
    if missing(await readiness.facts(session, svc, case)):
        return PressResult(t("claims.resubmit_gaps", svc.language), alert=True)
    await routing.route(session, svc, case, actor=press.user_id)
    return PressResult(t("claims.resubmitted", svc.language))


# --- replies to the questions above ---------------------------------------------------


# --- /paid ----------------------------------------------------------------------------


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "claim.approve": approve,
    "claim.adjust": adjust,
    "claim.survey": survey,
    "claim.reject": reject,
    "claim.recognize": recognize,
    "claim.paid_full": paid_full,
    "claim.resubmit": resubmit,
}
