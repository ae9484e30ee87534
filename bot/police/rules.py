"""Which police moves apply to a case in which state. Pure: no Telegram, no database.

Who may make them at all is bot/rules/access.py (police only); this module says whether a
move applies to the case as it stands and what the card offers:

- claim: a `police` case nobody has claimed; the claim is exclusive.
- release: the officer's own claim on a `police` case.
- cancel (with a reason): a `police` case, unclaimed or claimed by the officer. To cancel
  a case still on the fast path an officer takes it over first (one tap), so a case is
  never cancelled without police owning it.
- take over: any open case not already with the police (any status but police, closed,
  cancelled) becomes `police`, claimed by the officer.
- hand back: a `police` case, unclaimed or claimed by the officer, returns to
  `collecting`; the fast path's readiness check then decides whether it is `ready`.
"""

from __future__ import annotations

from enum import StrEnum

from bot.case.status import TERMINAL, CaseStatus
from bot.rules.access import Action
from bot.rules.cleaning import clean_text

POLICE = CaseStatus.POLICE
MOVES = (
    Action.POLICE_CLAIM,
    Action.POLICE_RELEASE,
    Action.POLICE_CANCEL,
    Action.POLICE_TAKE_OVER,
    Action.POLICE_HAND_BACK,
)


class Refusal(StrEnum):
    """Why a move does not apply (each has a text `pol.no.<value>`)."""

    TERMINAL = "terminal"  # the case is closed or cancelled
    NOT_POLICE = "not_police"  # the case is not with the police
    ALREADY_POLICE = "already_police"  # take over: it is already with the police
    MINE = "mine"  # claim: the officer holds the claim already (harmless repeat)
    CLAIMED = "claimed"  # someone else holds the claim
    NOT_CLAIMED = "not_claimed"  # release: nobody holds the claim


def refusal(move: Action, *, status: str, claimed_by: int | None, officer: int) -> Refusal | None:
    """None when the move applies to a case in this state for this officer, else why not."""
    if move not in MOVES:
        raise ValueError(f"{move} is no police move")
    if status in TERMINAL:
        return Refusal.TERMINAL
    if move is Action.POLICE_TAKE_OVER:
        return Refusal.ALREADY_POLICE if status == POLICE else None
    if status != POLICE:
        return Refusal.NOT_POLICE
    if move is Action.POLICE_CLAIM:
        if claimed_by == officer:
            return Refusal.MINE
        return Refusal.CLAIMED if claimed_by is not None else None
    if move is Action.POLICE_RELEASE:
        if claimed_by is None:
            return Refusal.NOT_CLAIMED
        return Refusal.CLAIMED if claimed_by != officer else None
    # cancel, hand back: the claim holder, or anyone while nobody holds it
    return Refusal.CLAIMED if claimed_by is not None and claimed_by != officer else None


def card_moves(*, status: str, claimed: bool) -> tuple[Action, ...]:
    """The police buttons the case card shows (the card is shared, so not per officer)."""
    if status in TERMINAL:
        return ()
    if status != POLICE:
        return (Action.POLICE_TAKE_OVER,)
    first = Action.POLICE_RELEASE if claimed else Action.POLICE_CLAIM
    return (first, Action.POLICE_HAND_BACK, Action.POLICE_CANCEL)


def clean_reason(text: str, *, max_chars: int = 200) -> str | None:
    """A cancellation reason as stored: one trimmed line; None when there is nothing."""
    reason = clean_text(text)
    return reason[:max_chars] if reason else None
