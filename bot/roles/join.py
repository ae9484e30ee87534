"""Use cases about people and roles: /join and its approval, /role, /whoami, /team.

Each runs in one transaction, audits what changed (and every refused attempt) and
says everything through the outbox. Admin status arrives from the handler, which asked
Telegram; it is checked here through the authorisation matrix like any other action.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.buttons import ButtonAction, Press, PressResult, button_data, grid
from bot.kernel.incoming import Command
from bot.kernel.outbox import mention
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.roles.common import (
    answer,
    edit,
    grant,
    holds,
    insurer_suffix,
    parse_grant,
    registered_group,
    role_label,
)
from bot.roles.lookup import grants_of
from bot.rules.access import (
    GRANTABLE_ROLES,
    INSURER_ROLES,
    Action,
    Role,
    may,
)
from storage import queries as q
from storage.models import Button, RoleRequest
from storage.types import RequestStatus


async def _request_message(
    session: AsyncSession,
    svc: Services,
    *,
    chat_id: int,
    township: str,
    user_id: int,
    user_name: str,
    role: Role,
    insurer: str | None,
) -> tuple[str, list[list[list[str]]]]:
    """File (or find) a request and return its message: text and approve/decline buttons."""
    lang, now = svc.language, svc.clock.now()
    values = {
        "who": mention(user_id, user_name),
        "role": role_label(role, lang),
        "insurer": insurer_suffix(svc, insurer),
    }
    held = await grants_of(session, svc, chat_id=chat_id, user_id=user_id, township=township)
    if holds(held, role, insurer):
        return t("roles.join.already", lang, **values), []
    stmt = select(RoleRequest).where(
        RoleRequest.chat_id == chat_id,
        RoleRequest.user_id == user_id,
        RoleRequest.role == role.value,
        RoleRequest.insurer_code == insurer if insurer else col(RoleRequest.insurer_code).is_(None),
        RoleRequest.status == RequestStatus.PENDING,
    )
    request = (await session.exec(stmt)).first()
    if request is None:  # asking again repeats the same request (and the same buttons)
        request = RoleRequest(
            chat_id=chat_id,
            user_id=user_id,
            display_name=user_name,
            role=role.value,
            insurer_code=insurer,
            requested_at=now,
        )
        session.add(request)
        await session.flush()
        q.audit(
            session,
            at=now,
            kind="role.requested",
            chat_id=chat_id,
            actor=user_id,
            request=request.id,
            role=role.value,
            insurer=insurer,
        )
    buttons = [
        [
            [
                t("roles.button.approve", lang),
                await button_data(
                    session,
                    now=now,
                    chat_id=chat_id,
                    action_name="role.approve",
                    request=request.id,
                ),
            ],
            [
                t("roles.button.deny", lang),
                await button_data(
                    session, now=now, chat_id=chat_id, action_name="role.deny", request=request.id
                ),
            ],
        ]
    ]
    return t("roles.join.request", lang, **values), buttons


async def _picker(
    session: AsyncSession, svc: Services, *, chat_id: int, user_id: int, role: Role | None
) -> list[list[list[str]]]:
    """Buttons to pick a role, or (for an insurer role) the insurer; only `user_id` may press."""
    now, lang = svc.clock.now(), svc.language
    choices: list[tuple[str, dict[str, Any]]]  # button arguments, as button_data takes them
    if role is None:
        choices = [(role_label(r, lang), {"role": r.value}) for r in GRANTABLE_ROLES]
    else:
        choices = [
            (i.short_name, {"role": role.value, "insurer": i.code}) for i in svc.deployment.insurers
        ]
    cells = [
        [
            label,
            await button_data(
                session, now=now, chat_id=chat_id, action_name="role.pick", user_id=user_id, **args
            ),
        ]
        for label, args in choices
    ]
    return grid(cells, 3)


async def join(svc: Services, cmd: Command) -> str:
    """/join [role [insurer]]: file a request for a group admin, or offer buttons to pick."""

    async def work(session: AsyncSession) -> str:
        lang = svc.language
        group = await registered_group(session, svc, cmd)
        if group is None:
            return "refused"
        who = mention(cmd.user_id, cmd.user_name)
        if not cmd.args:
            buttons = await _picker(
                session, svc, chat_id=cmd.chat_id, user_id=cmd.user_id, role=None
            )
            answer(session, svc, cmd, t("roles.join.pick_role", lang, who=who), buttons)
            return "picker"
        parsed = parse_grant(svc, cmd.args)
        if isinstance(parsed, str):
            answer(session, svc, cmd, parsed + "\n" + t("roles.join.usage", lang))
            return "usage"
        role, insurer = parsed
        text, buttons = await _request_message(
            session,
            svc,
            chat_id=cmd.chat_id,
            township=group.township_code,
            user_id=cmd.user_id,
            user_name=cmd.user_name,
            role=role,
            insurer=insurer,
        )
        answer(session, svc, cmd, text, buttons)
        return "requested" if buttons else "already"

    return await svc.in_transaction(work)


async def pick(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """A /join picker button: choose the role, then the insurer, then the request is filed."""
    lang = svc.language
    if press.user_id != button.args.get("user_id"):
        return PressResult(t("roles.alert.not_yours", lang), alert=True)
    group = await q.get_group(session, chat_id=press.chat_id)
    if group is None:
        return PressResult(t("roles.unregistered", lang), alert=True)
    role = Role(button.args["role"])
    insurer = button.args.get("insurer")
    if role in INSURER_ROLES and insurer is None:
        buttons = await _picker(
            session, svc, chat_id=press.chat_id, user_id=press.user_id, role=role
        )
        text = t(
            "roles.join.pick_insurer",
            lang,
            who=mention(press.user_id, press.user_name),
            role=role_label(role, lang),
        )
        edit(session, svc, press.chat_id, press.message_id, text, buttons)
        return PressResult()
    text, buttons = await _request_message(
        session,
        svc,
        chat_id=press.chat_id,
        township=group.township_code,
        user_id=press.user_id,
        user_name=press.user_name,
        role=role,
        insurer=insurer,
    )
    edit(session, svc, press.chat_id, press.message_id, text, buttons)
    return PressResult(t("roles.alert.done", lang))


async def _decide(
    session: AsyncSession, svc: Services, press: Press, button: Button, *, approve: bool
) -> PressResult:
    """A group admin approves or declines a request; anyone else is refused and audited."""
    lang, now = svc.language, svc.clock.now()
    request = await session.get(RoleRequest, button.args.get("request"))
    if request is None or request.chat_id != press.chat_id:
        return PressResult(t("button.unknown", lang), alert=True)
    group = await q.get_group(session, chat_id=press.chat_id)
    grants = await grants_of(
        session,
        svc,
        chat_id=press.chat_id,
        user_id=press.user_id,
        township=group.township_code if group else None,
        chat_admin=bool(press.chat_admin),
    )
    if not may(Action.ROLES_MANAGE, grants):
        q.audit(
            session,
            at=now,
            kind="role.refused",
            chat_id=press.chat_id,
            actor=press.user_id,
            request=request.id,
            attempted="approve" if approve else "deny",
            reason="not_admin",
        )
        return PressResult(t("roles.alert.not_admin", lang), alert=True)
    status = RequestStatus.APPROVED if approve else RequestStatus.DENIED
    # Compare-and-set: of two admins pressing at once, exactly one decides.
    conn = await session.connection()
    decided = await conn.execute(
        update(RoleRequest)
        .where(col(RoleRequest.id) == request.id, col(RoleRequest.status) == RequestStatus.PENDING)
        .values(status=status, decided_by=press.user_id, decided_at=now)
    )
    if decided.rowcount != 1:
        return PressResult(t("roles.alert.decided", lang))
    role = Role(request.role)
    if approve:
        await grant(
            session,
            now=now,
            chat_id=request.chat_id,
            user_id=request.user_id,
            name=request.display_name,
            role=role,
            insurer=request.insurer_code,
        )
    q.audit(
        session,
        at=now,
        kind=f"role.{status}",
        chat_id=press.chat_id,
        actor=press.user_id,
        request=request.id,
        user=request.user_id,
        role=request.role,
        insurer=request.insurer_code,
    )
    text = t(
        "roles.join.approved" if approve else "roles.join.denied",
        lang,
        who=mention(request.user_id, request.display_name),
        role=role_label(role, lang),
        insurer=insurer_suffix(svc, request.insurer_code),
        admin=press.user_name,
    )
    edit(session, svc, press.chat_id, press.message_id, text)
    return PressResult(t("roles.alert.done", lang))


async def approve(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Approve a /join request."""
    return await _decide(session, svc, press, button, approve=True)


async def deny(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """Decline a /join request."""
    return await _decide(session, svc, press, button, approve=False)


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "role.pick": pick,
    "role.approve": approve,
    "role.deny": deny,
}
# Presses that arrive with Telegram's word on whether the presser is a chat admin.
CHAT_ADMIN_BUTTONS = frozenset({"role.approve", "role.deny"})
