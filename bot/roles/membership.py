"""Use cases about people and roles: /join and its approval, /role, /whoami, /team.

Each runs in one transaction, audits what changed (and every refused attempt) and
says everything through the outbox. Admin status arrives from the handler, which asked
Telegram; it is checked here through the authorisation matrix like any other action.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config.deployment import Insurer
from bot.kernel.buttons import ButtonAction, Press, PressResult, button_data, grid
from bot.kernel.incoming import Command
from bot.kernel.outbox import mention
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.roles.lookup import ROLE_ORDER, grants_of, local_time
from bot.rules.access import (
    GRANTABLE_ROLES,
    INSURER_ROLES,
    Action,
    Grant,
    Role,
    may,
    on_duty,
    parse_role,
)
from storage import queries as q
from storage.models import Button, ChatGroup, Member, RoleRequest

REMOVE_WORDS = frozenset({"remove", "删除", "取消", "移除", "撤销"})
# Keep /team well inside Telegram's 4096 characters.
TEAM_MAX_CHARS = 3800


# --- helpers ------------------------------------------------------------------------------


def role_label(role: str, lang: str) -> str:
    """A role's name for people."""
    return t(f"role.{role}", lang)


def insurer_suffix(svc: Services, code: str | None) -> str:
    """` · 平安产险` after an insurer role, nothing otherwise."""
    if code is None:
        return ""
    found = next((i for i in svc.deployment.insurers if i.code == code), None)
    return f" · {found.short_name if found else code}"


def _answer(
    session: AsyncSession,
    svc: Services,
    cmd: Command,
    text: str,
    buttons: list[list[list[str]]] | None = None,
) -> None:
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=cmd.chat_id,
        kind="send_text",
        text=Raw(text),
        reply_to=cmd.message_id,
        thread_id=cmd.thread_id,
        buttons=buttons or [],
    )


def _edit(
    session: AsyncSession,
    svc: Services,
    chat_id: int,
    message_id: int | None,
    text: str,
    buttons: list[list[list[str]]] | None = None,
) -> None:
    """Rewrite the message a button sat on (a picker becomes the request, a request its outcome)."""
    if message_id is None:
        return
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=chat_id,
        kind="edit_text",
        message_id=message_id,
        text=Raw(text),
        buttons=buttons or [],
    )


async def _group(session: AsyncSession, svc: Services, cmd: Command) -> ChatGroup | None:
    """The registered group, or None after answering why the command cannot run here."""
    if cmd.chat_type == "private":
        _answer(session, svc, cmd, t("roles.private", svc.language))
        return None
    group = await q.get_group(session, chat_id=cmd.chat_id)
    if group is None:
        _answer(session, svc, cmd, t("roles.unregistered", svc.language))
    return group


def _insurer_choices(svc: Services) -> str:
    return "、".join(i.short_name for i in svc.deployment.insurers)


def _parse_grant(svc: Services, words: tuple[str, ...]) -> tuple[Role, str | None] | str:
    """`定损员 平安` -> (adjuster, PINGAN); an explanation (safe HTML) when it does not parse."""
    lang = svc.language
    role = parse_role(words[0])
    if role is None:
        choices = "、".join(role_label(r, lang) for r in GRANTABLE_ROLES)
        return t("roles.bad_role", lang, text=words[0][:30], choices=choices)
    if role is Role.ADMIN:
        return t("roles.admin_not_grantable", lang)
    rest = " ".join(words[1:]).strip()
    if role not in INSURER_ROLES:
        return t("roles.no_insurer", lang, role=role_label(role, lang)) if rest else (role, None)
    if not rest:
        example = f"/join {words[0]} {svc.deployment.insurers[0].short_name}"
        return t(
            "roles.need_insurer",
            lang,
            role=role_label(role, lang),
            example=example,
            choices=_insurer_choices(svc),
        )
    insurer: Insurer | None = svc.deployment.find_insurer(rest)
    if insurer is None:
        return t("roles.bad_insurer", lang, text=rest[:30], choices=_insurer_choices(svc))
    return role, insurer.code


async def _member_row(
    session: AsyncSession, *, chat_id: int, user_id: int, role: str
) -> Member | None:
    stmt = select(Member).where(
        Member.chat_id == chat_id, Member.user_id == user_id, Member.role == role
    )
    return (await session.exec(stmt)).first()


async def _grant(
    session: AsyncSession,
    *,
    now: datetime,
    chat_id: int,
    user_id: int,
    name: str,
    role: Role,
    insurer: str | None,
) -> None:
    """Give a role in a chat; one row per (chat, person, role), so a new insurer replaces the old."""
    row = await _member_row(session, chat_id=chat_id, user_id=user_id, role=role)
    if row is None:
        row = Member(chat_id=chat_id, user_id=user_id, role=role, created_at=now)
    row.display_name = name
    row.insurer_code = insurer
    session.add(row)


