"""/overdue: the overdue cases a person may see, oldest breach first, with links.

Who sees what is `bot/roles/offices.py` `oversight`: in a case group, insurers' people see
their insurer's, the police, the liaison office, assistants and admins all of the
group's; in a liaison chat, the office sees every group of the townships it oversees.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.incoming import Command
from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.roles.offices import LIAISON_KIND, oversight_of
from bot.sla.lines import case_line
from bot.sla.store import overdue
from storage import queries as q
from storage.models import ChatGroup

LISTED = 30


async def _scope(
    session: AsyncSession, svc: Services, cmd: Command
) -> tuple[list[int], str | None] | str:
    """The chats and insurer a person's list covers, or the key of a refusal."""
    seen = await oversight_of(session, svc, cmd)
    if isinstance(seen, str):
        return f"sla.overdue.{seen}"
    groups = (await session.exec(select(ChatGroup).where(ChatGroup.kind != LIAISON_KIND))).all()
    return [g.chat_id for g in groups if seen.covers(g.township_code)], seen.insurer


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
