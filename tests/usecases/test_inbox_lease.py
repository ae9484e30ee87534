"""Per-chat inbox leases (MULTI_PROCESS): one process at a time handles a chat's stored
updates, in update_id order; a chat stored into while held is handled by its holder
before it lets go; a dead holder's chat is taken over once its lease ran out. The rules
hold on SQLite too (one writer at a time), so they run on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram import Update

from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.transport.fleet import Fleet, overall_share
from bot.transport.inbox_lease import InboxLeases
from bot.transport.ingest import store_updates
from bot.transport.throttle import Throttle
from storage.models import InboxLease, InboxUpdate
from tests.factories import rows

LEASE = timedelta(seconds=10)
CHAT = -1005


def _update(update_id: int, chat: int = CHAT) -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "supergroup", "title": "g"},
            "text": f"m{update_id}",
        },
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update


class FakeApp:
    """Stands in for the Application: records what it handled, marks it as the handler
    groups would (claim, then handled), and may run a hook in between."""

    bot: Any = None

    def __init__(self, svc: Services, name: str, log: list[tuple[str, int]]) -> None:
        self.svc, self.name, self.log = svc, name, log
        self.during: Any = None

    async def process_update(self, update: Update) -> None:
        async with self.svc.db.transaction() as s:
            row = await s.get(InboxUpdate, update.update_id)
            assert row is not None
            if row.claimed_at is not None:
                return  # claim_update would stop a second delivery
            row.claimed_at = self.svc.clock.now()
            s.add(row)
        self.log.append((self.name, update.update_id))
        if self.during is not None:
            hook, self.during = self.during, None
            await hook()
        async with self.svc.db.transaction() as s:
            row = await s.get(InboxUpdate, update.update_id)
            assert row is not None
            row.handled_at = self.svc.clock.now()
            s.add(row)


def _leases(svc: Services, log: list[tuple[str, int]]) -> tuple[InboxLeases, InboxLeases]:
    a = InboxLeases(FakeApp(svc, "A", log), svc, holder="A", lease=LEASE)  # type: ignore[arg-type]
    b = InboxLeases(FakeApp(svc, "B", log), svc, holder="B", lease=LEASE)  # type: ignore[arg-type]
    return a, b


async def _idle(*inboxes: InboxLeases) -> None:
    for _ in range(200):
        if all(not any(not t.done() for t in i._lanes.values()) for i in inboxes):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("lanes still running")


async def test_a_chats_updates_are_handled_in_update_id_order_then_the_lease_goes(svc: Services):
    log: list[tuple[str, int]] = []
    a, _b = _leases(svc, log)
    await store_updates(svc, [_update(7), _update(3), _update(5), _update(4, chat=9)])
    await a.deliver([_update(7)])
    await _idle(a)
    assert log == [("A", 3), ("A", 5), ("A", 7)]  # chat 9 was not offered
    assert await rows(svc, InboxLease) == []
    await a.pick_up()  # the chat nobody offered is picked up
    await _idle(a)
    assert log[-1] == ("A", 4)


async def test_a_held_chat_is_left_to_its_holder_who_handles_what_came_meanwhile(svc: Services):
    log: list[tuple[str, int]] = []
    a, b = _leases(svc, log)
    await store_updates(svc, [_update(1)])

    async def b_stores_one() -> None:  # B got the next push while A handles update 1
        await store_updates(svc, [_update(2)])
        await b.deliver([_update(2)])
        await _idle(b)  # B's lane finds the chat held and ends without handling it

    assert isinstance(a.app, FakeApp)
    a.app.during = b_stores_one
    await a.offer(CHAT)
    await _idle(a, b)
    assert log == [("A", 1), ("A", 2)]  # B handled nothing
    assert all(r.handled_at is not None for r in await rows(svc, InboxUpdate))
    assert await rows(svc, InboxLease) == []


async def test_a_dead_holders_chat_is_taken_over_after_the_lease_with_its_claims_cleared(
    svc: Services,
):
    assert isinstance(svc.clock, ManualClock)
    log: list[tuple[str, int]] = []
    a, b = _leases(svc, log)
    await store_updates(svc, [_update(1), _update(2)])
    assert await a.acquire(CHAT)
    async with svc.db.transaction() as s:  # A claimed update 1, then died mid-handler
        row = await s.get(InboxUpdate, 1)
        assert row is not None
        row.claimed_at = svc.clock.now()
        s.add(row)

    await b.pick_up()  # A's lease is live: nothing to pick up
    await b.offer(CHAT)
    await _idle(b)
    assert log == [] and not await b.acquire(CHAT)

    svc.clock.advance(seconds=LEASE.total_seconds() + 1)
    await b.pick_up()
    await _idle(b)
    assert log == [("B", 1), ("B", 2)]  # the cut-off update again, then the rest, in order
    # A comes back from a stall: the chat is no longer its own, it has nothing to do.
    assert await a._next(CHAT, set()) == []
    assert await a.release(CHAT, set()) is True


async def test_the_heartbeat_renews_leases_and_splits_the_overall_budget(svc: Services):
    assert isinstance(svc.clock, ManualClock)
    log: list[tuple[str, int]] = []
    a, b = _leases(svc, log)
    throttle_a, throttle_b = Throttle(overall_max_rate=30), Throttle(overall_max_rate=30)
    fleet_a = Fleet(svc, throttle_a, lease=LEASE, holder="A")
    fleet_b = Fleet(svc, throttle_b, lease=LEASE, holder="B")
    await fleet_a.start()
    await fleet_b.start()
    await fleet_a.beat()
    assert (fleet_a.live, fleet_b.live) == (2, 2)
    assert throttle_a._overall.max_rate == 15 and throttle_b._overall.max_rate == 15

    await store_updates(svc, [_update(1)])
    assert await a.acquire(CHAT)
    for _ in range(3):  # A keeps beating, so its lease outlives many lease periods
        svc.clock.advance(seconds=LEASE.total_seconds() * 0.6)
        await fleet_a.beat()
    assert not await b.acquire(CHAT)
    # B's heartbeat stopped long ago: A alone has the whole budget.
    assert fleet_a.live == 1 and throttle_a._overall.max_rate == 30

    await fleet_a.stop()  # a clean stop gives the chat up at once
    assert await b.acquire(CHAT)
    await fleet_b.stop()


@pytest.mark.parametrize(
    ("budget", "live", "share"), [(30, 1, 30), (30, 2, 15), (30, 4, 7), (30, 40, 1)]
)
def test_overall_share(budget: int, live: int, share: int):
    assert overall_share(budget, live) == share


async def test_a_row_stored_as_the_holder_lets_go_is_not_stranded(svc: Services):
    log: list[tuple[str, int]] = []
    a, b = _leases(svc, log)
    await store_updates(svc, [_update(1)])
    real_release = a.release
    stored = False

    async def release_after_a_late_push(chat_id: int, tried: set[int]) -> bool:
        nonlocal stored
        if not stored:  # B stores one after A's last look, before A lets go
            stored = True
            await store_updates(svc, [_update(2)])
            await b.deliver([_update(2)])
            await _idle(b)  # B found the chat held by A and left it to A
        return await real_release(chat_id, tried)

    a.release = release_after_a_late_push  # type: ignore[method-assign]
    await a.offer(CHAT)
    await _idle(a, b)
    assert log == [("A", 1), ("A", 2)]  # A looked again before letting go
    assert all(r.handled_at is not None for r in await rows(svc, InboxUpdate))


async def test_pushes_of_one_chat_at_once_make_one_lane(svc: Services):
    log: list[tuple[str, int]] = []
    a, _b = _leases(svc, log)
    updates = [_update(i) for i in range(1, 9)]
    await store_updates(svc, updates)
    await asyncio.gather(*(a.deliver([u]) for u in updates))
    assert len(a._lanes) == 1
    await _idle(a)
    assert log == [("A", i) for i in range(1, 9)]
