"""Payments: a part or full payment recorded against an approved claim, and the correction an
edited `/paid` makes to the payment its message recorded (never a second one)."""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims import rules
from bot.claims.rules import ClaimStatus
from bot.claims.settle import settle_case_status, transition
from bot.kernel import outbox
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.rules.amounts import format_fen
from storage import queries as q
from storage.models import Case, InsurerClaim, InsurerPayment

log = logging.getLogger(__name__)


async def record_payment(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    *,
    amount_fen: int,
    reference: str | None,
    user_id: int,
    user_name: str,
    message_id: int | None = None,
) -> str | None:
    """Record a (part) payment; returns the refusal text, or None when recorded."""
    lang, now = svc.language, svc.clock.now()
    problem = rules.payment_problem(
        status=claim.status,
        approved_fen=claim.approved_fen,
        paid_fen=claim.paid_fen,
        amount_fen=amount_fen,
    )
    if problem is None and not await _add_paid(session, claim, amount_fen, ClaimStatus.APPROVED):
        problem = rules.PayProblem.OVER
    if problem is not None:
        return _refused(
            session,
            svc,
            case,
            claim,
            problem,
            actor=user_id,
            paid=claim.paid_fen,
            amount_fen=amount_fen,
        )
    assert case.id is not None and claim.id is not None
    session.add(
        InsurerPayment(
            claim_id=claim.id,
            case_id=case.id,
            amount_fen=amount_fen,
            reference=reference,
            at=now,
            by=user_id,
            by_name=user_name,
            message_id=message_id,
        )
    )
    q.audit(
        session,
        at=now,
        kind="claim.paid",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=user_id,
        claim=claim.id,
        insurer=claim.insurer_code,
        amount_fen=amount_fen,
        reference=reference,
    )
    log.info("case %s: %s paid %s", case.number, claim.insurer_code, format_fen(amount_fen))
    paid = t(
        "claims.paid",
        lang,
        insurer=svc.insurer_name(claim.insurer_code),
        amount=format_fen(amount_fen),
        ref=Raw(t("claims.ref", lang, ref=reference)) if reference else "",
        paid=format_fen(claim.paid_fen),
        approved=format_fen(claim.approved_fen or 0),
    )
    if message_id is not None:  # a typed /paid is answered in the thread
        outbox.say(session, svc, case, paid)
    # A button's press is answered by its toast (buttons.paid_full); the card shows the total.
    await _settle(session, svc, case, claim, actor=user_id)
    return None


async def correct_payment(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    payment: InsurerPayment,
    *,
    amount_fen: int,
    reference: str | None,
    user_id: int,
) -> str | None:
    """Correct a recorded payment to what its edited message says; the refusal text or None."""
    lang, now = svc.language, svc.clock.now()
    old_fen, old_reference = payment.amount_fen, payment.reference
    if (old_fen, old_reference) == (amount_fen, reference):
        return None
    problem = rules.correction_problem(
        status=claim.status,
        approved_fen=claim.approved_fen,
        paid_fen=claim.paid_fen,
        old_fen=old_fen,
        new_fen=amount_fen,
    )
    if problem is None and not await _add_paid(
        session, claim, amount_fen - old_fen, ClaimStatus(claim.status)
    ):
        problem = rules.PayProblem.OVER
    if problem is not None:
        return _refused(
            session,
            svc,
            case,
            claim,
            problem,
            actor=user_id,
            paid=claim.paid_fen - old_fen,
            payment=payment.id,
            amount_fen=amount_fen,
        )
    payment.amount_fen, payment.reference = amount_fen, reference
    session.add(payment)
    q.audit(
        session,
        at=now,
        kind="claim.payment_corrected",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=user_id,
        claim=claim.id,
        payment=payment.id,
        insurer=claim.insurer_code,
        old_amount_fen=old_fen,
        amount_fen=amount_fen,
        old_reference=old_reference,
        reference=reference,
    )
    log.info(
        "case %s: %s payment corrected %s -> %s",
        case.number,
        claim.insurer_code,
        format_fen(old_fen),
        format_fen(amount_fen),
    )
    outbox.say(
        session,
        svc,
        case,
        t(
            "claims.paid_corrected",
            lang,
            insurer=svc.insurer_name(claim.insurer_code),
            old=format_fen(old_fen),
            amount=format_fen(amount_fen),
            ref=Raw(t("claims.ref", lang, ref=reference)) if reference else "",
            paid=format_fen(claim.paid_fen),
            approved=format_fen(claim.approved_fen or 0),
        ),
        reply_to=payment.message_id,
    )
    await _settle(session, svc, case, claim, actor=user_id)
    return None


async def _add_paid(
    session: AsyncSession, claim: InsurerClaim, delta_fen: int, status: ClaimStatus
) -> bool:
    """Add to the claim's paid total if it is still what this transaction read.

    Conditional on the amount read: two payments (or corrections) at once cannot both
    squeeze under the cap.
    """
    stmt = (
        update(InsurerClaim)
        .where(
            col(InsurerClaim.id) == claim.id,
            col(InsurerClaim.status) == status.value,
            col(InsurerClaim.paid_fen) == claim.paid_fen,
        )
        .values(paid_fen=claim.paid_fen + delta_fen)
    )
    conn = await session.connection()
    if (await conn.execute(stmt)).rowcount != 1:
        return False
    await session.refresh(claim)
    return True


def _refused(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    problem: rules.PayProblem,
    *,
    actor: int,
    paid: int,
    **data: object,
) -> str:
    """Audit a refused payment or correction; the text that says why (`paid`: before it)."""
    q.audit(
        session,
        at=svc.clock.now(),
        kind="claim.payment_refused",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        claim=claim.id,
        problem=problem.value,
        **data,
    )
    log.info("case %s: payment refused (%s)", case.number, problem.value)
    return t(
        f"claims.pay.{problem.value}",
        svc.language,
        approved=format_fen(claim.approved_fen or 0),
        paid=format_fen(paid),
        left=format_fen(rules.outstanding(claim.approved_fen, paid)),
    )


async def _settle(
    session: AsyncSession, svc: Services, case: Case, claim: InsurerClaim, *, actor: int
) -> None:
    """A claim paid in full moves on, the case follows its claims, the card is redrawn."""
    if claim.status == ClaimStatus.APPROVED and claim.paid_fen == claim.approved_fen:
        await transition(session, claim, rules.Event.PAY_IN_FULL, at=svc.clock.now())
    await settle_case_status(session, svc, case, actor=actor)
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
