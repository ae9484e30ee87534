"""Telegram's limits and a sliding-window rate limiter (pure; the clock is injected)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_TEXT = 200
MAX_TOPIC_NAME = 128
MIN_MEDIA_GROUP = 2
MAX_MEDIA_GROUP = 10
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_GET_UPDATES_LIMIT = 100
MAX_COMMAND_LEN = 32
MAX_COMMAND_DESCRIPTION = 256
FORUM_ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)

# Telegram's answers, in one place so they can be matched or adjusted.
ERR_TEXT_EMPTY = "Bad Request: message text is empty"
ERR_TEXT_TOO_LONG = "Bad Request: message is too long"
ERR_CAPTION_TOO_LONG = "Bad Request: message caption is too long"
ERR_BUTTON_DATA = "Bad Request: BUTTON_DATA_INVALID"
ERR_TOPIC_NAME = "Bad Request: TOPIC_NAME_INVALID"
ERR_ALBUM_EMPTY = "Bad Request: there are no messages to send"
ERR_ALBUM_TOO_LARGE = "Bad Request: too many messages to send as an album"
ERR_FILE_TOO_BIG = "Bad Request: file is too big"
ERR_NOT_FORUM = "Bad Request: the chat is not a forum"
ERR_TOPIC_RIGHTS = "Bad Request: not enough rights to create a topic"
ERR_THREAD_NOT_FOUND = "Bad Request: message thread not found"
ERR_TOPIC_CLOSED = "Bad Request: TOPIC_CLOSED"
ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
ERR_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
ERR_CHAT_NOT_FOUND = "Bad Request: chat not found"
ERR_PIN_RIGHTS = "Bad Request: not enough rights to manage pinned messages in the chat"


def retry_after_text(seconds: int) -> str:
    """Telegram's description for a 429 answer."""
    return f"Too Many Requests: retry after {seconds}"


@dataclass
class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds."""

    limit: int
    period: float
    events: deque[float] = field(default_factory=deque)

    def _expire(self, now: float) -> None:
        while self.events and self.events[0] <= now - self.period:
            self.events.popleft()

    def wait_time(self, now: float, n: int = 1) -> float:
        """Seconds until ``n`` more events fit; 0.0 when they fit now."""
        self._expire(now)
        if n > self.limit:
            n = self.limit  # a batch larger than the window waits for a full window
        free = self.limit - len(self.events)
        if free >= n:
            return 0.0
        # the (n - free)-th oldest event must leave the window
        oldest_needed = self.events[n - free - 1]
        return max(0.0, oldest_needed + self.period - now)

    def record(self, now: float, n: int = 1) -> None:
        """Count ``n`` events at ``now``."""
        self._expire(now)
        self.events.extend([now] * n)


@dataclass
class LeakyBucket:
    """A bucket of ``limit`` that drains ``limit`` per ``period`` seconds (aiolimiter's model).

    It admits a burst of ``limit`` and then a steady ``limit / period`` per second.
    """

    limit: int
    period: float
    level: float = 0.0
    last: float | None = None

    def _leak(self, now: float) -> None:
        if self.last is not None:
            self.level = max(0.0, self.level - (now - self.last) * self.limit / self.period)
        self.last = now

    def wait_time(self, now: float, n: int = 1) -> float:
        """Seconds until ``n`` more events fit; 0.0 when they fit now."""
        self._leak(now)
        n = min(n, self.limit)
        excess = self.level + n - self.limit
        return 0.0 if excess <= 1e-9 else excess * self.period / self.limit

    def record(self, now: float, n: int = 1) -> None:
        """Count ``n`` events at ``now``."""
        self._leak(now)
        self.level += n


def to_retry_after(wait: float) -> int:
    """Telegram's retry_after: whole seconds, at least 1."""
    return max(1, math.ceil(wait))


Window = SlidingWindow | LeakyBucket
ALGORITHMS: dict[str, type[SlidingWindow] | type[LeakyBucket]] = {
    "window": SlidingWindow,
    "bucket": LeakyBucket,
}


class RateLimiter:
    """Telegram's flood limits: per group/supergroup and overall per bot.

    ``algorithm="bucket"`` (default) is a leaky bucket: a burst of N, then N per period, the
    model PTB's AIORateLimiter follows, so a bot throttled by it draws no 429s.
    ``algorithm="window"`` is a strict sliding window (at most N in any period), stricter
    than AIORateLimiter after a burst.

    ``grace`` (seconds) absorbs the lag between a client-side limiter admitting a request and
    the request arriving here: an action that would fit within ``grace`` seconds is admitted.
    At Telegram's real limits this is a small fraction of one message.
    """

    def __init__(
        self,
        group_rate: tuple[int, float] = (20, 60.0),
        global_rate: tuple[int, float] = (30, 1.0),
        clock: Callable[[], float] | None = None,
        algorithm: str = "bucket",
        grace: float = 0.2,
    ) -> None:
        import time

        if algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {sorted(ALGORITHMS)}")
        self.group_rate = group_rate
        self.global_rate = global_rate
        self.clock = clock or time.monotonic
        self.kind = ALGORITHMS[algorithm]
        self.grace = grace
        self.overall: Window = self.kind(*global_rate)
        self.groups: dict[int, Window] = {}

    def _group(self, chat_id: int) -> Window:
        if chat_id not in self.groups:
            self.groups[chat_id] = self.kind(*self.group_rate)
        return self.groups[chat_id]

    def check(self, chat_id: int, is_group: bool, n: int = 1) -> int | None:
        """Return retry_after seconds when ``n`` actions into ``chat_id`` must wait, else None."""
        now = self.clock()
        wait = self.overall.wait_time(now, n)
        if is_group:
            wait = max(wait, self._group(chat_id).wait_time(now, n))
        return to_retry_after(wait) if wait > self.grace else None

    def record(self, chat_id: int, is_group: bool, n: int = 1) -> None:
        """Count ``n`` actions into ``chat_id``."""
        now = self.clock()
        self.overall.record(now, n)
        if is_group:
            self._group(chat_id).record(now, n)

    def migrate(self, old_id: int, new_id: int) -> None:
        """Carry a group's window over to its new supergroup id."""
        if old_id in self.groups:
            self.groups[new_id] = self.groups.pop(old_id)
