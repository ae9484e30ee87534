"""Which of a chat's pending outbox items a sender's lane sends next. Pure: no Telegram,
no database.

A lane sends its chat's items in the order they were recorded, so a case's topic exists
before its card and its card before any edit. An item that failed and waits for its retry
steps aside where order does not matter (`may_overtake`), so one message Telegram keeps
refusing does not hold up the chat.
"""

from __future__ import annotations

from datetime import datetime

from storage.models import OutboxItem

# Kinds whose order among themselves is cosmetic: a reply is complete on its own, a card
# edit renders the case as it is at send time, a text edit names a message already sent.
# Everything else (the topic and card with their pins, topic renames, closing, reopening,
# documents, the areas' own kinds) is a barrier within its case.
ORDER_FREE = frozenset({"send_text", "send_text_hint", "edit_card", "edit_text"})
# The order-free kinds and the edits of a named message (`edit_ref`), which keep order only
# with the other items of the same name (`may_overtake`).
OVERTAKING = ORDER_FREE | {"edit_ref"}
# How many of a chat's pending items a lane looks through for one it may send now.
LOOKAHEAD = 50


def may_overtake(later: OutboxItem, waiting: OutboxItem) -> bool:
    """Whether `later` may be sent while the earlier `waiting` item waits for its retry.

    Order only matters within one case (items of no case form a group of their own): there
    the later item may go first when both are of the order-free kinds. A waiting topic or
    card thus holds everything of its case (the thread must exist first), and a waiting
    close or reopen of a topic holds what follows it in that case.
    """
    if later.case_id != waiting.case_id:
        return True
    if later.kind not in OVERTAKING or waiting.kind not in OVERTAKING:
        return False
    # A prompt or ping edited in place (`edit_ref`) goes after the send, or an earlier edit,
    # of its own message, and past anything else of its case that waits: a retried reply
    # must not hold up the question a person is waiting for.
    ref = later.payload.get("ref")
    return ref is None or ref != waiting.payload.get("ref")


def next_due(
    items: list[OutboxItem],
    now: datetime,
    bulk: frozenset[str] = frozenset(),
    settling: set[int] | frozenset[int] = frozenset(),
) -> OutboxItem | None:
    """The oldest item that is due and that no earlier waiting item holds back; bulk kinds
    only when no other item is; never a `settling` card edit."""
    # An item held back holds its place too: what follows it must not overtake it either.
    waiting: list[OutboxItem] = []
    first_bulk: OutboxItem | None = None
    for item in items:
        if item.id in settling:
            # A card edit renders the case as it is when it goes out, so nothing after it
            # needs it first: a settling card holds back no reply, prompt or topic.
            continue
        due = item.not_before is None or item.not_before <= now
        if due and all(may_overtake(item, w) for w in waiting):
            if item.kind not in bulk:
                return item
            first_bulk = first_bulk or item
        # A bulk item steps aside for the rest without holding any of it back.
        if item.kind not in bulk:
            waiting.append(item)
    return first_bulk


def next_retry(items: list[OutboxItem], now: datetime) -> float | None:
    """Seconds until the first postponed item of the chat is due, if any is."""
    due = [i.not_before for i in items if i.not_before is not None and i.not_before > now]
    return (min(due) - now).total_seconds() if due else None
