"""The case's status machine as data: the statuses, the sets areas ask about, the moves.

Pure: no Telegram, no database. `bot/case/lifecycle.py` is the one function that moves a
case's row, and it refuses any move this table does not list. The claims of a case have a
machine of their own (`bot/claims/rules.py`); the case's insurer stage follows them.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    """Where a case stands (each has a text `status.<value>`)."""

    COLLECTING = "collecting"
    READY = "ready"
    AWAITING_INSURER = "awaiting_insurer"
    APPROVED = "approved"
    PAID = "paid"
    CLOSED = "closed"
    POLICE = "police"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"


S = CaseStatus

# A disputed case stays editable: the assistant updates evidence or figures, then it re-routes.
EDITABLE = frozenset({S.COLLECTING, S.READY, S.DISPUTED})
# With the insurers: their buttons act, and the case follows its claims.
INSURER_STAGE = frozenset({S.AWAITING_INSURER, S.APPROVED, S.PAID, S.DISPUTED})
TERMINAL = frozenset({S.CLOSED, S.CANCELLED})
OPEN = frozenset(S) - TERMINAL

# Every move a case may make. Police may take over any open case; a police case goes back
# to collecting (readiness then decides) or is cancelled; a new case none of whose photos
# could be kept is withdrawn (cancelled) before anyone saw it; the rest is the fast path.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.COLLECTING: frozenset({S.READY, S.POLICE, S.CANCELLED}),
    S.READY: frozenset({S.COLLECTING, S.AWAITING_INSURER, S.POLICE}),
    S.AWAITING_INSURER: frozenset({S.APPROVED, S.PAID, S.DISPUTED, S.POLICE}),
    S.APPROVED: frozenset({S.AWAITING_INSURER, S.PAID, S.DISPUTED, S.POLICE}),
    S.PAID: frozenset({S.CLOSED, S.AWAITING_INSURER, S.APPROVED, S.DISPUTED, S.POLICE}),
    S.DISPUTED: frozenset({S.AWAITING_INSURER, S.APPROVED, S.PAID, S.POLICE}),
    S.POLICE: frozenset({S.COLLECTING, S.CANCELLED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# The audit event a move writes, where it is not `case.<target>`.
AUDIT_KIND: dict[tuple[CaseStatus, CaseStatus], str] = {
    (S.READY, S.COLLECTING): "case.unready",
    (S.POLICE, S.COLLECTING): "case.handed_back",
    (S.READY, S.AWAITING_INSURER): "case.routed",
    (S.DISPUTED, S.AWAITING_INSURER): "case.routed",
}


def allowed(current: str, target: str) -> bool:
    """Whether a case in `current` may move to `target`."""
    return CaseStatus(target) in TRANSITIONS[CaseStatus(current)]


def audit_kind(current: str, target: str) -> str:
    """The audit event kind of a move."""
    return AUDIT_KIND.get((CaseStatus(current), CaseStatus(target)), f"case.{target}")
