"""Several `kuaipei run` OS processes on one PostgreSQL database (MULTI_PROCESS), end to end.

Webhook mode: the local Telegram pushes to one address, a round-robin forwarder in front
of two processes (a reverse proxy's job in production) hands each push to the next one,
so any process stores any update; each chat's updates are still handled one at a time,
in order, once. A process killed while it holds a chat loses nothing: the other takes
the chat over when the lease runs out. Polling: one process polls, the other stands by
and takes over when the poller dies. Both processes sending into one group stay within
its flood limit.

Without TEST_DATABASE_URL (SQLite, one process only) the same scripts run on one process
and show that nothing changed there: same order, nothing lost, a restart after a kill
finishes the chat; and MULTI_PROCESS is refused on SQLite.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from sandbox import Sandbox
from storage.db import Database
from storage.models import InboxLease, InboxUpdate, OutboxItem
from tests.e2e.conftest import TOKEN, World, eventually
from tests.e2e.helpers import bot_env, bot_messages, calls, start_bot, text_of
from tests.e2e.round_robin import RoundRobin, free_port

SHARED = bool(os.environ.get("TEST_DATABASE_URL"))
SECRET = "multi_process-secret"
LEASE = "2"
GROUP = (4, 1.0)  # seconds: a dead process's chats move on quickly
# Each command's answer echoes its argument: "未找到乡镇“甲7”".
ASKED = re.compile(r"未找到乡镇“甲(\d+)”")


class Fleet:
    """The bot processes of one test, each with its own webhook port and log."""

    def __init__(self, world: World, database_url: str, tmp_path: Path, count: int) -> None:
        self.world, self.database_url, self.tmp_path = world, database_url, tmp_path
        self.ports = [free_port() for _ in range(count)]
        self.procs: list[asyncio.subprocess.Process | None] = [None] * count
        self.logs = [tmp_path / f"bot{i}.log" for i in range(count)]

    def env(self, index: int, **extra: str) -> dict[str, str]:
        return bot_env(
            self.world,
            self.database_url,
            self.tmp_path,
            MULTI_PROCESS="true" if SHARED else "false",
            PROCESS_LEASE_SECONDS=LEASE,
            LOG_LEVEL="INFO",
            SEND_GROUP_MAX_RATE=str(GROUP[0]),
            SEND_GROUP_PERIOD_SECONDS=str(GROUP[1]),
            **extra,
        )

    async def start(self, index: int, **extra: str) -> asyncio.subprocess.Process:
        proc = await start_bot(self.env(index, **extra), self.logs[index])
        self.procs[index] = proc
        return proc

    async def start_hooked(self, index: int, url: str) -> asyncio.subprocess.Process:
        return await self.start(
            index,
            WEBHOOK_URL=url,
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_PORT=str(self.ports[index]),
        )

    def log(self, index: int) -> str:
        return self.logs[index].read_text(encoding="utf-8", errors="replace")

    async def kill(self, index: int) -> None:
        proc = self.procs[index]
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        await proc.wait()

    async def stop_all(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc is not None and proc.returncode is None:
                try:
                    await asyncio.wait_for(proc.wait(), timeout=20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    # A tight group window: a chat's handling outpaces it, so its sending really is
    # throttled, and a process taking a group over without its window would draw 429s.
    async with Sandbox(token=TOKEN, bot_username="kuaipei_bot", group_rate=GROUP) as sandbox:
        yield sandbox


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _groups(world: World, count: int) -> list[int]:
    people = [world.admin, world.assistant]
    return [
        world.sb.create_chat("supergroup", title=f"村{i}群", members=people, admins=[world.admin])
        for i in range(count)
    ]


def _answers(world: World, chat: int) -> list[int]:
    """The numbers the bot's answers in a chat echo, in the order the chat shows them."""
    found = []
    for message in bot_messages(world.sb, chat):
        match = ASKED.search(text_of(message))
        if match:
            found.append(int(match.group(1)))
    return found


def _ask(world: World, chat: int, numbers: range) -> None:
    for n in numbers:
        world.sb.send_text(chat, world.admin, f"/setup 甲{n}")


async def _all_handled(db: Database) -> bool:
    async with db.session() as s:
        left = (await s.exec(select(InboxUpdate).where(InboxUpdate.handled_at == None))).all()  # noqa: E711
    return not left


async def _held_by(db: Database, pid: int) -> list[int]:
    async with db.session() as s:
        leases = (await s.exec(select(InboxLease))).all()
    return [lease.chat_id for lease in leases if f":{pid}:" in lease.holder]


async def _up(world: World, count: int) -> None:
    """Wait until `count` processes have registered their commands (they are running)."""
    await eventually(
        lambda: _true(
            len(calls(world.sb, "setWebhook")) + len(calls(world.sb, "deleteWebhook")) >= count
        ),
        timeout=40,
    )


async def _true(value: bool) -> bool:
    return value


