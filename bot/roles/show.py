"""/whoami and /team: who holds which role here, and who is on duty."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.incoming import Command
from bot.kernel.outbox import mention
from bot.kernel.services import Services
from bot.kernel.texts import plain, t
from bot.roles.common import answer, insurer_suffix, registered_group, role_label
from bot.roles.lookup import ROLE_ORDER, grants_of, local_time
from bot.rules.access import GRANTABLE_ROLES, INSURER_ROLES, Grant, Role, on_duty
from storage.models import Member

# Keep /team well inside Telegram's 4096 characters.
TEAM_MAX_CHARS = 3800


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
        group = await registered_group(session, svc, cmd)
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
            answer(session, svc, cmd, t("roles.whoami.none", lang, who=who))
            return grants
        lines = [t("roles.whoami.title", lang, who=who)]
        for g in grants:
            parts = [role_label(g.role, lang) + insurer_suffix(svc, g.insurer)]
            parts.append(t(f"roles.source.{g.source}", lang))
            if g.role is not Role.ADMIN:
                parts.append(_duty(svc, g.on_duty, now))
            lines.append("• " + " · ".join(plain(p) for p in parts))
        answer(session, svc, cmd, "\n".join(lines))
        return grants

    return await svc.in_transaction(work)


async def team(svc: Services, cmd: Command) -> int:
    """/team: the group's people by role, insurers' people grouped by insurer; no mentions."""

    async def work(session: AsyncSession) -> int:
        lang, now = svc.language, svc.clock.now()
        group = await registered_group(session, svc, cmd)
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
            answer(session, svc, cmd, t("roles.team.empty", lang))
            return 0

        def names(found: dict[int, tuple[str, tuple[str, ...]]]) -> str:
            out = []
            for name, hours in found.values():
                label = plain(name)
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
                    f"{plain(role_label(role, lang))}：{names(people[(role.value, None)])}"
                )
        for insurer in svc.deployment.insurers:
            block = [
                f"　{plain(role_label(role, lang))}：{names(people[(role.value, insurer.code)])}"
                for role in (Role.ADJUSTER, Role.SUPERVISOR)
                if (role.value, insurer.code) in people
            ]
            if block:
                lines.append(f"<b>{plain(insurer.short_name)}</b>")
                lines.extend(block)
        kept: list[str] = []
        for i, line in enumerate(lines):
            if sum(len(x) + 1 for x in kept) + len(line) > TEAM_MAX_CHARS:
                kept.append(t("roles.team.more", lang, count=len(lines) - i))
                break
            kept.append(line)
        answer(session, svc, cmd, "\n".join(kept))
        return sum(len(found) for found in people.values())

    return await svc.in_transaction(work)
