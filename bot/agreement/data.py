"""What the agreement (自行协商协议书) says, gathered from the database (docs/domain.md §3.3)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreement.model import (
    AgreementData,
    CompensationLine,
    InsurerDecision,
    PartyData,
    PaymentRecord,
)
from bot.case.status import CaseStatus
from bot.claims.rules import ClaimStatus
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import store
from bot.parties.masking import mask_name, mask_phone
from bot.parties.money import compute, grade_of, policy_from
from bot.rules.compensation import Party as RuleParty
from bot.rules.presets import PRESETS_BY_CODE
from storage import queries as q
from storage.models import Case, InsurerClaim, InsurerPayment, Party

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
        # party's insurer see the full name and phone, and they have the case.
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