def _holds(grants: list[Grant], role: Role, insurer: str | None) -> bool:
    return any(g.role == role and g.insurer == insurer for g in grants)


# --- /join --------------------------------------------------------------------------------


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
    if _holds(held, role, insurer):
        return t("roles.join.already", lang, **values), []
    stmt = select(RoleRequest).where(
        RoleRequest.chat_id == chat_id,
        RoleRequest.user_id == user_id,
        RoleRequest.role == role.value,
        RoleRequest.insurer_code == insurer if insurer else col(RoleRequest.insurer_code).is_(None),
        RoleRequest.status == "pending",
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
        group = await _group(session, svc, cmd)
        if group is None:
            return "refused"
        who = mention(cmd.user_id, cmd.user_name)
        if not cmd.args:
            buttons = await _picker(
                session, svc, chat_id=cmd.chat_id, user_id=cmd.user_id, role=None
            )
            _answer(session, svc, cmd, t("roles.join.pick_role", lang, who=who), buttons)
            return "picker"
        parsed = _parse_grant(svc, cmd.args)
        if isinstance(parsed, str):
            _answer(session, svc, cmd, parsed + "\n" + t("roles.join.usage", lang))
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
        _answer(session, svc, cmd, text, buttons)
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
        _edit(session, svc, press.chat_id, press.message_id, text, buttons)
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
    _edit(session, svc, press.chat_id, press.message_id, text, buttons)
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
    status = "approved" if approve else "denied"
    # Compare-and-set: of two admins pressing at once, exactly one decides.
    conn = await session.connection()
    decided = await conn.execute(
        update(RoleRequest)
        .where(col(RoleRequest.id) == request.id, col(RoleRequest.status) == "pending")
        .values(status=status, decided_by=press.user_id, decided_at=now)
    )
    if decided.rowcount != 1:
        return PressResult(t("roles.alert.decided", lang))
    role = Role(request.role)
    if approve:
        await _grant(
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
    _edit(session, svc, press.chat_id, press.message_id, text)
    return PressResult(t("roles.alert.done", lang))


async def approve(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Approve a /join request."""
    return await _decide(session, svc, press, button, approve=True)


async def deny(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """Decline a /join request."""
    return await _decide(session, svc, press, button, approve=False)


# --- /role --------------------------------------------------------------------------------


async def set_role(svc: Services, cmd: Command) -> str:
    """/role (a group admin, replying to someone): grant or remove a role directly."""

    async def work(session: AsyncSession) -> str:
        lang, now = svc.language, svc.clock.now()
        group = await _group(session, svc, cmd)
        if group is None:
            return "refused"
        grants = await grants_of(
            session,
            svc,
            chat_id=cmd.chat_id,
            user_id=cmd.user_id,
            township=group.township_code,
            chat_admin=cmd.chat_admin,
        )
        if not may(Action.ROLES_MANAGE, grants):
            q.audit(
                session,
                at=now,
                kind="role.refused",
                chat_id=cmd.chat_id,
                actor=cmd.user_id,
                attempted="role",
                reason="not_admin",
                target=cmd.target_id,
            )
            _answer(session, svc, cmd, t("roles.role.not_admin", lang))
            return "not_admin"
        if cmd.target_id is None or cmd.target_is_bot or not cmd.args:
            _answer(session, svc, cmd, t("roles.role.usage", lang))
            return "usage"
        who = mention(cmd.target_id, cmd.target_name)
        if cmd.args[0].lower() in REMOVE_WORDS:
            role = parse_role(cmd.args[1]) if len(cmd.args) > 1 else None
            if role is None or role is Role.ADMIN:
                _answer(session, svc, cmd, t("roles.role.usage", lang))
                return "usage"
            row = await _member_row(
                session, chat_id=cmd.chat_id, user_id=cmd.target_id, role=role.value
            )
            if row is None:
                text = t("roles.role.not_held", lang, who=who, role=role_label(role, lang))
                _answer(session, svc, cmd, text)
                return "not_held"
            await session.delete(row)
            q.audit(
                session,
                at=now,
                kind="role.removed",
                chat_id=cmd.chat_id,
                actor=cmd.user_id,
                user=cmd.target_id,
                role=role.value,
                insurer=row.insurer_code,
            )
            text = t("roles.role.removed", lang, who=who, role=role_label(role, lang))
            _answer(session, svc, cmd, text)
            return "removed"
        parsed = _parse_grant(svc, cmd.args)
        if isinstance(parsed, str):
            _answer(session, svc, cmd, parsed + "\n" + t("roles.role.usage", lang))
            return "usage"
        role, insurer = parsed
        await _grant(
            session,
            now=now,
            chat_id=cmd.chat_id,
            user_id=cmd.target_id,
            name=cmd.target_name,
            role=role,
            insurer=insurer,
        )
        q.audit(
            session,
            at=now,
            kind="role.granted",
            chat_id=cmd.chat_id,
            actor=cmd.user_id,
            user=cmd.target_id,
            role=role.value,
            insurer=insurer,
        )
        text = t(
            "roles.role.granted",
            lang,
            who=who,
            role=role_label(role, lang),
            insurer=insurer_suffix(svc, insurer),
        )
        _answer(session, svc, cmd, text)
        return "granted"

    return await svc.in_transaction(work)


# --- /whoami and /team --------------------------------------------------------------------


def _duty(svc: Services, hours: tuple[str, ...], now: datetime) -> str:
    lang = svc.language
    if not hours:
        return t("roles.duty.always", lang)
    state = "on" if on_duty(hours, local_time(svc, now).time()) else "off"
    return f"{t(f'roles.duty.{state}', lang)} {', '.join(hours)}"


async def whoami(svc: Services, cmd: Command) -> list[Grant]:
    """/whoami: the sender's roles in this group, with insurer, source and on-duty status."""

    async def work(session: AsyncSession) -> list[Grant]:
        lang, now = svc.language, svc.clock.now()
        group = await _group(session, svc, cmd)
        if group is None:
            return []
        grants = await grants_of(
            session,
            svc,
            chat_id=cmd.chat_id,
            user_id=cmd.user_id,
            township=group.township_code,
            chat_admin=cmd.chat_admin,
        )
        who = mention(cmd.user_id, cmd.user_name)
        if not grants:
            _answer(session, svc, cmd, t("roles.whoami.none", lang, who=who))
            return grants
        lines = [t("roles.whoami.title", lang, who=who)]
        for g in grants:
            parts = [role_label(g.role, lang) + insurer_suffix(svc, g.insurer)]
            parts.append(t(f"roles.source.{g.source}", lang))
            if g.role is not Role.ADMIN:
                parts.append(_duty(svc, g.on_duty, now))
            lines.append("• " + " · ".join(escape(p) for p in parts))
        _answer(session, svc, cmd, "\n".join(lines))
        return grants

    return await svc.in_transaction(work)


async def team(svc: Services, cmd: Command) -> int:
    """/team: the group's people by role, insurers' people grouped by insurer; no mentions."""

    async def work(session: AsyncSession) -> int:
        lang, now = svc.language, svc.clock.now()
        group = await _group(session, svc, cmd)
        if group is None:
            return 0
        # (role, insurer) -> {user_id: (name, hours)}, deployment people first.
        people: dict[tuple[str, str | None], dict[int, tuple[str, tuple[str, ...]]]] = {}
        for p in svc.deployment.people:
            if not p.townships or group.township_code in p.townships:
                people.setdefault((p.role, p.insurer), {}).setdefault(
                    p.user_id, (p.name, p.on_duty)
                )
        stmt = select(Member).where(Member.chat_id == cmd.chat_id).order_by(col(Member.id))
        for row in (await session.exec(stmt)).all():
            if row.role in {r.value for r in GRANTABLE_ROLES}:
                people.setdefault((row.role, row.insurer_code), {}).setdefault(
                    row.user_id, (row.display_name or str(row.user_id), ())
                )
        if not people:
            _answer(session, svc, cmd, t("roles.team.empty", lang))
            return 0

        def names(found: dict[int, tuple[str, tuple[str, ...]]]) -> str:
            out = []
            for name, hours in found.values():
                label = escape(name)
                if hours:
                    state = "on" if on_duty(hours, local_time(svc, now).time()) else "off"
                    label += f"（{t(f'roles.duty.{state}', lang)}）"
                out.append(label)
            return "、".join(out)

        township = svc.township_name(group.township_code)
        lines = [t("roles.team.title", lang, township=township)]
        for role in sorted(Role, key=lambda r: ROLE_ORDER[r]):
            if role not in INSURER_ROLES and (role.value, None) in people:
                lines.append(
                    f"{escape(role_label(role, lang))}：{names(people[(role.value, None)])}"
                )
        for insurer in svc.deployment.insurers:
            block = [
                f"　{escape(role_label(role, lang))}：{names(people[(role.value, insurer.code)])}"
                for role in (Role.ADJUSTER, Role.SUPERVISOR)
                if (role.value, insurer.code) in people
            ]
            if block:
                lines.append(f"<b>{escape(insurer.short_name)}</b>")
                lines.extend(block)
        kept: list[str] = []
        for i, line in enumerate(lines):
            if sum(len(x) + 1 for x in kept) + len(line) > TEAM_MAX_CHARS:
                kept.append(t("roles.team.more", lang, count=len(lines) - i))
                break
            kept.append(line)
        _answer(session, svc, cmd, "\n".join(kept))
        return sum(len(found) for found in people.values())

    return await svc.in_transaction(work)


# The buttons of this module, by action name (wired in bot/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "role.pick": pick,
    "role.approve": approve,
    "role.deny": deny,
}
# Presses that arrive with Telegram's word on whether the presser is a chat admin.
CHAT_ADMIN_BUTTONS = frozenset({"role.approve", "role.deny"})
