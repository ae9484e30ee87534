"""The first slice end to end: /setup, photos open exactly one case thread."""

from __future__ import annotations

import pytest

from bot.compose.app import Runtime
from sandbox.photos import scene_photo
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import (
    bot_messages,
    calls,
    card_shows,
    cards,
    cases_in,
    photos_of,
    register,
    text_of,
)


async def test_album_of_six_opens_one_case_topic_and_pinned_card(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_album(world.forum, world.assistant, [scene_photo(i) for i in range(6)])

    await eventually(lambda: card_shows(sb, world.forum, 6))
    await sb.wait_for(lambda: cards(sb, world.forum)[0]["pinned"], timeout=10)
    cases = await cases_in(bot, world.forum)
    assert len(cases) == 1
    case = cases[0]
    assert case.number.startswith("HS-") and case.number.endswith("-001")
    assert await photos_of(bot, case.id) == 6
    topics = sb.topics(world.forum)
    assert len(topics) == 1
    assert topics[0]["name"] == f"{case.number} 花石镇"
    assert case.thread_mode == "forum" and case.message_thread_id == topics[0]["message_thread_id"]
    in_topic = cards(sb, world.forum)
    assert len(in_topic) == 1
    card = in_topic[0]
    assert card["message_thread_id"] == case.message_thread_id
    assert card["pinned"] is True
    assert len(calls(sb, "sendMessage", world.forum)) == 2  # setup answer + card
    assert sb.rate_limited() == 0


async def test_later_photo_in_topic_joins_case_and_edits_card(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_album(world.forum, world.assistant, [scene_photo(i) for i in range(2)])
    await eventually(lambda: card_shows(sb, world.forum, 2))
    case = (await cases_in(bot, world.forum))[0]

    sb.send_photo(world.forum, world.assistant, scene_photo(3), thread_id=case.message_thread_id)
    await eventually(lambda: card_shows(sb, world.forum, 3))
    assert len(await cases_in(bot, world.forum)) == 1
    assert len(cards(sb, world.forum)) == 1
    assert cards(sb, world.forum)[0]["edited"] >= 1  # edited in place, not re-posted

    # A photo outside any case thread (the General topic) is a new accident, unless its
    # sender's previous photo came just before (tests/e2e/test_single_photos.py).
    sb.send_photo(world.forum, world.villager, scene_photo(4))
    await eventually(lambda: _count_is(bot, world.forum, 2))
    numbers = [c.number for c in await cases_in(bot, world.forum)]
    assert numbers[1].endswith("-002") and numbers[0][:-3] == numbers[1][:-3]


async def _count_is(bot: Runtime, chat: int, n: int) -> bool:
    return len(await cases_in(bot, chat)) == n


async def test_plain_group_uses_reply_chain(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.plain, "射埠镇")
    first = sb.send_photo(world.plain, world.assistant, scene_photo(1))
    await eventually(lambda: card_shows(sb, world.plain, 1))
    await sb.wait_for(lambda: cards(sb, world.plain)[0]["pinned"], timeout=10)
    card = cards(sb, world.plain)[0]
    assert card["reply_to_message_id"] == first["message_id"]
    assert card["pinned"] is True
    assert not sb.topics(world.plain)

    # Replying to the card (or to the first photo) adds to the same case.
    sb.send_photo(world.plain, world.assistant, scene_photo(2), reply_to=card["message_id"])
    sb.send_photo(world.plain, world.villager, scene_photo(3), reply_to=first["message_id"])
    await eventually(lambda: card_shows(sb, world.plain, 3))
    cases = await cases_in(bot, world.plain)
    assert len(cases) == 1 and cases[0].thread_mode == "reply"
    assert cases[0].number.startswith("SB-")
    assert len(cards(sb, world.plain)) == 1


async def test_unregistered_group_gets_one_hint_and_no_case(world: World, bot: Runtime):
    sb = world.sb
    sb.send_album(world.stray, world.assistant, [scene_photo(i) for i in range(3)])
    await sb.wait_for(lambda: len(bot_messages(sb, world.stray)) >= 1, timeout=10)
    await eventually(lambda: _all_done(bot))
    hints = bot_messages(sb, world.stray)
    assert len(hints) == 1
    assert "/setup" in text_of(hints[0])
    assert await cases_in(bot, world.stray) == []


async def _all_done(bot: Runtime) -> bool:
    from tests.e2e.helpers import all_handled

    return await all_handled(bot)


async def test_non_admin_setup_changes_nothing(world: World, bot: Runtime):
    sb = world.sb
    sb.send_text(world.forum, world.villager, "/setup 花石镇")
    await sb.wait_for(
        lambda: any("管理员" in text_of(m) for m in bot_messages(sb, world.forum)), timeout=10
    )
    sb.send_photo(world.forum, world.assistant, scene_photo(1))
    await sb.wait_for(
        lambda: any("/setup" in text_of(m) for m in bot_messages(sb, world.forum)[1:]), timeout=10
    )
    assert await cases_in(bot, world.forum) == []
    assert not sb.topics(world.forum)


@pytest.mark.parametrize("township", ["火星镇", ""])
async def test_setup_with_unknown_or_missing_township_explains(
    world: World, bot: Runtime, township: str
):
    sb = world.sb
    sb.send_text(world.plain, world.admin, f"/setup {township}".strip())
    await sb.wait_for(lambda: bool(bot_messages(sb, world.plain)), timeout=10)
    answer = text_of(bot_messages(sb, world.plain)[0])
    assert "花石镇" in answer  # the choices are listed
    assert "已登记" not in answer
