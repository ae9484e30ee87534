"""Pure parts: the rate limiter with an injected clock, HTML parsing, entities, transcripts."""

from __future__ import annotations

import pytest

from sandbox import Sandbox
from sandbox.entities import EntityParseError, auto_entities, parse_html, utf16_len
from sandbox.faults import FaultInjector
from sandbox.limits import LeakyBucket, RateLimiter, SlidingWindow
from tests.sandbox.conftest import Cast


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_counts_the_last_period() -> None:
    clock = Clock()
    limiter = RateLimiter((3, 60.0), (30, 1.0), clock=clock, algorithm="window", grace=0)
    for _ in range(3):
        assert limiter.check(-100, True) is None
        limiter.record(-100, True)
        clock.now += 10
    assert limiter.check(-100, True) == 30  # the first event leaves the window at t=60
    assert limiter.check(5, False) is None  # private chats only see the overall limit
    clock.now = 1060.0
    assert limiter.check(-100, True) is None
    assert limiter.check(-100, True, n=3) == 20


def test_leaky_bucket_burst_then_steady() -> None:
    bucket = LeakyBucket(20, 2.0)
    assert bucket.wait_time(0.0, 20) == 0.0
    bucket.record(0.0, 20)
    assert bucket.wait_time(0.0) == pytest.approx(0.1)
    assert bucket.wait_time(0.1) == pytest.approx(0.0)
    window = SlidingWindow(20, 2.0)
    window.record(0.0, 20)
    assert window.wait_time(0.1) == pytest.approx(1.9)


def test_overall_limit_and_retry_after_rounding() -> None:
    clock = Clock()
    limiter = RateLimiter((20, 60.0), (2, 1.0), clock=clock, grace=0)
    limiter.record(1, False, 2)
    assert limiter.check(2, False) == 1  # 0.5 s rounds up to 1


def test_faults_queue_per_method() -> None:
    faults = FaultInjector()
    faults.inject("sendMessage", "429", count=2, retry_after=5)
    assert faults.take("sendmessage").retry_after == 5  # type: ignore[union-attr]
    assert faults.pending() == 1 and faults.take("getMe") is None
    assert faults.take("sendMessage").kind == "429"  # type: ignore[union-attr]
    assert faults.take("sendMessage") is None


def test_html_entities_use_utf16_offsets() -> None:
    text, entities = parse_html('😀<b>案</b> <a href="https://x.cn">链</a> <code>1&lt;2</code>')
    assert text == "😀案 链 1<2"
    assert entities == [
        {"type": "bold", "offset": 2, "length": 1},
        {"type": "text_link", "offset": 4, "length": 1, "url": "https://x.cn"},
        {"type": "code", "offset": 6, "length": 3},
    ]
    assert utf16_len("😀") == 2
    with pytest.raises(EntityParseError, match="Unexpected end tag"):
        parse_html("a</b>")


def test_auto_entities() -> None:
    kinds = [
        (e["type"], e["offset"], e["length"])
        for e in auto_entities("/setup@kuaipei_bot 花石镇 @wang_x")
    ]
    assert kinds == [("bot_command", 0, 18), ("mention", 23, 7)]
    assert auto_entities("no commands here/x") == []


async def test_transcript_lines(sb: Sandbox, cast: Cast) -> None:
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    from tests.sandbox.conftest import TOKEN

    async with Bot(TOKEN, base_url=sb.base_url) as bot:
        topic = await bot.create_forum_topic(cast.forum, "HS-20261129-001 花石镇")
        tid = topic.message_thread_id
        kb = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("同意", callback_data="a"),
                    InlineKeyboardButton("拒绝", callback_data="r"),
                ]
            ]
        )
        m = await bot.send_message(cast.forum, "案件卡片", message_thread_id=tid, reply_markup=kb)
        await bot.edit_message_text("案件卡片 v2", cast.forum, m.message_id, reply_markup=kb)
        await bot.edit_message_text("案件卡片 v3", cast.forum, m.message_id, reply_markup=kb)
        await bot.pin_chat_message(cast.forum, m.message_id)
    sb.send_text(cast.forum, cast.li, "收到", thread_id=tid, reply_to=m.message_id)
    lines = sb.format_transcript(cast.forum).splitlines()
    assert lines[1] == (
        "[花石镇快处群 › HS-20261129-001 花石镇] #3 快赔Bot (edited ×2, 📌): "
        "案件卡片 v3  [同意] [拒绝]"
    )
    assert lines[0].endswith("created topic «HS-20261129-001 花石镇»")
    assert lines[-1] == "[花石镇快处群 › HS-20261129-001 花石镇] #5 李定损 保险 (↩ 3): 收到"
    entry = sb.transcript(cast.forum, tid)[1]
    assert (entry["edited"], entry["pinned"], entry["text"]) == (2, True, "案件卡片 v3")