async def test_two_webhook_processes_keep_each_chats_order_and_the_group_limit(
    world: World, database_url: str, tmp_path: Path, db: Database
):
    count = 2 if SHARED else 1
    fleet = Fleet(world, database_url, tmp_path, count)
    chats = _groups(world, 4)
    # Fewer bursts on one process: there is no hand-over to show, only the order.
    per_chat, bursts, burst = 6, 3 if SHARED else 2, 7
    async with RoundRobin(fleet.ports) as proxy:
        try:
            for i in range(count):
                await fleet.start_hooked(i, proxy.url)
            await _up(world, count)
            # The chats interleaved, as Telegram would push them, alternating processes.
            for n in range(per_chat):
                for chat in chats:
                    world.sb.send_text(chat, world.admin, f"/setup 甲{n}")
            # One group gets bursts larger than its flood window, a pause between them:
            # its sending moves between processes and must carry the window along.
            busy = chats[0]
            # An odd burst starts on the other process than the one before.
            for i in range(bursts):
                start = per_chat + i * burst
                _ask(world, busy, range(start, start + burst))
                await eventually(
                    lambda s=start: _true(len(_answers(world, busy)) >= s + burst), timeout=60
                )
                await asyncio.sleep(0.2)

            async def done() -> bool:
                return all(len(_answers(world, c)) >= per_chat for c in chats[1:])

            await eventually(done, timeout=60)
            await eventually(lambda: _all_handled(db), timeout=20)
        finally:
            await fleet.stop_all()
        if SHARED:
            assert all(proxy.served[i] > 5 for i in range(count)), proxy.served
    for chat in chats:
        expected = per_chat + (bursts * burst if chat == busy else 0)
        assert _answers(world, chat) == list(range(expected)), world.sb.format_transcript(chat)
    assert world.sb.rate_limited() == 0
    if SHARED:
        # Both processes sent into the busy group: its window travelled between them.
        senders = await _senders(db, busy)
        assert len(senders) == 2, senders


async def _sender_idle(db: Database) -> bool:
    async with db.session() as s:
        busy = (
            await s.exec(select(OutboxItem).where(OutboxItem.status.in_(("pending", "sending"))))  # type: ignore[attr-defined]
        ).all()
    return not busy


async def _senders(db: Database, chat: int) -> set[str]:
    async with db.session() as s:
        items = (await s.exec(select(OutboxItem).where(OutboxItem.chat_id == chat))).all()
    return {item.claimed_by.split(":")[1] for item in items if item.claimed_by}


async def test_a_process_killed_while_holding_a_chat_loses_nothing(
    world: World, database_url: str, tmp_path: Path, db: Database
):
    count = 2 if SHARED else 1
    fleet = Fleet(world, database_url, tmp_path, count)
    chat = _groups(world, 1)[0]
    total = 40 if SHARED else 20
    async with RoundRobin(fleet.ports) as proxy:
        try:
            for i in range(count):
                await fleet.start_hooked(i, proxy.url)
            await _up(world, count)
            _ask(world, chat, range(total))
            if SHARED:
                # Whichever process holds the chat's inbox lease now dies.
                victim: list[int] = []

                async def someone_holds() -> bool:
                    for i, proc in enumerate(fleet.procs):
                        assert proc is not None
                        if chat in await _held_by(db, proc.pid):
                            victim.append(i)
                            return True
                    return False

                await eventually(someone_holds, timeout=20)
                await fleet.kill(victim[0])
                survivor = 1 - victim[0]
            else:
                await eventually(lambda: _true(len(_answers(world, chat)) >= 3), timeout=30)
                await fleet.kill(0)
                survivor = 0
                await fleet.start_hooked(0, proxy.url)
            await eventually(lambda: _true(len(set(_answers(world, chat))) >= total), timeout=60)
            await eventually(lambda: _all_handled(db), timeout=20)
        finally:
            await fleet.stop_all()
    answers = _answers(world, chat)
    # In order, every one answered; the update (and the send) cut off by the kill may
    # show once more: the bound docs/architecture.md states.
    assert list(dict.fromkeys(answers)) == list(range(total)), answers
    assert len(answers) - total <= 2, Counter(answers)
    if SHARED:
        assert "taken over" in fleet.log(survivor)


async def test_one_poller_among_two_and_a_stand_by_takes_over(
    world: World, database_url: str, tmp_path: Path, db: Database
):
    if not SHARED:
        # One process on SQLite: asking for several is refused before anything starts.
        env = bot_env(world, database_url, tmp_path, MULTI_PROCESS="true")
        result = subprocess.run(
            [sys.executable, "-m", "bot.compose.cli", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=str(Path(__file__).resolve().parents[2]),
        )
        assert result.returncode != 0
        assert "MULTI_PROCESS" in result.stderr and "PostgreSQL" in result.stderr
        return
    fleet = Fleet(world, database_url, tmp_path, 2)
    chat = _groups(world, 1)[0]
    try:
        await fleet.start(0)
        await eventually(lambda: _true("this process polls" in fleet.log(0)), timeout=40)
        await fleet.start(1)
        await eventually(lambda: _true("bot @" in fleet.log(1)), timeout=40)
        _ask(world, chat, range(5))
        await eventually(lambda: _true(len(_answers(world, chat)) >= 5), timeout=30)
        assert "this process polls" not in fleet.log(1)
        assert not [c for c in calls(world.sb, "getUpdates") if c["status"] == 409]

        # Between sends (a send cut off mid-call may repeat: the other test's bound).
        await eventually(lambda: _sender_idle(db), timeout=20)
        await fleet.kill(0)
        await eventually(lambda: _true("this process polls" in fleet.log(1)), timeout=20)
        _ask(world, chat, range(5, 10))
        await eventually(lambda: _true(len(_answers(world, chat)) >= 10), timeout=30)
        await eventually(lambda: _all_handled(db), timeout=20)
    finally:
        await fleet.stop_all()
    assert _answers(world, chat) == list(range(10))
