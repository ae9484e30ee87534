"""Post the agreement PDF into a case's thread: at closing, or on request with /agreement.

`post_agreement(session, svc, case)` gathers AgreementData from the database, renders
the PDF, writes it under MEDIA_DIR (`agreements/<case number>-<sha256 prefix>.pdf`, so
the outbox carries a path, never megabytes) and records a `send_document` outbox item
and an audit event, all in the caller's transaction. The insurer loop calls it when a
case closes; `/agreement` (request_agreement) posts the current draft at any time.

The insurers' decisions (claim numbers, approved and assessed amounts, payments) come
from `insurer_decisions()` (the insurer loop's InsurerClaim/InsurerPayment tables); a
paying insurer without a claim yet prints as a blank row to fill by hand.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreement.model import (
    AgreementData,
    CompensationLine,
    InsurerDecision,
    PartyData,
    PaymentRecord,
)
from bot.agreement.pdf import render_agreement
from bot.case.status import CaseStatus
from bot.claims.rules import ClaimStatus
from bot.kernel.incoming import AgreementRequest
from bot.kernel.outbox import say
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.parties import store
from bot.parties.masking import mask_name, mask_phone
from bot.parties.money import compute, grade_of, policy_from
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from bot.rules.compensation import Party as RuleParty
from bot.rules.presets import PRESETS_BY_CODE
from storage import queries as q
from storage.models import Case, InsurerClaim, InsurerPayment, OutboxItem, Party

# The closing agreement: an outbox kind the sender renders (see `sender_kinds`).
AGREEMENT_KIND = "send_agreement"

AGREEMENT_DIR = "agreements"
# 事故形态 follows from a preset situation only where it is unambiguous.
FORM_OF_SITUATION = {"rear_end": "追尾碰撞"}


def _place(svc: Services, case: Case) -> str | None:
    bits = [b for b in (case.scene_title, case.scene_address) if b]
    if not bits and case.scene_lat is not None and case.scene_lon is not None:
        bits = [
            svc.township_name(case.township_code),
            f"({case.scene_lat:.5f}, {case.scene_lon:.5f})",
        ]
    return " ".join(dict.fromkeys(bits)) or None


def _party(p: Party, insurers: dict[str, str], *, masked: bool) -> PartyData:
    grade = grade_of(p.grade)
    return PartyData(
        label=p.label,
        # The copy posted in the group is masked like the card; only police and the
        # party's insurer see the full name and phone (issue 5), and they have the case.
        name=mask_name(p.driver_name) if masked else p.driver_name,
        phone=mask_phone(p.phone) if masked else p.phone,
        vehicle_type=p.vehicle_type,
        plate=p.plate,
        insurer=insurers.get(p.insurer_code or "", p.insurer_code),
        policy_number=p.policy_number,
        situations=tuple(
            PRESETS_BY_CODE[c].label_zh if c in PRESETS_BY_CODE else c for c in p.situations
        ),
        liability=grade.label_zh if grade is not None else None,
        estimate_fen=p.estimate_fen,
        confirmed_via=p.confirmed_via if p.confirmed_at is not None else None,
        confirmed_at=p.confirmed_at,
    )


def compensation_lines(
    svc: Services, parties: list[Party], insurers: dict[str, str]
) -> tuple[CompensationLine, ...]:
    """The compensation table from the estimates (empty while grades or parties are missing)."""
    rule_parties = [
        RuleParty(p.label, p.insurer_code or "?", g, p.estimate_fen or 0, p.other_property_fen)
        for p in parties
        if (g := grade_of(p.grade)) is not None
    ]
    if len(rule_parties) < 2 or len(rule_parties) != len(parties):
        return ()
    try:
        payments = compute(rule_parties, policy_from(svc.deployment.compensation))
    except ValueError:
        return ()
    lines = []
    for pay in payments:
        if pay.payer_insurer is None:
            payer = f"{pay.payer_party}方自付"
        else:
            payer = f"{pay.payer_party}方 · {insurers.get(pay.payer_insurer, pay.payer_insurer)}"
        note = f"{insurers.get(pay.advanced_by, pay.advanced_by)}代赔" if pay.advanced_by else ""
        lines.append(
            CompensationLine(
                payer=payer,
                payee=f"{pay.payee_party}方",
                layer=pay.layer.label_zh,
                amount_fen=pay.amount_fen,
                note=note,
            )
        )
    return tuple(lines)


DECISION_ZH = {
    "pinged": "待审核",
    "approved": "同意",
    "paid": "同意（已付清）",
    "survey": "申请查勘",
    "rejected": "拒绝",
}


async def insurer_decisions(
    session: AsyncSession, svc: Services, case: Case
) -> tuple[InsurerDecision, ...]:
    """The paying insurers' decisions, claim numbers, assessed amounts and payments.

    Read from the insurer loop's tables (InsurerClaim, InsurerPayment): the claims of the
    latest routing round (superseded ones left out), in insurer order. An insurer paying
    in the compensation table without a claim yet prints as a blank row.
    """
    assert case.id is not None
    names = {i.code: i.short_name for i in svc.deployment.insurers}
    stmt = (
        select(InsurerClaim)
        .where(InsurerClaim.case_id == case.id, InsurerClaim.status != ClaimStatus.SUPERSEDED)
        .order_by(col(InsurerClaim.round).desc(), col(InsurerClaim.id))
    )
    latest: dict[str, InsurerClaim] = {}
    for claim in (await session.exec(stmt)).all():
        latest.setdefault(claim.insurer_code, claim)
    out = []
    for code, claim in latest.items():
        paid = (
            await session.exec(
                select(InsurerPayment)
                .where(InsurerPayment.claim_id == claim.id)
                .order_by(col(InsurerPayment.id))
            )
        ).all()
        decision = DECISION_ZH.get(claim.status, claim.status)
        if claim.reason:
            decision += f"：{claim.reason}"
        out.append(
            InsurerDecision(
                insurer=names.get(code, code),
                decision=decision,
                claim_number=claim.claim_no,
                approved_fen=claim.approved_fen,
                assessed_fen=claim.assessed_fen,
                decided_at=claim.decided_at,
                decided_by=claim.decided_by_name,
                payments=tuple(PaymentRecord(p.amount_fen, p.reference, p.at) for p in paid),
            )
        )
    return tuple(out)


async def agreement_data(
    session: AsyncSession, svc: Services, case: Case, *, masked: bool = True
) -> AgreementData:
    """Everything the agreement prints, read from the database (names and phones masked)."""
    assert case.id is not None
    insurers = {i.code: i.short_name for i in svc.deployment.insurers}
    parties = await store.parties_of(session, case_id=case.id)
    codes = {c for p in parties for c in p.situations}
    forms = {FORM_OF_SITUATION[c] for c in codes if c in FORM_OF_SITUATION}
    return AgreementData(
        case_number=case.number,
        generated_at=svc.clock.now(),
        timezone=svc.timezone,
        draft=case.status != CaseStatus.CLOSED,
        status=t(f"status.{case.status}", "zh"),
        township=svc.township_name(case.township_code),
        occurred_at=case.opened_at,
        place=_place(svc, case),
        accident_form=forms.pop() if len(forms) == 1 else None,
        photo_count=await q.photo_count(session, case_id=case.id),
        parties=tuple(_party(p, insurers, masked=masked) for p in parties),
        compensation=compensation_lines(svc, parties, insurers),
        decisions=await insurer_decisions(session, svc, case),
    )


def store_pdf(media_dir: Path, number: str, pdf: bytes) -> str:
    """Write the PDF under MEDIA_DIR (atomically); its path relative to MEDIA_DIR."""
    digest = hashlib.sha256(pdf).hexdigest()[:16]
    relative = f"{AGREEMENT_DIR}/{number}-{digest}.pdf"
    path = media_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pdf)
        tmp.replace(path)
    return relative


async def post_agreement(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    actor: int | None = None,
    reply_to: int | None = None,
) -> str:
    """Render the agreement and queue it as a document in the case thread; its MEDIA_DIR path."""
    data = await agreement_data(session, svc, case)
    pdf = await asyncio.to_thread(render_agreement, data, font_path=svc.agreement_font)
    relative = store_pdf(svc.media_dir, case.number, pdf)
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=case.chat_id,
        kind="send_document",
        case_id=case.id,
        reply_to=reply_to,
        **_document(svc, case, relative, draft=data.draft),
    )
    _audit_posted(session, svc, case, actor=actor, path=relative, size=len(pdf), draft=data.draft)
    return relative


def _document(svc: Services, case: Case, relative: str, *, draft: bool) -> dict[str, Any]:
    lang = svc.language
    caption = t(
        "agreement.caption",
        lang,
        number=case.number,
        draft=Raw(t("agreement.draft", lang)) if draft else "",
    )
    return {"path": relative, "filename": f"{case.number}-协议书.pdf", "caption": caption}


def _audit_posted(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None, **data: Any
) -> None:
    q.audit(
        session,
        at=svc.clock.now(),
        kind="agreement.posted",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        **data,
    )


def queue_closing_agreement(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None
) -> None:
    """The closed case's agreement, rendered by the sender when its turn comes (`sender_kinds`)."""
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=case.chat_id,
        kind=AGREEMENT_KIND,
        case_id=case.id,
        dedupe_key=f"agreement:{case.id}",
        actor=actor,
    )


