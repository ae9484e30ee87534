"""The exactly-once bound end to end: dropped connections before and after Telegram acted."""

from __future__ import annotations

from sqlmodel import select

from bot.compose.app import Runtime
from storage.models import AuditEvent, OutboxItem
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import bot_messages, calls, register, text_of

HELP = "/setup 乡镇名"  # a line of the /help answer


def _helps(world: World) -> int:
    return sum(HELP in text_of(m) for m in bot_messages(world.sb, world.plain))


async def _help_item(bot: Runtime) -> OutboxItem | None:
    async with bot.services.db.session() as s:
        rows = (await s.exec(select(OutboxItem).where(OutboxItem.kind == "send_text"))).all()
    return next((r for r in rows if HELP in r.payload.get("text", "")), None)


async def _settled(bot: Runtime) -> bool:
    item = await _help_item(bot)
    return item is not None and item.status in ("done", "failed")


async def _ask_help(world: World, bot: Runtime) -> OutboxItem:
    world.sb.send_text(world.plain, world.assistant, "/help")
    await eventually(lambda: _settled(bot), timeout=20)
    item = await _help_item(bot)
    assert item is not None
    return item


async def test_a_drop_before_telegram_acted_gives_one_message(world: World, bot: Runtime):
    await register(world, world.plain, "射埠镇")
    world.sb.inject_fault("sendMessage", kind="drop", count=1, text_contains=HELP)
    item = await _ask_help(world, bot)
    assert item.status == "done" and item.ambiguous == 1  # it could not know
    assert _helps(world) == 1


async def test_a_lost_answer_repeats_the_message_once(world: World, bot: Runtime):
    await register(world, world.plain, "射埠镇")
    world.sb.inject_fault("sendMessage", kind="drop_after", count=1, text_contains=HELP)
    item = await _ask_help(world, bot)
    assert item.status == "done" and item.ambiguous == 1
    assert _helps(world) == 2  # the one repeat the bound allows


async def test_two_lost_answers_never_make_a_third_copy(world: World, bot: Runtime):
    await register(world, world.plain, "射埠镇")
    world.sb.inject_fault("sendMessage", kind="drop_after", count=3, text_contains=HELP)
    item = await _ask_help(world, bot)
    assert item.status == "failed" and "second ambiguous" in (item.error or "")
    assert _helps(world) == 2
    assert world.sb.faults.pending() == 1  # the third fault was never reached
    async with bot.services.db.session() as s:
        kinds = [e.kind for e in (await s.exec(select(AuditEvent))).all()]
    assert kinds.count("outbox.ambiguous") == 1 and kinds.count("outbox.not_repeated") == 1


async def test_clean_failures_repeat_nothing(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.plain, "射埠镇")
    for kind in ("500", "502", "429"):
        sb.inject_fault("sendMessage", kind=kind, count=1, text_contains=HELP)
    item = await _ask_help(world, bot)
    assert item.status == "done" and item.ambiguous == 0
    assert _helps(world) == 1
    assert sb.rate_limited() == 0
    statuses = [
        c["status"]
        for c in calls(sb, "sendMessage", world.plain)
        if HELP in str(c["params"].get("text"))
    ]
    assert statuses == [500, 502, 429, 200]
