"""The fast-path eligibility checklist (docs/domain.md §2.1) as data, and its verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    """A yes/no question; `fast` is the answer that keeps the case on the fast path."""

    code: str
    rule: str  # the docs/domain.md conditions it checks
    fast: bool


QUESTIONS: tuple[Question, ...] = (
    Question("injury", "E1", fast=False),
    Question("movable", "E3", fast=True),
    Question("documents", "E4 E7 E11", fast=True),
    Question("intoxication", "E5", fast=False),
    Question("dangerous_goods", "E10", fast=False),
    Question("agreed", "E12", fast=True),
)
BY_CODE = {q.code: q for q in QUESTIONS}


def next_question(answers: Mapping[str, bool]) -> Question | None:
    """The first question not yet answered."""
    return next((q for q in QUESTIONS if q.code not in answers), None)


def failures(answers: Mapping[str, bool]) -> list[Question]:
    """The answered questions whose answer leaves the fast path."""
    return [q for q in QUESTIONS if q.code in answers and answers[q.code] != q.fast]


def eligible(answers: Mapping[str, bool]) -> bool:
    """All questions answered and none leaves the fast path."""
    return next_question(answers) is None and not failures(answers)
