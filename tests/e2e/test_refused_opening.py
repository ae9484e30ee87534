"""A file refused after download opens no case and is not followed by a next-shot prompt."""

from __future__ import annotations

from bot.compose.app import Runtime
from tests.e2e.conftest import World, eventually
from tests.e2e.evidence_support import audit, card_has, cases, opened_case, register, said, settled
from tests.e2e.helpers import cards
from tests.evidence import samples


async def test_a_broken_file_at_the_top_level_opens_no_case(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    broken = sb.send_document(
        world.forum, world.assistant, samples.truncated_jpeg(90), file_name="IMG_0090.jpg"
    )
    await eventually(lambda: _said(sb, world.forum, "不完整或已损坏"))
    await settled(bot)
    (line,) = said(sb, world.forum, "不完整或已损坏")
    assert line["reply_to_message_id"] == broken["message_id"]
    assert line["message_thread_id"] is None  # answered where it was posted
    assert sb.topics(world.forum) == [] and cards(sb, world.forum) == []
    assert not said(sb, world.forum, "照片：0 张") and not said(sb, world.forum, "📸 下一张请拍")
    assert [c.status for c in await cases(bot)] == ["cancelled"]
    assert len(await audit(bot, "case.withdrawn")) == 1

    # The next good photo opens a case as usual, with its card in its topic.
    sb.send_photo(world.forum, world.assistant, samples.jpeg(91))
    case = await opened_case(bot, index=1)
    assert case.status == "collecting" and case.message_thread_id is not None
    await eventually(lambda: card_has(sb, world.forum, "照片：1 张"))
    assert len(sb.topics(world.forum)) == 1


async def test_a_broken_file_in_a_case_gets_no_next_shot_prompt(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_photo(world.forum, world.assistant, samples.jpeg(92))
    topic = (await opened_case(bot)).message_thread_id
    sb.send_document(
        world.forum,
        world.assistant,
        samples.truncated_jpeg(93),
        file_name="IMG_0093.jpg",
        thread_id=topic,
    )
    await eventually(lambda: _said(sb, world.forum, "不完整或已损坏"))
    await settled(bot)
    assert not said(sb, world.forum, "📸 下一张请拍")
    # A good one still gets it.
    sb.send_document(
        world.forum, world.assistant, samples.jpeg(94), file_name="IMG_0094.jpg", thread_id=topic
    )
    await eventually(lambda: _said(sb, world.forum, "📸 下一张请拍"))


async def _said(sb, chat, needle) -> bool:
    return bool(said(sb, chat, needle))
