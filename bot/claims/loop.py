"""The insurer loop's use cases: routing, decisions' aftermath, payments, closing.

All functions run inside the caller's transaction (one session, no commits) and record
what must be said in the outbox; button actions live in bot/claims/actions.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from html import escape
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims import rules
from bot.claims import texts as _texts  # noqa: F401  (registers this area's texts)
from bot.claims.rules import ClaimStatus, Line
from bot.evidence.geo import distance_km, format_km
from bot.kernel.buttons import button_data
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.parties import flow, store
from bot.parties.money import compute, grade_of, policy_from
from bot.roles.lookup import grants_of, insurer_contacts, people_for
from bot.rules.amounts import format_fen
from bot.rules.compensation import Party as RuleParty
from bot.rules.compensation_model import Layer
from storage import queries as q
from storage.models import AuditEvent, Case, InsurerClaim, InsurerPayment, Party

PENDING_PREFIX = "ins."
log = logging.getLogger(__name__)


def _agreement_poster() -> Any:
    """bot.agreement's post_agreement (built alongside this module), if present."""
    try:
        from bot.agreement import post_agreement  # type: ignore[attr-defined]
    except ImportError:
        try:
            from bot.agreement.post import post_agreement
        except ImportError:
            return None
    return post_agreement


def insurer_name(svc: Services, code: str) -> str:
    """An insurer's short name."""
    for ins in svc.deployment.insurers:
        if ins.code == code:
            return ins.short_name
    return code


async def live_claims(session: AsyncSession, case_id: int) -> list[InsurerClaim]:
    """The claims that count for a case (the latest round of each insurer), oldest first."""
    stmt = (
        select(InsurerClaim)
        .where(InsurerClaim.case_id == case_id, col(InsurerClaim.status).in_(list(rules.LIVE)))
        .order_by(col(InsurerClaim.id))
    )
    return list((await session.exec(stmt)).all())


def _plan(svc: Services, parties: list[Party]) -> dict[str, list[Line]]:
    rule_parties = []
    for p in parties:
        grade = grade_of(p.grade)
        if grade is None or p.estimate_fen is None or not p.insurer_code:
            return {}
        rule_parties.append(
            RuleParty(p.label, p.insurer_code, grade, p.estimate_fen, p.other_property_fen)
        )
    return rules.plan_claims(compute(rule_parties, policy_from(svc.deployment.compensation)))


# --- routing --------------------------------------------------------------------------


async def route(session: AsyncSession, svc: Services, case: Case, *, actor: int | None) -> None:
    """Send a complete case to its paying insurers (from `ready`, or again from `disputed`).

    A claim already approved for exactly the same lines is kept; every other open claim is
    superseded and its insurer pinged afresh, so old buttons go stale.
    """
    assert case.id is not None
    now = svc.clock.now()
    parties = await store.parties_of(session, case_id=case.id)
    plan = _plan(svc, parties)
    existing = {c.insurer_code: c for c in await live_claims(session, case.id)}
    kept, pinged = [], []
    for code, claim in existing.items():
        same = code in plan and claim.layers == [line.as_json() for line in plan[code]]
        if same and claim.status in (ClaimStatus.APPROVED, ClaimStatus.PAID):
            kept.append(code)
            continue
        claim.status = ClaimStatus.SUPERSEDED
        session.add(claim)
    for code, lines in plan.items():
        if code in kept:
            continue
        previous = existing.get(code)
        claim = InsurerClaim(
            case_id=case.id,
            insurer_code=code,
            round=(previous.round + 1) if previous else 1,
            status=ClaimStatus.PINGED,
            layers=[line.as_json() for line in lines],
            requested_fen=rules.total(lines),
            created_at=now,
        )
        session.add(claim)
        await session.flush()
        await _ping(session, svc, case, claim, parties)
        pinged.append(code)
    previous_status = case.status
    case.status, case.updated_at = "awaiting_insurer", now
    session.add(case)
    q.audit(
        session,
        at=now,
        kind="case.routed",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        previous=previous_status,
        pinged=pinged,
        kept=kept,
    )
    log.info("case %s routed to insurers %s", case.number, ", ".join(pinged) or "(none new)")
    await settle_case_status(session, svc, case, actor=actor)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def _ping(
    session: AsyncSession, svc: Services, case: Case, claim: InsurerClaim, parties: list[Party]
) -> None:
    lang, now = svc.language, svc.clock.now()
    people = await insurer_contacts(
        session,
        svc,
        chat_id=case.chat_id,
        township=case.township_code,
        insurer=claim.insurer_code,
    )
    mentions = (
        Raw(" ".join(flow.mention(uid, name) for uid, name in people))
        if people
        else Raw(t("c.nobody", lang))
    )
    plates = "、".join(
        f"{p.label}方 {p.plate}" for p in parties if p.insurer_code == claim.insurer_code
    )
    lines = [
        t(
            "c.line",
            lang,
            layer=Layer(line["layer"]).label_zh,
            payee=line["payee"],
            amount=format_fen(int(line["amount_fen"])),
            advanced=Raw(t("c.advanced", lang)) if line.get("advanced") else "",
        )
        for line in claim.layers
    ]
    text = t(
        "c.ping",
        lang,
        mentions=mentions,
        number=case.number,
        insurer=insurer_name(svc, claim.insurer_code),
        plates=plates or "—",
        lines=Raw("\n".join(lines)),
        total=format_fen(claim.requested_fen),
    )

    async def b(name: str) -> str:
        return await button_data(
            session,
            now=now,
            chat_id=case.chat_id,
            case_id=case.id,
            action_name=name,
            claim=claim.id,
            insurer=claim.insurer_code,
        )

    buttons = [
        [
            [t("b.approve", lang), await b("claim.approve")],
            [t("b.adjust", lang), await b("claim.adjust")],
        ],
        [
            [t("b.survey", lang), await b("claim.survey")],
            [t("b.reject", lang), await b("claim.reject")],
        ],
    ]
    q.enqueue(
        session,
        at=now,
        chat_id=case.chat_id,
        kind="send_text",
        case_id=case.id,
        text=text,
        buttons=buttons,
        record={"table": "insurer_claim", "id": claim.id},
    )
    q.audit(
        session,
        at=now,
        kind="claim.pinged",
        case_id=case.id,
        chat_id=case.chat_id,
        insurer=claim.insurer_code,
        claim=claim.id,
        requested_fen=claim.requested_fen,
        mentioned=[uid for uid, _ in people],
    )


