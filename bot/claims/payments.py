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
    if problem is None:
        # Conditional on what was read: two payments at once cannot both squeeze under the cap.
        stmt = (
            update(InsurerClaim)
            .where(
                col(InsurerClaim.id) == claim.id,
                col(InsurerClaim.status) == ClaimStatus.APPROVED.value,
                col(InsurerClaim.paid_fen) == claim.paid_fen,
            )
            .values(paid_fen=claim.paid_fen + amount_fen)
        )
        conn = await session.connection()
        if (await conn.execute(stmt)).rowcount != 1:
            problem = rules.PayProblem.OVER
        else:
            await session.refresh(claim)
    if problem is not None:
        q.audit(
            session,
            at=now,
            kind="claim.payment_refused",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=user_id,
            claim=claim.id,
            amount_fen=amount_fen,
            problem=problem.value,
        )
        log.info("case %s: payment refused (%s)", case.number, problem.value)
        return t(
            f"claims.pay.{problem.value}",
            lang,
            approved=format_fen(claim.approved_fen or 0),
            paid=format_fen(claim.paid_fen),
            left=format_fen(rules.outstanding(claim.approved_fen, claim.paid_fen)),
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
    outbox.say(
        session,
        svc,
        case,
        t(
            "claims.paid",
            lang,
            insurer=svc.insurer_name(claim.insurer_code),
            amount=format_fen(amount_fen),
            ref=Raw(t("claims.ref", lang, ref=reference)) if reference else "",
            paid=format_fen(claim.paid_fen),
            approved=format_fen(claim.approved_fen or 0),
        ),
    )
    if claim.paid_fen == claim.approved_fen:
        await transition(session, claim, rules.Event.PAY_IN_FULL)
    await settle_case_status(session, svc, case, actor=user_id)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
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
    if problem is None:
        # Conditional on what was read, as for a new payment: the cap holds under races.
        stmt = (
            update(InsurerClaim)
            .where(
                col(InsurerClaim.id) == claim.id,
                col(InsurerClaim.status) == claim.status,
                col(InsurerClaim.paid_fen) == claim.paid_fen,
            )
            .values(paid_fen=claim.paid_fen - old_fen + amount_fen)
        )
        conn = await session.connection()
        if (await conn.execute(stmt)).rowcount != 1:
            problem = rules.PayProblem.OVER
        else:
            await session.refresh(claim)
    if problem is not None:
        q.audit(
            session,
            at=now,
            kind="claim.payment_refused",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=user_id,
            claim=claim.id,
            payment=payment.id,
            amount_fen=amount_fen,
            problem=problem.value,
        )
        log.info("case %s: payment correction refused (%s)", case.number, problem.value)
        return t(
            f"claims.pay.{problem.value}",
            lang,
            approved=format_fen(claim.approved_fen or 0),
            paid=format_fen(claim.paid_fen - old_fen),
            left=format_fen(rules.outstanding(claim.approved_fen, claim.paid_fen - old_fen)),
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
    if claim.status == ClaimStatus.APPROVED and claim.paid_fen == claim.approved_fen:
        await transition(session, claim, rules.Event.PAY_IN_FULL)
    await settle_case_status(session, svc, case, actor=user_id)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return None
