"""A storm: 500 cases stall at once. Reminders come batched, the local Telegram never
answers 429, and people's own messages are still answered at once."""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.kernel.clock import ManualClock
from storage.models import AuditEvent
from tests.e2e.conftest import World
from tests.e2e.helpers import bot_messages, register, text_of
from tests.e2e.insurer_support import rows
from tests.e2e.sla_support import (
    MONDAY_9AM,
    office_of,
    reminders,
    sla_deployment,
    sla_runtime,
    stall,
)

STALLED = 500
NUMBER = re.compile(r"HS-20261130-\d{3,4}")


async def test_five_hundred_stalled_cases_come_batched_without_a_429(
    world: World, database_url: str, tmp_path: Path
):
    sb, chat = world.sb, world.forum
    office = office_of(world)
    clock = ManualClock(MONDAY_9AM)
    bot = await sla_runtime(world, sla_deployment(world, office), database_url, tmp_path, clock)
    try:
        await register(world, chat, "花石镇")
        numbers = await stall(bot, chat, STALLED, numbered_from=101)
        before = len(bot_messages(sb, chat))

        # 09:31: every case is past its reminder, its breach and its liaison step at once.
        clock.advance(minutes=31)
        started = time.monotonic()
        sb.send_text(chat, world.assistant, "/help")
        await sb.wait_for(
            lambda: any("快赔 · 快处快赔助手" in text_of(m) for m in bot_messages(sb, chat)),
            timeout=10,
        )
        answered = time.monotonic() - started
        assert answered < 2.0, f"/help took {answered:.2f} s during the storm"

        per_message = bot.services.deployment.sla.cases_per_message
        expected = -(-STALLED // per_message)  # whole messages of cases_per_message cases
        await sb.wait_for(
            lambda: (
                len(reminders(world, chat, "等待您处理")) == expected
                and len(reminders(world, chat, "请督办")) == expected
                and len(reminders(world, office.chat, "联席办：以下")) == expected
            ),
            timeout=60,
        )
        assert sb.rate_limited() == 0
        for containing, where in (
            ("等待您处理", chat),
            ("请督办", chat),
            ("联席办：以下", office.chat),
        ):
            listed = [NUMBER.findall(text_of(m)) for m in reminders(world, where, containing)]
            assert all(len(cases) <= per_message for cases in listed)
            assert sorted(n for cases in listed for n in cases) == sorted(numbers)
        fired = await rows(bot, AuditEvent, AuditEvent.kind == "sla.fired")
        assert len(fired) == 3 * STALLED
        # Far fewer messages than firings: one per recipient and batch.
        assert len(bot_messages(sb, chat)) - before <= 2 * expected + 1
    finally:
        await bot.stop()
