"""Two bots, each with its own engine and sender, on one database and one local Telegram:
every ladder step fires exactly once (on PostgreSQL the sweeps skip each other's locked
rows; on SQLite one writer at a time serialises them)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.kernel.clock import ManualClock
from storage.models import AuditEvent
from tests.e2e.conftest import World
from tests.e2e.helpers import register, text_of
from tests.e2e.insurer_support import rows
from tests.e2e.sla_support import (
    MONDAY_9AM,
    office_of,
    reminders,
    sla_deployment,
    sla_runtime,
    stall,
)

STALLED = 240
NUMBER = re.compile(r"HS-20261130-\d{4}")
STEPS = (("等待您处理", "forum"), ("请督办", "forum"), ("联席办：以下", "office"))


async def test_two_bots_on_one_database_fire_every_step_once(
    world: World, database_url: str, tmp_path: Path
):
    sb = world.sb
    office = office_of(world)
    deployment = sla_deployment(world, office)
    clock = ManualClock(MONDAY_9AM)
    first = await sla_runtime(world, deployment, database_url, tmp_path / "a", clock)
    second = await sla_runtime(world, deployment, database_url, tmp_path / "b", clock)
    try:
        await register(world, world.forum, "花石镇")
        numbers = await stall(first, world.forum, STALLED, numbered_from=1001)
        chats = {"forum": world.forum, "office": office.chat}

        def listed(containing: str, where: str) -> list[str]:
            found = reminders(world, chats[where], containing)
            return [n for m in found for n in NUMBER.findall(text_of(m))]

        clock.advance(minutes=31)
        await sb.wait_for(lambda: all(len(listed(c, w)) >= STALLED for c, w in STEPS), timeout=60)
        await asyncio.sleep(1.0)  # a repeated message, if any, would arrive meanwhile
        # Each case in each step's messages exactly once, however the two bots shared them.
        for containing, where in STEPS:
            assert sorted(listed(containing, where)) == sorted(numbers), containing
        fired = await rows(first, AuditEvent, AuditEvent.kind == "sla.fired")
        assert len(fired) == 3 * STALLED
        assert len({(e.case_id, e.data["step"], e.data["repeat"]) for e in fired}) == 3 * STALLED
        assert sb.rate_limited() == 0
    finally:
        await second.stop()
        await first.stop()
