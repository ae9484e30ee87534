"""Fault injection: make the next N calls of a Bot API method misbehave."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

KINDS = ("429", "500", "502", "delay", "drop", "drop_after")


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
        return None

    def pending(self, method: str | None = None) -> int:
        """How many faults are still queued (for one method or all)."""
        if method is not None:
            return len(self._queues.get(method.lower(), ()))
        return sum(len(q) for q in self._queues.values())

    def clear(self) -> None:
        """Forget every queued fault."""
        self._queues.clear()
