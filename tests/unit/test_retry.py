"""Which Telegram errors a waiting person's call retries, and how often."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.transport.retry import TelegramUnavailable, with_retries

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls = list(errors), 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def _no_sleep(_seconds: float) -> None:
    return None


async def test_transient_errors_are_retried_until_an_answer() -> None:
    call = Flaky(NetworkError("Bad Gateway"), TimedOut(), RetryAfter(1))
    assert await with_retries(call, what="x", attempts=4, sleep=_no_sleep) == "ok"
    assert call.calls == 4


async def test_persistent_errors_give_up_after_the_attempts() -> None:
    call = Flaky(*(NetworkError("Internal Server Error") for _ in range(5)))
    with pytest.raises(TelegramUnavailable):
        await with_retries(call, what="x", attempts=3, sleep=_no_sleep)
    assert call.calls == 3


async def test_an_answer_is_not_retried_and_a_long_flood_wait_is_not_waited() -> None:
    bad = Flaky(BadRequest("Chat not found"))
    with pytest.raises(BadRequest):
        await with_retries(bad, what="x", sleep=_no_sleep)
    assert bad.calls == 1
    flood = Flaky(RetryAfter(60))
    with pytest.raises(TelegramUnavailable):
        await with_retries(flood, what="x", sleep=_no_sleep)
    assert flood.calls == 1
