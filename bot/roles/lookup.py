"""Finding people and their roles: the deployment file plus the chat's grants (Member rows).

The one way the rest of the bot finds "who is police here", "PICC's on-duty adjusters"
or "what may this person do", so the deployment file and in-chat grants never disagree
between features.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config.deployment import Person
from bot.kernel.services import Services
from bot.rules.access import Action, Grant, Role, may, on_duty
from storage.models import Case, Member

ROLE_ORDER = {role: i for i, role in enumerate(Role)}


def _serves(person: Person, township: str | None) -> bool:
    return not person.townships or township is None or township in person.townships


def _as_role(text: str) -> Role | None:
    try:
        return Role(text)
    except ValueError:
        return None


async def grants_of(
    session: AsyncSession,
    svc: Services,
    *,
    chat_id: int,
    user_id: int,
    township: str | None,
    chat_admin: bool = False,
) -> list[Grant]:
    """Every role a person holds in one group: deployment file, chat grants, Telegram admin.

    `chat_admin` is what Telegram said (getChatMember) just now; the caller asks it. An
    `admin` row in the database is never believed: admin comes from Telegram or the file.
    """
    grants: list[Grant] = [
        Grant(
            role=Role(p.role),
            insurer=p.insurer,
            source="deployment",
            on_duty=p.on_duty,
            name=p.name,
        )
        for p in svc.deployment.people
        if p.user_id == user_id and _serves(p, township)
    ]
    stmt = (
        select(Member)
        .where(Member.chat_id == chat_id, Member.user_id == user_id)
        .order_by(col(Member.id))
    )
    for row in (await session.exec(stmt)).all():
        role = _as_role(row.role)
        if role is None or role is Role.ADMIN:
            continue
        grant = Grant(role=role, insurer=row.insurer_code, source="chat", name=row.display_name)
        if not any(g.role == grant.role and g.insurer == grant.insurer for g in grants):
            grants.append(grant)
    if chat_admin:
        grants.append(Grant(role=Role.ADMIN, source="telegram"))
    return sorted(grants, key=lambda g: ROLE_ORDER[g.role])


async def may_work_on(
    session: AsyncSession,
    svc: Services,
    case: Case,
    user_id: int,
    *,
    action: Action = Action.FAST_PATH_EDIT,
    chat_admin: bool = False,
) -> bool:
    """Whether a person may do the fast-path work on a case (parties, evidence, confirmations).

    The case's opener counts as its assistant; anyone else needs a role the matrix allows
    for `action` (assistants, police, admins) in the case's group. The one guard of every
    fast-path button and of the text intake.
    """
    if user_id == case.opened_by:
        return True
    grants = await grants_of(
        session,
        svc,
        chat_id=case.chat_id,
        user_id=user_id,
        township=case.township_code,
        chat_admin=chat_admin,
    )
    return may(action, grants)


def local_time(svc: Services, at: datetime) -> datetime:
    """A UTC instant as wall-clock time in the region (on-duty hours are written so)."""
    return at.astimezone(ZoneInfo(svc.deployment.region.timezone))


async def people_for(
    session: AsyncSession,
    svc: Services,
    *,
    chat_id: int,
    township: str | None,
    role: str,
    insurer: str | None = None,
    at: datetime | None = None,
    on_duty_only: bool = False,
) -> list[tuple[int, str]]:
    """(user id, name) of the people with a role in a group, deployment people first.

    With `insurer`, only that insurer's people. With `on_duty_only`, only those on duty
    at `at` (default: now); chat grants carry no hours, so they count as always on duty.
    """
    stmt = (
        select(Member)
        .where(Member.chat_id == chat_id, Member.role == role)
        .order_by(col(Member.id))
    )
    if insurer is not None:
        stmt = stmt.where(Member.insurer_code == insurer)
    members = list((await session.exec(stmt)).all())
    return _people(svc, members, township, role, insurer, at, on_duty_only)


def _people(
    svc: Services,
    members: list[Member],
    township: str | None,
    role: str,
    insurer: str | None,
    at: datetime | None,
    on_duty_only: bool,
) -> list[tuple[int, str]]:
    when = local_time(svc, at or svc.clock.now()).time()
    found: dict[int, str] = {}
    for p in svc.deployment.people:
        if p.role != role or not _serves(p, township):
            continue
        if insurer is not None and p.insurer != insurer:
            continue
        if on_duty_only and not on_duty(p.on_duty, when):
            continue
        found.setdefault(p.user_id, p.name)
    for row in members:
        if row.role == role and (insurer is None or row.insurer_code == insurer):
            found.setdefault(row.user_id, row.display_name)
    return list(found.items())


class Directory:
    """`people_for` over many chats at once: their grants read in one query (a sweep
    asks about hundreds of cases in a handful of groups)."""

    def __init__(self, svc: Services, members: list[Member]) -> None:
        self.svc = svc
        self._members: dict[int, list[Member]] = {}
        for row in members:
            self._members.setdefault(row.chat_id, []).append(row)

    @staticmethod
    async def of(session: AsyncSession, svc: Services, chat_ids: set[int]) -> Directory:
        stmt = select(Member).where(col(Member.chat_id).in_(chat_ids)).order_by(col(Member.id))
        return Directory(svc, list((await session.exec(stmt)).all()))

    def people(
        self,
        *,
        chat_id: int,
        township: str | None,
        role: str,
        insurer: str | None = None,
        at: datetime | None = None,
        on_duty_only: bool = False,
    ) -> list[tuple[int, str]]:
        """What `people_for` answers for this chat."""
        members = self._members.get(chat_id, [])
        return _people(self.svc, members, township, role, insurer, at, on_duty_only)


async def insurer_contacts(
    session: AsyncSession,
    svc: Services,
    *,
    chat_id: int,
    township: str | None,
    insurer: str,
    at: datetime | None = None,
) -> list[tuple[int, str]]:
    """Whom to ping for an insurer: its on-duty adjusters, else its supervisors.

    Supervisors on duty are preferred; if none is, all of them, so a ping never
    reaches nobody while the insurer has people in the group.
    """
    find = partial(
        people_for, session, svc, chat_id=chat_id, township=township, insurer=insurer, at=at
    )
    for role in (Role.ADJUSTER, Role.SUPERVISOR):
        people = await find(role=role, on_duty_only=True)
        if people:
            return people
    return await find(role=Role.SUPERVISOR)
