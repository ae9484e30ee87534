"""The operator's /healthz and /metrics, on a port of their own, with the bot running
against the local Telegram."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from bot.compose.app import build_runtime
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from tests.e2e.conftest import World, bot_settings
from tests.e2e.helpers import bot_messages, text_of


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_healthz_and_metrics(world: World, database_url: str, tmp_path: Path):
    sb, port = world.sb, _free_port()
    settings = bot_settings(sb, database_url, tmp_path / "media").model_copy(
        update={"health_port": port}
    )
    bot = build_runtime(settings, load_deployment(EXAMPLE_FILE), poll_timeout=1)
    await bot.start()
    try:
        chat = sb.create_chat("private", members=[world.villager])
        sb.send_text(chat, world.villager, "/help")
        await sb.wait_for(
            lambda: any("快赔" in text_of(m) for m in bot_messages(sb, chat)), timeout=10
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            health = await client.get("/healthz")
            assert health.status_code == 200
            body = health.json()
            assert body["ok"] is True and body["database"] == "ok" and body["sender"] == "running"
            metrics = (await client.get("/metrics")).text
            assert "kuaipei_updates_handled_total 1.0" in metrics
            assert 'kuaipei_sends_total{method="send_message"}' in metrics
            assert "kuaipei_handler_seconds_count 1.0" in metrics
            assert "kuaipei_rate_limited_total 0.0" in metrics

            await bot.sender.stop()  # delivery has stopped: the operator must hear of it
            health = await client.get("/healthz")
            assert health.status_code == 503
            assert "sender stopped" in health.json()["problems"]
    finally:
        await bot.stop()
