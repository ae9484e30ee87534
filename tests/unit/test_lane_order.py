"""Which outbox item a chat's lane sends next while an earlier one waits for its retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.transport.sender import Sender
from storage.models import OutboxItem

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=8)


def _item(i: int, kind: str, case: int | None, waits: bool = False) -> OutboxItem:
    return OutboxItem(
        id=i,
        chat_id=-100,
        kind=kind,
        case_id=case,
        payload={},
        created_at=NOW,
        not_before=LATER if waits else None,
    )


def _next(*items: OutboxItem) -> int | None:
    found = Sender._next_due(list(items), NOW)
    return found.id if found is not None else None


def test_a_reply_overtakes_a_reply_that_waits():
    assert _next(_item(1, "send_text", 7, waits=True), _item(2, "send_text", 7)) == 2


def test_a_card_edit_overtakes_a_waiting_reply_of_its_case():
    assert _next(_item(1, "send_text", 7, waits=True), _item(2, "edit_card", 7)) == 2


def test_a_waiting_topic_holds_its_case_but_not_other_cases():
    waiting = _item(1, "open_thread", 7, waits=True)
    assert _next(waiting, _item(2, "send_text", 7)) is None
    assert _next(waiting, _item(2, "send_text", 7), _item(3, "send_text", 8)) == 3
    assert _next(waiting, _item(2, "send_text", None)) == 2


def test_a_topic_call_keeps_its_place_in_its_case():
    # The closing summary waits: the topic is not closed before it, nor what follows.
    items = (
        _item(1, "send_text", 7, waits=True),
        _item(2, "close_topic", 7),
        _item(3, "send_text", 7),
    )
    assert _next(*items) is None


def test_nothing_waits_means_strict_order():
    assert _next(_item(1, "open_thread", 7), _item(2, "send_text", 7)) == 1
    assert _next(_item(1, "send_text", 7, waits=True)) is None
