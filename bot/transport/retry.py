"""Telegram calls made while a person waits for an answer, retried over short hiccups.

The sender retries the outbox on its own schedule; a handler cannot wait that long
(a callback query expires within seconds), so it retries a few times with a short
backoff and, if Telegram still fails, the person is told to try again instead of
getting silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.transport.errors import retry_after_seconds

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 3
FIRST_DELAY = 0.3  # seconds; doubled after each failure
LONGEST_WAIT = 5.0  # a RetryAfter longer than this is not worth keeping someone waiting


class TelegramUnavailable(Exception):
    """Telegram kept failing (5xx, timeouts, flood waits) for a call a person waits on."""


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    first_delay: float = FIRST_DELAY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run `call`, retrying transient errors; raise TelegramUnavailable when they persist.

    A BadRequest is an answer, not a hiccup: it is raised at once.
    """
    for attempt in range(1, attempts + 1):
        error: NetworkError | RetryAfter
        try:
            return await call()
        except BadRequest:
            raise
        except RetryAfter as exc:
            wait, error = retry_after_seconds(exc), exc
            if wait > LONGEST_WAIT:
                log.warning("%s: Telegram asks to wait %.0f s; giving up", what, wait)
                raise TelegramUnavailable(what) from exc
        except NetworkError as exc:
            wait, error = first_delay * 2 ** (attempt - 1), exc
        if attempt == attempts:
            log.warning("%s failed %d times (%s); giving up", what, attempts, type(error).__name__)
            raise TelegramUnavailable(what) from error
        log.info(
            "%s failed (%s); retry %d of %d in %.1f s",
            what,
            type(error).__name__,
            attempt,
            attempts - 1,
            wait,
        )
        await sleep(wait)
    raise AssertionError("unreachable")


async def connect(app: Application, *, longest: float = 30.0) -> None:
    """Initialise the application, waiting for Telegram as long as it takes.

    A wrong token is final (InvalidToken goes up); an unreachable Telegram at start is
    the same weather the poller rides out later, so it gets the same one-line warning.
    """
    backoff = 1.0
    while True:
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise
        except (NetworkError, RetryAfter) as exc:
            wait = retry_after_seconds(exc) if isinstance(exc, RetryAfter) else backoff
            log.warning("Telegram is unreachable (%s); retrying in %.0f s", _reason(exc), wait)
            await asyncio.sleep(wait)
            backoff = min(backoff * 2, longest)


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
