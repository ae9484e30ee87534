"""A photo whose EXIF capture time lies in the future is flagged on the card, like an old one."""

from __future__ import annotations

from datetime import timedelta

from bot.compose.app import Runtime
from tests.e2e.conftest import World, eventually
from tests.e2e.evidence_support import audit, card_has, cases, flags, register, settled
from tests.evidence import samples


async def _cases_with_card(bot: Runtime, n: int) -> bool:
    got = await cases(bot)
    return len(got) >= n and all(c.card_message_id is not None for c in got)


async def test_a_capture_time_in_2099_is_flagged(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    future = samples.jpeg(90, taken="2099:01:01 10:00:00", offset="+08:00")
    sb.send_document(world.forum, world.assistant, future, file_name="IMG_2099.jpg")
    await eventually(lambda: _cases_with_card(bot, 1))
    case = (await cases(bot))[0]
    # A camera a couple of minutes fast is clock skew, not a forgery: no flag.
    now_local = bot.services.clock.now() + timedelta(hours=8)
    skewed = samples.jpeg(91, taken=now_local + timedelta(minutes=2), offset="+08:00")
    sb.send_document(
        world.forum, world.assistant, skewed, file_name="b.jpg", thread_id=case.message_thread_id
    )
    await settled(bot)
    await eventually(
        lambda: card_has(sb, world.forum, "⚠️ 照片 #1 的拍摄时间 2099-01-01 10:00 晚于发送时间")
    )
    assert [(f.kind, f.detail["taken"]) for f in await flags(bot)] == [
        ("future", "2099-01-01 10:00")
    ]
    (event,) = await audit(bot, "photo.flagged")
    assert event.data["flag"] == "future" and event.case_id == case.id
