"""May this person do fast-path work on this case? One guard for buttons and text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import EDITABLE
from bot.kernel.buttons import ButtonAction, Press, PressResult
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.roles.lookup import may_work_on
from bot.rules.access import Action
from storage import queries as q
from storage.models import Button, Case


async def refused(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    user_id: int,
    attempted: str,
    action: Action = Action.FAST_PATH_EDIT,
    kind: str = "button.refused",
) -> bool:
    """True when a person may not do this fast-path work on the case; the attempt is audited.

    Every parties button and the text intake ask this before changing anything.
    """
    if await may_work_on(session, svc, case, user_id, action=action):
        return False
    q.audit(
        session,
        at=svc.clock.now(),
        kind=kind,
        case_id=case.id,
        chat_id=case.chat_id,
        actor=user_id,
        reason="role",
        action=attempted,
    )
    return True


async def editable_case(
    session: AsyncSession,
    svc: Services,
    press: Press,
    button: Button,
    *,
    action: Action = Action.FAST_PATH_EDIT,
    not_allowed: str = "err.not_allowed",
) -> Case | PressResult:
    """A fast-path button's case if it is editable and the presser may act, else the refusal.

    A refusal for want of a role is audited; `not_allowed` is the text that says it.
    """
    case = await session.get(Case, button.case_id) if button.case_id else None
    if case is None or case.id is None or case.status not in EDITABLE:
        return PressResult(t("err.not_collecting", svc.language), alert=True)
    if await refused(
        session, svc, case, user_id=press.user_id, attempted=button.action, action=action
    ):
        return PressResult(t(not_allowed, svc.language), alert=True)
    return case


CaseAction = Callable[[AsyncSession, Services, Press, Button, Case], Awaitable[PressResult]]


def fast_path(fn: CaseAction, *, not_allowed: str = "err.not_allowed") -> ButtonAction:
    """A fast-path button: it runs only on an editable case, for someone who may work on it.

    Every area's fast-path buttons go through this one guard; `not_allowed` is the area's
    wording of the refusal.
    """

    async def guarded(
        session: AsyncSession, svc: Services, press: Press, button: Button
    ) -> PressResult:
        case = await editable_case(session, svc, press, button, not_allowed=not_allowed)
        if isinstance(case, PressResult):
            return case
        return await fn(session, svc, press, button, case)

    return guarded
