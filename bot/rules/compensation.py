"""Who pays whom after a property-only accident (docs/domain.md §5), in integer fen.

Order: 互碰自赔 if it applies; else 交强险 first, then the rest by fault ratio.
Choices where docs/domain.md is silent (all deterministic; ties go to input order):
- A victim's loss (vehicle + other property) is claimed in equal parts (largest
  remainder) from each at-fault other vehicle and, if the victim is at fault, from the
  no-fault vehicles taken as ONE pool (claims-manual practice: 所有无责方视为一个整体).
  A part one payer cannot cover is not moved to another payer's 交强险.
- An at-fault vehicle's 2,000 limit is per accident: if its victims' claims exceed it,
  it is split pro rata to the claims (largest remainder).
- No-fault vehicles never pay other no-fault vehicles. The pool limit is 100 per
  no-fault vehicle, split equally among the at-fault victims (water-fill: an unused
  share goes to the others). This gives §5.1: 1 at fault + n not -> up to n × 100;
  k at fault + 1 not -> 100 / k each. Each pool payment is attributed to the individual
  no-fault vehicles pro rata to their unused limits and, with 无责代赔, is advanced by
  the victim's own insurer (``advanced_by``); the no-fault insurer pays no cash.
- The rest of each loss is split over ALL vehicles by their commercial ratio (normalised,
  so 3 × 同等 means a third each; 无责 is 0 whatever the deployment's ``none`` ratio says;
  there is no collision graph). Others' parts are 三者
  (after deductibles, then capped per payer at the sum insured pro rata; the excess is
  paid by the at-fault party itself: PARTY_DIRECT). The victim's own part goes to its
  车损险 for the vehicle and is SELF_BORNE for other property (split pro rata V:P).
- All 无责 (no-fault accident): no 交强险 flows; each 车损险 pays its own vehicle.
- 互碰自赔: enabled, parties consent, all at fault, no other property, each vehicle's loss
  <= the ceiling (inclusive: "within" the 2,000 limit) -> each insurer pays its own car.
- Every vehicle is assumed to carry 交强险, 三者险 and 车损险 with the one insurer given.
Invariant (checked on every call): each party receives exactly its loss.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from bot.rules.commercial import commercial_payments
from bot.rules.compensation_model import (
    DEFAULT_COMPENSATION_POLICY,
    CompensationPolicy,
    Layer,
    Party,
    Payment,
    pay,
)
from bot.rules.compulsory import compulsory_payments
from bot.rules.liability import check_grades

__all__ = [
    "DEFAULT_COMPENSATION_POLICY",
    "CompensationPolicy",
    "Layer",
    "Party",
    "Payment",
    "insurer_totals",
    "invariant_violations",
    "mutual_self_applies",
    "received_by_party",
    "settle",
    "total_loss_fen",
]


def mutual_self_applies(
    parties: Sequence[Party], policy: CompensationPolicy = DEFAULT_COMPENSATION_POLICY
) -> bool:
    """True when 互碰自赔 conditions hold (consent is asked separately)."""
    return policy.mutual_self_settlement and all(
        p.grade.at_fault
        and p.other_property_loss_fen == 0
        and p.vehicle_loss_fen <= policy.mutual_self_ceiling_fen
        for p in parties
    )


def _validate(parties: Sequence[Party]) -> None:
    if len({p.label for p in parties}) != len(parties):
        raise ValueError("party labels must be unique")
    if any(p.vehicle_loss_fen < 0 or p.other_property_loss_fen < 0 for p in parties):
        raise ValueError("losses must be non-negative")
    problem = check_grades({p.label: p.grade for p in parties})
    if problem is not None:
        raise ValueError(f"inconsistent grades: {problem.value}")


def settle(
    parties: Sequence[Party],
    policy: CompensationPolicy = DEFAULT_COMPENSATION_POLICY,
    *,
    mutual_consent: bool = True,
) -> list[Payment]:
    """Compute every payment (zero amounts omitted) that makes each party whole."""
    _validate(parties)
    if mutual_consent and mutual_self_applies(parties, policy):
        payments = [pay(p, p, Layer.MUTUAL_SELF, p.vehicle_loss_fen) for p in parties]
    else:
        payments = compulsory_payments(parties, policy)
        payments += commercial_payments(parties, policy, received_by_party(payments))
    payments = [p for p in payments if p.amount_fen]
    problems = invariant_violations(parties, payments)
    if problems:  # a bug here would misstate money in a signed agreement: fail loudly
        raise RuntimeError("; ".join(problems))
    return payments


def total_loss_fen(parties: Iterable[Party]) -> int:
    """Sum of all parties' losses."""
    return sum(p.total_loss_fen for p in parties)


def received_by_party(payments: Iterable[Payment]) -> dict[str, int]:
    """Total received per payee party."""
    totals: dict[str, int] = defaultdict(int)
    for p in payments:
        totals[p.payee_party] += p.amount_fen
    return dict(totals)


def insurer_totals(payments: Iterable[Payment], *, cash: bool = True) -> dict[str, int]:
    """Total per insurer: by who pays out (cash) or by whose cover is liable."""
    totals: dict[str, int] = defaultdict(int)
    for p in payments:
        insurer = p.cash_insurer if cash else p.payer_insurer
        if insurer is not None:
            totals[insurer] += p.amount_fen
    return dict(totals)


def invariant_violations(parties: Sequence[Party], payments: Sequence[Payment]) -> list[str]:
    """Broken invariants (empty when sound): sums, per-party receipts, positive amounts."""
    problems = [f"non-positive amount: {p}" for p in payments if p.amount_fen <= 0]
    received = received_by_party(payments)
    for party in parties:
        if received.get(party.label, 0) != party.total_loss_fen:
            problems.append(f"{party.label} receives {received.get(party.label, 0)}")
    paid = sum(p.amount_fen for p in payments)
    if paid != total_loss_fen(parties):
        problems.append(f"payments {paid} != total loss {total_loss_fen(parties)}")
    return problems
