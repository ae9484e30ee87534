"""The deployment file's people: insurer roles name an insurer, on-duty hours are checked."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config.deployment import EXAMPLE_FILE, Deployment, Person, load_deployment


def test_example_has_adjusters_and_supervisors_of_three_insurers():
    d = load_deployment(EXAMPLE_FILE)
    for code in ("PICC", "PINGAN", "CPIC"):
        roles = {p.role for p in d.people if p.insurer == code}
        assert roles == {"adjuster", "supervisor"}, code
    assert any(p.on_duty for p in d.people)


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "adjuster"},  # no insurer
        {"role": "supervisor"},
        {"role": "police", "insurer": "PICC"},  # police belong to no insurer
        {"role": "adjuster", "insurer": "PICC", "on_duty": ["8-18"]},
        {"role": "adjuster", "insurer": "PICC", "on_duty": ["08:00-08:00"]},
        {"role": "chef"},
    ],
)
def test_bad_people_are_refused(fields: dict):
    with pytest.raises(ValidationError):
        Person(user_id=1, name="x", **fields)


def test_unknown_insurer_is_refused():
    raw = load_deployment(EXAMPLE_FILE).model_dump()
    raw["people"] = [{"user_id": 1, "name": "x", "role": "adjuster", "insurer": "NOPE"}]
    with pytest.raises(ValidationError, match="unknown insurer"):
        Deployment.model_validate(raw)


def test_good_person():
    p = Person(user_id=1, name="x", role="adjuster", insurer="PICC", on_duty=["22:00-06:00"])
    assert p.on_duty == ("22:00-06:00",)
