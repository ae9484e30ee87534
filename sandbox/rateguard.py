"""Applies the rate limiter to Bot API calls: a 429 answer, counted per chat."""

from __future__ import annotations

from sandbox.limits import RateLimiter, retry_after_text
from sandbox.rules import ApiError
from sandbox.world import Chat, World


class RateGuard:
    """Checks and records counted actions (sends, edits, topic changes, pins)."""

    def __init__(self, world: World, limiter: RateLimiter) -> None:
        self.world = world
        self.limiter = limiter

    def check(self, chat: Chat, n: int = 1) -> None:
        """Raise Telegram's 429 when ``n`` more actions into ``chat`` are over the limits."""
        retry = self.limiter.check(chat.id, chat.is_group, n)
        if retry is not None:
            counts = self.world.rate_limited
            counts[chat.id] = counts.get(chat.id, 0) + 1
            raise ApiError(429, retry_after_text(retry), {"retry_after": retry})

    def take(self, chat: Chat, n: int = 1) -> None:
        """Check, then count ``n`` actions."""
        self.check(chat, n)
        self.limiter.record(chat.id, chat.is_group, n)
