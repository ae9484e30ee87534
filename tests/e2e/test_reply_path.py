"""The short path from an update to its reply keeps the inbox's and outbox's promises.

The use case's own transaction marks its update handled, so a process that dies right
after that commit replays nothing at start; and the commit itself wakes the chat's
sender lane, so a reply does not wait for the sender's periodic look at the outbox.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select
from telegram.ext import CallbackContext

import handlers
from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.kernel.services import HANDLING, Handling
from bot.transport import ingest
from sandbox import Sandbox
from storage.models import InboxUpdate, OutboxItem
from tests.e2e.conftest import World, bot_settings, eventually, with_assistant
from tests.e2e.helpers import bot_messages, text_of

HELP_MARK = "/setup 乡镇名"  # a line of the /help text


def _runtime(world: World, database_url: str, tmp_path: Path) -> Runtime:
    return build_runtime(
        bot_settings(world.sb, database_url, tmp_path / "media"),
        with_assistant(load_deployment(EXAMPLE_FILE), world),
        poll_timeout=1,
    )


def _help_replies(sb: Sandbox, chat: int) -> int:
    return sum(HELP_MARK in text_of(m) for m in bot_messages(sb, chat))


async def _help_rows(runtime: Runtime, chat: int) -> int:
    async with runtime.services.db.session() as s:
        rows = (await s.exec(select(OutboxItem).where(OutboxItem.chat_id == chat))).all()
    return sum(HELP_MARK in str(r.payload.get("text", "")) for r in rows)


async def test_a_stop_right_after_the_use_case_commit_replays_nothing(
    world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A mark written apart from the use case (batched after DONE_DELAY) is still waiting
    # when the process dies: only a mark in the use case's own transaction survives.
    monkeypatch.setattr(ingest, "DONE_DELAY", 3600.0)
    sb = world.sb
    chat = sb.create_chat("private", members=[world.villager])
    first = _runtime(world, database_url, tmp_path)
    await first.start()
    try:
        sent = sb.send_text(chat, world.villager, "/help")

        async def committed() -> bool:
            return await _help_rows(first, chat) == 1

        await eventually(committed, timeout=20)
        async with first.services.db.session() as s:
            rows = (await s.exec(select(InboxUpdate))).all()
        [row] = [
            r
            for r in rows
            if (r.payload.get("message") or {}).get("message_id") == sent["message_id"]
        ]
        # Visible with the use case's effects, i.e. committed by the same transaction.
        assert row.handled_at is not None
    finally:
        # The crash: what the process held in memory is gone, marks not yet written too.
        ingest.inbox_state(first.app.bot_data).take_done()
        await first.stop()

    second = _runtime(world, database_url, tmp_path)
    await second.start()
    try:
        sb.send_text(chat, world.villager, "/help")  # the probe: the new process answers
        await sb.wait_for(lambda: _help_replies(sb, chat) >= 2, timeout=20)
        await asyncio.sleep(0.5)  # room for a replayed answer to show up
        assert await _help_rows(second, chat) == 2
    finally:
        await second.stop()
    assert _help_replies(sb, chat) == 2, sb.format_transcript(chat)


async def test_an_update_is_handled_in_one_transaction_and_the_commit_wakes_its_lane(
    world: World, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    seen: list[Handling] = []

    async def claim_and_note(update: object, context: CallbackContext) -> None:
        await ingest.claim_update(update, context)
        handling = HANDLING.get()
        if handling is not None:
            seen.append(handling)

    # The claim step as registered, plus a look at what it set for the update's handlers.
    monkeypatch.setattr(handlers, "claim_update", claim_and_note)
    runtime = _runtime(world, database_url, tmp_path)
    # After its first look the sender would look at the outbox again only in an hour:
    # the reply can only go out because the commit that queued it woke the lane.
    runtime.sender.poll_interval = 3600.0
    chat = world.sb.create_chat("private", members=[world.villager])
    await runtime.start()
    try:
        await asyncio.sleep(0.3)  # the sender's first look is over
        world.sb.send_text(chat, world.villager, "/help")
        await world.sb.wait_for(lambda: _help_replies(world.sb, chat) == 1, timeout=10)
    finally:
        await runtime.stop()
    assert [(h.transactions, h.marked) for h in seen] == [(1, True)]
