"""Party labels 甲/乙/丙/丁 (A/B/C/D), front to back or left to right at the scene."""

from __future__ import annotations

LABELS = ("甲", "乙", "丙", "丁")
_LATIN = {"A": "甲", "B": "乙", "C": "丙", "D": "丁"}


def parse_label(token: str) -> str | None:
    """The party label a token names (甲, 甲方, A, a), or None."""
    t = token.strip().removesuffix("方").upper()
    if t in LABELS:
        return t
    return _LATIN.get(t)


def next_label(used: set[str]) -> str | None:
    """The first free label, or None when all four are used."""
    return next((label for label in LABELS if label not in used), None)
