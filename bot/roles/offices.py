"""The liaison office's chats (联席办): named in the deployment file (`liaison_chats:`) or
registered in chat (`/setup 联席办`), each overseeing some townships or all of them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.incoming import Command
from bot.kernel.services import Services
from bot.roles.lookup import grants_of
from bot.rules.access import INSURER_ROLES, Role
from storage import queries as q
from storage.models import ChatGroup, Member

LIAISON_KIND = "liaison"


@dataclass(frozen=True)
class Office:
    """One liaison chat and what it oversees."""

    chat_id: int
    townships: frozenset[str]  # empty: every township
    show_personal_data: bool = False

    def covers(self, township: str | None) -> bool:
        return not self.townships or township is None or township in self.townships


async def offices(session: AsyncSession, svc: Services) -> list[Office]:
    """Every liaison chat: the deployment file's first (it wins for a chat it names), then
    those registered with /setup."""
    found = {
        c.chat_id: Office(c.chat_id, frozenset(c.townships), c.show_personal_data)
        for c in svc.deployment.liaison_chats
    }
    stmt = select(ChatGroup).where(ChatGroup.kind == LIAISON_KIND)
    for group in (await session.exec(stmt)).all():
        found.setdefault(
            group.chat_id,
            Office(group.chat_id, frozenset(group.scope), group.show_personal_data),
        )
    return list(found.values())


async def office_of(session: AsyncSession, svc: Services, chat_id: int) -> Office | None:
    """The liaison chat `chat_id` is, if it is one."""
    return next((o for o in await offices(session, svc) if o.chat_id == chat_id), None)


def office_for(found: list[Office], township: str | None) -> Office | None:
    """The first liaison chat overseeing a township."""
    return next((o for o in found if o.covers(township)), None)


async def is_liaison(session: AsyncSession, svc: Services, *, chat_id: int, user_id: int) -> bool:
    """Whether a person works for the liaison office: the deployment file says so, or the
    chat granted them the role."""
    if any(p.user_id == user_id and p.role == "liaison" for p in svc.deployment.people):
        return True
    stmt = select(Member).where(
        Member.chat_id == chat_id, Member.user_id == user_id, Member.role == "liaison"
    )
    return (await session.exec(stmt)).first() is not None


def liaison_townships(svc: Services, user_id: int) -> frozenset[str] | None:
    """The townships a liaison person of the deployment file oversees (empty: all); None
    when the file does not list them as liaison."""
    people = [p for p in svc.deployment.people if p.user_id == user_id and p.role == "liaison"]
    if not people:
        return None
    if any(not p.townships for p in people):
        return frozenset()
    return frozenset(t for p in people for t in p.townships)


@dataclass(frozen=True)
class Oversight:
    """What a person may see of the county's figures and overdue cases from one chat."""

    townships: frozenset[str]  # empty: every township
    insurer: str | None = None  # only that insurer's claims and stages
    show_personal_data: bool = False

    def covers(self, township: str | None) -> bool:
        return not self.townships or township is None or township in self.townships


# Roles that see a whole township from its group; insurers' people see their insurer's.
_WHOLE_TOWNSHIP = frozenset({Role.POLICE, Role.LIAISON, Role.ASSISTANT, Role.ADMIN})


async def oversight(
    session: AsyncSession,
    svc: Services,
    *,
    chat_id: int,
    chat_type: str,
    user_id: int,
    chat_admin: bool = False,
) -> Oversight | str:
    """What `user_id` may see from `chat_id`, or why not: "private", "unregistered" or
    "nobody". In a liaison chat its people see what it oversees; in a township group the
    police, the liaison office, assistants and admins see the township, an insurer's
    people that insurer's part of it."""
    office = await office_of(session, svc, chat_id)
    if office is not None:
        if not await is_liaison(session, svc, chat_id=chat_id, user_id=user_id):
            return "nobody"
        return Oversight(office.townships, None, office.show_personal_data)
    if chat_type == "private":
        return "private"
    group = await q.get_group(session, chat_id=chat_id)
    if group is None:
        return "unregistered"
    grants = await grants_of(
        session,
        svc,
        chat_id=chat_id,
        user_id=user_id,
        township=group.township_code,
        chat_admin=chat_admin,
    )
    town = frozenset({group.township_code})
    if any(g.role in _WHOLE_TOWNSHIP for g in grants):
        return Oversight(town)
    insurers = {g.insurer for g in grants if g.role in INSURER_ROLES and g.insurer}
    if len(insurers) == 1:
        return Oversight(town, insurers.pop())
    return "nobody"


async def oversight_of(session: AsyncSession, svc: Services, cmd: Command) -> Oversight | str:
    """`oversight` of the person who sent a command, from the chat they sent it in."""
    return await oversight(
        session,
        svc,
        chat_id=cmd.chat_id,
        chat_type=cmd.chat_type,
        user_id=cmd.user_id,
        chat_admin=cmd.chat_admin,
    )
