"""What an operator's Prometheus scrapes: updates in and handled, handler latency, sends by
Bot API method, 429s drawn, ladder steps fired. One registry per running bot (tests run
several in one process), exposed by the health server (bot/transport/health.py)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    """The bot's counters; cheap enough to bump on every update and send."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates_received = Counter(
            "kuaipei_updates_received", "Updates stored in the inbox", registry=r
        )
        self.updates_handled = Counter(
            "kuaipei_updates_handled", "Updates whose handlers have run", registry=r
        )
        self.handler_seconds = Histogram(
            "kuaipei_handler_seconds",
            "From an update's claim to its handled mark",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.sends = Counter(
            "kuaipei_sends", "Bot API calls that succeeded, by method", ["method"], registry=r
        )
        self.rate_limited = Counter(
            "kuaipei_rate_limited", "429 answers (Telegram asked to wait)", registry=r
        )
        self.sla_firings = Counter(
            "kuaipei_sla_firings",
            "Ladder steps fired, by stage and step",
            ["stage", "step"],
            registry=r,
        )
        self.outbox_depth = Gauge("kuaipei_outbox_depth", "Outbox items pending", registry=r)
        self.outbox_age = Gauge(
            "kuaipei_outbox_oldest_seconds", "Age of the oldest pending outbox item", registry=r
        )
        self.inbox_lag = Gauge(
            "kuaipei_inbox_lag_seconds", "Age of the oldest update not handled yet", registry=r
        )
        self._claimed: dict[int, float] = {}

    def claimed(self, update_id: int) -> None:
        self._claimed[update_id] = time.monotonic()

    def handled(self, update_id: int) -> None:
        self.updates_handled.inc()
        started = self._claimed.pop(update_id, None)
        if started is not None:
            self.handler_seconds.observe(time.monotonic() - started)
