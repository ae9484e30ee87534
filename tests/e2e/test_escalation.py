"""Stale cases climb their ladder on time, once per step, through the real HTTP stack.

The bot runs on an injected clock from Monday 09:00 (a working day in Xiangtan); the test
moves the clock and the bot's sweep, ticking every 0.2 s of real time, notices. The
example policy (kuaipei.example.yaml, docs/domain.md §6.1): the insurer's response is due
in 10 working minutes, reminded at 5 and then every 30 minutes three times, its
supervisors told at the breach and the liaison office 20 minutes later; its decision is
due in 2 working hours, supervisors told at the breach.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.kernel.clock import ManualClock
from storage.models import AuditEvent, StageClock
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import card_has, tap, text_of
from tests.e2e.insurer_support import (
    mentioned_ids,
    ping_of,
    routed_case,
    rows,
    say,
    wait_said,
)
from tests.e2e.sla_support import (
    MONDAY_9AM,
    SWEEP_SECONDS,
    links_of,
    office_of,
    reminders,
    sla_deployment,
    sla_runtime,
)

REMIND = "等待您处理"
SUPERVISE = "请督办"
LIAISON = "联席办：以下"


async def _quiet(seconds: float = SWEEP_SECONDS * 4) -> None:
    """Let a few sweeps pass (so that a message that should not come would have come)."""
    await asyncio.sleep(seconds)


async def test_an_ignored_ping_climbs_reminder_supervisor_liaison_until_decided(
    world: World, database_url: str, tmp_path: Path
):
    sb, chat = world.sb, world.forum
    office = office_of(world)
    clock = ManualClock(MONDAY_9AM)
    bot = await sla_runtime(world, sla_deployment(world, office), database_url, tmp_path, clock)
    staff = world.staff  # type: ignore[attr-defined]
    try:
        case = await routed_case(world, bot, 1)
        assert case.id is not None
        clocks = {
            (c.stage, c.insurer_code): c
            for c in await rows(bot, StageClock, StageClock.case_id == case.id)
        }
        assert clocks[("scene", None)].state == "stopped"
        assert clocks[("scene", None)].met_target is True
        assert clocks[("insurer_response", "PINGAN")].state == "running"
        assert clocks[("insurer_decision", "PINGAN")].state == "running"
        # The card settles for a second after its last edit (docs/architecture.md).
        await eventually(lambda: card_has(sb, chat, "保险响应（平安产险）：剩余 10分钟"))

        # 09:05: the warning reminds PINGAN's on-duty adjusters, with a 接单 button.
        clock.advance(minutes=5, seconds=1)
        first = await wait_said(world, chat, REMIND)
        assert mentioned_ids(first) == {staff.pingan1, staff.pingan2}
        assert case.number in text_of(first) and "剩余 4分钟" in text_of(first)
        assert any(link.endswith(f"/{case.message_thread_id}") for link in links_of(first))

        # A stranger's 接单: an alert, nothing recorded on the clock, the attempt audited.
        answer = await tap(sb, chat, world.villager, first, "接单")
        assert answer["show_alert"] is True
        response = (
            await rows(bot, StageClock, StageClock.id == clocks[("insurer_response", "PINGAN")].id)
        )[0]
        assert response.ack_by is None and response.state == "running"
        refused = await rows(bot, AuditEvent, AuditEvent.kind == "sla.ack_refused")
        assert [e.actor_user_id for e in refused] == [world.villager]

        # 09:10: breached; the supervisors hear of it, the adjusters are not told again.
        clock.advance(minutes=5)
        sup = await wait_said(world, chat, SUPERVISE)
        assert mentioned_ids(sup) == {staff.pingan_sup}
        assert "已超时" in text_of(sup)
        assert len(reminders(world, chat, REMIND)) == 1

        # 09:30: the liaison office, in its own chat, with the link to the case's topic.
        clock.advance(minutes=20)
        told = await wait_said(world, office.chat, LIAISON)
        assert case.number in text_of(told) and "已超时 20分钟" in text_of(told)
        assert any(link.endswith(f"/{case.message_thread_id}") for link in links_of(told))
        await eventually(lambda: card_has(sb, chat, "已升级至联席办"))

        # /overdue in the group: the supervisor sees the case, oldest breach first.
        sb.send_text(chat, staff.pingan_sup, "/overdue")
        listed = await wait_said(world, chat, "超时案件")
        assert case.number in text_of(listed) and "保险响应" in text_of(listed)

        # 09:35: the first repeat of the reminder; the adjuster acknowledges it.
        clock.advance(minutes=5)
        await sb.wait_for(lambda: len(reminders(world, chat, REMIND)) == 2, timeout=10)
        again = reminders(world, chat, REMIND)[-1]
        ok = await tap(sb, chat, staff.pingan1, again, "接单")
        assert ok["show_alert"] is False and "已接单" in ok["text"]
        await eventually(lambda: card_has(sb, chat, "平安定损甲 09:35 已接单"))
        acked = await rows(bot, AuditEvent, AuditEvent.kind == "sla.acknowledged")
        assert [e.actor_user_id for e in acked] == [staff.pingan1]

        # 10:05 and 10:35: no more repeats, the acknowledgement stopped them.
        clock.advance(minutes=30)
        await _quiet()
        clock.advance(minutes=30)
        await _quiet()
        assert len(reminders(world, chat, REMIND)) == 2

        # The decision stops the decision clock: at 11:00, its breach, nobody is told.
        await tap(sb, chat, staff.pingan1, ping_of(world, chat, "平安产险"), "同意")
        await wait_said(world, chat, "请回复报案号")
        say(world, chat, staff.pingan1, case, "报案号 RDAA2026009 定损 5400")
        await wait_said(world, chat, "已记录 平安产险：报案号 RDAA2026009")
        clock.advance(minutes=30)
        await _quiet()
        assert len(reminders(world, chat, SUPERVISE)) == 1
        decision = [
            c
            for c in await rows(bot, StageClock, StageClock.case_id == case.id)
            if c.stage == "insurer_decision"
        ]
        assert [c.state for c in decision] == ["stopped"]
        assert decision[0].met_target is True
        await eventually(lambda: card_has(sb, chat, "赔款到账（平安产险）"))

        # Every step fired once, and the timeline (/case) shows the firings and the 接单.
        fired = [
            (e.data["stage"], e.data["step"], e.data["repeat"])
            for e in await rows(bot, AuditEvent, AuditEvent.kind == "sla.fired")
        ]
        assert fired == [
            ("insurer_response", "remind", 0),
            ("insurer_response", "supervisors", 0),
            ("insurer_response", "liaison", 0),
            ("insurer_response", "remind", 1),
        ]
        sb.send_text(chat, staff.pingan_sup, f"/case {case.number}")
        timeline = await wait_said(world, chat, "已升级至联席办")
        shown = text_of(timeline)
        assert "09:05 ⏰ 保险响应（平安产险）：已提醒" in shown, shown
        assert "09:35 平安定损甲：接单（保险响应（平安产险））" in shown, shown

        # With the decision made, /overdue finds nothing.
        sb.send_text(chat, staff.pingan_sup, "/overdue")
        await wait_said(world, chat, "没有超时的案件")
    finally:
        await bot.stop()


async def test_steps_due_during_downtime_fire_once_after_the_restart(
    world: World, database_url: str, tmp_path: Path
):
    chat = world.forum
    office = office_of(world)
    deployment = sla_deployment(world, office)
    clock = ManualClock(MONDAY_9AM)
    bot = await sla_runtime(world, deployment, database_url, tmp_path, clock)
    case = await routed_case(world, bot, 1)
    await bot.stop()

    # An hour down: the reminder (and its first repeat), the supervisors' and the
    # liaison office's steps all fell due meanwhile.
    clock.advance(hours=1)
    bot = await sla_runtime(world, deployment, database_url, tmp_path, clock)
    try:
        await wait_said(world, office.chat, LIAISON)
        await wait_said(world, chat, SUPERVISE)
        await wait_said(world, chat, REMIND)
        await _quiet(SWEEP_SECONDS * 6)
        fired = [
            (e.data["step"], e.data["repeat"])
            for e in await rows(bot, AuditEvent, AuditEvent.kind == "sla.fired")
        ]
        # Once each; of the reminder's repetitions only the latest due (09:35) fires.
        assert sorted(fired) == [("liaison", 0), ("remind", 1), ("supervisors", 0)]
        assert len(reminders(world, chat, REMIND)) == 1
        assert len(reminders(world, chat, SUPERVISE)) == 1
        assert len(reminders(world, office.chat, LIAISON)) == 1
        assert case.number in text_of(reminders(world, chat, REMIND)[0])
    finally:
        await bot.stop()
