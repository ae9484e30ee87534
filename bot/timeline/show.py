"""/case <number>: the case's timeline, for the roles that may read it.

One transaction: parse the number, find the case, check the asker's grants in the case's
own group (bot/rules/access.py, Action.VIEW_TIMELINE), read the audit events, look up
display names, format (bot/timeline/format.py) and queue the answer in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.numbering import parse_case_number
from bot.kernel.incoming import Command
from bot.kernel.outbox import mention
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.roles.offices import is_liaison, office_of
from bot.rules.cleaning import clean_text, clip
from bot.timeline.access import may_view
from bot.timeline.format import Entry, event_lines, fit, step_lines
from storage import queries as q
from storage.models import AuditEvent, Case, Member


def _answer(session: AsyncSession, svc: Services, cmd: Command, text: str) -> None:
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=cmd.chat_id,
        kind="send_text",
        text=Raw(text),
        reply_to=cmd.message_id,
        thread_id=cmd.thread_id,
        buttons=[],
    )


async def display_names(
    session: AsyncSession, svc: Services, case: Case, user_ids: Iterable[int]
) -> dict[int, str]:
    """Names for people: the deployment file, the group's members, the case's own records."""
    wanted = set(user_ids)
    names: dict[int, str] = {}
    for p in svc.deployment.people:
        if p.user_id in wanted:
            names.setdefault(p.user_id, p.name)
    if wanted - names.keys():
        stmt = (
            select(Member)
            .where(col(Member.user_id).in_(wanted - names.keys()))
            .order_by(col(Member.chat_id) != case.chat_id, col(Member.id))
        )
        for row in (await session.exec(stmt)).all():
            if row.display_name:
                names.setdefault(row.user_id, row.display_name)
    if case.opened_by_name:
        names.setdefault(case.opened_by, case.opened_by_name)
    if case.police_claimed_by is not None and case.police_claimed_by_name:
        names.setdefault(case.police_claimed_by, case.police_claimed_by_name)
    return names


async def entries_of(session: AsyncSession, svc: Services, case: Case, lang: str) -> list[Entry]:
    """The case's audit events with the actors' names, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    events = list((await session.exec(stmt)).all())
    ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    names = await display_names(session, svc, case, ids)
    out = []
    for e in events:
        name: str | None = None
        if e.actor_user_id is not None:
            name = (
                e.data.get("actor_name")
                or names.get(e.actor_user_id)
                or t("timeline.user", lang, id=e.actor_user_id)
            )
        out.append(Entry(at=e.at, kind=e.kind, actor=name, data=e.data))
    return out


async def timeline_text(session: AsyncSession, svc: Services, case: Case, lang: str) -> str:
    """The whole answer for one case, cut to Telegram's limit."""
    group = await q.get_group(session, chat_id=case.chat_id)
    timezone = group.timezone if group else svc.timezone
    entries = await entries_of(session, svc, case, lang)
    head = [
        t(
            "timeline.title",
            lang,
            number=case.number,
            township=svc.township_name(case.township_code),
            status=t(f"status.{case.status}", lang),
        ),
        "",
        t("timeline.events", lang),
    ]
    events = event_lines(entries, timezone=timezone, lang=lang) or [t("timeline.no_events", lang)]
    steps = step_lines(entries, now=svc.clock.now(), lang=lang)
    tail = ["", *steps] if steps else []
    return fit(head, events, tail, lang=lang)


async def show_timeline(svc: Services, cmd: Command) -> str:
    """/case <number>: answer with the timeline, or say why not; returns the outcome."""

    async def work(session: AsyncSession) -> str:
        lang = svc.language
        if cmd.chat_type == "private":
            _answer(session, svc, cmd, t("timeline.private", lang))
            return "private"
        office = await office_of(session, svc, cmd.chat_id)
        if office is None and await q.get_group(session, chat_id=cmd.chat_id) is None:
            _answer(session, svc, cmd, t("timeline.unregistered", lang))
            return "unregistered"
        if not cmd.args:
            _answer(session, svc, cmd, t("timeline.usage", lang))
            return "usage"
        text = cmd.args[0]
        parsed = parse_case_number(text)
        if parsed is None:
            # Quoted back cleaned: a bidi override typed after the number would turn the
            # rest of the bot's line around (bot/rules/cleaning.py).
            quoted = clip(clean_text(text), 40)
            _answer(session, svc, cmd, t("timeline.bad_number", lang, text=quoted))
            return "bad_number"
        number = text.strip().upper()
        case = (await session.exec(select(Case).where(Case.number == number))).first()
        if case is None:
            _answer(session, svc, cmd, t("timeline.unknown", lang, number=number))
            return "unknown"
        # In the liaison office's chat its people read every case of the townships it
        # oversees; elsewhere the case's own group decides.
        in_office = (
            office is not None
            and office.covers(case.township_code)
            and await is_liaison(session, svc, chat_id=cmd.chat_id, user_id=cmd.user_id)
        )
        if not in_office and not await may_view(session, svc, case, user_id=cmd.user_id):
            q.audit(
                session,
                at=svc.clock.now(),
                kind="timeline.refused",
                case_id=case.id,
                chat_id=cmd.chat_id,
                actor=cmd.user_id,
                actor_name=cmd.user_name,
            )
            who = mention(cmd.user_id, cmd.user_name)
            _answer(session, svc, cmd, t("timeline.refused", lang, who=who, number=number))
            return "refused"
        _answer(session, svc, cmd, await timeline_text(session, svc, case, lang))
        return "shown"

    return await svc.in_transaction(work)
