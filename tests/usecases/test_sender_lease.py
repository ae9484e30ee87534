"""The sender's chat lease between processes: a run-out lease is taken over and what the
dead sender left goes out first, in order; a group's send times travel with the lease."""

from __future__ import annotations

from datetime import timedelta

from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.transport.sender import Sender
from bot.transport.throttle import Throttle
from storage.models import ChatLease, OutboxItem
from storage.types import OutboxStatus
from tests.factories import get
from tests.usecases.sender_steps import claim

CHAT = -1007
LEASE = timedelta(seconds=5)


class FakeTime:
    def __init__(self) -> None:
        self.t = 5000.0

    def __call__(self) -> float:
        return self.t


def _sender(svc: Services, holder: str, throttle: Throttle, sent: list[int]) -> Sender:
    sender = Sender(None, svc, throttle, lease=LEASE, holder=holder, shared_limits=True)  # type: ignore[arg-type]

    async def record(item: OutboxItem) -> None:
        assert item.id is not None
        await throttle.acquire(item.chat_id)
        sent.append(item.id)

    sender.handlers = {"send_text": record}
    return sender


async def test_a_dead_senders_chat_is_taken_over_in_order_with_its_window(svc: Services):
    assert isinstance(svc.clock, ManualClock)
    now = svc.clock.now()
    async with svc.db.transaction() as s:
        for _ in range(3):
            s.add(OutboxItem(chat_id=CHAT, kind="send_text", payload={}, created_at=now))
    clock = FakeTime()
    sent_a: list[int] = []
    throttle_a = Throttle(group_max_rate=4, group_period=60.0, monotonic=clock)
    a = _sender(svc, "A", throttle_a, sent_a)
    first = await get(svc, OutboxItem, 1)
    assert await claim(a, CHAT, first) is True
    await a._deliver(first)  # A sends item 1 ...
    second = await get(svc, OutboxItem, 2)
    assert await claim(a, CHAT, second) is True  # ... claims item 2 and dies mid-call
    assert sent_a == [1]

    sent_b: list[int] = []
    throttle_b = Throttle(group_max_rate=4, group_period=60.0, monotonic=clock)
    b = _sender(svc, "B", throttle_b, sent_b)
    third = await get(svc, OutboxItem, 3)
    assert await claim(b, CHAT, third) is None  # A's lease still runs
    svc.clock.advance(seconds=LEASE.total_seconds() + 1)
    clock.t += 6
    await b._run_lane(CHAT)
    assert sent_b == [2, 3]  # the cut-off item first: the chat's order holds
    for i in (1, 2, 3):
        assert (await get(svc, OutboxItem, i)).status == OutboxStatus.DONE
    await b.leases.let_go(CHAT)
    # B counted A's send of item 1 (from the lease) and the one cut off by the crash
    # (as made when B took over), then its own two.
    assert throttle_b.group_times(CHAT) == [5000.0, 5006.0, 5006.0, 5006.0]
    lease = await get(svc, ChatLease, CHAT)  # let go: run out, the window kept for the next
    assert lease.holder == "B" and lease.sent == [5000.0, 5006.0, 5006.0, 5006.0]
