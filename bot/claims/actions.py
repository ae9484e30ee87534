"""The insurers' buttons and their follow-up replies; each press re-checks everything.

A press is refused (alert, audit, nothing changes) when the token's claim does not belong
to the token's case and insurer, when a decision button is pressed on a message other
than the claim's own ping (a token replayed onto another message), or when the presser
is not an adjuster or supervisor of that claim's insurer. A press that no longer applies
(superseded claim, decision already taken) changes nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims import loop, rules
from bot.claims.rules import ClaimStatus, Event
from bot.kernel.buttons import Press, PressResult, action, button_data
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.parties import flow, store
from bot.parties.intake import IncomingText
from bot.parties.readiness import missing
from bot.roles.lookup import grants_of, may_work_on
from bot.rules.access import Action, may
from bot.rules.amounts import AmountError, format_fen, parse_amount
from storage import queries as q
from storage.models import Button, Case, InsurerClaim, PendingInput

log = logging.getLogger(__name__)

# The statuses in which the insurers' buttons act; elsewhere the case is not theirs.
INSURER_STATUSES = ("awaiting_insurer", "approved", "paid", "disputed")


def _ceiling(svc: Services) -> int:
    return svc.deployment.rules.fast_path_ceiling_yuan * 100


async def _guard(
    session: AsyncSession,
    svc: Services,
    press: Press,
    button: Button,
    what: Action,
    *,
    on_ping: bool,
) -> tuple[InsurerClaim, Case] | PressResult:
    """The claim and case behind a press, or the refusal (audited)."""
    lang, now = svc.language, svc.clock.now()
    claim_id = button.args.get("claim")
    claim = await session.get(InsurerClaim, claim_id) if isinstance(claim_id, int) else None
    case = await session.get(Case, button.case_id) if button.case_id else None

    def refuse(reason: str, text: str) -> PressResult:
        q.audit(
            session,
            at=now,
            kind="claim.refused",
            case_id=case.id if case else None,
            chat_id=press.chat_id,
            actor=press.user_id,
            action=button.action,
            claim=claim_id,
            reason=reason,
        )
        return PressResult(text, alert=True)

    if (
        claim is None
        or case is None
        or claim.case_id != case.id
        or claim.insurer_code != button.args.get("insurer")
        or case.chat_id != press.chat_id
    ):
        return refuse("forged", t("c.forged", lang))
    if on_ping and claim.ping_message_id is not None and press.message_id != claim.ping_message_id:
        return refuse("forged", t("c.forged", lang))
    grants = await grants_of(
        session, svc, chat_id=case.chat_id, user_id=press.user_id, township=case.township_code
    )
    if not may(what, grants, case_insurers=[claim.insurer_code]):
        return refuse(
            "role", t("c.refused", lang, insurer=loop.insurer_name(svc, claim.insurer_code))
        )
    if claim.status == ClaimStatus.SUPERSEDED:
        return refuse("stale", t("c.stale", lang))
    if case.status not in INSURER_STATUSES:
        # Police took the case over, or it was cancelled: insurers' buttons wait.
        return refuse("case_status", t("c.stale", lang))
    return claim, case


def _decided(press: Press, now: object) -> dict[str, object]:
    return {"decided_by": press.user_id, "decided_by_name": press.user_name, "decided_at": now}


async def _ask(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    user_id: int,
    question: str,
) -> None:
    await store.set_pending(
        session,
        case=case,
        user_id=user_id,
        question=loop.PENDING_PREFIX + question,
        label=str(claim.id),  # the claim the answer belongs to
        now=svc.clock.now(),
        lifetime=timedelta(minutes=svc.deployment.rules.pending_question_minutes),
    )


def _already_or_stale(
    svc: Services, claim: InsurerClaim, done: tuple[ClaimStatus, ...]
) -> PressResult:
    if claim.status in done:
        return PressResult(t("c.already", svc.language))
    return PressResult(t("c.stale", svc.language), alert=True)


def _audit(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    kind: str,
    actor: int,
    **data: object,
) -> None:
    q.audit(
        session,
        at=svc.clock.now(),
        kind=kind,
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        claim=claim.id,
        insurer=claim.insurer_code,
        **data,
    )


@action("claim.approve")
async def approve(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """One tap: approve the requested amount; the claim number and 定损 may follow."""
    got = await _guard(session, svc, press, button, Action.INSURER_APPROVE, on_ping=True)
    if isinstance(got, PressResult):
        return got
    claim, case = got
    now = svc.clock.now()
    if claim.status != ClaimStatus.PINGED or not await transition_approve(
        session, claim, press, now
    ):
        return _already_or_stale(svc, claim, (ClaimStatus.APPROVED, ClaimStatus.PAID))
    _audit(
        session, svc, case, claim, "claim.approved", press.user_id, amount_fen=claim.approved_fen
    )
    await _ask(session, svc, case, claim, press.user_id, "claim_no")
    flow.say(
        session,
        svc,
        case,
        t(
            "c.approved",
            svc.language,
            insurer=loop.insurer_name(svc, claim.insurer_code),
            amount=format_fen(claim.approved_fen or 0),
            who=press.user_name,
            asker=flow.mention(press.user_id, press.user_name),
        ),
        reply_to=claim.ping_message_id,
    )
    await loop.settle_case_status(session, svc, case, actor=press.user_id)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return PressResult(t("c.saved", svc.language))


async def transition_approve(
    session: AsyncSession, claim: InsurerClaim, press: Press, now: object, amount: int | None = None
) -> bool:
    """pinged -> approved, once, whoever presses at the same moment."""
    return await loop.transition(
        session,
        claim,
        Event.ADJUST if amount is not None else Event.APPROVE,
        approved_fen=amount if amount is not None else claim.requested_fen,
        **_decided(press, now),
    )


@action("claim.adjust")
async def adjust(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """Ask the presser for the amount they approve instead."""
    got = await _guard(session, svc, press, button, Action.INSURER_ADJUST, on_ping=True)
    if isinstance(got, PressResult):
        return got
    claim, case = got
    if claim.status != ClaimStatus.PINGED:
        return _already_or_stale(svc, claim, (ClaimStatus.APPROVED, ClaimStatus.PAID))
    await _ask(session, svc, case, claim, press.user_id, "adjust")
    flow.say(
        session,
        svc,
        case,
        t(
            "c.adjust_ask",
            svc.language,
            asker=flow.mention(press.user_id, press.user_name),
            insurer=loop.insurer_name(svc, claim.insurer_code),
            amount=format_fen(claim.requested_fen),
        ),
        reply_to=claim.ping_message_id,
    )
    return PressResult(t("c.saved", svc.language))


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
    return [[[t("b.resubmit", svc.language), data]]]


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
    got = await _guard(session, svc, press, button, what, on_ping=True)
    if isinstance(got, PressResult):
        return got
    claim, case = got
    now = svc.clock.now()
    if claim.status != ClaimStatus.PINGED or not await loop.transition(
        session, claim, event, **_decided(press, now)
    ):
        return _already_or_stale(svc, claim, (status,))
    _audit(session, svc, case, claim, audit_kind, press.user_id)
    await loop.settle_case_status(session, svc, case, actor=press.user_id)
    await _ask(session, svc, case, claim, press.user_id, question)
    assistant, police_mentions = await loop.assistant_and_police(session, svc, case, police=police)
    flow.say(
        session,
        svc,
        case,
        t(
            text_key,
            svc.language,
            insurer=loop.insurer_name(svc, claim.insurer_code),
            who=press.user_name,
            assistant=assistant,
            police=police_mentions,
            asker=flow.mention(press.user_id, press.user_name),
        ),
        reply_to=claim.ping_message_id,
        buttons=await _resubmit_button(session, svc, case),
    )
    return PressResult(t("c.saved", svc.language))


@action("claim.survey")
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
        text_key="c.survey",
        police=False,
    )


@action("claim.reject")
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
        text_key="c.reject",
        police=True,
    )


@action("claim.recognize")
async def recognize(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """互认: this insurer accepts another insurer's survey result as its assessment."""
    got = await _guard(
        session, svc, press, button, Action.INSURER_MUTUAL_RECOGNITION, on_ping=False
    )
    if isinstance(got, PressResult):
        return got
    claim, case = got
    source = await session.get(InsurerClaim, button.args.get("source"))
    if source is None or source.case_id != case.id or source.survey_fen is None:
        return PressResult(t("c.stale", svc.language), alert=True)
    if claim.recognized_claim_id == source.id:
        return PressResult(t("c.already", svc.language))
    claim.recognized_claim_id = source.id
    if claim.assessed_fen is None:
        claim.assessed_fen = source.survey_fen
    session.add(claim)
    _audit(session, svc, case, claim, "claim.recognized", press.user_id, source=source.id)
    flow.say(
        session,
        svc,
        case,
        t(
            "c.recognized",
            svc.language,
            insurer=loop.insurer_name(svc, claim.insurer_code),
            other=loop.insurer_name(svc, source.insurer_code),
            who=press.user_name,
        ),
    )
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return PressResult(t("c.saved", svc.language))