def sender_kinds(
    send_document: Callable[[OutboxItem], Awaitable[None]], svc: Services
) -> dict[str, Callable[[OutboxItem], Awaitable[None]]]:
    """The agreement's outbox kind: render outside any use case's transaction, then send.

    Rendering takes a quarter of a second; inside the closing `/paid` it would hold the
    database's write lock that long. A failure here is retried by the sender.
    """

    async def deliver(item: OutboxItem) -> None:
        async with svc.db.session() as session:
            case = await session.get(Case, item.case_id) if item.case_id else None
            if case is None:
                return
            data = await agreement_data(session, svc, case)
        pdf = await asyncio.to_thread(render_agreement, data, font_path=svc.agreement_font)
        relative = store_pdf(svc.media_dir, case.number, pdf)
        await send_document(
            OutboxItem(
                id=item.id,
                chat_id=item.chat_id,
                case_id=item.case_id,
                kind="send_document",
                payload=_document(svc, case, relative, draft=data.draft),
                created_at=item.created_at,
            )
        )
        async with svc.db.transaction() as session:
            actor = item.payload.get("actor")
            _audit_posted(
                session, svc, case, actor=actor, path=relative, size=len(pdf), draft=data.draft
            )

    return {AGREEMENT_KIND: deliver}


async def may_request(
    session: AsyncSession, svc: Services, case: Case, req: AgreementRequest
) -> bool:
    """Assistants, police, admins (FAST_PATH_EDIT), liaison and the case's insurers (VIEW_TIMELINE).

    The case's opener counts as its assistant, as for evidence (bot/evidence/data.may_act).

    No action of its own in bot/rules/access.py: the union of these two is exactly the
    set of people the agreement is for, and the matrix stays as issue 6 specifies it.
    "The case's insurers" are the insurers of its parties (the draft may precede the
    compensation table).
    """
    assert case.id is not None
    if req.user_id == case.opened_by:
        return True
    grants = await grants_of(
        session,
        svc,
        chat_id=case.chat_id,
        user_id=req.user_id,
        township=case.township_code,
        chat_admin=req.chat_admin,
    )
    insurers = {
        p.insurer_code for p in await store.parties_of(session, case_id=case.id) if p.insurer_code
    }
    return may(Action.FAST_PATH_EDIT, grants) or may(
        Action.VIEW_TIMELINE, grants, case_insurers=insurers
    )


async def request_agreement(svc: Services, req: AgreementRequest) -> str:
    """/agreement in a case thread: post the current draft; what happened."""

    async def work(session: AsyncSession) -> str:
        lang = svc.language
        if await q.get_group(session, chat_id=req.chat_id) is None:
            return "unregistered"
        case = await q.case_in_thread(
            session,
            chat_id=req.chat_id,
            topic_id=req.topic_id,
            anchors=(req.reply_to_message_id, req.chain_root_id),
        )
        if case is None:
            q.enqueue(
                session,
                at=svc.clock.now(),
                chat_id=req.chat_id,
                kind="send_text",
                text=t("agreement.not_in_case", lang),
                reply_to=req.message_id,
                thread_id=req.topic_id,
            )
            return "not_in_case"
        if not await may_request(session, svc, case, req):
            q.audit(
                session,
                at=svc.clock.now(),
                kind="agreement.refused",
                case_id=case.id,
                chat_id=case.chat_id,
                actor=req.user_id,
            )
            say(session, svc, case, t("agreement.not_allowed", lang), reply_to=req.message_id)
            return "refused"
        await post_agreement(session, svc, case, actor=req.user_id, reply_to=req.message_id)
        return "posted"

    return await svc.in_transaction(work)
