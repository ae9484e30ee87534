"""Readiness: a changed case moves between collecting and ready, and a complete case goes to
its insurers. Run once per changed case, at the end of the transaction that changed it."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import lifecycle
from bot.case.status import EDITABLE, CaseStatus
from bot.claims.routing import route
from bot.kernel.services import Services
from bot.parties import responsible
from bot.parties.readiness import facts, missing
from storage.models import Case


async def after_change(
    session: AsyncSession, svc: Services, case_id: int, actor: int | None
) -> None:
    """The after-change step of every transaction (bot/kernel/services.py `mark_changed`)."""
    case = await session.get(Case, case_id)
    if case is not None:
        await evaluate(session, svc, case, actor=actor)


async def evaluate(session: AsyncSession, svc: Services, case: Case, *, actor: int | None) -> None:
    """Move the case between collecting and ready as its facts say; route a complete case.

    A case that becomes ready (or a disputed case that is complete again after a change)
    goes to its paying insurers at once (bot/claims/routing.py `route`), provided an
    assistant, the police or an admin is responsible for it (bot/parties/responsible.py).
    """
    if case.status not in EDITABLE:
        return
    now = svc.clock.now()
    gaps = missing(await facts(session, svc, case))
    if case.status == CaseStatus.COLLECTING and not gaps:
        await lifecycle.move(
            session, case, CaseStatus.READY, at=now, actor=actor, values={"ready_at": now}
        )
    elif case.status == CaseStatus.READY and gaps:
        await lifecycle.move(
            session,
            case,
            CaseStatus.COLLECTING,
            at=now,
            actor=actor,
            values={"ready_at": None},
            missing=gaps,
        )
    if gaps or case.status not in (CaseStatus.READY, CaseStatus.DISPUTED):
        return
    # A first sending needs someone who stands behind the case (a disputed case was sent
    # once, so it had them); until then the case waits in `ready` and the card asks.
    if case.status == CaseStatus.READY and not await responsible.settle(
        session, svc, case, actor=actor
    ):
        return
    await route(session, svc, case, actor=actor)
