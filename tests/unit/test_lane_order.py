"""Which outbox item a chat's lane sends next while an earlier one waits for its retry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bot.transport.lane_order import next_due
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
    found = next_due(list(items), NOW)
    return found.id if found is not None else None


def test_a_reply_overtakes_a_reply_that_waits():
    assert _next(_item(1, "send_text", 7, waits=True), _item(2, "send_text", 7)) == 2


def test_a_card_edit_overtakes_a_waiting_reply_of_its_case():
    assert _next(_item(1, "send_text", 7, waits=True), _item(2, "edit_card", 7)) == 2


def _named(i: int, kind: str, ref: str, waits: bool = False) -> OutboxItem:
    item = _item(i, kind, 7, waits=waits)
    item.payload = {"ref": ref}
    return item


def test_an_edited_prompt_overtakes_its_cases_waiting_items_but_not_its_own_message():
    # A retried reply of the case does not hold up the prompt a person waits for ...
    assert _next(_item(1, "send_text", 7, waits=True), _named(2, "edit_ref", "est:1")) == 2
    assert _next(_named(1, "edit_ref", "ping:3", waits=True), _named(2, "edit_ref", "est:1")) == 2
    # ... but an edit waits for the send of its own message, and for its earlier edits,
    assert (
        _next(_named(1, "send_text", "est:1", waits=True), _named(2, "edit_ref", "est:1")) is None
    )
    assert _next(_named(1, "edit_ref", "est:1", waits=True), _named(2, "edit_ref", "est:1")) is None
    # and a waiting topic or card still holds it (the thread must exist first).
    assert _next(_item(1, "open_thread", 7, waits=True), _named(2, "edit_ref", "est:1")) is None


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


def test_a_settling_card_edit_waits_and_holds_nothing_back():
    # The card renders the case as it is when it goes out: the topic's closing, a reply or
    # a prompt of its case need not wait for it (CARD_SETTLE_SECONDS, bot/config/settings.py).
    edit = _item(1, "edit_card", 7)
    assert next_due([edit, _item(2, "close_topic", 7)], NOW, settling={1}).id == 2  # type: ignore[union-attr]
    assert next_due([edit, _item(2, "edit_ref", 7)], NOW, settling={1}).id == 2  # type: ignore[union-attr]
    assert next_due([edit], NOW, settling={1}) is None
    assert next_due([edit], NOW) is edit


def _sender() -> Sender:
    return Sender(None, None, None, card_settle=1.0)  # type: ignore[arg-type]


def test_a_card_edit_settles_for_a_second_after_its_card_reached_the_chat():
    sender = _sender()
    edits = [_item(1, "edit_card", 7), _item(2, "edit_card", 7), _item(3, "edit_card", 8)]
    assert sender._settling(edits) == {}  # nothing shown yet: at once
    sender.card_shown[7] = time.monotonic()
    left = sender._settling(edits)
    assert set(left) == {1, 2} and all(0.5 < s <= 1.0 for s in left.values())
    sender.card_shown[7] = time.monotonic() - 1.5  # settled: at once, and forgotten
    assert sender._settling(edits) == {}
    assert 7 not in sender.card_shown
