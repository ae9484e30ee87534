"""Pure rules of the insurer loop: who is asked for what, claim transitions, payout sums.

No Telegram and no database. Routing follows the cash: an insurer is pinged when it hands
over money (``Payment.cash_insurer``): under 无责代赔 the victim's own insurer advances
the no-fault 交强险 part and settles with the no-fault insurer later, outside the case, so
the no-fault insurer is not asked to approve anything. Payments by a person (当事人自付,
自担) have no insurer and are not routed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.case.status import CaseStatus
from bot.rules.amounts import AmountError, AmountErrorCode, parse_amount
from bot.rules.cleaning import clean_text
from bot.rules.compensation import Payment

# Questions the insurers are asked carry this prefix; the text router sends their answers here.
PENDING_PREFIX = "ins."


class ClaimStatus(StrEnum):
    """Where one insurer's claim stands."""

    PINGED = "pinged"  # asked, no decision yet
    APPROVED = "approved"  # approved (possibly with an adjusted amount), not fully paid
    PAID = "paid"  # approved amount fully paid
    SURVEY = "survey"  # on-site survey requested: the case is disputed
    REJECTED = "rejected"  # rejected: the case is disputed
    SUPERSEDED = "superseded"  # replaced by a claim of a later routing round


class Event(StrEnum):
    """What can happen to a claim."""

    APPROVE = "approve"
    ADJUST = "adjust"
    SURVEY = "survey"
    REJECT = "reject"
    PAY_IN_FULL = "pay_in_full"
    SUPERSEDE = "supersede"


S, E = ClaimStatus, Event
TRANSITIONS: dict[tuple[ClaimStatus, Event], ClaimStatus] = {
    (S.PINGED, E.APPROVE): S.APPROVED,
    (S.PINGED, E.ADJUST): S.APPROVED,
    (S.PINGED, E.SURVEY): S.SURVEY,
    (S.PINGED, E.REJECT): S.REJECTED,
    (S.APPROVED, E.PAY_IN_FULL): S.PAID,
    (S.PINGED, E.SUPERSEDE): S.SUPERSEDED,
    (S.SURVEY, E.SUPERSEDE): S.SUPERSEDED,
    (S.REJECTED, E.SUPERSEDE): S.SUPERSEDED,
    (S.APPROVED, E.SUPERSEDE): S.SUPERSEDED,
}
# Claims that still count for the case (the others belong to an earlier round).
LIVE = frozenset({S.PINGED, S.APPROVED, S.PAID, S.SURVEY, S.REJECTED})


def next_status(status: str, event: Event) -> ClaimStatus | None:
    """The status after an event, or None when the event does not apply."""
    try:
        return TRANSITIONS.get((ClaimStatus(status), event))
    except ValueError:
        return None


def case_status_for(statuses: Sequence[str]) -> CaseStatus:
    """The case status the live claims imply: disputed, awaiting_insurer, approved or paid."""
    live = [ClaimStatus(s) for s in statuses if s in LIVE]
    if not live:
        return CaseStatus.AWAITING_INSURER
    if any(s in (S.SURVEY, S.REJECTED) for s in live):
        return CaseStatus.DISPUTED
    if all(s is S.PAID for s in live):
        return CaseStatus.PAID
    if all(s in (S.APPROVED, S.PAID) for s in live):
        return CaseStatus.APPROVED
    return CaseStatus.AWAITING_INSURER


@dataclass(frozen=True)
class Line:
    """One thing an insurer is asked to approve: a layer's payment to one party."""

    layer: str
    payee: str
    amount_fen: int
    advanced: bool = False  # paid on behalf of another insurer (无责代赔)

    def as_json(self) -> dict[str, object]:
        return {
            "layer": self.layer,
            "payee": self.payee,
            "amount_fen": self.amount_fen,
            "advanced": self.advanced,
        }


def plan_claims(payments: Iterable[Payment]) -> dict[str, list[Line]]:
    """Per cash-paying insurer (in first-payment order), the lines it is asked to approve.

    互碰自赔 needs nothing special: each insurer pays its own vehicle, so it is asked
    for that vehicle only.
    """
    plan: dict[str, list[Line]] = {}
    for p in payments:
        insurer = p.cash_insurer
        if insurer is None or p.amount_fen <= 0:
            continue
        plan.setdefault(insurer, []).append(
            Line(p.layer.value, p.payee_party, p.amount_fen, advanced=p.advanced_by is not None)
        )
    return plan


def total(lines: Iterable[Line] | Iterable[dict[str, Any]]) -> int:
    """The sum of a claim's lines, in fen."""
    out = 0
    for line in lines:
        out += line.amount_fen if isinstance(line, Line) else int(line["amount_fen"])
    return out


