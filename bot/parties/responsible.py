"""Who stands behind a case towards the insurers, and the button to take a case.

Anyone in a group may post a photo and fill a case in, but the insurers deal only with
cases an assistant, the police or an admin is responsible for (the access table's
`CASE_ROUTE` and `CASE_TAKE`). The opener is responsible when they hold such a role;
otherwise the case waits, complete or not, until someone who does presses "take".
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import EDITABLE
from bot.kernel import outbox
from bot.kernel.buttons import ButtonAction, Press, PressResult
from bot.kernel.services import Services, mark_changed
from bot.kernel.texts import t
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from storage import queries as q
from storage.models import Button, Case

TAKE = "case.take"


async def _may(
    session: AsyncSession,
    svc: Services,
    case: Case,
    user_id: int,
    action: Action,
    *,
    chat_admin: bool = False,
) -> bool:
    grants = await grants_of(
        session,
        svc,
        chat_id=case.chat_id,
        user_id=user_id,
        township=case.township_code,
        chat_admin=chat_admin,
    )
    return may(action, grants)


async def needs_someone(session: AsyncSession, svc: Services, case: Case) -> bool:
    """Whether the case still needs someone to take it before it may go to the insurers."""
    if case.responsible_id is not None:
        return False
    return not await _may(session, svc, case, case.opened_by, Action.CASE_ROUTE)


def _record(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    user_id: int,
    name: str,
    actor: int | None,
    kind: str,
) -> None:
    case.responsible_id, case.responsible_name = user_id, name
    session.add(case)
    q.audit(
        session,
        at=svc.clock.now(),
        kind=kind,
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        responsible=user_id,
    )


async def settle(session: AsyncSession, svc: Services, case: Case, *, actor: int | None) -> bool:
    """Whether someone stands behind the case; records the opener when their role allows.

    Asked when the case is about to go to the insurers, so an opener given the role after
    opening counts too.
    """
    if case.responsible_id is not None:
        return True
    if not await _may(session, svc, case, case.opened_by, Action.CASE_ROUTE):
        return False
    _record(
        session,
        svc,
        case,
        user_id=case.opened_by,
        name=case.opened_by_name,
        actor=actor,
        kind="case.responsible",
    )
    return True


async def take(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """🙋 on the card: an assistant, police officer or admin becomes responsible for the case.

    A complete case waiting for them goes to its insurers in the same transaction (the
    after-change step, bot/flows/readiness.py).
    """
    lang = svc.language
    case = await session.get(Case, button.case_id) if button.case_id else None
    if case is None or case.id is None or case.status not in EDITABLE:
        return PressResult(t("err.not_collecting", lang), alert=True)
    if case.responsible_id == press.user_id:
        return PressResult(t("parties.ack.taken", lang))
    if case.responsible_id is not None:
        return PressResult(
            t("parties.ack.taken_already", lang, name=case.responsible_name or ""), alert=True
        )
    if not await _may(
        session, svc, case, press.user_id, Action.CASE_TAKE, chat_admin=bool(press.chat_admin)
    ):
        q.audit(
            session,
            at=svc.clock.now(),
            kind="button.refused",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=press.user_id,
            reason="role",
            action=TAKE,
        )
        return PressResult(t("parties.ack.take_not_allowed", lang), alert=True)
    _record(
        session,
        svc,
        case,
        user_id=press.user_id,
        name=press.user_name,
        actor=press.user_id,
        kind="case.taken",
    )
    outbox.say(
        session,
        svc,
        case,
        t("parties.ready.taken_note", lang, who=outbox.mention(press.user_id, press.user_name)),
    )
    q.enqueue(session, at=svc.clock.now(), chat_id=case.chat_id, kind="edit_card", case_id=case.id)
    mark_changed(session, case.id, actor=press.user_id)  # a complete case may go now
    return PressResult(t("parties.ack.taken", lang))


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {TAKE: take}
# A group admin may take a case: the press arrives with Telegram's word on admin status.
CHAT_ADMIN_BUTTONS = frozenset({TAKE})
