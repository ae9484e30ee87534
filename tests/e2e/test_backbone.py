"""The crash-safe backbone end to end: once-only handling, retries, limits, restarts, secrets."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from bot.compose.app import Runtime
from sandbox import Sandbox
from sandbox.photos import scene_photo
from storage.db import Database
from storage.models import Case, InboxUpdate, OutboxItem, Photo
from tests.e2e.conftest import GROUP_RATE, TOKEN, World, eventually
from tests.e2e.helpers import (
    all_handled,
    bot_env,
    bot_messages,
    calls,
    card_shows,
    cards,
    cases_in,
    photos_of,
    register,
    service_messages,
    start_bot,
    text_of,
)


async def test_same_update_delivered_twice_is_handled_once(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    photo = sb.send_photo(world.forum, world.assistant, scene_photo(1))
    await eventually(lambda: card_shows(sb, world.forum, 1))
    async with bot.services.db.session() as s:
        rows = (await s.exec(select(InboxUpdate))).all()
    update_id = next(
        r.update_id
        for r in rows
        if (r.payload.get("message") or {}).get("message_id") == photo["message_id"]
    )
    sb.redeliver(update_id)
    sb.send_text(world.forum, world.assistant, "/help")  # something after it, to know it passed
    await sb.wait_for(
        lambda: any(
            "快赔" in text_of(m) and "/setup" in text_of(m) for m in bot_messages(sb, world.forum)
        ),
        timeout=10,
    )
    await eventually(lambda: all_handled(bot))
    cases = await cases_in(bot, world.forum)
    assert len(cases) == 1
    assert await photos_of(bot, cases[0].id) == 1
    assert len(cards(sb, world.forum)) == 1
    assert len(calls(sb, "createForumTopic")) == 1


async def test_429_on_first_send_still_gives_exactly_one_card(world: World, bot: Runtime):
    sb = world.sb
    sb.inject_fault("sendMessage", kind="429", count=1, retry_after=1)
    await register(world, world.plain, "射埠镇")
    sb.send_album(world.plain, world.assistant, [scene_photo(i) for i in range(3)])
    await eventually(lambda: card_shows(sb, world.plain, 3))
    assert len(cards(sb, world.plain)) == 1
    statuses = [c["status"] for c in calls(sb, "sendMessage", world.plain)]
    assert statuses.count(429) == 1 and statuses.count(200) == 2
    assert sb.rate_limited() == 0  # the one 429 was the injected one


async def test_network_errors_are_retried(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.inject_fault("createForumTopic", kind="502", count=1)
    sb.inject_fault("pinChatMessage", kind="drop", count=1)
    sb.send_photo(world.forum, world.assistant, scene_photo(1))
    await eventually(lambda: _pinned_card(world), timeout=20)
    assert len(sb.topics(world.forum)) == 1
    assert len(cards(sb, world.forum)) == 1


async def _pinned_card(world: World) -> bool:
    found = cards(world.sb, world.forum)
    return bool(found) and found[0]["pinned"]


async def test_thirty_albums_at_once_all_get_cards_without_429(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    for i in range(30):
        sb.send_album(world.forum, world.assistant, [scene_photo(i), scene_photo(i + 1)])

    async def done() -> bool:
        found = cards(sb, world.forum)
        return len(found) == 30 and all("照片：2 张" in text_of(c) for c in found)

    # 30 topics + 30 cards + 30 pins + edits at 20 per window: about 6 windows.
    await eventually(done, timeout=30 * 4 * GROUP_RATE[1] / GROUP_RATE[0] + 30)
    cases = await cases_in(bot, world.forum)
    assert len(cases) == 30
    assert len({c.number for c in cases}) == 30
    assert len(sb.topics(world.forum)) == 30
    assert sb.rate_limited() == 0


async def test_token_never_logged_at_debug(
    world: World, bot: Runtime, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.inject_fault("sendMessage", kind="500", count=1)
    sb.send_album(world.forum, world.assistant, [scene_photo(i) for i in range(2)])
    await eventually(lambda: card_shows(sb, world.forum, 2), timeout=20)
    assert caplog.records, "expected DEBUG records to be captured"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN.replace(":", "%3A") not in record.getMessage()
    assert TOKEN not in caplog.text


async def test_sigkill_mid_album_then_restart_loses_and_repeats_nothing(
    world: World, database_url: str, tmp_path: Path
):
    sb = world.sb
    env = bot_env(world, database_url, tmp_path)
    log = tmp_path / "bot.log"
    db = Database(database_url)

    async def photo_rows() -> int:
        async with db.session() as s:
            return len((await s.exec(select(Photo))).all())

    proc = await start_bot(env, log)
    album = sb.new_media_group_id()
    try:
        await _polling(sb, proc, since=0)
        await register(world, world.forum, "花石镇")
        for i in range(3):
            sb.send_album_part(world.forum, world.assistant, scene_photo(i), album)
        await eventually(lambda: _at_least(photo_rows, 3), timeout=20)
        # Kill between Telegram calls: a send in flight when the process dies cannot be
        # told apart from one that never left (Telegram has no idempotency keys).
        await eventually(lambda: _sender_idle(db), timeout=20)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        # The rest of the album arrives while the bot is down.
        for i in range(3, 6):
            sb.send_album_part(world.forum, world.assistant, scene_photo(i), album)

        polls = len(sb.calls_to("getUpdates"))
        proc = await start_bot(env, log)
        await _polling(sb, proc, since=polls)
        await eventually(lambda: card_shows(sb, world.forum, 6), timeout=30)
        sb.send_text(
            world.forum, world.assistant, "/help"
        )  # proves the new process handles updates
        await sb.wait_for(
            lambda: any("/setup 乡镇名" in text_of(m) for m in bot_messages(sb, world.forum)),
            timeout=20,
        )
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), timeout=20)
    assert proc.returncode == 0, "SIGTERM should stop the bot cleanly"
    async with db.session() as s:
        cases = (await s.exec(select(Case).where(Case.chat_id == world.forum))).all()
    await db.dispose()
    assert len(cases) == 1
    assert await photo_rows() == 6
    assert len(calls(sb, "createForumTopic")) == 1
    texts = Counter(text_of(m) for m in bot_messages(sb, world.forum))
    assert all(n == 1 for n in texts.values()), texts
    assert len(cards(sb, world.forum)) == 1, sb.format_transcript(world.forum)
    assert len(service_messages(sb, world.forum, "pinned_message")) == 1
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "DEBUG" in output  # the bot really logged at DEBUG
    assert TOKEN not in output and TOKEN.replace(":", "%3A") not in output


async def _polling(sb: Sandbox, proc: asyncio.subprocess.Process, *, since: int) -> None:
    """Wait until the new process polls: its start (imports, migrations) is not what is
    timed here, and on a machine busy with other tests it takes longer than any step."""
    await sb.wait_for(
        lambda: len(sb.calls_to("getUpdates")) > since or proc.returncode is not None,
        timeout=90,
    )
    assert proc.returncode is None, "the bot exited at start"


async def _sender_idle(db: Database) -> bool:
    async with db.session() as s:
        rows = (await s.exec(select(OutboxItem).where(OutboxItem.status == "pending"))).all()
    return not rows


async def _at_least(count: object, n: int) -> bool:
    return await count() >= n  # type: ignore[operator]


def test_run_without_token_exits_with_one_sentence(tmp_path: Path):
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.compose.cli", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
