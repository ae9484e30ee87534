"""Grades, presets, proposals and grade-set validation."""

from __future__ import annotations

import itertools
from types import MappingProxyType

import pytest

from bot.rules.liability import (
    DEFAULT_LIABILITY_POLICY,
    OTHER_VIOLATION,
    Grade,
    GradeProblem,
    LiabilityPolicy,
    check_grades,
    propose_grades,
)
from bot.rules.presets import PRESETS, PRESETS_BY_CODE, PresetCategory

G = Grade
P = GradeProblem


def test_grade_labels() -> None:
    assert [g.label_zh for g in Grade] == ["全部", "主要", "同等", "次要", "无"]
    assert [g.label_en for g in Grade] == ["full", "major", "equal", "minor", "none"]
    assert [g.at_fault for g in Grade] == [True, True, True, True, False]


def test_default_ratios() -> None:
    policy = DEFAULT_LIABILITY_POLICY
    assert [policy.ratio_bp(g) for g in Grade] == [10_000, 7_000, 5_000, 3_000, 0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"major_bp": 0},
        {"full_bp": 10_001},
        {"none_bp": -1},
        {"preset_weights": {"rear_end": 0}},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        LiabilityPolicy(**kwargs)


def test_presets_cover_the_eight_classes() -> None:
    assert {p.category for p in PRESETS} == set(PresetCategory)
    assert len(PresetCategory) == 8
    signal = [p for p in PRESETS if p.category is PresetCategory.SIGNAL]
    assert len(signal) == 6
    retrieved_yield = [p for p in PRESETS if p.category is PresetCategory.YIELD and not p.guess]
    assert len(retrieved_yield) == 16
    guessed = [p for p in PRESETS if p.guess]
    assert len(guessed) == 5 and all(p.category is PresetCategory.YIELD for p in guessed)


def test_presets_well_formed() -> None:
    codes = [p.code for p in PRESETS]
    assert len(codes) == len(set(codes)) == len(PRESETS_BY_CODE)
    assert OTHER_VIOLATION not in PRESETS_BY_CODE
    for p in PRESETS:
        assert p.code and p.label_zh and p.label_en
        assert "|" not in p.label_zh + p.label_en


def test_guessed_presets_can_be_hidden() -> None:
    strict = LiabilityPolicy(include_guessed_presets=False)
    assert len(strict.presets()) == len(PRESETS) - 5
    assert not any(p.guess for p in strict.presets())
    assert DEFAULT_LIABILITY_POLICY.presets() == PRESETS


@pytest.mark.parametrize("code", [p.code for p in PRESETS])
def test_any_single_preset_gives_full_liability(code: str) -> None:
    assert propose_grades({"甲": [code], "乙": []}) == {"甲": G.FULL, "乙": G.NONE}
    assert propose_grades({"甲": [], "乙": [code]}) == {"甲": G.NONE, "乙": G.FULL}


def test_nothing_listed_cannot_propose() -> None:
    assert propose_grades({"甲": [], "乙": []}) is None
    assert propose_grades({"甲": [OTHER_VIOLATION], "乙": []}) is None
    assert propose_grades({"甲": [OTHER_VIOLATION], "乙": [OTHER_VIOLATION]}) is None


def test_both_listed_equal_weight_is_equal() -> None:
    assert propose_grades({"甲": ["reversing"], "乙": ["door"]}) == {"甲": G.EQUAL, "乙": G.EQUAL}


def test_dominance_by_weight_is_major_minor() -> None:
    policy = LiabilityPolicy(preset_weights=MappingProxyType({"signal.red_light": 3}))
    got = propose_grades({"甲": ["yield.u_turn"], "乙": ["signal.red_light"]}, policy)
    assert got == {"甲": G.MINOR, "乙": G.MAJOR}


def test_max_not_sum_of_weights() -> None:
    # Two light items do not outweigh one: the max counts.
    assert propose_grades({"甲": ["reversing", "door"], "乙": ["rolling"]}) == {
        "甲": G.EQUAL,
        "乙": G.EQUAL,
    }


def test_listed_against_other_violation_is_major_minor() -> None:
    got = propose_grades({"甲": ["rear_end"], "乙": [OTHER_VIOLATION]})
    assert got == {"甲": G.MAJOR, "乙": G.MINOR}


def test_unknown_code_is_an_error() -> None:
    with pytest.raises(ValueError):
        propose_grades({"甲": ["teleported"], "乙": []})


def test_single_party_is_an_error() -> None:
    with pytest.raises(ValueError):
        propose_grades({"甲": ["rear_end"]})


def test_disabled_guess_counts_as_other_violation() -> None:
    strict = LiabilityPolicy(include_guessed_presets=False)
    assert propose_grades({"甲": ["yield.roundabout"], "乙": []}, strict) is None
    got = propose_grades({"甲": ["yield.roundabout"], "乙": ["rear_end"]}, strict)
    assert got == {"甲": G.MINOR, "乙": G.MAJOR}
    assert propose_grades({"甲": ["yield.roundabout"], "乙": []}) == {"甲": G.FULL, "乙": G.NONE}


