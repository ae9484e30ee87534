"""Answers to the questions the insurers are asked (claim number, amount, survey, reason),
and `/paid`."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims import decide, routing, rules, settle, thread
from bot.claims.checks import claim_button
from bot.claims.rules import ClaimStatus
from bot.kernel import outbox, questions
from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.rules.amounts import AmountError, format_fen, parse_amount
from bot.rules.cleaning import clean_text, clip
from storage import queries as q
from storage.models import Case, InsurerClaim, PendingInput


async def answer_pending(
    session: AsyncSession, svc: Services, case: Case, pending: PendingInput, m: IncomingText
) -> str:
    """An adjuster's reply: claim number and 定损, adjusted amount, survey result, reason."""
    lang = svc.language
    claim = await session.get(InsurerClaim, int(pending.party_label or 0))
    question = pending.question.removeprefix(rules.PENDING_PREFIX)
    if claim is None or claim.case_id != case.id or claim.status == ClaimStatus.SUPERSEDED:
        await questions.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
        outbox.say(session, svc, case, t("claims.stale", lang), reply_to=m.message_id)
        return "stale"
    name = svc.insurer_name(claim.insurer_code)
    now = svc.clock.now()
    if question == "claim_no":
        reply = rules.parse_claim_reply(
            m.text, ceiling_fen=svc.deployment.rules.fast_path_ceiling_fen
        )
        if reply.error is not None or (reply.claim_no is None and reply.assessed_fen is None):
            outbox.say(session, svc, case, t("claims.claim_bad", lang), reply_to=m.message_id)
            return "refused"
        claim.claim_no = reply.claim_no or claim.claim_no
        if reply.assessed_fen is not None:
            claim.assessed_fen = reply.assessed_fen
        session.add(claim)
        decide.audit_claim(
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
            t(f"claims.w.{k}", lang)
            for k, v in (("claim_no", claim.claim_no), ("assessed", claim.assessed_fen))
            if v is None
        ]
        if still:
            outbox.say(
                session,
                svc,
                case,
                t("claims.claim_still", lang, what="、".join(still)),
                reply_to=m.message_id,
            )
        else:
            await questions.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
        if claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID):
            # The question is resolved in place: the ping shows the numbers (and the card).
            await thread.show_approved(session, svc, case, claim)
        elif not still:
            outbox.say(session, svc, case, thread.numbers_text(svc, claim), reply_to=m.message_id)
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
        return "claim_numbers"
    if question in ("adjust", "survey_result"):
        try:
            fen = parse_amount(m.text, ceiling_fen=svc.deployment.rules.fast_path_ceiling_fen)
        except AmountError:
            outbox.say(
                session,
                svc,
                case,
                t(
                    "claims.amount_bad",
                    lang,
                    text=clip(clean_text(m.text), 20),
                    ceiling=format_fen(svc.deployment.rules.fast_path_ceiling_fen),
                ),
                reply_to=m.message_id,
            )
            return "refused"
        await questions.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
        if question == "adjust":
            return await _adjusted(session, svc, case, claim, fen, m)
        return await _surveyed(session, svc, case, claim, fen, m)
    if question == "reject_reason":
        # Stored as people's text is (bot/rules/cleaning.py): no control or bidi characters
        # reach the card, the timeline or the agreement.
        claim.reason = clean_text(m.text, multiline=True)[:200]
        session.add(claim)
        await questions.clear_pending(session, case_id=case.id or 0, user_id=m.user_id)
        decide.audit_claim(
            session, svc, case, claim, "claim.reject_reason", m.user_id, reason=claim.reason
        )
        outbox.say(
            session,
            svc,
            case,
            t("claims.reason_recorded", lang, insurer=name, reason=claim.reason),
            reply_to=m.message_id,
        )
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
        return "reason"
    return "ignored"


async def _adjusted(
    session: AsyncSession, svc: Services, case: Case, claim: InsurerClaim, fen: int, m: IncomingText
) -> str:
    old = claim.requested_fen
    if claim.status != ClaimStatus.PINGED or not await decide.approve_claim(
        session, claim, user_id=m.user_id, user_name=m.user_name, now=svc.clock.now(), amount=fen
    ):
        outbox.say(session, svc, case, t("claims.already", svc.language), reply_to=m.message_id)
        return "already"
    decide.audit_claim(
        session, svc, case, claim, "claim.adjusted", m.user_id, amount_fen=fen, requested_fen=old
    )
    await decide.ask_insurer(session, svc, case, claim, m.user_id, "claim_no")
    await settle.settle_case_status(session, svc, case, actor=m.user_id)
    # The ping shows the adjusted approval and asks for the numbers (bot/claims/thread.py).
    await thread.show_approved(session, svc, case, claim)
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return "adjusted"


async def _surveyed(
    session: AsyncSession, svc: Services, case: Case, claim: InsurerClaim, fen: int, m: IncomingText
) -> str:
    claim.survey_fen = claim.assessed_fen = fen
    session.add(claim)
    decide.audit_claim(session, svc, case, claim, "claim.survey_result", m.user_id, amount_fen=fen)
    buttons = []
    for other in await routing.live_claims(session, case.id or 0):
        if other.id == claim.id or other.insurer_code == claim.insurer_code:
            continue
        data = await claim_button(session, svc, case, other, "claim.recognize", source=claim.id)
        buttons.append(
            [
                [
                    t(
                        "claims.b.recognize",
                        svc.language,
                        insurer=svc.insurer_name(other.insurer_code),
                    ),
                    data,
                ]
            ]
        )
    outbox.say(
        session,
        svc,
        case,
        t(
            "claims.survey_result",
            svc.language,
            insurer=svc.insurer_name(claim.insurer_code),
            amount=format_fen(fen),
        ),
        reply_to=m.message_id,
        buttons=buttons,
    )
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return "surveyed"
