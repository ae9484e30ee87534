"""The police block of the case card: who holds the case, since when, and the police buttons."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.card import CardPart
from bot.case.status import CaseStatus
from bot.kernel.buttons import case_button
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.police.rules import POLICE, card_moves
from bot.rules.access import Action
from storage import queries as q
from storage.models import AuditEvent, Case

BUTTON_LABELS = {
    Action.POLICE_CLAIM: "police.b.claim",
    Action.POLICE_RELEASE: "police.b.release",
    Action.POLICE_CANCEL: "police.b.cancel",
    Action.POLICE_TAKE_OVER: "police.b.take_over",
    Action.POLICE_HAND_BACK: "police.b.hand_back",
}


def _local(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")


async def _latest(session: AsyncSession, case_id: int, kind: str) -> AuditEvent | None:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.case_id == case_id, AuditEvent.kind == kind)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    )
    return (await session.exec(stmt)).first()


async def police_section(session: AsyncSession, svc: Services, case: Case) -> CardPart | None:
    """Who holds a police case, why a case was cancelled, and the police buttons."""
    assert case.id is not None
    lang = svc.language
    group = await q.get_group(session, chat_id=case.chat_id)
    timezone = group.timezone if group else svc.timezone
    lines: list[str] = []
    if case.status == POLICE:
        if case.police_claimed_by is not None and case.police_claimed_at is not None:
            when = _local(case.police_claimed_at, timezone)
            who = case.police_claimed_by_name or str(case.police_claimed_by)
            lines.append(t("police.card.claimed", lang, who=who, time=when))
        else:
            lines.append(t("police.card.unclaimed", lang))
    elif case.status == CaseStatus.CANCELLED:
        event = await _latest(session, case.id, "case.cancelled")
        if event is not None:
            who = event.data.get("actor_name") or str(event.actor_user_id)
            lines.append(
                t("police.card.cancelled", lang, who=who, reason=event.data.get("reason", ""))
            )
    moves = card_moves(status=case.status, claimed=case.police_claimed_by is not None)
    row = []
    for move in moves:
        data = await case_button(session, svc, case, move.value)
        row.append((t(BUTTON_LABELS[move], lang), data))
    if not lines and not row:
        return None
    return CardPart(lines=tuple(lines), buttons=(tuple(row),) if row else ())
