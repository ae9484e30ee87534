"""A storm: 500 cases stall at once. Reminders come batched, the local Telegram never
answers 429, and people's own messages are still answered at once."""

from __future__ import annotations

import re
import time
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import Runtime
from bot.case import clocks
from bot.kernel.clock import ManualClock
from bot.rules.sla import Event
from storage.models import AuditEvent, Case
from tests.e2e.conftest import World
from tests.e2e.helpers import bot_messages, register, text_of
from tests.e2e.insurer_support import rows
from tests.e2e.sla_support import MONDAY_9AM, office_of, reminders, sla_deployment, sla_runtime

STALLED = 500
NUMBER = re.compile(r"HS-20261130-\d{3,4}")


async def _stall(bot: Runtime, chat: int, n: int) -> list[str]:
    """`n` cases in `chat` pinged to PINGAN now, as routing leaves them (no card needed)."""
    svc = bot.services
    now = svc.clock.now()

    async def work(session: AsyncSession) -> list[str]:
        numbers = []
        for i in range(n):
            number = f"HS-20261130-{i + 101:04d}"
            case = Case(
                number=number,
                chat_id=chat,
                township_code="HS",
                status="awaiting_insurer",
                origin_message_id=900_000 + i,
                opened_by=1,
                opened_by_name="王协理",
                opened_at=now,
                updated_at=now,
            )
            session.add(case)
            await session.flush()
            clocks.note(session, case.id, Event.INSURER_PINGED, at=now, insurer="PINGAN")
            numbers.append(number)
        return numbers

    return await svc.in_transaction(work)


async def test_five_hundred_stalled_cases_come_batched_without_a_429(
    world: World, database_url: str, tmp_path: Path
):
    sb, chat = world.sb, world.forum
    office = office_of(world)
    clock = ManualClock(MONDAY_9AM)
    bot = await sla_runtime(world, sla_deployment(world, office), database_url, tmp_path, clock)
    try:
        await register(world, chat, "花石镇")
        numbers = await _stall(bot, chat, STALLED)
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
            lambda: len(reminders(world, chat, "等待您处理")) == expected
            and len(reminders(world, chat, "请督办")) == expected
            and len(reminders(world, office.chat, "联席办：以下")) == expected,
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
