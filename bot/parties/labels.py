"""Party labels 甲乙丙丁戊… (A, B, C, …), front to back or left to right at the scene.

The ten heavenly stems are the labels a Chinese accident form uses; how many of them a
case may use is the deployment's rules.max_parties (docs/domain.md: multi-vehicle accidents).
"""

from __future__ import annotations

LABELS = ("甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸")
LATIN = dict(zip(LABELS, "ABCDEFGHIJ", strict=True))
_FROM_LATIN = {latin: label for label, latin in LATIN.items()}


def parse_label(token: str) -> str | None:
    """The party label a token names (甲, 甲方, A, a), or None."""
    t = token.strip().removesuffix("方").upper()
    if t in LABELS:
        return t
    return _FROM_LATIN.get(t)


def allowed(label: str, max_parties: int) -> bool:
    """Whether a case may have a party with this label."""
    return label in LABELS[:max_parties]


def next_label(used: set[str], max_parties: int) -> str | None:
    """The first free label, or None when the case has all the parties it may have."""
    return next((label for label in LABELS[:max_parties] if label not in used), None)


def order(label: str) -> int:
    """Sort key: 甲 before 乙 … before 癸, anything else last."""
    return LABELS.index(label) if label in LABELS else len(LABELS)
