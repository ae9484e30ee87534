"""Webhook mode through the local Telegram's setWebhook push: the secret is checked before
anything is stored, an update is stored before the 200, a failure to store makes
Telegram retry, and a retried update is handled once."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.transport import webhook
from storage.models import InboxUpdate
from tests.e2e.conftest import World, bot_settings
from tests.e2e.helpers import bot_messages, text_of

SECRET = "s3cret_webhook-token"
HELP = "快赔 · 快处快赔助手"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def hooked(world: World, database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    port = _free_port()
    settings = bot_settings(world.sb, database_url, tmp_path / "media").model_copy(
        update={
            "webhook_url": f"http://127.0.0.1:{port}/telegram/hook",
            "webhook_secret": SecretStr(SECRET),
            "webhook_port": port,
        }
    )
    runtime = build_runtime(settings, load_deployment(EXAMPLE_FILE))
    await runtime.start()
    yield runtime
    await runtime.stop()


async def _inbox(bot: Runtime) -> list[int]:
    async with bot.services.db.session() as s:
        return list((await s.exec(select(InboxUpdate.update_id))).all())


def _helps(world: World, chat: int) -> int:
    return sum(HELP in text_of(m) for m in bot_messages(world.sb, chat))


async def test_pushed_updates_are_answered_and_redeliveries_handled_once(
    world: World, hooked: Runtime
):
    sb = world.sb
    chat = sb.create_chat("private", members=[world.villager])
    sent = sb.send_text(chat, world.villager, "/help")
    await sb.wait_for(lambda: _helps(world, chat) == 1, timeout=10)
    assert sb.feed.webhook is not None and sb.feed.webhook["secret_token"] == SECRET

    # Telegram delivers the same update again (it did not see our 200): handled once.
    update_id = max(await _inbox(hooked))
    sb.redeliver(update_id)
    await sb.wait_for(
        lambda: sum(a["update_id"] == update_id for a in sb.feed.webhook_attempts) >= 2, timeout=10
    )
    await asyncio.sleep(0.5)
    assert _helps(world, chat) == 1
    assert sent["message_id"] > 0


async def test_a_missing_or_wrong_secret_is_refused_and_nothing_stored(
    world: World, hooked: Runtime
):
    webhook_url = hooked.ingress.url  # type: ignore[union-attr]
    before = await _inbox(hooked)
    update = {
        "update_id": 987654321,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": "/help",
        },
    }
    async with httpx.AsyncClient() as client:
        missing = await client.post(webhook_url, json=update)
        wrong = await client.post(
            webhook_url, json=update, headers={webhook.SECRET_HEADER: "not-the-secret"}
        )
    assert (missing.status_code, wrong.status_code) == (401, 403)
    assert await _inbox(hooked) == before


async def test_an_update_that_cannot_be_stored_is_retried_by_telegram(
    world: World, hooked: Runtime, monkeypatch: pytest.MonkeyPatch
):
    sb = world.sb
    real = webhook.store_updates
    failures = {"left": 1}

    async def flaky(svc: object, updates: list, **kwargs: object) -> list:
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("disk full")
        return await real(svc, updates, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(webhook, "store_updates", flaky)
    chat = sb.create_chat("private", members=[world.villager])
    sb.send_text(chat, world.villager, "/help")
    await sb.wait_for(lambda: _helps(world, chat) == 1, timeout=15)
    statuses = [a["status"] for a in sb.feed.webhook_attempts]
    assert 500 in statuses and statuses[-1] == 200
    await asyncio.sleep(0.5)
    assert _helps(world, chat) == 1
