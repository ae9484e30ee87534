"""The insurer loop's use cases: routing, decisions' aftermath, payments, closing.

All functions run inside the caller's transaction (one session, no commits) and record
what must be said in the outbox; button actions live in bot/claims/buttons.py.
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks, lifecycle
from bot.case.status import CaseStatus
from bot.claims import rules, thread
from bot.claims.checks import claim_button
from bot.claims.rules import ClaimStatus, Line
from bot.claims.settle import settle_case_status
from bot.claims.store import live_claims, ping_ref
from bot.kernel.services import ConcurrentChange, Services
from bot.kernel.texts import t
from bot.parties import store
from bot.parties.money import compute, grade_of, policy_from
from bot.rules import sla
from bot.rules.compensation import Party as RuleParty
from storage import queries as q
from storage.models import Case, InsurerClaim, Party

log = logging.getLogger(__name__)


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
        if code not in plan or claim.status == ClaimStatus.APPROVED:
            # Asked again, a waiting insurer's clocks run on; otherwise they end here.
            clocks.note(session, case.id, sla.Event.CLAIM_WITHDRAWN, at=now, insurer=code)
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
        clocks.note(session, case.id, sla.Event.INSURER_PINGED, at=now, insurer=code)
        pinged.append(code)
    status_before = case.status
    moved = await lifecycle.move(
        session,
        case,
        CaseStatus.AWAITING_INSURER,
        at=now,
        actor=actor,
        previous=status_before,
        pinged=pinged,
        kept=kept,
    )
    if not moved:  # another transaction moved the case meanwhile: its claims stand undone
        raise ConcurrentChange(f"case {case.number} moved while routing")
    await settle_case_status(session, svc, case, actor=actor)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def _ping(
    session: AsyncSession, svc: Services, case: Case, claim: InsurerClaim, parties: list[Party]
) -> None:
    lang, now = svc.language, svc.clock.now()
    text, people = await thread.ping_text(session, svc, case, claim, parties)

    async def b(name: str) -> str:
        return await claim_button(session, svc, case, claim, name)

    buttons = [
        [
            [t("claims.b.approve", lang), await b("claim.approve")],
            [t("claims.b.adjust", lang), await b("claim.adjust")],
        ],
        [
            [t("claims.b.survey", lang), await b("claim.survey")],
            [t("claims.b.reject", lang), await b("claim.reject")],
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
        ref=ping_ref(claim.id),
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


# --- payments and closing -------------------------------------------------------------
