"""After a decision: the case follows its claims, payments are recorded, a paid case closes."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreement.post import queue_closing_agreement
from bot.case import lifecycle
from bot.case.status import INSURER_STAGE, CaseStatus
from bot.claims import rules
from bot.claims.rules import ClaimStatus
from bot.claims.store import live_claims
from bot.evidence.geo import distance_km, format_km
from bot.kernel import outbox
from bot.kernel.buttons import button_data
from bot.kernel.services import ConcurrentChange, Services
from bot.kernel.texts import Raw, t
from bot.roles.lookup import people_for
from bot.rules.amounts import format_fen
from bot.timeline.format import format_duration
from storage import queries as q
from storage.models import Case, InsurerClaim, InsurerPayment

log = logging.getLogger(__name__)


async def transition(
    session: AsyncSession,
    claim: InsurerClaim,
    event: rules.Event,
    **values: Any,
) -> bool:
    """Move a claim by an event with a conditional UPDATE; False if another press won."""
    target = rules.next_status(claim.status, event)
    if target is None:
        return False
    stmt = (
        update(InsurerClaim)
        .where(col(InsurerClaim.id) == claim.id, col(InsurerClaim.status) == claim.status)
        .values(status=target.value, **values)
    )
    conn = await session.connection()
    if (await conn.execute(stmt)).rowcount != 1:
        return False
    await session.refresh(claim)
    return True


async def settle_case_status(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None
) -> None:
    """Put the case in the status its live claims imply, with what follows each step."""
    assert case.id is not None
    claims = await live_claims(session, case.id)
    if case.status not in INSURER_STAGE or not claims:
        return
    target = rules.case_status_for([c.status for c in claims])
    if target == case.status or (
        case.status == CaseStatus.DISPUTED and target == CaseStatus.AWAITING_INSURER
    ):
        return  # a disputed case returns only when the assistant resubmits
    now = svc.clock.now()
    if not await lifecycle.move(session, case, target, at=now, actor=actor):
        raise ConcurrentChange(f"case {case.number} moved while settling")
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    if target == CaseStatus.APPROVED:
        await _all_approved(session, svc, case, claims)
    elif target == CaseStatus.PAID:
        await close(session, svc, case, claims, actor=actor)


async def _all_approved(
    session: AsyncSession, svc: Services, case: Case, claims: list[InsurerClaim]
) -> None:
    lang, now = svc.language, svc.clock.now()
    buttons, lines = [], []
    for claim in claims:
        name = svc.insurer_name(claim.insurer_code)
        lines.append(f"· {escape(name)} {format_fen(claim.approved_fen or 0)}")
        if claim.status == ClaimStatus.APPROVED:
            data = await button_data(
                session,
                now=now,
                chat_id=case.chat_id,
                case_id=case.id,
                action_name="claim.paid_full",
                claim=claim.id,
                insurer=claim.insurer_code,
            )
            buttons.append([[t("claims.b.paid_full", lang, insurer=name), data]])
    outbox.say(
        session,
        svc,
        case,
        t("claims.all_approved", lang, lines=Raw("\n".join(lines))),
        buttons=buttons,
    )
    outbox.say(session, svc, case, nearest_points_text(svc, case, [c.insurer_code for c in claims]))


def nearest_points_text(
    svc: Services, case: Case, insurers: list[str], per_insurer: int = 2
) -> str:
    """The paying insurers' nearest assessment/repair points with address and phone."""
    lang = svc.language
    if case.scene_lat is not None and case.scene_lon is not None:
        origin, label = (case.scene_lat, case.scene_lon), t("claims.origin.scene", lang)
    else:
        town = next((x for x in svc.deployment.townships if x.code == case.township_code), None)
        origin = (town.lat, town.lon) if town else (0.0, 0.0)
        label = t("claims.origin.township", lang, township=svc.township_name(case.township_code))
    lines = []
    for code in dict.fromkeys(insurers):
        name = svc.insurer_name(code)
        points = sorted(
            (p for p in svc.deployment.service_points if p.insurer == code),
            key=lambda p: distance_km(origin, (p.lat, p.lon)),
        )[:per_insurer]
        if not points:
            lines.append(t("claims.point_none", lang, insurer=name))
        for p in points:
            km = format_km(distance_km(origin, (p.lat, p.lon)))
            lines.append(
                t(
                    "claims.point",
                    lang,
                    insurer=name,
                    name=p.name,
                    address=p.address,
                    phone=p.phone,
                    km=km,
                )
            )
    return t("claims.points", lang, origin=Raw(label), lines=Raw("\n".join(lines)))


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


async def close(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claims: list[InsurerClaim],
    *,
    actor: int | None,
) -> None:
    """Everything is paid: close the case, post the summary (and agreement), close the topic."""
    lang, now = svc.language, svc.clock.now()
    if not await lifecycle.move(session, case, CaseStatus.CLOSED, at=now, actor=actor):
        raise ConcurrentChange(f"case {case.number} moved while closing")
    lines = [
        t(
            "claims.closed_line",
            lang,
            insurer=svc.insurer_name(c.insurer_code),
            approved=format_fen(c.approved_fen or 0),
            paid=format_fen(c.paid_fen),
            claim_no=c.claim_no or "—",
            assessed=format_fen(c.assessed_fen) if c.assessed_fen is not None else "—",
        )
        for c in claims
    ]
    outbox.say(
        session,
        svc,
        case,
        t(
            "claims.closed",
            lang,
            number=case.number,
            lines=Raw("\n".join(lines)),
            total=format_fen(sum(c.paid_fen for c in claims)),
            duration=format_duration(now - case.opened_at, lang),
        ),
    )
    # The agreement (自行协商协议书) goes out before the topic closes; the sender renders it,
    # so a PDF problem is retried like any delivery and never undoes the closing payment.
    queue_closing_agreement(session, svc, case, actor=actor)
    if case.thread_mode == "forum":
        name = f"✅ {case.number} {svc.township_name(case.township_code)}"[:128]
        q.enqueue(
            session, at=now, chat_id=case.chat_id, kind="edit_topic", case_id=case.id, name=name
        )
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="close_topic", case_id=case.id)
        # Posts up to the newest one in the case already belong to the closing; only a
        # later post reopens the topic (bot/flows/topic.py).
        q.audit(
            session,
            at=now,
            kind="case.topic_closed",
            case_id=case.id,
            chat_id=case.chat_id,
            upto_message=await q.newest_message_id(session, case_id=case.id),
        )
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def assistant_and_police(
    session: AsyncSession, svc: Services, case: Case, *, police: bool
) -> tuple[Raw, Raw]:
    """Mentions of the case's assistant (its opener) and, when asked, the group's police."""
    assistant = outbox.mention(case.opened_by, case.opened_by_name)
    if not police:
        return assistant, Raw("")
    people = await people_for(
        session, svc, chat_id=case.chat_id, township=case.township_code, role="police"
    )
    return assistant, Raw(" ".join(outbox.mention(uid, name) for uid, name in people))
