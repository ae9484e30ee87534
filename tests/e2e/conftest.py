"""End-to-end fixtures: the local Telegram, the bot on python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, Deployment, Person, load_deployment
from bot.config.settings import Settings
from sandbox import Sandbox

TOKEN = "987654:E2E-secret-token-value"
# Telegram's per-group limit, on a 2 s window instead of 60 s so tests run in seconds.
GROUP_RATE = (20, 2.0)
# The card's settling pause (CARD_SETTLE_SECONDS) on the same scaled-down time: a script
# that taps and waits for the card otherwise waits the full second at every step.
SCALED_CARD_SETTLE = 0.2


@dataclass
class World:
    """The people and chats of a small township."""

    sb: Sandbox
    admin: int
    assistant: int
    villager: int
    forum: int
    plain: int
    stray: int


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    async with Sandbox(token=TOKEN, bot_username="kuaipei_bot", group_rate=GROUP_RATE) as sandbox:
        yield sandbox


@pytest.fixture
def world(sb: Sandbox) -> World:
    admin = sb.create_user("李队长", username="li_dz")
    assistant = sb.create_user("王协理", username="wang_xl")
    villager = sb.create_user("赵师傅", username="zhao_sf")
    people = [admin, assistant, villager]
    forum = sb.create_chat(
        "supergroup", title="花石镇快处快赔群", is_forum=True, members=people, admins=[admin]
    )
    plain = sb.create_chat("supergroup", title="射埠镇快处群", members=people, admins=[admin])
    stray = sb.create_chat("group", title="村民闲聊群", members=people, admins=[admin])
    return World(sb, admin, assistant, villager, forum, plain, stray)


def sandbox_values(
    sb: Sandbox,
    database_url: str,
    media: Path,
    *,
    token: str = TOKEN,
    group_rate: tuple[int, float] | None = GROUP_RATE,
    card_settle: float | None = SCALED_CARD_SETTLE,
) -> dict[str, Any]:
    """The settings, by name, that point a bot at the local Telegram: the same for a bot in
    this process (`bot_settings`) and for `kuaipei run` (helpers.py `sandbox_env`).
    `group_rate=None` leaves the bot Telegram's own group limit, `card_settle=None` the
    card's own settling pause."""
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_BASE_URL": sb.base_url,
        "TELEGRAM_FILE_BASE_URL": sb.file_base_url,
        "DATABASE_URL": database_url,
        "MEDIA_DIR": media,
    }
    if group_rate is not None:
        values["SEND_GROUP_MAX_RATE"], values["SEND_GROUP_PERIOD_SECONDS"] = group_rate
    if card_settle is not None:
        values["CARD_SETTLE_SECONDS"] = card_settle
    return values


def bot_settings(
    sb: Sandbox,
    database_url: str,
    media: Path,
    *,
    token: str = TOKEN,
    group_rate: tuple[int, float] | None = GROUP_RATE,
    card_settle: float | None = SCALED_CARD_SETTLE,
    **extra: Any,
) -> Settings:
    """Settings that point the bot at the local Telegram; `extra` by setting name."""
    values = sandbox_values(
        sb, database_url, media, token=token, group_rate=group_rate, card_settle=card_settle
    )
    return Settings(**values, **extra)


def with_assistant(deployment: Deployment, world: World) -> Deployment:
    """The deployment with the world's assistant (王协理) as a county-wide assistant.

    Only an assistant, the police or an admin can send a case to the insurers.
    """
    person = Person(user_id=world.assistant, name="王协理", role="assistant")
    return deployment.model_copy(update={"people": (*deployment.people, person)})


@pytest.fixture
def card_settle() -> float | None:
    """The card's settling pause of the bots the fixtures below start; a module that counts
    card edits overrides it with None, the real second (tests/e2e/test_message_budget.py)."""
    return SCALED_CARD_SETTLE


@pytest.fixture
async def bot(
    sb: Sandbox, world: World, database_url: str, tmp_path: Path, card_settle: float | None
) -> AsyncIterator[Runtime]:
    runtime = build_runtime(
        bot_settings(sb, database_url, tmp_path / "media", card_settle=card_settle),
        with_assistant(load_deployment(EXAMPLE_FILE), world),
        poll_timeout=1,
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    """Wait until an async check holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.1)


# The insurer loop's staffed deployments (tests/e2e/insurer_support.py).
@pytest.fixture
async def two_payers(
    world: World, database_url: str, tmp_path: Path, card_settle: float | None
) -> AsyncIterator[Runtime]:
    """Staffed deployment without 无责代赔: in a rear-end case both insurers pay cash."""
    from tests.e2e.insurer_support import staffed_runtime  # it builds on this module

    runtime = await staffed_runtime(
        world, database_url, tmp_path, proxy=False, card_settle=card_settle
    )
    yield runtime
    await runtime.stop()


@pytest.fixture
async def standard(
    world: World, database_url: str, tmp_path: Path, card_settle: float | None
) -> AsyncIterator[Runtime]:
    """Staffed example deployment (无责代赔 on): a rear-end case has one paying insurer."""
    from tests.e2e.insurer_support import staffed_runtime  # it builds on this module

    runtime = await staffed_runtime(
        world, database_url, tmp_path, proxy=True, card_settle=card_settle
    )
    yield runtime
    await runtime.stop()
