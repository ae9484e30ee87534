"""Reading what people see and what the database holds, for end-to-end assertions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from bot.app import Runtime
from sandbox import Sandbox
from storage.models import Case, InboxUpdate, Photo


def bot_messages(sb: Sandbox, chat_id: int, thread_id: int | None = None) -> list[dict[str, Any]]:
    """The bot's own messages in a chat (optionally one topic), in order; no service messages."""
    return [
        m
        for m in sb.transcript(chat_id, thread_id=thread_id)
        if m["from"].get("is_bot") and not m.get("service")
    ]


def service_messages(sb: Sandbox, chat_id: int, kind: str) -> list[dict[str, Any]]:
    """Service messages of one kind (forum_topic_created, pinned_message ...)."""
    return [m for m in sb.transcript(chat_id) if m.get("service") == kind]


def text_of(message: dict[str, Any]) -> str:
    """A message's current text or caption."""
    return message.get("text") or message.get("caption") or ""


def cards(sb: Sandbox, chat_id: int) -> list[dict[str, Any]]:
    """The case cards the bot posted in a chat."""
    return [m for m in bot_messages(sb, chat_id) if text_of(m).startswith("🚗")]


def calls(sb: Sandbox, method: str, chat_id: int | None = None) -> list[dict[str, Any]]:
    """The bot's calls of one Bot API method (optionally into one chat)."""
    out = []
    for call in sb.calls:
        if call["method"] != method:
            continue
        if chat_id is not None and str(call["params"].get("chat_id")) != str(chat_id):
            continue
        out.append(call)
    return out


async def cases_in(runtime: Runtime, chat_id: int) -> list[Case]:
    """The cases of a chat, oldest first."""
    async with runtime.services.db.session() as s:
        stmt = select(Case).where(Case.chat_id == chat_id).order_by(Case.id)
        return list((await s.exec(stmt)).all())


async def photos_of(runtime: Runtime, case_id: int) -> int:
    """How many photos a case holds."""
    async with runtime.services.db.session() as s:
        stmt = select(func.count()).select_from(Photo).where(Photo.case_id == case_id)
        return int((await s.exec(stmt)).one())


async def all_handled(runtime: Runtime) -> bool:
    """Whether every stored update has been handled."""
    async with runtime.services.db.session() as s:
        stmt = select(func.count()).select_from(InboxUpdate).where(InboxUpdate.handled_at.is_(None))
        return int((await s.exec(stmt)).one()) == 0
