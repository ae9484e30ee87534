"""/role, given as a reply by a group admin: grant or remove a role."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.incoming import Command
from bot.kernel.outbox import mention
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.roles.common import (
    REMOVE_WORDS,
    answer,
    grant,
    insurer_suffix,
    member_row,
    parse_grant,
    registered_group,
    role_label,
)
from bot.roles.lookup import grants_of
from bot.rules.access import Action, Role, may, parse_role
from storage import queries as q


async def set_role(svc: Services, cmd: Command) -> str:
    """/role (a group admin, replying to someone): grant or remove a role directly."""

    async def work(session: AsyncSession) -> str:
        lang, now = svc.language, svc.clock.now()
        group = await registered_group(session, svc, cmd)
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
            answer(session, svc, cmd, t("roles.role.not_admin", lang))
            return "not_admin"
        if cmd.target_id is None or cmd.target_is_bot or not cmd.args:
            answer(session, svc, cmd, t("roles.role.usage", lang))
            return "usage"
        who = mention(cmd.target_id, cmd.target_name)
        if cmd.args[0].lower() in REMOVE_WORDS:
            role = parse_role(cmd.args[1]) if len(cmd.args) > 1 else None
            if role is None or role is Role.ADMIN:
                answer(session, svc, cmd, t("roles.role.usage", lang))
                return "usage"
            row = await member_row(
                session, chat_id=cmd.chat_id, user_id=cmd.target_id, role=role.value
            )
            if row is None:
                text = t("roles.role.not_held", lang, who=who, role=role_label(role, lang))
                answer(session, svc, cmd, text)
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
            answer(session, svc, cmd, text)
            return "removed"
        parsed = parse_grant(svc, cmd.args)
        if isinstance(parsed, str):
            answer(session, svc, cmd, parsed + "\n" + t("roles.role.usage", lang))
            return "usage"
        role, insurer = parsed
        await grant(
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
        answer(session, svc, cmd, text)
        return "granted"

    return await svc.in_transaction(work)
