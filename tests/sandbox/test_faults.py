"""Injected faults reach PTB as the matching exceptions."""

from __future__ import annotations

import time

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from sandbox import Sandbox
from tests.sandbox.conftest import Cast

# RetryAfter.retry_after warns about its future timedelta type; that is PTB's business.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_injected_429(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.inject_fault("sendMessage", kind="429", count=2, retry_after=3)
    for _ in range(2):
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(cast.dm, "x")
        assert info.value.retry_after == 3
    assert (await bot.send_message(cast.dm, "third")).text == "third"
    assert sb.rate_limited() == 0  # injected 429s are not limit 429s
    assert [c["status"] for c in sb.calls_to("sendMessage")] == [429, 429, 200]


@pytest.mark.parametrize("kind", ["500", "502"])
async def test_server_errors_are_network_errors(
    bot: Bot, sb: Sandbox, cast: Cast, kind: str
) -> None:
    sb.inject_fault("sendMessage", kind=kind)
    with pytest.raises(NetworkError) as info:
        await bot.send_message(cast.dm, "x")
    assert not isinstance(info.value, TimedOut)
    assert sb.transcript(cast.dm) == []


async def test_dropped_connection(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.inject_fault("sendMessage", kind="drop")
    with pytest.raises(NetworkError):
        await bot.send_message(cast.dm, "lost")
    assert sb.transcript(cast.dm) == []
    assert (await bot.send_message(cast.dm, "ok")).text == "ok"


async def test_answer_lost_after_the_work_was_done(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.inject_fault("sendMessage", kind="drop_after")
    with pytest.raises(NetworkError):
        await bot.send_message(cast.dm, "sent but unanswered")
    assert [e["text"] for e in sb.transcript(cast.dm)] == ["sent but unanswered"]


async def test_delay_longer_than_read_timeout(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.inject_fault("sendMessage", kind="delay", delay=2.0)
    start = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(cast.dm, "slow", read_timeout=0.4)
    # Gave up before the delayed answer came (2 s), however loaded the runner.
    assert time.monotonic() - start < 2.0


async def test_short_delay_answers_normally(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.inject_fault("editMessageText", kind="delay", delay=0.3)
    m = await bot.send_message(cast.dm, "一")
    start = time.monotonic()
    assert (await bot.edit_message_text("二", cast.dm, m.message_id)).text == "二"
    assert time.monotonic() - start >= 0.3


async def test_wildcard_and_bad_kind(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.inject_fault("*", kind="500")
    with pytest.raises(NetworkError):
        await bot.get_chat(cast.dm)
    with pytest.raises(ValueError):
        sb.inject_fault("sendMessage", kind="teapot")


async def test_a_fault_may_hit_one_message_only(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.inject_fault("sendMessage", kind="502", count=2, text_contains="unlucky")
    assert (await bot.send_message(cast.dm, "other")).text == "other"  # passes, keeps faults
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(cast.dm, "the unlucky one")
    assert (await bot.send_message(cast.dm, "the unlucky one")).text == "the unlucky one"
    assert sb.faults.pending() == 0
