"""The sweep: fire every ladder step that is due, once, batched per recipient.

A JobQueue job calls `sweep` every few seconds (bot/compose/app.py). One transaction claims the
due clocks through the `due_at` index (skipping rows another process holds, on
PostgreSQL), records each firing on its clock, audits it and writes the messages, so a
step fires once however many processes sweep and however long the bot was down: after
downtime each overdue step fires once (bot/rules/sla_clock.py `due`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.clocks import calendar_for, firings, refresh
from bot.kernel.buttons import FreshButtons
from bot.kernel.outbox import mention
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.rules.ladder import batches, due_now
from bot.rules.sla_clock import Clock, Due
from bot.sla.lines import case_line, stage_label
from bot.sla.recipients import Recipients, Target
from bot.sla.store import any_due, claim_due
from storage import queries as q
from storage.models import Case, StageClock

log = logging.getLogger(__name__)

# Outbox kinds of the sweep: sent after a chat's own traffic, within a share of its limit
# (bot/transport/sender.py), so a storm of reminders never holds up people's answers.
NOTICE_KIND = "sla_notice"
CARD_KIND = "sla_card"
# Clocks one transaction takes: a storm is swept in rounds of this many, with a pause
# between them, so people's own transactions (one writer at a time on SQLite) get in.
ROUND_SIZE = 100
MAX_ROUNDS = 50
ROUND_PAUSE = 0.02  # seconds
_RETRY_LOOK = timedelta(minutes=1)


@dataclass(frozen=True)
class Notice:
    target: Target
    case: Case
    row: StageClock
    due: Due


async def sweep(svc: Services, *, round_size: int = ROUND_SIZE) -> int:
    """Fire what is due now, in rounds of one transaction each; returns how many firings
    it recorded. A round batches its firings per recipient (`cases_per_message` cases to a
    message), so cutting a storm into rounds of a multiple of that costs no message."""

    async def work(session: AsyncSession) -> tuple[int, int]:
        return await _round(session, svc, limit=round_size)

    # Most ticks find nothing: ask without taking SQLite's write lock first.
    async with svc.db.session() as session:
        if not await any_due(session, now=svc.clock.now()):
            return 0
    total = 0
    for _ in range(MAX_ROUNDS):
        fired, claimed = await svc.in_transaction(work)
        total += fired
        if claimed < round_size:
            break
        await asyncio.sleep(ROUND_PAUSE)
    return total


async def sweep_in(session: AsyncSession, svc: Services, *, limit: int = ROUND_SIZE) -> int:
    """One round of the sweep inside the caller's transaction; how many firings."""
    return (await _round(session, svc, limit=limit))[0]


async def _round(session: AsyncSession, svc: Services, *, limit: int) -> tuple[int, int]:
    now = svc.clock.now()
    rows = await claim_due(session, now=now, limit=limit)
    if not rows:
        return 0, 0
    recipients = await Recipients.of(session, svc, now, {r.chat_id for r in rows})
    writes = q.Batch()
    found = await session.exec(select(Case).where(col(Case.id).in_({r.case_id for r in rows})))
    cases = {case.id: case for case in found.all()}
    notices: list[Notice] = []
    for row in rows:
        case = cases.get(row.case_id)
        if case is None:
            continue
        notices.extend(await _fire(session, svc, recipients, writes, case, row, now))
    buttons = FreshButtons(now)
    await _send(svc, recipients, writes, buttons, notices)
    for case_id in sorted({n.case.id for n in notices if n.case.id is not None}):
        writes.enqueue(at=now, chat_id=cases[case_id].chat_id, kind=CARD_KIND, case_id=case_id)
    await buttons.insert(session)
    await writes.write(session)
    if notices:
        log.info("sweep: %d firing(s) on %d clock(s)", len(notices), len(rows))
    return len(notices), len(rows)


async def _fire(
    session: AsyncSession,
    svc: Services,
    recipients: Recipients,
    writes: q.Batch,
    case: Case,
    row: StageClock,
    now: datetime,
) -> list[Notice]:
    clock = Clock.from_json(row.clock)
    calendar = calendar_for(svc, clock.terms.calendar)
    if row.ack_until is not None and row.ack_until <= now:
        writes.audit(
            at=now,
            kind="sla.ack_lapsed",
            case_id=case.id,
            chat_id=case.chat_id,
            stage=row.stage,
            insurer=row.insurer_code,
            insurer_name=svc.insurer_name(row.insurer_code) if row.insurer_code else None,
            by=row.ack_by_name,
        )
        row.ack_by = row.ack_by_name = row.ack_at = row.ack_until = None
    dues = due_now(clock, calendar, firings(row), row.silenced, row.ack_until, now)
    notices = []
    for due in dues:
        target = await recipients.target(due.kind, case, row)
        row.fired = [*row.fired, [due.firing.step, due.firing.repeat]]
        row.step_kind, row.fired_at = target.kind.value, now
        writes.audit(
            at=now,
            kind="sla.fired",
            case_id=case.id,
            chat_id=case.chat_id,
            stage=row.stage,
            insurer=row.insurer_code,
            insurer_name=svc.insurer_name(row.insurer_code) if row.insurer_code else None,
            step=due.kind.value,
            fired_as=target.kind.value,
            repeat=due.firing.repeat,
            due_at=due.at.isoformat(),
            overdue_seconds=int(due.overdue.total_seconds()),
            # In its own chat the office is told without a mention: its people, then.
            told=[uid for uid, _ in target.people] or sorted(target.ackers),
        )
        notices.append(Notice(target, case, row, due))
        svc.metrics.sla_firings.labels(stage=row.stage, step=target.kind.value).inc()
    refresh(svc, row, clock)
    if not dues and row.due_at is not None and row.due_at <= now:
        # Never spin on a row whose instant is past but fires nothing: look again later.
        log.warning("clock %s due at %s fired nothing", row.id, row.due_at)
        row.due_at = now + _RETRY_LOOK
    session.add(row)
    return notices


async def _send(
    svc: Services,
    recipients: Recipients,
    writes: q.Batch,
    buttons: FreshButtons,
    notices: list[Notice],
) -> None:
    size = svc.deployment.sla.cases_per_message
    key = lambda n: (n.target.chat_id, n.target.kind, n.target.people)  # noqa: E731
    now = svc.clock.now()
    for (chat_id, kind, people), group in batches(notices, key, size):
        lang = await recipients.language(chat_id)
        who = "".join(f"{mention(uid, name)} " for uid, name in people)
        numbers = [n.case.number for n in group]
        lines = [t(f"sla.head.{kind.value}", lang, who=Raw(who), n=len(set(numbers)))]
        lines += [case_line(svc, n.case, n.row, late=n.due.overdue, lang=lang) for n in group]
        rows: list[list[list[str]]] = []
        seen: set[int] = set()
        for n in group:
            if not n.target.ackers or n.row.id in seen:
                continue
            seen.add(n.row.id or 0)
            # The firing makes the button unique: each fires once.
            data = buttons.issue(
                chat_id=chat_id,
                case_id=n.case.id,
                action_name="sla.ack",
                clock=n.row.id,
                step=n.due.firing.step,
                repeat=n.due.firing.repeat,
                people=sorted(n.target.ackers),
            )
            label = t("sla.b.ack", lang, number=n.case.number)
            if numbers.count(n.case.number) > 1:  # two stages of one case: say which
                label += " " + t("sla.b.ack_stage", lang, **stage_label(svc, n.row, lang))
            rows.append([[label, data]])
        writes.enqueue(
            at=now, chat_id=chat_id, kind=NOTICE_KIND, text="\n".join(lines), buttons=rows
        )
