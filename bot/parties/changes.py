"""What follows every change of a case's parties: audit, re-check, card, readiness, police."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import lifecycle
from bot.case.status import CaseStatus
from bot.kernel.outbox import mention, say
from bot.kernel.services import ConcurrentChange, Services, mark_changed
from bot.kernel.texts import Raw, t
from bot.parties import store
from bot.parties.masking import mask_phone
from bot.roles.lookup import people_for
from storage import queries as q
from storage.models import Case


async def changed(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    actor: int | None,
    kind: str,
    substantive: bool = True,
    **data: object,
) -> None:
    """Record a change: audit it, void confirmations it affects, re-check readiness, redraw."""
    assert case.id is not None
    now = svc.clock.now()
    q.audit(session, at=now, kind=kind, case_id=case.id, chat_id=case.chat_id, actor=actor, **data)
    if substantive:
        # What a driver confirmed no longer stands once facts, grades or sums change.
        for p in await store.parties_of(session, case_id=case.id):
            if p.confirm_token is not None:  # a summary shown before is stale now
                p.confirm_token = None
                session.add(p)
            if p.confirmed_at is not None or p.refused_at is not None:
                p.confirmed_at = p.refused_at = None
                p.confirmed_via = None
                p.confirmed_by = None
                session.add(p)
                q.audit(
                    session,
                    at=now,
                    kind="party.confirmation_voided",
                    case_id=case.id,
                    chat_id=case.chat_id,
                    actor=actor,
                    label=p.label,
                )
    mark_changed(session, case.id, actor=actor)
    case.updated_at = now
    session.add(case)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)


async def hand_to_police(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None, reasons: list[str]
) -> None:
    """Leave the fast path: status police, audit, and a hand-over that mentions the police."""
    assert case.id is not None
    now = svc.clock.now()
    if not await lifecycle.move(
        session, case, CaseStatus.POLICE, at=now, actor=actor, reasons=reasons
    ):
        raise ConcurrentChange(f"case {case.number} moved while handing it to the police")
    people = await people_for(
        session, svc, chat_id=case.chat_id, township=case.township_code, role="police"
    )
    parties = await store.parties_of(session, case_id=case.id)
    summary = (
        "；".join(f"{p.label} {p.plate or '?'} {mask_phone(p.phone)}".strip() for p in parties)
        or "—"
    )
    text = t(
        "parties.handover",
        svc.language,
        number=case.number,
        reasons="、".join(reasons),
        mentions=Raw(" ".join(mention(uid, name) for uid, name in people)),
        photos=await q.photo_count(session, case_id=case.id),
        parties=summary,
    )
    say(session, svc, case, text)
    q.enqueue(session, at=now, chat_id=case.chat_id, kind="edit_card", case_id=case.id)
