"""A sender's lane taken apart, for tests that stage a take-over step by step."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.transport.sender import Sender
from storage.models import OutboxItem


async def claim(sender: Sender, chat_id: int, item: OutboxItem) -> bool | None:
    """Hold the chat and claim this very item, as the lane's take does with the next due
    one: None when another sender holds the chat, False when the item was taken meanwhile."""
    now = sender.svc.clock.now()
    try:
        async with sender.svc.db.transaction() as session:
            lease = await sender.leases.read(session, chat_id)
            if sender.leases.held_elsewhere(lease, now):
                return None
            await sender.hold_chat(session, chat_id, lease, now)
            return await sender.claim_row(session, item)
    except IntegrityError:  # another sender leased the chat first
        return None
