"""The inbox keeps Telegram's rules: an id seen again within the redelivery window is a
redelivery, one seen long before is a new update; handled rows are purged after the
retention period, with an audit event."""

from __future__ import annotations

from telegram import Update

from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.transport.ingest import REDELIVERY_WINDOW, RETENTION, purge_handled, store_updates
from storage.models import AuditEvent, InboxUpdate
from tests.factories import get, rows


def _update(update_id: int, text: str) -> Update:
    data = {
        "update_id": update_id,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": text},
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update


async def _handled(svc: Services, update_id: int) -> None:
    async with svc.db.transaction() as session:
        row = await session.get(InboxUpdate, update_id)
        assert row is not None
        row.claimed_at = row.handled_at = svc.clock.now()
        session.add(row)


async def test_a_redelivery_is_kept_and_a_reused_id_is_a_new_update(svc: Services):
    assert isinstance(svc.clock, ManualClock)
    await store_updates(svc, [_update(42, "/help")])
    await _handled(svc, 42)
    svc.clock.advance(hours=23)  # within the window: Telegram sending it again
    await store_updates(svc, [_update(42, "/help")])
    row = await get(svc, InboxUpdate, 42)
    assert row.handled_at is not None and row.payload["message"]["text"] == "/help"

    # Days later Telegram started its ids again: 42 is someone else's new message.
    svc.clock.advance(seconds=REDELIVERY_WINDOW.total_seconds())
    await store_updates(svc, [_update(42, "/queue")])
    row = await get(svc, InboxUpdate, 42)
    assert row.payload["message"]["text"] == "/queue"
    assert row.handled_at is None and row.claimed_at is None
    assert row.received_at == svc.clock.now()


async def test_handled_rows_past_the_retention_are_purged_and_audited(svc: Services):
    assert isinstance(svc.clock, ManualClock)
    await store_updates(svc, [_update(1, "old"), _update(2, "stuck")])
    await _handled(svc, 1)
    svc.clock.advance(seconds=RETENTION.total_seconds() + 60)
    await store_updates(svc, [_update(3, "recent")])
    await _handled(svc, 3)
    assert await purge_handled(svc) == 1
    left = sorted(r.update_id for r in await rows(svc, InboxUpdate))
    assert left == [2, 3]  # never handled: kept for the replay at start; recent: kept
    [event] = await rows(svc, AuditEvent, AuditEvent.kind == "inbox.purged")
    assert event.data["rows"] == 1
    assert await purge_handled(svc) == 0
