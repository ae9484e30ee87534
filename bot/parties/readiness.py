"""When is a case `ready`: the list of what is still missing, as plain data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evidence import checklist
from bot.evidence import data as evidence_data
from bot.kernel.services import Services
from bot.parties import eligibility, store
from bot.parties.money import grade_of
from bot.rules.liability import check_grades
from storage.models import Case, Party


@dataclass(frozen=True)
class PartyFacts:
    """What is known of one party, as far as readiness cares."""

    label: str
    complete: bool  # plate, insurer, driver name and phone
    grade: str | None
    estimate_fen: int | None
    confirmed: bool


@dataclass(frozen=True)
class CaseFacts:
    """What is known of a case, as far as readiness cares."""

    photos_ok: bool
    parties: tuple[PartyFacts, ...]
    eligibility_complete: bool
    eligible: bool
    grades_valid: bool
    require_confirmations: bool


def missing(facts: CaseFacts) -> list[str]:
    """Codes of what is missing before the case is ready, in the order to ask for it."""
    out: list[str] = []
    if not facts.photos_ok:
        out.append("photos")
    if len(facts.parties) < 2:
        out.append("parties")
    out += [f"party:{p.label}" for p in facts.parties if not p.complete]
    if not facts.eligibility_complete:
        out.append("eligibility")
    elif not facts.eligible:
        out.append("ineligible")
    if not facts.parties or any(p.grade is None for p in facts.parties):
        out.append("liability")
    elif not facts.grades_valid:
        out.append("liability_invalid")
    out += [f"estimate:{p.label}" for p in facts.parties if p.estimate_fen is None]
    if facts.require_confirmations:
        out += [f"confirm:{p.label}" for p in facts.parties if not p.confirmed]
    return out


def party_complete(p: Party) -> bool:
    """Plate, insurer, driver name and phone, and vehicle type are known."""
    return bool(p.plate and p.insurer_code and p.driver_name and p.phone and p.vehicle_type)


async def facts(session: AsyncSession, svc: Services, case: Case) -> CaseFacts:
    """Everything readiness needs, read from the database."""
    assert case.id is not None
    parties = await store.parties_of(session, case_id=case.id)
    photos = await evidence_data.case_photos(session, case.id)
    slots = await evidence_data.slots_of(session, svc, case)
    grades = {p.label: grade_of(p.grade) for p in parties}
    valid = (
        all(grades.values())
        and len(parties) >= 2
        and check_grades({k: v for k, v in grades.items() if v is not None}) is None
    )
    return CaseFacts(
        photos_ok=checklist.is_complete(
            slots, [p.slot for p in photos], len(photos), svc.deployment.rules.photos_min
        ),
        parties=tuple(
            PartyFacts(
                label=p.label,
                complete=party_complete(p),
                grade=p.grade,
                estimate_fen=p.estimate_fen,
                confirmed=p.confirmed_at is not None,
            )
            for p in parties
        ),
        eligibility_complete=eligibility.next_question(case.eligibility) is None,
        eligible=eligibility.eligible(case.eligibility),
        grades_valid=valid,
        require_confirmations=svc.deployment.rules.require_confirmations,
    )
