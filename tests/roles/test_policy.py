"""The pure roles policy: role words, on-duty hours and the full authorisation matrix."""

from __future__ import annotations

from datetime import time

import pytest

from bot.rules.access import (
    GRANTABLE_ROLES,
    MATRIX,
    Action,
    Grant,
    Role,
    may,
    on_duty,
    parse_range,
    parse_role,
)

# --- on-duty hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "at", "expected"),
    [
        ((), time(3, 0), True),  # no hours: always
        (("08:00-18:00",), time(8, 0), True),  # start included
        (("08:00-18:00",), time(17, 59), True),
        (("08:00-18:00",), time(18, 0), False),  # end excluded
        (("08:00-18:00",), time(7, 59), False),
        (("22:00-06:00",), time(22, 0), True),  # overnight
        (("22:00-06:00",), time(23, 59), True),
        (("22:00-06:00",), time(0, 0), True),
        (("22:00-06:00",), time(5, 59), True),
        (("22:00-06:00",), time(6, 0), False),
        (("22:00-06:00",), time(12, 0), False),
        (("22:00-06:00",), time(21, 59), False),
        (("08:30-12:00", "13:30-18:00"), time(12, 30), False),  # lunch break
        (("08:30-12:00", "13:30-18:00"), time(13, 30), True),
        (("00:00-24:00",), time(23, 59), True),
        (("18:00-24:00",), time(0, 0), False),
        (("18:00-24:00",), time(23, 59, 59), True),
    ],
)
def test_on_duty(hours: tuple[str, ...], at: time, expected: bool):
    assert on_duty(hours, at) is expected


@pytest.mark.parametrize(
    "bad",
    [
        "8:00-18:00",
        "08:00-18:00 ",
        "08:00",
        "25:00-06:00",
        "08:60-09:00",
        "10:00-10:00",
        "24:00-06:00",
        "08:00-24:30",
        "",
        "morning",
    ],
)
def test_malformed_ranges_are_refused(bad: str):
    if bad.strip() == "08:00-18:00":  # surrounding blanks are forgiven
        assert parse_range(bad) == (480, 1080)
        return
    with pytest.raises(ValueError):
        parse_range(bad)


def test_range_in_minutes():
    assert parse_range("22:00-06:00") == (1320, 360)
    assert parse_range("00:00-24:00") == (0, 1440)


# --- role words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "role"),
    [
        ("adjuster", Role.ADJUSTER),
        ("ADJUSTER", Role.ADJUSTER),
        ("定损员", Role.ADJUSTER),
        ("主管", Role.SUPERVISOR),
        ("交警", Role.POLICE),
        ("police", Role.POLICE),
        ("协理员", Role.ASSISTANT),
        ("联席办", Role.LIAISON),
        ("admin", Role.ADMIN),
        (" liaison ", Role.LIAISON),
        ("chef", None),
        ("", None),
    ],
)
def test_parse_role(word: str, role: Role | None):
    assert parse_role(word) is role


def test_admin_is_never_grantable_in_chat():
    assert Role.ADMIN not in GRANTABLE_ROLES
    assert set(GRANTABLE_ROLES) == set(Role) - {Role.ADMIN}


# --- the authorisation matrix -------------------------------------------------------------

INSURER_DECISIONS = {
    Action.INSURER_APPROVE,
    Action.INSURER_ADJUST,
    Action.INSURER_SURVEY,
    Action.INSURER_REJECT,
    Action.INSURER_MUTUAL_RECOGNITION,
    Action.INSURER_RECORD_PAYOUT,
}
POLICE_PATH = {
    Action.POLICE_CLAIM,
    Action.POLICE_RELEASE,
    Action.POLICE_CANCEL,
    Action.POLICE_TAKE_OVER,
    Action.POLICE_HAND_BACK,
}
FAST_PATH = {Action.FAST_PATH_EDIT, Action.FAST_PATH_CONFIRMATION}


def expected(action: Action, role: Role, pays: bool) -> bool:
    """The roles' rules in words, written apart from the matrix so the two check each other."""
    insurer_person = role in (Role.ADJUSTER, Role.SUPERVISOR)
    if action in INSURER_DECISIONS:
        return insurer_person and pays  # only the paying insurer's adjusters and supervisors
    if action in POLICE_PATH:
        return role is Role.POLICE
    if action is Action.VIEW_TIMELINE:
        return role in (Role.POLICE, Role.LIAISON) or (insurer_person and pays)
    if action in FAST_PATH:
        return role in (Role.ASSISTANT, Role.POLICE, Role.ADMIN)
    if action is Action.ROLES_MANAGE:
        return role is Role.ADMIN
    if action is Action.AGREEMENT_REQUEST:  # the people the agreement is for
        return role in (Role.ASSISTANT, Role.POLICE, Role.ADMIN, Role.LIAISON) or (
            insurer_person and pays
        )
    if action in (Action.CASE_ROUTE, Action.CASE_TAKE):
        return role in (Role.ASSISTANT, Role.POLICE, Role.ADMIN)
    raise AssertionError(f"the test does not know {action}")


def _grant(role: Role, insurer: str | None) -> Grant:
    return Grant(role=role, insurer=insurer if role in (Role.ADJUSTER, Role.SUPERVISOR) else None)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_matrix_every_action_and_role(action: Action, role: Role):
    # The person's insurer pays; another insurer pays; nobody pays (e.g. not ready yet).
    assert may(action, [_grant(role, "PICC")], case_insurers={"PICC", "CPIC"}) is expected(
        action, role, pays=True
    )
    assert may(action, [_grant(role, "PICC")], case_insurers={"PINGAN"}) is expected(
        action, role, pays=False
    )
    assert may(action, [_grant(role, "PICC")]) is expected(action, role, pays=False)


def test_matrix_covers_every_action():
    assert set(MATRIX) == set(Action)


def test_no_grants_no_permission():
    assert not any(may(a, [], case_insurers={"PICC"}) for a in Action)


def test_any_grant_of_several_suffices():
    grants = [Grant(Role.ASSISTANT), Grant(Role.ADJUSTER, insurer="PICC")]
    assert may(Action.INSURER_APPROVE, grants, case_insurers=["PICC"])
    assert may(Action.FAST_PATH_EDIT, grants)
    assert not may(Action.POLICE_CLAIM, grants)


def test_insurer_role_without_insurer_allows_nothing_insurer_scoped():
    broken = [Grant(Role.SUPERVISOR, insurer=None)]
    assert not may(Action.INSURER_APPROVE, broken, case_insurers={"PICC"})
    assert not may(Action.VIEW_TIMELINE, broken, case_insurers={"PICC"})


def test_on_duty_hours_do_not_limit_permissions():
    off_duty = [Grant(Role.ADJUSTER, insurer="PICC", on_duty=("03:00-04:00",))]
    assert may(Action.INSURER_APPROVE, off_duty, case_insurers={"PICC"})
