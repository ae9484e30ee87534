"""When is a case `ready`: the list of what is still missing, as plain data."""

from __future__ import annotations

from dataclasses import dataclass


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
