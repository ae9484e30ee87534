"""Fault injection: make the next N calls of a Bot API method misbehave."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

KINDS = ("429", "500", "502", "delay", "drop", "drop_after")
# Methods a random share of faults leaves alone: the bot's start and its polling, which
# the scripted day does not measure (a lost getUpdates answer is simply asked again).
UNFAULTED = frozenset({"getme", "getupdates", "deletewebhook", "setwebhook", "setmycommands"})


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour.

    kinds: ``429`` (Too Many Requests with ``retry_after``), ``500``/``502`` (server errors),
    ``delay`` (sleep ``delay`` seconds, then answer normally), ``drop`` (close the connection
    without doing anything), ``drop_after`` (do the work, then close without answering).
    """

    kind: str
    retry_after: int = 1
    delay: float = 2.0
    # Only calls whose ``text`` (or ``caption``) contains this; others pass untouched.
    text_contains: str | None = None

    def matches(self, params: dict) -> bool:
        """Whether this fault applies to a call with these parameters."""
        if self.text_contains is None:
            return True
        text = str(params.get("text") or params.get("caption") or "")
        return self.text_contains in text


class FaultInjector:
    """Queues of faults per method name (case-insensitive; ``*`` matches every method)."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}
        self.injected: list[dict] = []
        self._share = 0.0
        self._kinds: tuple[str, ...] = ()
        self._rng = random.Random(0)
        self._lost: set[tuple] = set()

    def inject_share(self, share: float, kinds: tuple[str, ...] = KINDS, seed: int = 0) -> None:
        """Fail a random ``share`` of calls (seeded) with one of ``kinds``, until cleared.

        A request whose connection was dropped once (``drop``/``drop_after``) is not dropped
        again: the day it scripts loses one answer per request at most, the loss the bot
        repeats once (a second loss of the same call is given up; tests cover that alone).
        """
        unknown = set(kinds) - set(KINDS)
        if unknown or not 0 <= share <= 1:
            raise ValueError(f"share must be within 0..1 and kinds of {KINDS}")
        self._share, self._kinds, self._rng = share, tuple(kinds), random.Random(seed)

    def _random(self, method: str, params: dict) -> Fault | None:
        if not self._share or method.lower() in UNFAULTED or self._rng.random() >= self._share:
            return None
        kind = self._rng.choice(self._kinds)
        if kind in ("drop", "drop_after"):
            key = _request_key(method, params)
            if key in self._lost:
                return None
            self._lost.add(key)
        return Fault(kind)

    def inject(
        self,
        method: str,
        kind: str,
        count: int = 1,
        retry_after: int = 1,
        delay: float = 2.0,
        text_contains: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail with ``kind``.

        With ``text_contains`` only calls whose text contains it fail (one message that
        Telegram keeps failing on); the other calls neither fail nor use up the faults.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {KINDS}")
        if count < 1:
            raise ValueError("count must be >= 1")
        queue = self._queues.setdefault(method.lower(), deque())
        queue.extend(
            Fault(kind, int(retry_after), float(delay), text_contains) for _ in range(count)
        )

    def take(self, method: str, params: dict | None = None) -> Fault | None:
        """Pop the next fault for ``method`` that applies (exact name first, then ``*``)."""
        for key in (method.lower(), "*"):
            queue = self._queues.get(key)
            for fault in list(queue or ()):
                if fault.matches(params or {}):
                    queue.remove(fault)  # type: ignore[union-attr]
                    self.injected.append({"method": method, "kind": fault.kind})
                    return fault
        drawn = self._random(method, params or {})
        if drawn is not None:
            self.injected.append({"method": method, "kind": drawn.kind, "random": True})
        return drawn

    def pending(self, method: str | None = None) -> int:
        """How many faults are still queued (for one method or all)."""
        if method is not None:
            return len(self._queues.get(method.lower(), ()))
        return sum(len(q) for q in self._queues.values())

    def clear(self) -> None:
        """Forget every queued fault and stop the random share."""
        self._queues.clear()
        self._share = 0.0


def _request_key(method: str, params: dict) -> tuple:
    """What makes two calls the same request for the bot: the chat, where in it, and the
    start of what it says (a card re-rendered between attempts keeps its first line)."""
    words = str(params.get("text") or params.get("caption") or params.get("name") or "")
    return (
        method.lower(),
        str(params.get("chat_id")),
        str(params.get("message_thread_id")),
        str(params.get("message_id")),
        words.split("\n", 1)[0][:40],
    )
