"""/queue: the group's police cases, oldest first, with claim buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.buttons import button_data
from bot.kernel.incoming import Command
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.police.rules import POLICE
from bot.rules.access import Action
from bot.timeline.format import format_duration
from storage import queries as q
from storage.models import AuditEvent, Case

QUEUE_MAX_LISTED = 30
FROM_QUEUE: dict[str, Any] = {"from": "queue"}  # `from` is a keyword: passed as a dict


async def queue_view(
    session: AsyncSession, svc: Services, *, chat_id: int
) -> tuple[str, list[list[list[str]]]]:
    """The group's police cases, oldest hand-over first, with a claim button for each free one."""
    lang, now = svc.language, svc.clock.now()
    group = await q.get_group(session, chat_id=chat_id)
    township = svc.township_name(group.township_code) if group else ""
    stmt = select(Case).where(Case.chat_id == chat_id, Case.status == POLICE)
    cases = list((await session.exec(stmt)).all())
    if not cases:
        return t("police.queue.empty", lang, township=township), []
    handed: dict[int, datetime] = {}
    ids = [c.id for c in cases if c.id is not None]
    events = select(AuditEvent).where(
        col(AuditEvent.case_id).in_(ids), AuditEvent.kind == "case.police"
    )
    for e in (await session.exec(events)).all():
        if e.case_id is not None and (e.case_id not in handed or e.at > handed[e.case_id]):
            handed[e.case_id] = e.at
    cases.sort(key=lambda c: (handed.get(c.id or 0, c.updated_at), c.id or 0))
    lines = [t("police.queue.title", lang, township=township, count=len(cases))]
    buttons: list[list[str]] = []
    for i, case in enumerate(cases[:QUEUE_MAX_LISTED], start=1):
        age = format_duration(now - handed.get(case.id or 0, case.updated_at), lang)
        if case.police_claimed_by is not None:
            name = case.police_claimed_by_name or str(case.police_claimed_by)
            state = t("police.queue.claimed", lang, who=name)
        else:
            state = t("police.queue.unclaimed", lang)
            data = await button_data(
                session,
                now=now,
                chat_id=chat_id,
                case_id=case.id,
                action_name=Action.POLICE_CLAIM.value,
                **FROM_QUEUE,
            )
            buttons.append([t("police.b.claim_case", lang, number=case.number), data])
        lines.append(
            t(
                "police.queue.line",
                lang,
                i=i,
                number=case.number,
                age=Raw(age),
                state=Raw(state),
            )
        )
    if len(cases) > QUEUE_MAX_LISTED:
        lines.append(t("police.queue.more", lang, count=len(cases) - QUEUE_MAX_LISTED))
    return "\n".join(lines), [[b] for b in buttons]


async def show_queue(svc: Services, cmd: Command) -> int:
    """/queue in a registered group: the list; returns how many claim buttons it carries."""

    async def work(session: AsyncSession) -> int:
        lang = svc.language
        buttons: list[list[list[str]]]
        if cmd.chat_type == "private":
            text, buttons = t("police.queue.private", lang), []
        elif await q.get_group(session, chat_id=cmd.chat_id) is None:
            text, buttons = t("police.queue.unregistered", lang), []
        else:
            text, buttons = await queue_view(session, svc, chat_id=cmd.chat_id)
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=cmd.chat_id,
            kind="send_text",
            text=Raw(text),
            reply_to=cmd.message_id,
            thread_id=cmd.thread_id,
            buttons=buttons,
        )
        return len(buttons)

    return await svc.in_transaction(work)