class PayProblem(StrEnum):
    """Why a payment cannot be recorded."""

    NOT_APPROVED = "not_approved"
    ALREADY_PAID = "already_paid"
    OVER = "over"
    # A correction would leave a claim that was paid in full short again.
    REOPENS_PAID = "reopens_paid"


def payment_problem(
    *, status: str, approved_fen: int | None, paid_fen: int, amount_fen: int
) -> PayProblem | None:
    """Whether a payment of `amount_fen` (> 0) may be recorded on a claim; None if it may."""
    if status == S.PAID:
        return PayProblem.ALREADY_PAID
    if status != S.APPROVED or approved_fen is None:
        return PayProblem.NOT_APPROVED
    if paid_fen + amount_fen > approved_fen:
        return PayProblem.OVER
    return None


def correction_problem(
    *, status: str, approved_fen: int | None, paid_fen: int, old_fen: int, new_fen: int
) -> PayProblem | None:
    """Whether a recorded payment of `old_fen` may become `new_fen` (> 0); None if it may.

    The claim's paid total is what it would be with the corrected amount; it must stay
    within the approved amount, and a claim already paid in full stays paid in full (the
    claim machine has no way back from paid, and the case may have moved on from it).
    """
    if status not in (S.APPROVED, S.PAID) or approved_fen is None:
        return PayProblem.NOT_APPROVED
    corrected = paid_fen - old_fen + new_fen
    if corrected > approved_fen:
        return PayProblem.OVER
    if status == S.PAID and corrected < approved_fen:
        return PayProblem.REOPENS_PAID
    return None


def outstanding(approved_fen: int | None, paid_fen: int) -> int:
    """What is still to be paid on an approved claim."""
    return max((approved_fen or 0) - paid_fen, 0)


# --- the adjuster's reply with the claim number and the assessed amount ---------------

_CLAIM_NO = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")
_LABEL = re.compile(r"(报案号|案号|claim\s*no\.?|定损金额|定损|assessed)\s*[:：]?", re.IGNORECASE)


@dataclass(frozen=True)
class ClaimReply:
    """What an adjuster's reply after approval says (either part may be missing)."""

    claim_no: str | None = None
    assessed_fen: int | None = None
    error: AmountError | None = None


def _is_claim_no(token: str) -> bool:
    # Letters and digits (RDAA2026001), or a long run of digits no one means as yuan.
    if not _CLAIM_NO.match(token):
        return False
    return any(c.isalpha() for c in token) or (token.isdigit() and len(token) >= 8)


def parse_claim_reply(text: str, *, ceiling_fen: int | None) -> ClaimReply:
    """`报案号 RDAA2026XXXX 定损 1800`, `RDAA2026XXXX 1800`, `定损 1800`, or one of them.

    Labels are optional; a claim number is letters and digits (or 8+ digits); any other
    token must be the assessed amount (parse_amount rules). The first amount refused is
    reported in `error` (and then nothing is taken from the reply).
    """
    parts = _LABEL.split(unicodedata.normalize("NFKC", text or ""))
    # (label, text after it): the word after 定损 is the amount however it looks, so that
    # `定损 99999999` is refused as too large rather than taken as a claim number.
    chunks = [("", parts[0]), *((parts[i].lower(), parts[i + 1]) for i in range(1, len(parts), 2))]
    claim_no: str | None = None
    assessed: int | None = None
    for label, chunk in chunks:
        after_amount_label = label.startswith(("定损", "assessed"))
        for i, tok in enumerate(t for t in re.split(r"[\s、;；]+", chunk.strip()) if t):
            upper = tok.upper()
            if claim_no is None and not (after_amount_label and i == 0) and _is_claim_no(upper):
                claim_no = upper
                continue
            try:
                fen = parse_amount(tok, ceiling_fen=ceiling_fen)
            except AmountError as exc:
                return ClaimReply(error=exc)
            if assessed is not None:
                return ClaimReply(error=AmountError(AmountErrorCode.NOT_A_NUMBER))
            assessed = fen
    return ClaimReply(claim_no=claim_no, assessed_fen=assessed)


def parse_paid(text: str, *, ceiling_fen: int | None) -> tuple[int, str | None]:
    """`/paid 1800 REF-1` arguments: amount and optional reference; raises AmountError."""
    parts = (text or "").split(maxsplit=1)
    if not parts:
        return parse_amount("", ceiling_fen=ceiling_fen), None
    amount = parse_amount(parts[0], ceiling_fen=ceiling_fen)
    reference = clean_text(parts[1])[:64] if len(parts) > 1 else None
    return amount, reference or None
