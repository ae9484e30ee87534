"""Which police moves apply in which state (pure rules), exhaustively."""

from __future__ import annotations

import pytest

from bot.case.status import CaseStatus
from bot.police.rules import MOVES, Refusal, card_moves, clean_reason, refusal
from bot.rules.access import Action

STATUSES = tuple(CaseStatus)
ME, OTHER = 1, 2
CLAIMS = {"free": None, "mine": ME, "other": OTHER}
C, R, X, T, H = (
    Action.POLICE_CLAIM,
    Action.POLICE_RELEASE,
    Action.POLICE_CANCEL,
    Action.POLICE_TAKE_OVER,
    Action.POLICE_HAND_BACK,
)


def expected(move: Action, status: str, claim: str) -> Refusal | None:
    """The table the rules must follow, written out independently."""
    if status in ("closed", "cancelled"):
        return Refusal.TERMINAL
    if move is T:
        return Refusal.ALREADY_POLICE if status == "police" else None
    if status != "police":
        return Refusal.NOT_POLICE
    table = {
        C: {"free": None, "mine": Refusal.MINE, "other": Refusal.CLAIMED},
        R: {"free": Refusal.NOT_CLAIMED, "mine": None, "other": Refusal.CLAIMED},
        X: {"free": None, "mine": None, "other": Refusal.CLAIMED},
        H: {"free": None, "mine": None, "other": Refusal.CLAIMED},
    }
    return table[move][claim]


@pytest.mark.parametrize("claim", sorted(CLAIMS))
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("move", MOVES, ids=lambda m: m.value)
def test_every_move_in_every_state(move: Action, status: str, claim: str):
    got = refusal(move, status=status, claimed_by=CLAIMS[claim], officer=ME)
    assert got == expected(move, status, claim)


def test_take_over_applies_to_every_open_status_but_police():
    open_ = [s for s in STATUSES if refusal(T, status=s, claimed_by=None, officer=ME) is None]
    assert open_ == ["collecting", "ready", "awaiting_insurer", "approved", "paid", "disputed"]


def test_only_police_moves_are_judged():
    with pytest.raises(ValueError):
        refusal(Action.INSURER_APPROVE, status="police", claimed_by=None, officer=ME)


@pytest.mark.parametrize("status", STATUSES)
def test_card_buttons_per_status(status: str):
    free = card_moves(status=status, claimed=False)
    held = card_moves(status=status, claimed=True)
    if status in ("closed", "cancelled"):
        assert free == held == ()
    elif status == "police":
        assert free == (C, H, X)
        assert held == (R, H, X)
    else:
        assert free == held == (T,)
    # A button is only shown for a move that can apply to someone in this state.
    for move in free:
        assert refusal(move, status=status, claimed_by=None, officer=ME) is None
    for move in held:
        assert refusal(move, status=status, claimed_by=ME, officer=ME) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("  当事人 自行和解 ", "当事人 自行和解"),
        ("第一行\n第二行", "第一行 第二行"),
        ("", None),
        ("   \n ", None),
        ("长" * 300, "长" * 200),
    ],
)
def test_clean_reason(text: str, reason: str | None):
    assert clean_reason(text) == reason
