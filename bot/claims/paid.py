"""`/paid 金额 凭证号` in a case thread: who may record a payment, what an edit of the command
does, and the answers when it is sent where it cannot work."""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import INSURER_STAGE
from bot.claims import payments, routing, rules, store
from bot.claims.rules import ClaimStatus
from bot.kernel import outbox
from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from bot.rules.amounts import AmountError, format_fen
from bot.rules.cleaning import clip
from storage import queries as q
from storage.models import Case, InsurerPayment

log = logging.getLogger(__name__)


def _answer_chat(session: AsyncSession, svc: Services, m: IncomingText, text: str) -> None:
    """An answer where there is no case to post in (a private chat, outside any case)."""
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=m.chat_id,
        kind="send_text",
        text=text,
        reply_to=m.message_id,
        thread_id=m.topic_id,
    )


def amount_problem_text(svc: Services, exc: AmountError, text: str) -> str:
    """Why `/paid`'s amount was refused, in words, followed by the usage."""
    ceiling = format_fen(exc.ceiling_fen) if exc.ceiling_fen else ""
    problem = t(f"err.amount.{exc.code.value}", svc.language, text=clip(text, 20), ceiling=ceiling)
    return t("claims.pay.usage", svc.language, problem=Raw(problem))


async def paid_command(svc: Services, m: IncomingText, args: str) -> str:
    """`/paid 1800 <reference>` in a case thread by a paying insurer's adjuster or supervisor.

    An edit of a `/paid` message corrects the payment that message recorded; it never
    records a second one.
    """

    async def work(session: AsyncSession) -> str:
        lang = svc.language
        if m.private or await q.get_group(session, chat_id=m.chat_id) is None:
            if not m.edited:
                key = "claims.pay.private" if m.private else "claims.pay.unregistered"
                _answer_chat(session, svc, m, t(key, lang))
            return "unregistered"
        case = await q.case_in_thread(
            session,
            chat_id=m.chat_id,
            topic_id=m.topic_id,
            anchors=(m.reply_to_message_id, m.chain_root_id),
        )
        if case is None or case.id is None:
            if not m.edited:
                _answer_chat(session, svc, m, t("claims.pay.not_in_case", lang))
            return "not_in_case"
        # The command belongs to the case's thread like any post in it (and the message
        # that closes the case must not count as a later post that reopens its topic).
        await q.link_message(
            session,
            chat_id=m.chat_id,
            message_id=m.message_id,
            case_id=case.id,
            from_bot=False,
            kind="text",
        )
        payment = None
        if m.edited:
            payment = await store.payment_of_message(
                session, case_id=case.id, message_id=m.message_id
            )
            refusal = _edit_refusal(case, payment)
            if refusal is not None:
                _refuse(session, svc, case, m, reason=refusal)
                outbox.say(
                    session, svc, case, t(f"claims.pay.{refusal}", lang), reply_to=m.message_id
                )
                return "refused"
        grants = await grants_of(
            session, svc, chat_id=case.chat_id, user_id=m.user_id, township=case.township_code
        )
        mine = [
            c
            for c in await routing.live_claims(session, case.id)
            if may(Action.INSURER_RECORD_PAYOUT, grants, case_insurers=[c.insurer_code])
            and (payment is None or c.id == payment.claim_id)
        ]
        if not mine:
            _refuse(session, svc, case, m, reason="role")
            log.info("case %s: /paid refused (no paying insurer's role)", case.number)
            outbox.say(session, svc, case, t("claims.pay.who", lang), reply_to=m.message_id)
            return "refused"
        try:
            amount, reference = rules.parse_paid(
                args, ceiling_fen=svc.deployment.rules.fast_path_ceiling_fen
            )
        except AmountError as exc:
            outbox.say(
                session,
                svc,
                case,
                amount_problem_text(svc, exc, args.split()[0] if args.split() else ""),
                reply_to=m.message_id,
            )
            return "refused"
        if payment is not None:
            refusal_text = await payments.correct_payment(
                session,
                svc,
                case,
                mine[0],
                payment,
                amount_fen=amount,
                reference=reference,
                user_id=m.user_id,
            )
            if refusal_text:
                outbox.say(session, svc, case, refusal_text, reply_to=m.message_id)
                return "refused"
            return "corrected"
        claim = next((c for c in mine if c.status == ClaimStatus.APPROVED), mine[0])
        refusal_text = await payments.record_payment(
            session,
            svc,
            case,
            claim,
            amount_fen=amount,
            reference=reference,
            user_id=m.user_id,
            user_name=m.user_name,
            message_id=m.message_id,
        )
        if refusal_text:
            outbox.say(session, svc, case, refusal_text, reply_to=m.message_id)
            return "refused"
        return "paid"

    return await svc.in_transaction(work)


def _edit_refusal(case: Case, payment: InsurerPayment | None) -> str | None:
    """Why an edited `/paid` cannot correct anything: the text key's suffix, or None."""
    if payment is None:
        # The original recorded nothing (refused, or never seen): an edit must not record.
        return "edit_unrecorded"
    if case.status not in INSURER_STAGE:
        return "edit_closed"
    return None


def _refuse(
    session: AsyncSession, svc: Services, case: Case, m: IncomingText, *, reason: str
) -> None:
    q.audit(
        session,
        at=svc.clock.now(),
        kind="claim.refused",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=m.user_id,
        action="paid_edit" if m.edited else "paid",
        reason=reason,
        message_id=m.message_id,
    )
