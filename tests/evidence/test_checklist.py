import pytest

from bot.config.deployment import Evidence
from bot.evidence.checklist import (
    assign_in_order,
    expand,
    is_complete,
    missing,
    next_free,
    party_labels,
    retag,
)

SPECS = Evidence().scenarios


def slots(scenario="default", parties=("甲", "乙")):
    return expand(SPECS[scenario], list(parties))


def test_default_checklist_of_two_parties():
    keys = [s.key for s in slots()]
    assert keys == [
        "front_oblique",
        "rear_oblique",
        "impact",
        "plate:甲",
        "driving_licence:甲",
        "vehicle_licence:甲",
        "plate:乙",
        "driving_licence:乙",
        "vehicle_licence:乙",
    ]


def test_junction_adds_signal_and_positions():
    keys = [s.key for s in slots("junction")]
    assert keys[3:5] == ["signal", "positions"] and len(keys) == 11


def test_labels_in_both_languages():
    s = {x.key: x for x in slots()}
    assert s["plate:甲"].label("zh") == "甲方车牌"
    assert s["plate:乙"].label("en") == "plate (party B)"
    assert s["impact"].label("zh") == "碰撞部位"


@pytest.mark.parametrize(
    ("named", "default", "want"),
    [
        ([], 2, ["甲", "乙"]),
        (["甲", "乙", "丙"], 2, ["甲", "乙", "丙"]),
        (["丙"], 1, ["甲", "丙"]),
        ([], 1, ["甲"]),
    ],
)
def test_party_labels(named, default, want):
    assert party_labels(named, default) == want


def test_album_fills_slots_in_order_skipping_taken_ones():
    s = slots()
    assert assign_in_order(s, ["rear_oblique"], 3) == ["front_oblique", "impact", "plate:甲"]
    assert assign_in_order(s, [x.key for x in s], 2) == [None, None]
    assert assign_in_order(s, [None, None], 1) == ["front_oblique"]


def test_missing_next_and_complete():
    s = slots()
    taken = [x.key for x in s[:8]]
    assert [x.key for x in missing(s, taken)] == ["vehicle_licence:乙"]
    assert next_free(s, taken).key == "vehicle_licence:乙"
    assert not is_complete(s, taken, 8, 3)
    taken.append("vehicle_licence:乙")
    assert next_free(s, taken) is None
    assert is_complete(s, taken, 9, 3)
    assert not is_complete(s, taken, 9, 10)  # fewer photos than the minimum


def test_retag_swaps_with_the_photo_holding_the_slot():
    current = {1: "front_oblique", 2: "rear_oblique", 3: None}
    assert retag(current, 3, "rear_oblique") == {3: "rear_oblique", 2: None}
    assert retag(current, 1, "rear_oblique") == {1: "rear_oblique", 2: "front_oblique"}
    assert retag(current, 2, None) == {2: None}
    assert retag(current, 1, "impact") == {1: "impact"}
    assert retag(current, 1, "front_oblique") == {}
    with pytest.raises(KeyError):
        retag(current, 9, "impact")
