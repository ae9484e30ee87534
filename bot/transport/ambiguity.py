"""An outbox item whose call may or may not have reached Telegram: the rules of the bound
(docs/architecture.md, "What exactly once means").

The Bot API has no idempotency key: when the answer to a call that a repeat would
duplicate is lost, or the sender died with the item in hand, Telegram may have acted.
Such an item is repeated once per ambiguity of a call, and ends on the second ambiguity of
the same call; every ambiguity is audited.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import queries as q
from storage.models import OutboxItem
from storage.types import OutboxStatus

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)
# The call cut off when a sender died mid-item: unknown, so it counts as any of them.
UNKNOWN_CALL = "*"
# Kinds whose every call is idempotent (edits, topic renames, closing, reopening): one cut
# off mid-call is simply sent again. Every other kind makes at least one call a repeat
# would duplicate, so the bound applies to it.
IDEMPOTENT_KINDS = frozenset(
    {"edit_card", "edit_text", "edit_topic", "close_topic", "reopen_topic"}
)


def back_off(row: OutboxItem, error: str, now: datetime) -> None:
    """Put the item back to be tried again later, each time twice as late (at most
    MAX_BACKOFF)."""
    row.attempts += 1
    row.status, row.claimed_by = OutboxStatus.PENDING, None
    row.not_before = now + min(timedelta(seconds=2 ** min(row.attempts, 10)), MAX_BACKOFF)
    row.error = error


def note_ambiguity(row: OutboxItem, call: str) -> bool:
    """Count an ambiguous failure of `call` on the item; False when it must not be repeated.

    A lost answer means the request was sent and read: Telegram most likely acted. So a
    call is repeated once after its answer was lost, and a second lost answer of the same
    call ends the item (a third copy is likelier than a missing one). A sender that died
    mid-item (`UNKNOWN_CALL`) may not have called at all: it was often waiting for the flood
    limit, so ending the item would lose it; each such crash repeats the item at most once.
    Telegram has no idempotency key that would let us ask whether an attempt arrived.
    """
    seen = set(row.ambiguous_calls.split(",")) if row.ambiguous_calls else set()
    if call != UNKNOWN_CALL and call in seen:
        return False
    row.ambiguous += 1
    row.ambiguous_calls = ",".join(sorted(seen | {call}))
    return True


def settle_ambiguity(
    session: AsyncSession, row: OutboxItem, call: str, error: str, now: datetime
) -> bool:
    """Record an ambiguous failure in the caller's transaction: the item is repeated
    (True) or, on a second ambiguity of the call, ends as failed (False)."""
    data: dict[str, Any] = {"item": row.id, "item_kind": row.kind, "call": call}
    if note_ambiguity(row, call):
        back_off(row, f"ambiguous ({call}): {error}", now)
        if call == UNKNOWN_CALL:
            row.not_before = None  # a takeover resumes at once: the wait was the lease
        q.audit(
            session,
            at=now,
            kind="outbox.ambiguous",
            case_id=row.case_id,
            chat_id=row.chat_id,
            **data,
        )
    else:
        row.status, row.claimed_by, row.done_at = OutboxStatus.FAILED, None, now
        row.error = f"not repeated: second ambiguous failure ({call}): {error}"
        q.audit(
            session,
            at=now,
            kind="outbox.not_repeated",
            case_id=row.case_id,
            chat_id=row.chat_id,
            **data,
        )
        log.warning(
            "outbox item %s (%s) not repeated: a second ambiguous failure of %s; "
            "it may or may not have reached the chat",
            row.id,
            row.kind,
            call,
        )
    session.add(row)
    return row.status == OutboxStatus.PENDING