def test_loss_limit_of_old_beijing_rule() -> None:
    sits = {"甲": ["rear_end"], "乙": []}
    assert propose_grades(sits, losses_fen={"甲": 199_999, "乙": 100}) is not None
    assert propose_grades(sits, losses_fen={"甲": 100, "乙": 200_000}) is None
    off = LiabilityPolicy(preset_loss_limit_fen=None)
    assert propose_grades(sits, off, losses_fen={"甲": 10**9, "乙": 1}) is not None


def test_three_parties() -> None:
    one = propose_grades({"甲": ["rear_end"], "乙": [], "丙": []})
    assert one == {"甲": G.FULL, "乙": G.NONE, "丙": G.NONE}
    two = propose_grades({"甲": ["door"], "乙": ["reversing"], "丙": []})
    assert two == {"甲": G.EQUAL, "乙": G.EQUAL, "丙": G.NONE}
    mixed = propose_grades({"甲": ["door"], "乙": [OTHER_VIOLATION], "丙": [OTHER_VIOLATION]})
    assert mixed == {"甲": G.MAJOR, "乙": G.MINOR, "丙": G.MINOR}
    policy = LiabilityPolicy(preset_weights=MappingProxyType({"signal.red_light": 2}))
    three_levels = {"甲": ["signal.red_light"], "乙": ["door"], "丙": [OTHER_VIOLATION]}
    assert propose_grades(three_levels, policy) is None


def test_every_proposal_is_valid() -> None:
    options = [[], [OTHER_VIOLATION], ["rear_end"], ["door", OTHER_VIOLATION]]
    for n in (2, 3):
        for combo in itertools.product(options, repeat=n):
            sits = {f"p{i}": list(c) for i, c in enumerate(combo)}
            got = propose_grades(sits)
            if got is not None:
                assert check_grades(got) is None, (sits, got)


@pytest.mark.parametrize(
    "grades",
    [
        (G.FULL, G.NONE),
        (G.NONE, G.FULL),
        (G.MAJOR, G.MINOR),
        (G.MINOR, G.MAJOR),
        (G.EQUAL, G.EQUAL),
        (G.NONE, G.NONE),
        (G.FULL, G.NONE, G.NONE),
        (G.EQUAL, G.EQUAL, G.EQUAL),
        (G.EQUAL, G.EQUAL, G.NONE),
        (G.MAJOR, G.MINOR, G.MINOR),
        (G.MAJOR, G.MAJOR, G.MINOR),
        (G.MAJOR, G.MINOR, G.NONE),
        (G.NONE, G.NONE, G.NONE),
    ],
)
def test_valid_grade_sets(grades: tuple[Grade, ...]) -> None:
    assert check_grades({f"p{i}": g for i, g in enumerate(grades)}) is None


@pytest.mark.parametrize(
    ("grades", "problem"),
    [
        ((G.FULL,), P.TOO_FEW_PARTIES),
        ((), P.TOO_FEW_PARTIES),
        ((G.FULL, G.FULL), P.SEVERAL_FULL),
        ((G.FULL, G.MINOR), P.FULL_NOT_ALONE),
        ((G.FULL, G.EQUAL), P.FULL_NOT_ALONE),
        ((G.FULL, G.MAJOR), P.FULL_NOT_ALONE),
        ((G.EQUAL, G.NONE), P.EQUAL_ALONE),
        ((G.EQUAL, G.MINOR), P.EQUAL_MIXED),
        ((G.EQUAL, G.MAJOR), P.EQUAL_MIXED),
        ((G.MAJOR, G.NONE), P.MAJOR_WITHOUT_MINOR),
        ((G.MAJOR, G.MAJOR), P.MAJOR_WITHOUT_MINOR),
        ((G.MINOR, G.NONE), P.MINOR_WITHOUT_MAJOR),
        ((G.MINOR, G.MINOR), P.MINOR_WITHOUT_MAJOR),
        ((G.FULL, G.FULL, G.NONE), P.SEVERAL_FULL),
        ((G.FULL, G.NONE, G.MINOR), P.FULL_NOT_ALONE),
        ((G.EQUAL, G.EQUAL, G.MINOR), P.EQUAL_MIXED),
        ((G.EQUAL, G.NONE, G.NONE), P.EQUAL_ALONE),
    ],
)
def test_invalid_grade_sets(grades: tuple[Grade, ...], problem: GradeProblem) -> None:
    assert check_grades({f"p{i}": g for i, g in enumerate(grades)}) is problem


def test_all_two_party_combinations() -> None:
    valid = {(G.FULL, G.NONE), (G.MAJOR, G.MINOR), (G.EQUAL, G.EQUAL), (G.NONE, G.NONE)}
    valid |= {(b, a) for a, b in valid}
    for a, b in itertools.product(Grade, repeat=2):
        assert (check_grades({"甲": a, "乙": b}) is None) == ((a, b) in valid), (a, b)
