"""The sender comes back for what is due: a postponed item when its wait is over, and the
whole outbox at least every poll interval however busy other chats keep it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.transport.sender import Sender
from bot.transport.throttle import Throttle
from storage.models import OutboxItem
from storage.types import OutboxStatus
from tests.factories import get

QUIET = -1001
BUSY = -1002


def _sender(svc: Services, sent: list[int], poll_interval: float = 1.0) -> Sender:
    sender = Sender(None, svc, Throttle(), poll_interval=poll_interval)  # type: ignore[arg-type]

    async def record(item: OutboxItem) -> None:
        assert item.id is not None
        sent.append(item.id)

    sender.handlers = {"send_text": record}
    return sender


async def test_a_lane_with_only_a_postponed_item_plans_to_come_back_when_it_is_due(
    svc: Services,
):
    assert isinstance(svc.clock, ManualClock)
    now = svc.clock.now()
    async with svc.db.transaction() as s:
        s.add(
            OutboxItem(
                chat_id=QUIET,
                kind="send_text",
                payload={},
                created_at=now,
                not_before=now + timedelta(seconds=30),
            )
        )
    sent: list[int] = []
    sender = _sender(svc, sent)
    loop = asyncio.get_running_loop()
    assert await sender._run_lane(QUIET) is True
    assert sent == []
    planned = sender._wakeups[QUIET]
    assert 29 < planned.when() - loop.time() <= 30
    planned.cancel()


async def test_a_row_nobody_announced_goes_out_while_other_chats_keep_the_sender_busy(
    svc: Services,
):
    now = svc.clock.now()
    sent: list[int] = []
    sender = _sender(svc, sent, poll_interval=0.2)
    await sender.start()

    async def busy_chat() -> None:  # another chat's commits wake the sender all the time
        while True:
            svc.outbox_changed([BUSY])
            await asyncio.sleep(0.02)

    noise = asyncio.create_task(busy_chat())
    try:
        await asyncio.sleep(0.3)  # the first search is over: only the poll finds the row
        async with svc.db.transaction() as s:  # written by another process, say
            row = OutboxItem(chat_id=QUIET, kind="send_text", payload={}, created_at=now)
            s.add(row)
            await s.flush()
            item_id = row.id
        for _ in range(100):
            if sent and (await get(svc, OutboxItem, item_id)).status == OutboxStatus.DONE:
                break  # the outcome is written by the lane's next transaction
            await asyncio.sleep(0.02)
        assert sent == [item_id]
        assert (await get(svc, OutboxItem, item_id)).status == OutboxStatus.DONE
    finally:
        noise.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await noise
        await sender.stop()
