"""/setup by the deployment file's admins, who count as group admins (README, Roles)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, Person, load_deployment
from tests.e2e.conftest import World, bot_settings
from tests.e2e.helpers import bot_messages, text_of


@pytest.fixture
async def file_admins(world: World, database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    base = load_deployment(EXAMPLE_FILE)
    people = (
        *base.people,
        Person(user_id=world.villager, name="县联席办管理员", role="admin"),
        Person(user_id=world.assistant, name="射埠镇管理员", role="admin", townships=("SB",)),
    )
    runtime = build_runtime(
        bot_settings(world.sb, database_url, tmp_path / "media"),
        base.model_copy(update={"people": people}),
        poll_timeout=1,
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


async def _answer(world: World, chat: int, after: int) -> str:
    sb = world.sb
    await sb.wait_for(
        lambda: any(m["message_id"] > after for m in bot_messages(sb, chat)), timeout=10
    )
    return text_of([m for m in bot_messages(sb, chat) if m["message_id"] > after][-1])


async def test_a_deployment_admin_who_is_no_chat_admin_may_set_up(
    world: World, file_admins: Runtime
):
    sb = world.sb
    sent = sb.send_text(world.forum, world.villager, "/setup 花石镇")
    assert "已登记" in await _answer(world, world.forum, sent["message_id"])
    # An admin of another township is no admin here, and nobody else is either.
    sent = sb.send_text(world.plain, world.assistant, "/setup 花石镇")
    assert "只有群管理员" in await _answer(world, world.plain, sent["message_id"])
    sent = sb.send_text(world.plain, world.assistant, "/setup 射埠镇")
    assert "已登记" in await _answer(world, world.plain, sent["message_id"])
