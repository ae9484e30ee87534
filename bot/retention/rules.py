"""What the retention purge keeps and for how long. Pure: no Telegram, no database.

The periods are the operator's (RETENTION_EVIDENCE_DAYS, RETENTION_MESSAGES_DAYS); what is
never purged is fixed here: the case and its parties (the agreement is printed from them),
claims and payments (money), the audit trail's events themselves, stage clocks (the
statistics) and the agreement PDFs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Audit events that carry what a person typed, and the keys that hold it. The event stays
# (who did what when); the text goes once the messages' period is over.
TYPED_TEXT: dict[str, tuple[str, ...]] = {"input.refused": ("text",)}
# Files under MEDIA_DIR that are deliveries, not records: kept for the messages' period.
DELIVERY_DIRS = ("exports", "digests")


@dataclass(frozen=True)
class Policy:
    """How long evidence of finished cases and delivered messages are kept."""

    evidence: timedelta
    messages: timedelta

    @classmethod
    def days(cls, evidence: int, messages: int) -> Policy:
        return cls(evidence=timedelta(days=evidence), messages=timedelta(days=messages))

    def evidence_before(self, now: datetime) -> datetime:
        """Evidence of cases closed or cancelled before this instant is deleted."""
        return now - self.evidence

    def messages_before(self, now: datetime) -> datetime:
        """Messages delivered (and files written, texts typed) before this are deleted."""
        return now - self.messages


def without_typed_text(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The event's data without what a person typed; None when it holds none."""
    keys = [k for k in TYPED_TEXT.get(kind, ()) if data.get(k)]
    if not keys:
        return None
    return {k: v for k, v in data.items() if k not in keys} | {"purged": sorted(keys)}
