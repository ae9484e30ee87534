"""Photos sent one by one join their sender's case; a second accident can be split off.

People often send scene photos singly. A single photo outside any case thread, from the
same person in the same group within `rules.single_photo_join_minutes` of their previous
photo, joins that person's open case; the bot says so under the photo with a ✂️ button
that moves it (and that person's later photos) to a case of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.kernel.clock import ManualClock
from sandbox.photos import scene_photo
from tests.e2e.conftest import World, bot_settings, eventually, with_assistant
from tests.e2e.evidence_support import audit, card_has, cases, opened_case, photos, register
from tests.e2e.helpers import bot_messages, cards, press, text_of

JOINED = "已并入本案"


@pytest.fixture
async def clocked(
    world: World, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, ManualClock]]:
    clock = ManualClock(datetime.now(UTC))
    runtime = build_runtime(
        bot_settings(world.sb, database_url, tmp_path / "media"),
        with_assistant(load_deployment(EXAMPLE_FILE), world),
        clock=clock,
        poll_timeout=1,
    )
    await runtime.start()
    yield runtime, clock
    await runtime.stop()


async def _count(bot: Runtime, n: int) -> None:
    async def check() -> bool:
        return len(await cases(bot)) == n

    await eventually(check, timeout=15)


async def _photos_of(bot: Runtime, case_id: int | None) -> list[int]:
    return [p.message_id for p in await photos(bot, case_id)]


def _note_on(world: World, chat: int, message_id: int) -> dict | None:
    for m in bot_messages(world.sb, chat):
        if m.get("reply_to_message_id") == message_id and "✂️" in str(m.get("reply_markup")):
            return m
    return None


async def _note(world: World, chat: int, message_id: int) -> dict:
    await world.sb.wait_for(lambda: _note_on(world, chat, message_id) is not None, timeout=15)
    note = _note_on(world, chat, message_id)
    assert note is not None
    return note


async def test_three_single_photos_a_second_apart_make_one_case(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sent = []
    for i in range(3):
        sent.append(sb.send_photo(chat, world.assistant, scene_photo(i))["message_id"])
        await asyncio.sleep(1)
    await eventually(lambda: card_has(sb, chat, "照片：3 张"))
    await asyncio.sleep(0.5)  # nothing else is on its way: the count below is final
    (case,) = await cases(bot)
    assert await _photos_of(bot, case.id) == sent
    assert len(sb.topics(chat)) == 1 and len(cards(sb, chat)) == 1
    await eventually(lambda: card_has(sb, chat, JOINED, "✂️"))
    # The joined photos are told so where they were posted, each with its ✂️ button.
    for message_id in sent[1:]:
        note = await _note(world, chat, message_id)
        assert case.number in text_of(note)
    assert _note_on(world, chat, sent[0]) is None  # the first photo opened the case


async def test_a_photo_after_the_window_opens_a_new_case(
    world: World, clocked: tuple[Runtime, ManualClock]
):
    bot, clock = clocked
    sb, chat = world.sb, world.plain
    await register(world, chat, "射埠镇")
    sb.send_photo(chat, world.assistant, scene_photo(1))
    await opened_case(bot)
    clock.advance(minutes=4)
    sb.send_photo(chat, world.assistant, scene_photo(2))
    await eventually(lambda: card_has(sb, chat, "照片：2 张"))
    clock.advance(minutes=6)  # past rules.single_photo_join_minutes (5) after the last one
    sb.send_photo(chat, world.assistant, scene_photo(3))
    await _count(bot, 2)
    first, second = await cases(bot)
    assert len(await _photos_of(bot, first.id)) == 2
    assert len(await _photos_of(bot, second.id)) == 1
    assert second.number.endswith("-002")


async def test_a_photo_by_someone_else_opens_their_own_case(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sb.send_photo(chat, world.assistant, scene_photo(1))
    await opened_case(bot)
    sb.send_photo(chat, world.villager, scene_photo(2))
    await _count(bot, 2)
    first, second = await cases(bot)
    assert (first.opened_by, second.opened_by) == (world.assistant, world.villager)
    assert len(await _photos_of(bot, first.id)) == 1
    assert len(await _photos_of(bot, second.id)) == 1


async def _three_joined(world: World, bot: Runtime, chat: int) -> list[int]:
    sb = world.sb
    sent = []
    for i in range(3):
        sent.append(sb.send_photo(chat, world.assistant, scene_photo(10 + i))["message_id"])
        await asyncio.sleep(0.3)
    await eventually(lambda: card_has(sb, chat, "照片：3 张"))
    await _count(bot, 1)
    return sent


async def test_split_moves_the_photo_and_the_later_ones_to_a_new_case(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sent = await _three_joined(world, bot, chat)
    note = await _note(world, chat, sent[1])
    await press(sb, chat, world.assistant, note, "✂️")
    await _count(bot, 2)
    first, second = await cases(bot)
    assert await _photos_of(bot, first.id) == sent[:1]
    assert await _photos_of(bot, second.id) == sent[1:]
    assert second.number.endswith("-002") and second.opened_by == world.assistant
    assert second.origin_message_id == sent[1]
    # The new case has its own topic and card; the first card counts one photo again.
    await opened_case(bot, index=1)
    await eventually(lambda: card_has(sb, chat, "照片：2 张"))
    await eventually(lambda: card_has(sb, chat, "照片：1 张"))
    assert len(sb.topics(chat)) == 2 and len(cards(sb, chat)) == 2
    (event,) = await audit(bot, "photo.split")
    assert event.case_id == first.id and event.data["to_case"] == second.id
    # The note says where the photo went and offers no second split.
    await sb.wait_for(lambda: second.number in text_of(_refreshed(world, chat, note)), timeout=10)
    assert "✂️" not in str(_refreshed(world, chat, note).get("reply_markup"))
    # A later single photo of the same person now joins the new case, where their last went.
    sb.send_photo(chat, world.assistant, scene_photo(20))
    await eventually(lambda: card_has(sb, chat, "照片：3 张"))
    assert len(await _photos_of(bot, second.id)) == 3


async def test_split_in_a_plain_group_opens_a_reply_chain_on_the_photo(world: World, bot: Runtime):
    sb, chat = world.sb, world.plain
    await register(world, chat, "射埠镇")
    sent = await _three_joined(world, bot, chat)
    await press(sb, chat, world.assistant, await _note(world, chat, sent[2]), "✂️")
    await _count(bot, 2)
    first, second = await cases(bot)
    assert await _photos_of(bot, first.id) == sent[:2]
    assert await _photos_of(bot, second.id) == sent[2:]
    await opened_case(bot, index=1)
    new_card = [c for c in cards(sb, chat) if c["reply_to_message_id"] == sent[2]]
    assert len(new_card) == 1


async def test_split_pressed_by_a_stranger_is_refused(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sent = await _three_joined(world, bot, chat)
    note = await _note(world, chat, sent[1])
    qid = await press(sb, chat, world.villager, note, "✂️")
    answer = sb.callback_answer(qid)
    assert answer["show_alert"]
    (refused,) = await audit(bot, "button.refused")
    assert refused.actor_user_id == world.villager
    assert refused.data["action"] == "evidence.split"
    await asyncio.sleep(0.5)
    (case,) = await cases(bot)
    assert await _photos_of(bot, case.id) == sent


def _refreshed(world: World, chat: int, message: dict) -> dict:
    for m in world.sb.transcript(chat):
        if m["message_id"] == message["message_id"]:
            return m
    raise AssertionError("message gone")