@action("claim.paid_full")
async def paid_full(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """The insurer confirms it paid what is still outstanding."""
    got = await _guard(session, svc, press, button, Action.INSURER_RECORD_PAYOUT, on_ping=False)
    if isinstance(got, PressResult):
        return got
    claim, case = got
    if claim.status == ClaimStatus.PAID:
        return PressResult(t("c.already", svc.language))
    left = rules.outstanding(claim.approved_fen, claim.paid_fen)
    refusal = await loop.record_payment(
        session,
        svc,
        case,
        claim,
        amount_fen=left,
        reference=None,
        user_id=press.user_id,
        user_name=press.user_name,
    )
    return PressResult(refusal, alert=True) if refusal else PressResult(t("c.saved", svc.language))


@action("claim.resubmit")
async def resubmit(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """The assistant updated the evidence: send the disputed case to the insurers again."""
    case = await session.get(Case, button.case_id) if button.case_id else None
    if case is None or case.status != "disputed":
        return PressResult(t("c.stale", svc.language), alert=True)
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
        return PressResult(t("c.resubmit_refused", svc.language), alert=True)
    if missing(await flow.facts(session, svc, case)):
        return PressResult(t("c.resubmit_gaps", svc.language), alert=True)
    await loop.route(session, svc, case, actor=press.user_id)
    return PressResult(t("c.resubmitted", svc.language))


# --- replies to the questions above ---------------------------------------------------


async def answer_pending(
    session: AsyncSession, svc: Services, case: Case, pending: PendingInput, m: IncomingText
) -> str:
    """An adjuster's reply: claim number and 定损, adjusted amount, survey result, reason."""
    lang = svc.language
    claim = await session.get(InsurerClaim, int(pending.party_label or 0))
    question = pending.question.removeprefix(loop.PENDING_PREFIX)
    if claim is None or claim.case_id != case.id or claim.status == ClaimStatus.SUPERSEDED:
        await store.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
        flow.say(session, svc, case, t("c.stale", lang), reply_to=m.message_id)
        return "stale"
    name = loop.insurer_name(svc, claim.insurer_code)
    now = svc.clock.now()
    if question == "claim_no":
        reply = rules.parse_claim_reply(m.text, ceiling_fen=_ceiling(svc))
        if reply.error is not None or (reply.claim_no is None and reply.assessed_fen is None):
            flow.say(session, svc, case, t("c.claim_bad", lang), reply_to=m.message_id)
            return "refused"
        claim.claim_no = reply.claim_no or claim.claim_no
        if reply.assessed_fen is not None:
            claim.assessed_fen = reply.assessed_fen
        session.add(claim)
        _audit(
            session,
            svc,
            case,
            claim,
            "claim.numbers",
            m.user_id,
            claim_no=claim.claim_no,
            assessed_fen=claim.assessed_fen,
        )
        still = [
            t(f"c.w.{k}", lang)
            for k, v in (("claim_no", claim.claim_no), ("assessed", claim.assessed_fen))
            if v is None
        ]
        if still:
            flow.say(
                session,
                svc,
                case,
                t("c.claim_still", lang, what="、".join(still)),
                reply_to=m.message_id,
            )
        else:
            await store.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
            flow.say(
                session,
                svc,
                case,
                t(
                    "c.claim_recorded",
                    lang,
                    insurer=name,
                    claim_no=claim.claim_no,
                    assessed=format_fen(claim.assessed_fen or 0),
                ),
                reply_to=m.message_id,
            )
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
        return "claim_numbers"
    if question in ("adjust", "survey_result"):
        try:
            fen = parse_amount(m.text, ceiling_fen=_ceiling(svc))
        except AmountError:
            flow.say(
                session,
                svc,
                case,
                t("c.amount_bad", lang, text=m.text[:20], ceiling=format_fen(_ceiling(svc))),
                reply_to=m.message_id,
            )
            return "refused"
        await store.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
        if question == "adjust":
            return await _adjusted(session, svc, case, claim, fen, m)
        return await _surveyed(session, svc, case, claim, fen, m)
    if question == "reject_reason":
        claim.reason = m.text.strip()[:200]
        session.add(claim)
        await store.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
        _audit(session, svc, case, claim, "claim.reject_reason", m.user_id, reason=claim.reason)
        flow.say(
            session,
            svc,
            case,
            t("c.reason_recorded", lang, insurer=name, reason=claim.reason),
            reply_to=m.message_id,
        )
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
        return "reason"
    return "ignored"


async def _adjusted(
    session: AsyncSession, svc: Services, case: Case, claim: InsurerClaim, fen: int, m: IncomingText
) -> str:
    press = Press(
        token="", chat_id=m.chat_id, message_id=None, user_id=m.user_id, user_name=m.user_name
    )
    old = claim.requested_fen
    if claim.status != ClaimStatus.PINGED or not await transition_approve(
        session, claim, press, svc.clock.now(), amount=fen
    ):
        flow.say(session, svc, case, t("c.already", svc.language), reply_to=m.message_id)
        return "already"
    _audit(
        session, svc, case, claim, "claim.adjusted", m.user_id, amount_fen=fen, requested_fen=old
    )
    await _ask(session, svc, case, claim, m.user_id, "claim_no")
    flow.say(
        session,
        svc,
        case,
        t(
            "c.adjusted",
            svc.language,
            insurer=loop.insurer_name(svc, claim.insurer_code),
            amount=format_fen(fen),
            old=format_fen(old),
            who=m.user_name,
            asker=flow.mention(m.user_id, m.user_name),
        ),
        reply_to=m.message_id,
    )
    await loop.settle_case_status(session, svc, case, actor=m.user_id)
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return "adjusted"


async def _surveyed(
    session: AsyncSession, svc: Services, case: Case, claim: InsurerClaim, fen: int, m: IncomingText
) -> str:
    claim.survey_fen = claim.assessed_fen = fen
    session.add(claim)
    _audit(session, svc, case, claim, "claim.survey_result", m.user_id, amount_fen=fen)
    buttons = []
    for other in await loop.live_claims(session, case.id or 0):
        if other.id == claim.id or other.insurer_code == claim.insurer_code:
            continue
        data = await button_data(
            session,
            now=svc.clock.now(),
            chat_id=case.chat_id,
            case_id=case.id,
            action_name="claim.recognize",
            claim=other.id,
            insurer=other.insurer_code,
            source=claim.id,
        )
        buttons.append(
            [
                [
                    t(
                        "b.recognize",
                        svc.language,
                        insurer=loop.insurer_name(svc, other.insurer_code),
                    ),
                    data,
                ]
            ]
        )
    flow.say(
        session,
        svc,
        case,
        t(
            "c.survey_result",
            svc.language,
            insurer=loop.insurer_name(svc, claim.insurer_code),
            amount=format_fen(fen),
        ),
        reply_to=m.message_id,
        buttons=buttons,
    )
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return "surveyed"


# --- /paid ----------------------------------------------------------------------------


async def paid_command(svc: Services, m: IncomingText, args: str) -> str:
    """`/paid 1800 <reference>` in a case thread by a paying insurer's adjuster or supervisor."""

    async def work(session: AsyncSession) -> str:
        lang = svc.language
        case = await q.case_in_thread(
            session,
            chat_id=m.chat_id,
            topic_id=m.topic_id,
            anchors=(m.reply_to_message_id, m.chain_root_id),
        )
        if case is None or case.id is None:
            return "ignored"
        grants = await grants_of(
            session, svc, chat_id=case.chat_id, user_id=m.user_id, township=case.township_code
        )
        mine = [
            c
            for c in await loop.live_claims(session, case.id)
            if may(Action.INSURER_RECORD_PAYOUT, grants, case_insurers=[c.insurer_code])
        ]
        if not mine:
            q.audit(
                session,
                at=svc.clock.now(),
                kind="claim.refused",
                case_id=case.id,
                chat_id=case.chat_id,
                actor=m.user_id,
                action="paid",
                reason="role",
            )
            log.info("case %s: /paid refused (no paying insurer's role)", case.number)
            flow.say(session, svc, case, t("c.pay.who", lang), reply_to=m.message_id)
            return "refused"
        try:
            amount, reference = rules.parse_paid(args, ceiling_fen=_ceiling(svc))
        except AmountError as exc:
            flow.say(
                session,
                svc,
                case,
                t("c.pay.usage", lang, problem=exc.code.value),
                reply_to=m.message_id,
            )
            return "refused"
        claim = next((c for c in mine if c.status == ClaimStatus.APPROVED), mine[0])
        refusal = await loop.record_payment(
            session,
            svc,
            case,
            claim,
            amount_fen=amount,
            reference=reference,
            user_id=m.user_id,
            user_name=m.user_name,
        )
        if refusal:
            flow.say(session, svc, case, refusal, reply_to=m.message_id)
            return "refused"
        return "paid"

    return await svc.in_transaction(work)


__all__ = ["answer_pending", "paid_command", "Raw"]