# --- decisions ------------------------------------------------------------------------


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
    if case.status not in ("awaiting_insurer", "approved", "paid", "disputed") or not claims:
        return
    target = rules.case_status_for([c.status for c in claims])
    if target == case.status or (case.status == "disputed" and target == "awaiting_insurer"):
        return  # a disputed case returns only when the assistant resubmits
    now = svc.clock.now()
    case.status, case.updated_at = target, now
    session.add(case)
    q.audit(
        session, at=now, kind=f"case.{target}", case_id=case.id, chat_id=case.chat_id, actor=actor
    )
    log.info("case %s %s", case.number, target)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    if target == "approved":
        await _all_approved(session, svc, case, claims)
    elif target == "paid":
        await close(session, svc, case, claims, actor=actor)


async def _all_approved(
    session: AsyncSession, svc: Services, case: Case, claims: list[InsurerClaim]
) -> None:
    lang, now = svc.language, svc.clock.now()
    buttons, lines = [], []
    for claim in claims:
        name = insurer_name(svc, claim.insurer_code)
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
            buttons.append([[t("b.paid_full", lang, insurer=name), data]])
    flow.say(
        session, svc, case, t("c.all_approved", lang, lines=Raw("\n".join(lines))), buttons=buttons
    )
    flow.say(session, svc, case, nearest_points_text(svc, case, [c.insurer_code for c in claims]))


def nearest_points_text(
    svc: Services, case: Case, insurers: list[str], per_insurer: int = 2
) -> str:
    """The paying insurers' nearest assessment/repair points with address and phone."""
    lang = svc.language
    if case.scene_lat is not None and case.scene_lon is not None:
        origin, label = (case.scene_lat, case.scene_lon), t("c.origin.scene", lang)
    else:
        town = next((x for x in svc.deployment.townships if x.code == case.township_code), None)
        origin = (town.lat, town.lon) if town else (0.0, 0.0)
        label = t("c.origin.township", lang, township=svc.township_name(case.township_code))
    lines = []
    for code in dict.fromkeys(insurers):
        name = insurer_name(svc, code)
        points = sorted(
            (p for p in svc.deployment.service_points if p.insurer == code),
            key=lambda p: distance_km(origin, (p.lat, p.lon)),
        )[:per_insurer]
        if not points:
            lines.append(t("c.point_none", lang, insurer=name))
        for p in points:
            km = format_km(distance_km(origin, (p.lat, p.lon)))
            lines.append(
                t(
                    "c.point",
                    lang,
                    insurer=name,
                    name=p.name,
                    address=p.address,
                    phone=p.phone,
                    km=km,
                )
            )
    return t("c.points", lang, origin=Raw(label), lines=Raw("\n".join(lines)))


