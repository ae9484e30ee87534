"""What the roles' commands share: answering, the group, parsing a grant, granting."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config.deployment import Insurer
from bot.kernel.incoming import Command
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.rules.access import GRANTABLE_ROLES, INSURER_ROLES, Grant, Role, parse_role
from bot.rules.cleaning import clean_text, clip
from storage import queries as q
from storage.models import ChatGroup, Member

REMOVE_WORDS = frozenset({"remove", "删除", "取消", "移除", "撤销"})


def role_label(role: str, lang: str) -> str:
    """A role's name for people."""
    return t(f"role.{role}", lang)


def insurer_suffix(svc: Services, code: str | None) -> str:
    """` · 平安产险` after an insurer role, nothing otherwise."""
    if code is None:
        return ""
    found = next((i for i in svc.deployment.insurers if i.code == code), None)
    return f" · {found.short_name if found else code}"


def answer(
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


def edit(
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


async def registered_group(session: AsyncSession, svc: Services, cmd: Command) -> ChatGroup | None:
    """The registered group, or None after answering why the command cannot run here."""
    if cmd.chat_type == "private":
        answer(session, svc, cmd, t("roles.private", svc.language))
        return None
    group = await q.get_group(session, chat_id=cmd.chat_id)
    if group is None:
        answer(session, svc, cmd, t("roles.unregistered", svc.language))
    return group


def insurer_choices(svc: Services) -> str:
    return "、".join(i.short_name for i in svc.deployment.insurers)


def parse_grant(svc: Services, words: tuple[str, ...]) -> tuple[Role, str | None] | str:
    """`定损员 平安` -> (adjuster, PINGAN); an explanation (safe HTML) when it does not parse."""
    lang = svc.language
    # Cleaned like every typed value: zero-width characters are no insurer's name.
    words = tuple(clean_text(w) for w in words)
    role = parse_role(words[0])
    if role is None:
        choices = "、".join(role_label(r, lang) for r in GRANTABLE_ROLES)
        return t("roles.bad_role", lang, text=clip(words[0], 30), choices=choices)
    if role is Role.ADMIN:
        return t("roles.admin_not_grantable", lang)
    rest = " ".join(w for w in words[1:] if w)
    if role not in INSURER_ROLES:
        return t("roles.no_insurer", lang, role=role_label(role, lang)) if rest else (role, None)
    if not rest:
        example = f"/join {words[0]} {svc.deployment.insurers[0].short_name}"
        return t(
            "roles.need_insurer",
            lang,
            role=role_label(role, lang),
            example=example,
            choices=insurer_choices(svc),
        )
    insurer: Insurer | None = svc.deployment.find_insurer(rest)
    if insurer is None:
        return t("roles.bad_insurer", lang, text=clip(rest, 30), choices=insurer_choices(svc))
    return role, insurer.code


async def member_row(
    session: AsyncSession, *, chat_id: int, user_id: int, role: str
) -> Member | None:
    stmt = select(Member).where(
        Member.chat_id == chat_id, Member.user_id == user_id, Member.role == role
    )
    return (await session.exec(stmt)).first()


async def grant(
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
    row = await member_row(session, chat_id=chat_id, user_id=user_id, role=role)
    if row is None:
        row = Member(chat_id=chat_id, user_id=user_id, role=role, created_at=now)
    row.display_name = name
    row.insurer_code = insurer
    session.add(row)


def holds(grants: list[Grant], role: Role, insurer: str | None) -> bool:
    return any(g.role == role and g.insurer == insurer for g in grants)
