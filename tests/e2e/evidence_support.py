"""Helpers for the evidence end-to-end tests: DB reads and waiting for the worker."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.compose.app import Runtime
from sandbox import Sandbox
from storage.models import AuditEvent, Case, Photo, PhotoFlag
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import bot_messages, cards, text_of


async def register(world: World, chat: int, township: str) -> None:
    world.sb.send_text(chat, world.admin, f"/setup {township}")
    await world.sb.wait_for(
        lambda: any("已登记" in text_of(m) for m in bot_messages(world.sb, chat)), timeout=10
    )


async def photos(bot: Runtime, case_id: int | None = None) -> list[Photo]:
    async with bot.services.db.session() as s:
        stmt = select(Photo).order_by(col(Photo.id))
        if case_id is not None:
            stmt = stmt.where(Photo.case_id == case_id)
        return list((await s.exec(stmt)).all())


async def cases(bot: Runtime) -> list[Case]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(Case).order_by(col(Case.id)))).all())


async def opened_case(bot: Runtime, index: int = 0) -> Case:
    """The index-th case, once its thread and card exist (so its topic id is known)."""

    async def ready() -> bool:
        got = await cases(bot)
        return len(got) > index and got[index].card_message_id is not None

    await eventually(ready, timeout=15)
    return (await cases(bot))[index]


async def flags(bot: Runtime) -> list[PhotoFlag]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(PhotoFlag).order_by(col(PhotoFlag.id)))).all())


async def audit(bot: Runtime, kind: str) -> list[AuditEvent]:
    async with bot.services.db.session() as s:
        stmt = select(AuditEvent).where(AuditEvent.kind == kind).order_by(col(AuditEvent.id))
        return list((await s.exec(stmt)).all())


async def settled(bot: Runtime) -> None:
    """Wait until no photo is waiting for its download."""

    async def done() -> bool:
        return all(p.status != "pending" for p in await photos(bot))

    await eventually(done, timeout=20)


def card_text(sb: Sandbox, chat: int, index: int = -1) -> str:
    return text_of(cards(sb, chat)[index])


async def card_has(sb: Sandbox, chat: int, *needles: str) -> bool:
    return any(all(n in text_of(c) for n in needles) for c in cards(sb, chat))


def button(message: dict[str, Any], label: str) -> str:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if label in b["text"]:
                return b["callback_data"]
    raise AssertionError(f"no button {label!r}: {message.get('reply_markup')}")


def said(sb: Sandbox, chat: int, needle: str) -> list[dict[str, Any]]:
    return [m for m in bot_messages(sb, chat) if needle in text_of(m)]