# --- payments and closing -------------------------------------------------------------


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
            f"c.pay.{problem.value}",
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
    flow.say(
        session,
        svc,
        case,
        t(
            "c.paid",
            lang,
            insurer=insurer_name(svc, claim.insurer_code),
            amount=format_fen(amount_fen),
            ref=Raw(t("c.ref", lang, ref=reference)) if reference else "",
            paid=format_fen(claim.paid_fen),
            approved=format_fen(claim.approved_fen or 0),
        ),
    )
    if claim.paid_fen == claim.approved_fen:
        await transition(session, claim, rules.Event.PAY_IN_FULL)
    await settle_case_status(session, svc, case, actor=user_id)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    return None


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return (f"{days}天" if days else "") + (f"{hours}小时" if hours or days else "") + f"{mins}分钟"


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
    case.status, case.updated_at = "closed", now
    session.add(case)
    q.audit(session, at=now, kind="case.closed", case_id=case.id, chat_id=case.chat_id, actor=actor)
    log.info("case %s closed", case.number)
    lines = [
        t(
            "c.closed_line",
            lang,
            insurer=insurer_name(svc, c.insurer_code),
            approved=format_fen(c.approved_fen or 0),
            paid=format_fen(c.paid_fen),
            claim_no=c.claim_no or "—",
            assessed=format_fen(c.assessed_fen) if c.assessed_fen is not None else "—",
        )
        for c in claims
    ]
    flow.say(
        session,
        svc,
        case,
        t(
            "c.closed",
            lang,
            number=case.number,
            lines=Raw("\n".join(lines)),
            total=format_fen(sum(c.paid_fen for c in claims)),
            duration=_duration(now - case.opened_at),
        ),
    )
    poster = _agreement_poster()
    if poster is not None:  # the agreement (自行协商协议书) goes out before the topic closes
        try:
            await poster(session, svc, case, actor=actor, dedupe_key=f"agreement:{case.id}")
        except Exception:  # a PDF problem must not undo the payment that closed the case
            log.exception("case %s: closing agreement failed", case.number)
            q.audit(session, at=now, kind="agreement.failed", case_id=case.id, chat_id=case.chat_id)
    if case.thread_mode == "forum":
        name = f"✅ {case.number} {svc.township_name(case.township_code)}"[:128]
        q.enqueue(
            session, at=now, chat_id=case.chat_id, kind="edit_topic", case_id=case.id, name=name
        )
        q.enqueue(session, at=now, chat_id=case.chat_id, kind="close_topic", case_id=case.id)
        q.audit(session, at=now, kind="case.topic_closed", case_id=case.id, chat_id=case.chat_id)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def reopen_topic_if_closed(
    svc: Services,
    *,
    chat_id: int,
    topic_id: int,
    user_id: int,
    is_chat_admin: Callable[[], Awaitable[bool]],
) -> bool:
    """Someone with a role wrote in a closed case's topic: reopen the topic (status stays).

    Most messages are in open topics: a read settles those, and Telegram is asked about
    admin status only for a closed case's topic and a writer without a role.
    """
    async with svc.db.session() as session:
        case = await q.case_of_topic(session, chat_id=chat_id, thread_id=topic_id)
        if case is None or case.status != "closed":
            return False
        grants = await grants_of(
            session, svc, chat_id=chat_id, user_id=user_id, township=case.township_code
        )
    if not grants and not await is_chat_admin():
        return False

    async def work(session: AsyncSession) -> bool:
        case = await q.case_of_topic(session, chat_id=chat_id, thread_id=topic_id)
        if case is None or case.status != "closed":
            return False
        stmt = (
            select(AuditEvent.kind)
            .where(
                AuditEvent.case_id == case.id,
                col(AuditEvent.kind).in_(["case.topic_closed", "case.topic_reopened"]),
            )
            .order_by(col(AuditEvent.id).desc())
            .limit(1)
        )
        last = (await session.exec(stmt)).first()
        if last != "case.topic_closed":
            return False
        now = svc.clock.now()
        q.enqueue(session, at=now, chat_id=chat_id, kind="reopen_topic", case_id=case.id)
        q.audit(
            session,
            at=now,
            kind="case.topic_reopened",
            case_id=case.id,
            chat_id=chat_id,
            actor=user_id,
        )
        return True

    return await svc.in_transaction(work)


async def assistant_and_police(
    session: AsyncSession, svc: Services, case: Case, *, police: bool
) -> tuple[Raw, Raw]:
    """Mentions of the case's assistant (its opener) and, when asked, the group's police."""
    assistant = flow.mention(case.opened_by, case.opened_by_name)
    if not police:
        return assistant, Raw("")
    people = await people_for(
        session, svc, chat_id=case.chat_id, township=case.township_code, role="police"
    )
    return assistant, Raw(" ".join(flow.mention(uid, name) for uid, name in people))
