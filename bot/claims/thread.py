"""A claim's ping is the insurer's working message: each step edits it in place.

The ping notifies the insurer's on-duty adjusters (it mentions them). What follows — the
approval and the question for the claim number, the numbers taken, "everyone approved"
with the payout button and the nearest service points — is an edit of that one message,
not a new message to every member of the group (docs/architecture.md, "Quiet threads").
A step that must notify someone who was not just acting (a rejection, a survey) still
posts its own message.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import CaseStatus
from bot.claims.checks import claim_button
from bot.claims.rules import ClaimStatus
from bot.claims.store import ping_ref
from bot.evidence.geo import distance_km, format_km
from bot.kernel import outbox
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.parties import store
from bot.roles.lookup import insurer_contacts
from bot.rules.amounts import format_fen
from bot.rules.compensation_model import Layer
from storage.models import Case, InsurerClaim, Party


async def ping_text(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    parties: list[Party] | None = None,
) -> tuple[str, list[tuple[int, str]]]:
    """The ping of a claim, and the people it mentions (the insurer's on-duty adjusters)."""
    lang = svc.language
    if parties is None:
        parties = await store.parties_of(session, case_id=case.id or 0)
    people = await insurer_contacts(
        session,
        svc,
        chat_id=case.chat_id,
        township=case.township_code,
        insurer=claim.insurer_code,
    )
    mentions = (
        Raw(" ".join(outbox.mention(uid, name) for uid, name in people))
        if people
        else Raw(t("claims.nobody", lang))
    )
    plates = "、".join(
        t("parties.party_plate", lang, label=p.label, plate=p.plate or "?")
        for p in parties
        if p.insurer_code == claim.insurer_code
    )
    lines = [
        t(
            "claims.line",
            lang,
            layer=t(f"layer.{Layer(line['layer']).value}", lang),
            payee=line["payee"],
            amount=format_fen(int(line["amount_fen"])),
            advanced=Raw(t("claims.advanced", lang)) if line.get("advanced") else "",
        )
        for line in claim.layers
    ]
    text = t(
        "claims.ping",
        lang,
        mentions=mentions,
        number=case.number,
        insurer=svc.insurer_name(claim.insurer_code),
        plates=Raw(plates) if plates else "—",
        lines=Raw("\n".join(lines)),
        total=format_fen(claim.requested_fen),
    )
    return text, people


async def show_approved(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
) -> None:
    """Edit an approved claim's ping to its state: who approved, the numbers (or the open
    question for them), and once the case is approved the payout button and service points."""
    lang = svc.language
    assert claim.id is not None
    name = svc.insurer_name(claim.insurer_code)
    text, _ = await ping_text(session, svc, case, claim)
    adjusted = claim.approved_fen is not None and claim.approved_fen != claim.requested_fen
    parts = [
        text,
        t(
            "claims.adjusted_line" if adjusted else "claims.approved_line",
            lang,
            insurer=name,
            amount=format_fen(claim.approved_fen or 0),
            old=format_fen(claim.requested_fen),
            who=claim.decided_by_name or "",
        ),
    ]
    if claim.claim_no is not None and claim.assessed_fen is not None:
        parts.append(numbers_text(svc, claim))
    elif claim.decided_by is not None:
        parts.append(
            t(
                "claims.claim_ask",
                lang,
                asker=outbox.mention(claim.decided_by, claim.decided_by_name or ""),
            )
        )
    buttons: list[list[list[str]]] = []
    if case.status == CaseStatus.APPROVED and claim.status == ClaimStatus.APPROVED:
        parts.append(t("claims.all_approved_short", lang))
        data = await claim_button(session, svc, case, claim, "claim.paid_full")
        buttons.append([[t("claims.b.paid_full", lang, insurer=name), data]])
        parts.append(nearest_points_text(svc, case, [claim.insurer_code]))
    outbox.edit_ref(session, svc, case, ping_ref(claim.id), "\n\n".join(parts), buttons=buttons)


def numbers_text(svc: Services, claim: InsurerClaim) -> str:
    """The claim number and 定损 an adjuster gave, as the ping and the reply to him say them."""
    return t(
        "claims.claim_recorded",
        svc.language,
        insurer=svc.insurer_name(claim.insurer_code),
        claim_no=claim.claim_no,
        assessed=format_fen(claim.assessed_fen or 0),
    )


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
