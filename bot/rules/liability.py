"""Liability grades, the commercial ratio policy and grade proposals (docs/domain.md §4).

The bot only *proposes* grades; parties (by signing) or police fix them (§1 design rule).

Choices where docs/domain.md is silent:
- Weight of a preset: ``LiabilityPolicy.preset_weights`` (default 1 for all). A party's
  score is the MAX weight of its listed items (not the sum: two small faults are not one
  big one). Extra non-listed violations are ignored once a party has a listed item.
- ``OTHER_VIOLATION`` tags a causal violation that is not on the list (Guangzhou rule 3).
- Proposal: no listed item anywhere -> None. One party at fault (with a listed item) ->
  全部/无. Several at fault: equal scores -> 同等 for each; two distinct scores -> 主 for
  the top, 次 for the rest; more than two distinct scores -> None (police/parties decide).
  Parties with no situation get 无.
- Guessed presets switched off are treated as non-listed violations, not as errors.
- Old Beijing rule (list only when each car's loss < limit) is applied only when the
  caller passes ``losses_fen``.
- Validity for any number of parties: at most one 全部 and then everyone else 无; 同等 needs
  at least two parties and no 主/次; 主 needs a 次 and vice versa (主/次/次, 主/主/次
  allowed); 无 may pad any valid set; all 无 is a no-fault accident.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bot.rules.presets import PRESETS, PRESETS_BY_CODE, Preset

OTHER_VIOLATION = "other_violation"
BP = 10_000  # basis points in 100 %

_LABELS: dict[str, tuple[str, str]] = {
    "full": ("全部", "full"),
    "major": ("主要", "major"),
    "equal": ("同等", "equal"),
    "minor": ("次要", "minor"),
    "none": ("无", "none"),
}


class Grade(StrEnum):
    """Liability grades of 程序规定 Art 60."""

    FULL = "full"
    MAJOR = "major"
    EQUAL = "equal"
    MINOR = "minor"
    NONE = "none"

    @property
    def label_zh(self) -> str:
        """Chinese label as on the 协议书 (全部/主要/同等/次要/无)."""
        return _LABELS[self.value][0]

    @property
    def label_en(self) -> str:
        """English label."""
        return _LABELS[self.value][1]

    @property
    def at_fault(self) -> bool:
        """Any grade but 无 is 有责 for 交强险."""
        return self is not Grade.NONE


class GradeProblem(StrEnum):
    """Why a set of grades is not a consistent liability outcome."""

    TOO_FEW_PARTIES = "too_few_parties"
    SEVERAL_FULL = "several_full"
    FULL_NOT_ALONE = "full_not_alone"
    EQUAL_ALONE = "equal_alone"
    EQUAL_MIXED = "equal_mixed"
    MAJOR_WITHOUT_MINOR = "major_without_minor"
    MINOR_WITHOUT_MAJOR = "minor_without_major"


@dataclass(frozen=True)
class LiabilityPolicy:
    """Deployment-tunable liability figures (ratios in basis points)."""

    full_bp: int = 10_000
    major_bp: int = 7_000
    equal_bp: int = 5_000
    minor_bp: int = 3_000
    none_bp: int = 0
    preset_weights: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    include_guessed_presets: bool = True
    # Old Beijing rule (secondary, undated): list applies when each car's loss is below this.
    preset_loss_limit_fen: int | None = 200_000

    def __post_init__(self) -> None:
        ratios = (self.full_bp, self.major_bp, self.equal_bp, self.minor_bp, self.none_bp)
        if any(not 0 <= r <= BP for r in ratios) or min(ratios[:4]) <= 0:
            raise ValueError("liability ratios must be in 0..10000 bp, at-fault ones > 0")
        if any(w < 1 for w in self.preset_weights.values()):
            raise ValueError("preset weights must be >= 1")

    def ratio_bp(self, grade: Grade) -> int:
        """Commercial fault ratio of a grade, in basis points."""
        return {
            Grade.FULL: self.full_bp,
            Grade.MAJOR: self.major_bp,
            Grade.EQUAL: self.equal_bp,
            Grade.MINOR: self.minor_bp,
            Grade.NONE: self.none_bp,
        }[grade]

    def presets(self) -> tuple[Preset, ...]:
        """Presets offered in this deployment."""
        return tuple(p for p in PRESETS if self.include_guessed_presets or not p.guess)


DEFAULT_LIABILITY_POLICY = LiabilityPolicy()


def _score(codes: Sequence[str], policy: LiabilityPolicy) -> int:
    """Max weight of listed items; 0 if only non-listed violations; -1 if nothing."""
    best = -1
    for code in codes:
        preset = PRESETS_BY_CODE.get(code)
        if preset is None and code != OTHER_VIOLATION:
            raise ValueError(f"unknown situation code: {code!r}")
        listed = preset is not None and (policy.include_guessed_presets or not preset.guess)
        best = max(best, policy.preset_weights.get(code, 1) if listed else 0)
    return best


def propose_grades(
    situations_by_party: Mapping[str, Sequence[str]],
    policy: LiabilityPolicy = DEFAULT_LIABILITY_POLICY,
    *,
    losses_fen: Mapping[str, int] | None = None,
) -> dict[str, Grade] | None:
    """Propose a grade per party from preset situations, or None if no proposal applies."""
    if len(situations_by_party) < 2:
        raise ValueError("a proposal needs at least two parties")
    limit = policy.preset_loss_limit_fen
    if losses_fen and limit is not None and any(v >= limit for v in losses_fen.values()):
        return None
    scores = {p: _score(codes, policy) for p, codes in situations_by_party.items()}
    if max(scores.values()) < 1:
        return None  # no listed item: the list says nothing
    at_fault = {p: s for p, s in scores.items() if s >= 0}
    distinct = sorted(set(at_fault.values()), reverse=True)
    if len(at_fault) == 1:
        grades = dict.fromkeys(at_fault, Grade.FULL)
    elif len(distinct) == 1:
        grades = dict.fromkeys(at_fault, Grade.EQUAL)
    elif len(distinct) == 2:
        grades = {p: Grade.MAJOR if s == distinct[0] else Grade.MINOR for p, s in at_fault.items()}
    else:
        return None
    return {p: grades.get(p, Grade.NONE) for p in situations_by_party}


def check_grades(grades: Mapping[str, Grade]) -> GradeProblem | None:
    """Return why a set of grades is inconsistent, or None if it is valid."""
    if len(grades) < 2:
        return GradeProblem.TOO_FEW_PARTIES
    c = Counter(grades.values())
    if c[Grade.FULL] > 1:
        return GradeProblem.SEVERAL_FULL
    if c[Grade.FULL] == 1:
        others_at_fault = c[Grade.MAJOR] + c[Grade.EQUAL] + c[Grade.MINOR]
        return GradeProblem.FULL_NOT_ALONE if others_at_fault else None
    if c[Grade.EQUAL]:
        if c[Grade.MAJOR] or c[Grade.MINOR]:
            return GradeProblem.EQUAL_MIXED
        return GradeProblem.EQUAL_ALONE if c[Grade.EQUAL] == 1 else None
    if c[Grade.MAJOR] and not c[Grade.MINOR]:
        return GradeProblem.MAJOR_WITHOUT_MINOR
    if c[Grade.MINOR] and not c[Grade.MAJOR]:
        return GradeProblem.MINOR_WITHOUT_MAJOR
    return None
