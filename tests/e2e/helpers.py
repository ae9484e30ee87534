"""Reading what people see and what the database holds, for end-to-end assertions."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import Deployment
from bot.config.settings import Settings
from sandbox import Sandbox
from storage.models import Case, InboxUpdate, Photo
from tests.e2e.conftest import World, sandbox_values


def sandbox_env(sb: Sandbox, database_url: str, media: Path, **extra: str) -> dict[str, str]:
    """The environment of a `kuaipei run` OS process against the local Telegram: this
    process's, without its own bot and deployment settings; logging everything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KUAIPEI_"))}
    env.update({k: str(v) for k, v in sandbox_values(sb, database_url, media).items()})
    env["LOG_LEVEL"] = "DEBUG"
    env.update(extra)
    return env


def bot_env(world: World, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """`sandbox_env` for the world's local Telegram, its media below `tmp_path`."""
    return sandbox_env(world.sb, database_url, tmp_path / "media", **extra)


async def start_bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """`kuaipei run` as its own OS process, its log appended to `log`."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.compose.cli",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("ab"),
        cwd=str(Path(__file__).resolve().parents[2]),
    )


@asynccontextmanager
async def running_bot(
    settings: Settings, deployment: Deployment, **options: Any
) -> AsyncIterator[Runtime]:
    """The bot in this process, polling the local Telegram, until the block ends."""
    runtime = build_runtime(settings, deployment, poll_timeout=1, **options)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


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


def button_data_of(message: dict[str, Any], label: str) -> str:
    """The callback data (or url) of the button whose label contains `label`."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if label in button["text"]:
                return button.get("callback_data") or button.get("url")
    raise AssertionError(f"no button {label!r} in {message.get('buttons')}")


def last_bot_message(sb: Sandbox, chat_id: int, containing: str) -> dict[str, Any]:
    """The newest bot message whose text contains `containing`."""
    for m in reversed(bot_messages(sb, chat_id)):
        if containing in text_of(m):
            return m
    raise AssertionError(f"no bot message containing {containing!r}")


async def press(sb: Sandbox, chat_id: int, user: int, message: dict[str, Any], label: str) -> str:
    """Press a button as a person would, and wait for the bot to answer the query."""
    qid = sb.press_button(chat_id, user, message["message_id"], button_data_of(message, label))
    await sb.wait_for(lambda: sb.callback_answer(qid) is not None, timeout=10)
    return qid


async def tap(
    sb: Sandbox,
    chat_id: int,
    user: int,
    message: dict[str, Any],
    label: str = "",
    *,
    data: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """Press a button (or send `data` from it, as a modified client could) and return the
    bot's answer to the callback query."""
    qid = sb.press_button(
        chat_id, user, message["message_id"], data or button_data_of(message, label), **kw
    )
    await sb.wait_for(lambda: sb.callback_answer(qid) is not None, timeout=10)
    return sb.callback_answer(qid)


def card_of(sb: Sandbox, chat_id: int, number: str | None = None) -> dict[str, Any]:
    """The case card in a chat: the first one, or the card of case `number`."""
    if number is None:
        return cards(sb, chat_id)[0]
    return next(c for c in cards(sb, chat_id) if number in text_of(c))


async def card_has(sb: Sandbox, chat_id: int, text: str) -> bool:
    """Whether the chat's first case card shows `text` (False while there is no card)."""
    found = cards(sb, chat_id)
    return bool(found) and text in text_of(found[0])


async def register(world: World, chat: int, township: str) -> None:
    """/setup by the group's admin, until the bot confirms the registration."""
    world.sb.send_text(chat, world.admin, f"/setup {township}")
    await world.sb.wait_for(
        lambda: any("已登记" in text_of(m) for m in bot_messages(world.sb, chat)), timeout=10
    )


async def card_shows(sb: Sandbox, chat: int, photos: int) -> bool:
    """Whether a case card in the chat counts `photos` photos."""
    return any(f"照片：{photos} 张" in text_of(c) for c in cards(sb, chat))


async def said(sb: Any, chat: int, containing: str, after: int = 0) -> dict[str, Any]:
    """Wait for a bot message (newer than `after`) containing a text, and return it."""

    def found() -> dict[str, Any] | None:
        for m in reversed(bot_messages(sb, chat)):
            if m["message_id"] > after and containing in text_of(m):
                return m
        return None

    try:
        await sb.wait_for(lambda: found() is not None, timeout=10)
    except TimeoutError as exc:
        raise AssertionError(f"no {containing!r}:\n{sb.format_transcript(chat)}") from exc
    return found()  # type: ignore[return-value]


def message_of(sb: Any, chat: int, message_id: int) -> dict[str, Any]:
    return next(m for m in sb.transcript(chat) if m["message_id"] == message_id)


async def becomes(sb: Any, chat: int, message_id: int, containing: str) -> dict[str, Any]:
    try:
        await sb.wait_for(
            lambda: containing in text_of(message_of(sb, chat, message_id)), timeout=10
        )
    except TimeoutError as exc:
        raise AssertionError(f"never {containing!r}:\n{sb.format_transcript(chat)}") from exc
    return message_of(sb, chat, message_id)
