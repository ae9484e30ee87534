"""Who may do what: the roles, on-duty hours and the authorisation matrix, as plain data.

No Telegram and no database here. Callers gather a person's grants for one group (the
deployment file, chat grants, Telegram admin status: see bot/roles/lookup.py) and ask
`may(action, grants, case_insurers=...)`. Because grants are always gathered for the
case's own group, "police see all cases of their groups" needs no extra scope here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from enum import StrEnum


class Role(StrEnum):
    """Who someone is in a group: the roles the permission table knows."""

    ASSISTANT = "assistant"  # 交通安全协理员
    ADJUSTER = "adjuster"  # 定损员, of one insurer
    SUPERVISOR = "supervisor"  # insurer supervisor, of one insurer
    POLICE = "police"  # 交警
    LIAISON = "liaison"  # 联席办
    ADMIN = "admin"  # group admin (Telegram) or the deployment file's admins


# Roles that belong to one insurer: a grant of these always names it.
INSURER_ROLES = frozenset({Role.ADJUSTER, Role.SUPERVISOR})
# Roles a member may ask for with /join or be given with /role. Admin is never stored
# in the database: it comes from Telegram (getChatMember) or the deployment file.
GRANTABLE_ROLES = (Role.ASSISTANT, Role.ADJUSTER, Role.SUPERVISOR, Role.POLICE, Role.LIAISON)

# What people type after /join or /role, Chinese or English.
ROLE_WORDS: Mapping[str, Role] = {
    "assistant": Role.ASSISTANT,
    "协理员": Role.ASSISTANT,
    "交通安全协理员": Role.ASSISTANT,
    "协管员": Role.ASSISTANT,
    "adjuster": Role.ADJUSTER,
    "定损员": Role.ADJUSTER,
    "查勘员": Role.ADJUSTER,
    "supervisor": Role.SUPERVISOR,
    "主管": Role.SUPERVISOR,
    "保险主管": Role.SUPERVISOR,
    "police": Role.POLICE,
    "交警": Role.POLICE,
    "民警": Role.POLICE,
    "liaison": Role.LIAISON,
    "联席办": Role.LIAISON,
    "admin": Role.ADMIN,
    "管理员": Role.ADMIN,
}


def parse_role(text: str) -> Role | None:
    """The role a word names (`adjuster`, `定损员` ...), or None."""
    return ROLE_WORDS.get(text.strip().lower())


@dataclass(frozen=True)
class Grant:
    """One role a person holds in one group, and where it comes from."""

    role: Role
    insurer: str | None = None
    source: str = "chat"  # "deployment", "chat" or "telegram"
    on_duty: tuple[str, ...] = ()  # "HH:MM-HH:MM" in the region's time zone; empty = always
    name: str = ""


# --- on-duty hours ------------------------------------------------------------------------

_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DAY = 24 * 60


def parse_range(text: str) -> tuple[int, int]:
    """`08:00-18:00` as minutes since midnight (start, end); raises ValueError if malformed.

    `24:00` is allowed as an end; start and end may not be equal (all day is written as
    no hours at all, or `00:00-24:00`), and an end before the start runs overnight.
    """
    m = _RANGE.match(text.strip())
    if m is None:
        raise ValueError(f"on-duty range {text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise ValueError(f"on-duty range {text!r} has an impossible time")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise ValueError(f"on-duty range {text!r} is empty")
    return start, end


def on_duty(hours: Sequence[str], at_local_time: time) -> bool:
    """Whether someone with these on-duty hours is on duty at a local wall-clock time.

    No hours means always on duty. Ranges include their start and exclude their end;
    `22:00-06:00` covers 23:30 and 05:59 but not 06:00.
    """
    if not hours:
        return True
    minute = at_local_time.hour * 60 + at_local_time.minute
    for text in hours:
        start, end = parse_range(text)
        if start < end:
            if start <= minute < end:
                return True
        elif minute >= start or minute < end:  # overnight
            return True
    return False


# --- the authorisation matrix --------------------------------------------------------------


class Action(StrEnum):
    """Everything the bot guards by role."""

    # The fast path (evidence, parties, eligibility, liability, estimates, confirmations).
    FAST_PATH_EDIT = "fast_path.edit"
    FAST_PATH_CONFIRMATION = "fast_path.confirmation"
    # The paying insurer's decisions.
    INSURER_APPROVE = "insurer.approve"
    INSURER_ADJUST = "insurer.adjust"
    INSURER_SURVEY = "insurer.survey"
    INSURER_REJECT = "insurer.reject"
    INSURER_MUTUAL_RECOGNITION = "insurer.mutual_recognition"
    INSURER_RECORD_PAYOUT = "insurer.record_payout"
    # The police path.
    POLICE_CLAIM = "police.claim"
    POLICE_RELEASE = "police.release"
    POLICE_CANCEL = "police.cancel"
    POLICE_TAKE_OVER = "police.take_over"
    POLICE_HAND_BACK = "police.hand_back"
    # Sending a complete case to its insurers, and taking a case someone without a role
    # opened so that it may be sent: the insurers deal only with cases an assistant, the
    # police or an admin stands behind.
    CASE_ROUTE = "case.route"
    CASE_TAKE = "case.take"
    # Reading.
    VIEW_TIMELINE = "case.view_timeline"
    # The agreement (自行协商协议书) as a PDF in the case's thread: whoever it is for.
    AGREEMENT_REQUEST = "agreement.request"
    # Managing the group's people: approve /join requests, /role.
    ROLES_MANAGE = "roles.manage"


class Scope(StrEnum):
    """How far a role's permission for an action reaches."""

    ANY = "any"  # every case of the group
    PAYING_INSURER = "paying_insurer"  # only cases where the grant's insurer pays


