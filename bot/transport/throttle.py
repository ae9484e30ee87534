"""Telegram's flood limits as sliding windows, so the sender waits instead of drawing 429s."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    """At most `max_rate` events in any `period` seconds (stricter than a leaky bucket)."""

    def __init__(self, max_rate: int, period: float, monotonic: Callable[[], float]) -> None:
        if max_rate < 1 or period <= 0:
            raise ValueError("max_rate must be >= 1 and period > 0")
        self.max_rate = max_rate
        self.period = period
        self._monotonic = monotonic
        self._events: deque[float] = deque()

    def wait_time(self, extra: int = 0) -> float:
        """Seconds until one more event fits with `extra` places still free after it;
        0 when it fits now."""
        now = self._monotonic()
        while self._events and self._events[0] <= now - self.period:
            self._events.popleft()
        allowed = self.max_rate - extra
        if allowed <= 0:
            return self.period
        if len(self._events) < allowed:
            return 0.0
        return self._events[len(self._events) - allowed] + self.period - now

    def record(self) -> None:
        """Count one event now."""
        self._events.append(self._monotonic())

    def times(self) -> list[float]:
        """The events still inside the window, oldest first."""
        now = self._monotonic()
        return [t for t in self._events if t > now - self.period]

    def merge(self, times: list[float]) -> None:
        """Count events another process recorded (same clock), keeping the window sorted."""
        now = self._monotonic()
        known = set(self._events)
        fresh = [t for t in times if t > now - self.period and t not in known]
        if fresh:
            self._events = deque(sorted([*self._events, *fresh]))


class Throttle:
    """Per-group and overall windows shared by every send of one bot."""

    def __init__(
        self,
        *,
        group_max_rate: int = 20,
        group_period: float = 60.0,
        overall_max_rate: int = 30,
        overall_period: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        margin: float = 0.05,
    ) -> None:
        self._group_args = (group_max_rate, group_period)
        # The whole overall budget; with several processes each gets a share of it.
        self.overall_budget = overall_max_rate
        self._monotonic = monotonic
        self._overall = SlidingWindow(overall_max_rate, overall_period, monotonic)
        self._groups: dict[int, SlidingWindow] = {}
        self._lock = asyncio.Lock()
        # Clocks on both ends are not identical; a small margin keeps us inside the window.
        self._margin = margin

    def _group(self, chat_id: int) -> SlidingWindow | None:
        if chat_id >= 0:  # private chats only have the overall limit
            return None
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = SlidingWindow(*self._group_args, self._monotonic)
        return window

    def share_overall(self, rate: int) -> None:
        """This process's part of the overall budget (several processes split it)."""
        self._overall.max_rate = max(1, rate)

    def group_times(self, chat_id: int) -> list[float]:
        """A group's recent send times, for the next process that sends into it."""
        group = self._groups.get(chat_id)
        return group.times() if group is not None else []

    def seed_group(self, chat_id: int, times: list[float], *, now: int = 0) -> None:
        """Count the sends another process made into a group it held before us, and `now`
        more as made just now (sends it was making when it died)."""
        group = self._group(chat_id)
        if group is not None:
            group.merge(times)
            for _ in range(now):
                group.record()

    def bulk_wait(self, chat_id: int, *, leave: float) -> float:
        """Seconds until a bulk message may go: it may use a chat's window only while at
        least `leave` of it (and one place overall) stays free for the chat's own traffic."""
        group = self._group(chat_id)
        waits = [self._overall.wait_time()]
        if group is not None:
            keep = max(1, round(group.max_rate * leave))
            waits.append(group.wait_time(extra=keep))
        return max(waits)

    async def acquire(self, chat_id: int, count: int = 1) -> None:
        """Wait until `count` more messages into `chat_id` fit in every window, then count them."""
        for _ in range(count):
            while True:
                async with self._lock:
                    group = self._group(chat_id)
                    wait = max(self._overall.wait_time(), group.wait_time() if group else 0.0)
                    if wait <= 0:
                        self._overall.record()
                        if group:
                            group.record()
                        break
                await asyncio.sleep(wait + self._margin)
