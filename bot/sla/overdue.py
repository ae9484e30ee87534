"""/overdue: the overdue cases a person may see, oldest breach first, with links.

In a case group, insurers' people see their insurer's, the police, the liaison office,
assistants and admins see all of the group's. In the liaison office's own chat
(`sla.liaison_chat_id`) the office sees every group of its townships.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.incoming import Command
from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.roles.lookup import grants_of
from bot.rules.access import INSURER_ROLES, Role
from bot.sla.lines import case_line
from bot.sla.store import overdue
from storage import queries as q
from storage.models import ChatGroup

LISTED = 30
_ALL_OF_GROUP = frozenset({Role.POLICE, Role.LIAISON, Role.ASSISTANT, Role.ADMIN})


async def _scope(
    session: AsyncSession, svc: Services, cmd: Command
) -> tuple[list[int], str | None] | str:
    """The chats and insurer a person's list covers, or the key of a refusal."""
    liaison_chat = svc.deployment.sla.liaison_chat_id
    if liaison_chat is not None and cmd.chat_id == liaison_chat:
        people = [p for p in svc.deployment.people_with("liaison") if p.user_id == cmd.user_id]
        if not people:
            return "sla.overdue.nobody"
        towns = {town for p in people for town in p.townships}
        stmt = select(ChatGroup)
        groups = list((await session.exec(stmt)).all())
        return [g.chat_id for g in groups if not towns or g.township_code in towns], None
    if cmd.chat_type == "private":
        return "sla.overdue.private"
    group = await q.get_group(session, chat_id=cmd.chat_id)
    if group is None:
        return "sla.overdue.unregistered"
    grants = await grants_of(
        session,
        svc,
        chat_id=cmd.chat_id,
        user_id=cmd.user_id,
        township=group.township_code,
        chat_admin=cmd.chat_admin,
    )
    if any(g.role in _ALL_OF_GROUP for g in grants):
        return [group.chat_id], None
    insurers = {g.insurer for g in grants if g.role in INSURER_ROLES and g.insurer}
    if len(insurers) == 1:
        return [group.chat_id], insurers.pop()
    return "sla.overdue.nobody"


async def show_overdue(svc: Services, cmd: Command) -> int:
    """Answer /overdue; returns how many overdue stages the list covers."""

    async def work(session: AsyncSession) -> int:
        lang = await chat_language(session, svc, cmd.chat_id)
        scope = await _scope(session, svc, cmd)
        total = 0
        if isinstance(scope, str):
            text = t(scope, lang)
        else:
            chats, insurer = scope
            rows, total = await overdue(
                session, chat_ids=chats, now=svc.clock.now(), insurer=insurer, limit=LISTED
            )
            if not rows:
                text = t("sla.overdue.none", lang)
            else:
                lines = [t("sla.overdue.head", lang, n=total)]
                now = svc.clock.now()
                lines += [
                    case_line(svc, case, row, late=now - (row.breach_at or now), lang=lang)
                    for row, case in rows
                ]
                if total > len(rows):
                    lines.append(t("sla.overdue.more", lang, n=total - len(rows)))
                text = "\n".join(lines)
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=cmd.chat_id,
            kind="send_text",
            text=text,
            reply_to=cmd.message_id,
            thread_id=cmd.thread_id,
        )
        return total

    return await svc.in_transaction(work)