_A, _P = Scope.ANY, Scope.PAYING_INSURER
_INSURER_DECIDES = {Role.ADJUSTER: _P, Role.SUPERVISOR: _P}
# The fast path (evidence, parties, confirmations) is open to assistants, police and admins,
# besides the case's opener: bot/roles/lookup.py `may_work_on` is its one guard.
_FAST_PATH = {Role.ASSISTANT: _A, Role.POLICE: _A, Role.ADMIN: _A}
_POLICE = {Role.POLICE: _A}
# Who may stand behind a case towards the insurers; the opener alone is not enough.
_RESPONSIBLE = {Role.ASSISTANT: _A, Role.POLICE: _A, Role.ADMIN: _A}

MATRIX: Mapping[Action, Mapping[Role, Scope]] = {
    Action.FAST_PATH_EDIT: _FAST_PATH,
    Action.FAST_PATH_CONFIRMATION: _FAST_PATH,
    Action.INSURER_APPROVE: _INSURER_DECIDES,
    Action.INSURER_ADJUST: _INSURER_DECIDES,
    Action.INSURER_SURVEY: _INSURER_DECIDES,
    Action.INSURER_REJECT: _INSURER_DECIDES,
    Action.INSURER_MUTUAL_RECOGNITION: _INSURER_DECIDES,
    Action.INSURER_RECORD_PAYOUT: _INSURER_DECIDES,
    Action.CASE_ROUTE: _RESPONSIBLE,
    Action.CASE_TAKE: _RESPONSIBLE,
    Action.POLICE_CLAIM: _POLICE,
    Action.POLICE_RELEASE: _POLICE,
    Action.POLICE_CANCEL: _POLICE,
    Action.POLICE_TAKE_OVER: _POLICE,
    Action.POLICE_HAND_BACK: _POLICE,
    Action.VIEW_TIMELINE: {
        Role.POLICE: _A,
        Role.LIAISON: _A,
        Role.ADJUSTER: _P,
        Role.SUPERVISOR: _P,
    },
    Action.AGREEMENT_REQUEST: {
        Role.ASSISTANT: _A,
        Role.POLICE: _A,
        Role.ADMIN: _A,
        Role.LIAISON: _A,
        Role.ADJUSTER: _P,
        Role.SUPERVISOR: _P,
    },
    Action.ROLES_MANAGE: {Role.ADMIN: _A},
}


def may(action: Action, grants: Iterable[Grant], *, case_insurers: Iterable[str] = ()) -> bool:
    """Whether any of a person's grants (in the case's group) allows the action.

    `case_insurers` are the insurers that pay in the case; insurer-scoped permissions
    hold only for a grant whose insurer is among them. On-duty hours decide who is
    pinged, not who may act: an off-duty adjuster may still approve.
    """
    allowed = MATRIX[action]
    paying = frozenset(case_insurers)
    for grant in grants:
        scope = allowed.get(grant.role)
        if scope is Scope.ANY:
            return True
        if scope is Scope.PAYING_INSURER and grant.insurer is not None and grant.insurer in paying:
            return True
    return False
