"""Telegram's limits as PTB exceptions, and the flood limits with and without AIORateLimiter."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter, ExtBot

from sandbox import Sandbox
from tests.sandbox.conftest import TOKEN, Cast, jpeg

# RetryAfter.retry_after warns about its future timedelta type; that is PTB's business.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def button(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("按钮", callback_data=data)]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "message text is empty"),
        ({"text": "字" * 4097}, "message is too long"),
        ({"text": "<b>" + "字" * 4096 + "</b>", "parse_mode": "HTML"}, None),
        (
            {"text": "<b>x", "parse_mode": "HTML"},
            "can't parse entities: can't find end tag corresponding to start tag \"b\"",
        ),
        ({"text": "<blink>x</blink>", "parse_mode": "HTML"}, 'unsupported start tag "blink"'),
        ({"text": "x", "reply_markup": button("案" * 22)}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "reply_markup": button("案" * 21)}, None),
        ({"text": "x", "reply_markup": button("a" * 65)}, "BUTTON_DATA_INVALID"),
    ],
)
async def test_send_message_limits(bot: Bot, cast: Cast, kwargs: dict, message: str | None) -> None:
    if message is None:
        assert (await bot.send_message(cast.dm, **kwargs)).message_id
        return
    with pytest.raises(BadRequest) as info:
        await bot.send_message(cast.dm, **kwargs)
    assert message.lower() in info.value.message.lower()


async def test_caption_limit(bot: Bot, cast: Cast) -> None:
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_photo(cast.dm, jpeg(10, 10), caption="字" * 1025)
    assert (await bot.send_photo(cast.dm, jpeg(10, 10), caption="字" * 1024)).caption


async def test_topic_name_limits_and_rights(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    with pytest.raises(BadRequest, match="(?i)TOPIC_NAME_INVALID"):
        await bot.create_forum_topic(cast.forum, "名" * 129)
    assert (await bot.create_forum_topic(cast.forum, "名" * 128)).name == "名" * 128
    with pytest.raises(BadRequest, match="(?i)the chat is not a forum"):
        await bot.create_forum_topic(cast.plain, "x")
    sb.set_bot_rights(cast.forum, {"can_pin_messages": True})
    with pytest.raises(BadRequest, match="(?i)not enough rights to create a topic"):
        await bot.create_forum_topic(cast.forum, "x")


async def test_media_group_size(bot: Bot, cast: Cast) -> None:
    with pytest.raises(BadRequest, match="(?i)too many messages to send as an album"):
        await bot.send_media_group(cast.dm, [InputMediaPhoto(jpeg(10, 10))] * 11)
    single = await bot.send_media_group(cast.dm, [InputMediaPhoto(jpeg(10, 10))])
    assert len(single) == 1 and single[0].media_group_id is None


async def test_file_too_big_to_download(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    big = b"\0" * (20 * 1024 * 1024 + 1)
    msg = sb.send_document(cast.dm, cast.wang, big, file_name="huge.bin")
    with pytest.raises(BadRequest, match="(?i)file is too big"):
        await bot.get_file(msg["document"]["file_id"])
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_wrong_token_and_unknown_method(sb: Sandbox) -> None:
    from telegram.error import EndPointNotFound, InvalidToken

    async with Bot(TOKEN, base_url=sb.base_url) as bot:
        with pytest.raises(EndPointNotFound):  # PTB turns the 404 into this
            await bot.do_api_request("noSuchMethod")
    assert sb.calls[-1]["status"] == 404
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=sb.base_url):
            pass


async def _burst(bot: Bot, cid: int, n: int) -> tuple[int, int]:
    sent = limited = 0
    for i in range(n):
        try:
            await bot.send_message(cid, f"第{i}条")
            sent += 1
        except RetryAfter as exc:
            assert exc.retry_after >= 1
            limited += 1
    return sent, limited


async def test_group_flood_limit_without_rate_limiter(cast: Cast) -> None:
    # 20 at once, then one a second: on a busy machine 60 sends still outrun the drain
    # (at 10 a second they did not always, and the burst was never refused).
    sb = Sandbox(token=TOKEN, group_rate=(20, 20.0))
    await sb.start()
    try:
        wang = sb.create_user("王")
        cid = sb.create_chat("supergroup", title="群", members=[wang])
        async with Bot(TOKEN, base_url=sb.base_url) as bot:
            sent, limited = await _burst(bot, cid, 60)
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(cid, "again")
            assert 1 <= info.value.retry_after <= 2
            assert sb.calls[-1]["description"].startswith("Too Many Requests: retry after ")
            dm = sb.create_chat("private", members=[wang])
            assert (await bot.send_message(dm, "私聊不受群限制")).message_id == 1
    finally:
        await sb.stop()
    assert 20 <= sent <= 26 and sent + limited == 60
    assert sb.rate_limited(cid) == limited + 1 and sb.rate_limited() == limited + 1


async def test_aio_rate_limiter_keeps_sixty_sends_free_of_429(cast: Cast) -> None:
    sb = Sandbox(token=TOKEN, group_rate=(20, 2.0))
    await sb.start()
    try:
        wang = sb.create_user("王")
        cid = sb.create_chat("supergroup", title="群", members=[wang])
        limiter = AIORateLimiter(
            group_max_rate=20, group_time_period=2.0, overall_max_rate=30, overall_time_period=1
        )
        async with ExtBot(TOKEN, base_url=sb.base_url, rate_limiter=limiter) as bot:
            results = await asyncio.gather(*(bot.send_message(cid, f"第{i}条") for i in range(60)))
    finally:
        await sb.stop()
    assert len(results) == 60 and sb.rate_limited() == 0
    assert len(sb.transcript(cid)) == 60


async def test_edits_topics_and_pins_count_too(cast: Cast) -> None:
    sb = Sandbox(token=TOKEN, group_rate=(3, 60.0))
    await sb.start()
    try:
        wang = sb.create_user("王")
        cid = sb.create_chat("supergroup", title="群", is_forum=True, members=[wang])
        async with Bot(TOKEN, base_url=sb.base_url) as bot:
            m = await bot.send_message(cid, "一")
            await bot.edit_message_text("二", cid, m.message_id)
            await bot.create_forum_topic(cid, "案件")
            with pytest.raises(RetryAfter):
                await bot.pin_chat_message(cid, m.message_id)
            with pytest.raises(RetryAfter):
                await bot.send_media_group(cid, [InputMediaPhoto(jpeg(10, 10))] * 2)
    finally:
        await sb.stop()
    assert sb.rate_limited(cid) == 2
