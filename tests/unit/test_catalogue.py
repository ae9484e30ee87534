"""The text catalogue is complete: every key the code names exists, in both languages.

The wiring installs every area's catalogue explicitly, so these checks see the same
catalogue whichever tests run; a key used in the source but missing fails here, not in a
group chat.
"""

from __future__ import annotations

import ast
import string
from enum import StrEnum
from pathlib import Path

import pytest

from bot.case.status import CaseStatus
from bot.claims.rules import ClaimStatus, PayProblem
from bot.compose import wiring
from bot.kernel.texts import CATALOG
from bot.parties.eligibility import QUESTIONS
from bot.police.rules import Refusal as PoliceRefusal
from bot.rules.access import Role
from bot.rules.amounts import AmountErrorCode
from bot.rules.compensation_model import Layer
from bot.rules.liability import Grade

ROOT = Path(__file__).resolve().parents[2]


def _merged() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for catalogue in wiring.CATALOGUES:
        merged.update(catalogue)
    return merged


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _literal_keys() -> set[tuple[str, str]]:
    """(file, key) for every `t("literal", ...)` call in the bot and its handlers."""
    found = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add((str(path.relative_to(ROOT)), node.args[0].value))
    return found


def test_the_wiring_installs_every_catalogue() -> None:
    merged = _merged()
    assert len(merged) > 300
    assert set(merged) <= set(CATALOG)


def test_every_text_has_both_languages_with_the_same_placeholders() -> None:
    for key, entry in _merged().items():
        assert set(entry) == {"zh", "en"}, key
        # Only a separator may be empty (Chinese joins durations without a space).
        assert (entry["zh"].strip() and entry["en"].strip()) or key.endswith(".sep"), key
        assert _fields(entry["zh"]) == _fields(entry["en"]), key


def test_every_literal_key_in_the_source_exists() -> None:
    keys = _literal_keys()
    assert len(keys) > 200  # the scan finds the calls
    missing = sorted((f, k) for f, k in keys if k not in _merged())
    assert missing == []


ENUM_KEYS: list[tuple[str, type[StrEnum]]] = [
    ("status.{}", CaseStatus),
    ("claims.status.{}", ClaimStatus),
    ("grade.{}", Grade),
    ("layer.{}", Layer),
    ("err.amount.{}", AmountErrorCode),
    ("police.no.{}", PoliceRefusal),
    ("role.{}", Role),
    ("claims.pay.{}", PayProblem),
]


@pytest.mark.parametrize(("pattern", "enum"), ENUM_KEYS, ids=[p for p, _ in ENUM_KEYS])
def test_every_enum_member_has_its_text(pattern: str, enum: type[StrEnum]) -> None:
    missing = [m.value for m in enum if pattern.format(m.value) not in _merged()]
    assert missing == []


def test_every_eligibility_question_and_answer_has_its_text() -> None:
    merged = _merged()
    for q in QUESTIONS:
        assert f"parties.elig.q.{q.code}" in merged, q.code
        for value in (True, False):
            assert f"parties.elig.a.{q.code}.{value}" in merged, (q.code, value)
