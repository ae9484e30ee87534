"""Who may send a case to the insurers and take a case: the access table's rows."""

from __future__ import annotations

import pytest

from bot.rules.access import Action, Grant, Role, may


@pytest.mark.parametrize("action", [Action.CASE_ROUTE, Action.CASE_TAKE])
@pytest.mark.parametrize("role", [Role.ASSISTANT, Role.POLICE, Role.ADMIN])
def test_assistants_police_and_admins_may_route_and_take(action: Action, role: Role):
    assert may(action, [Grant(role)])


@pytest.mark.parametrize("action", [Action.CASE_ROUTE, Action.CASE_TAKE])
@pytest.mark.parametrize("role", [Role.ADJUSTER, Role.SUPERVISOR, Role.LIAISON])
def test_insurers_and_liaison_may_not_route_or_take(action: Action, role: Role):
    # An insurer's own people must not send a case to themselves, even one they pay in.
    grant = Grant(role, insurer="PICC" if role in (Role.ADJUSTER, Role.SUPERVISOR) else None)
    assert not may(action, [grant], case_insurers={"PICC"})


@pytest.mark.parametrize("action", [Action.CASE_ROUTE, Action.CASE_TAKE])
def test_a_member_without_a_role_may_not_route_or_take(action: Action):
    assert not may(action, [])


def test_telegram_admin_status_counts_like_a_deployment_admin():
    assert may(Action.CASE_TAKE, [Grant(Role.ADMIN, source="telegram")])
    assert may(Action.CASE_ROUTE, [Grant(Role.ADMIN, source="deployment")])
