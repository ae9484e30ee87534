"""The exactly-once bound of the sender (docs/architecture.md), with a fake bot.

A clean failure (never reached Telegram, or Telegram answered) is retried freely; a lost
answer to a call a repeat would duplicate is repeated once, and a second one ends the item;
idempotent calls are retried freely; a sender that died mid-item counts as a lost answer.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select
from telegram.error import NetworkError, TimedOut

from bot.kernel.services import Services
from bot.transport.chat_lease import HERE
from bot.transport.errors import Delivery, delivery_of
from bot.transport.sender import Sender
from bot.transport.throttle import Throttle
from storage.models import AuditEvent, ChatLease, OutboxItem
from storage.types import OutboxStatus
from tests.usecases.sender_steps import claim

CHAT = -100123


def _wrapped(cause: httpx.HTTPError, timeout: bool = False) -> NetworkError:
    """What PTB's HTTPXRequest raises for an httpx error (the cause kept)."""
    error: NetworkError = TimedOut() if timeout else NetworkError(f"httpx.{type(cause).__name__}")
    error.__cause__ = cause
    return error


def lost_answer() -> NetworkError:
    return _wrapped(httpx.RemoteProtocolError("Server disconnected without sending a response."))


def read_timeout() -> NetworkError:
    return _wrapped(httpx.ReadTimeout("timed out"), timeout=True)


def refused() -> NetworkError:
    return _wrapped(httpx.ConnectError("[Errno 111] Connection refused"))


def answered_502() -> NetworkError:
    return NetworkError("Bad Gateway (502)")  # an HTTP answer: no httpx cause


def test_failures_are_sorted_by_whether_telegram_may_have_acted():
    assert delivery_of(refused()) is Delivery.CLEAN
    assert delivery_of(_wrapped(httpx.ConnectTimeout("t"), timeout=True)) is Delivery.CLEAN
    assert delivery_of(_wrapped(httpx.PoolTimeout("t"), timeout=True)) is Delivery.CLEAN
    assert delivery_of(_wrapped(httpx.WriteError("broken pipe"))) is Delivery.CLEAN
    assert delivery_of(answered_502()) is Delivery.CLEAN
    assert delivery_of(NetworkError("Internal Server Error (500)")) is Delivery.CLEAN
    assert delivery_of(lost_answer()) is Delivery.AMBIGUOUS
    assert delivery_of(read_timeout()) is Delivery.AMBIGUOUS
    assert delivery_of(_wrapped(httpx.ReadError("reset"))) is Delivery.AMBIGUOUS


class FakeBot:
    """Records every call; `failures` are raised, in order, before calls succeed."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.failures: list[Callable[[], Exception]] = []
        self._next_id = 1000

    async def _answer(self, method: str) -> Any:
        self.calls.append(method)
        if self.failures:
            raise self.failures.pop(0)()
        self._next_id += 1
        return _Msg(self._next_id)

    async def send_message(self, **_: Any) -> Any:
        return await self._answer("send_message")

    async def edit_message_text(self, **_: Any) -> Any:
        return await self._answer("edit_message_text")


class _Msg:
    def __init__(self, message_id: int) -> None:
        self.message_id = message_id


@pytest.fixture
def fake() -> FakeBot:
    return FakeBot()


@pytest.fixture
def sender(svc: Services, fake: FakeBot) -> Sender:
    return Sender(fake, svc, Throttle(group_max_rate=1000, overall_max_rate=1000))  # type: ignore[arg-type]


async def _queue(svc: Services, kind: str, payload: dict[str, Any]) -> int:
    async with svc.db.transaction() as s:
        row = OutboxItem(chat_id=CHAT, kind=kind, payload=payload, created_at=svc.clock.now())
        s.add(row)
        await s.flush()
        assert row.id is not None
        return row.id


async def _row(svc: Services, item_id: int) -> OutboxItem:
    async with svc.db.session() as s:
        row = await s.get(OutboxItem, item_id)
    assert row is not None
    return row


async def _attempt(svc: Services, sender: Sender, item_id: int) -> bool:
    """One delivery attempt of a pending item (its backoff waited out); False if not pending."""
    row = await _row(svc, item_id)
    if row.status != OutboxStatus.PENDING:
        return False
    svc.clock.advance(seconds=1000)  # type: ignore[attr-defined]
    assert await claim(sender, CHAT, row) is True
    await sender._deliver(row)
    return True


async def _audits(svc: Services, kind: str) -> list[AuditEvent]:
    async with svc.db.session() as s:
        return list((await s.exec(select(AuditEvent).where(AuditEvent.kind == kind))).all())


async def test_clean_failures_are_retried_freely_and_repeat_nothing(
    svc: Services, sender: Sender, fake: FakeBot
):
    item = await _queue(svc, "send_text", {"text": "你好"})
    fake.failures = [refused, answered_502, refused, answered_502, refused, answered_502]
    for _ in range(6):
        assert await _attempt(svc, sender, item)
        row = await _row(svc, item)
        assert row.status == OutboxStatus.PENDING and row.ambiguous == 0
    assert await _attempt(svc, sender, item)
    row = await _row(svc, item)
    assert row.status == OutboxStatus.DONE and row.ambiguous == 0
    assert fake.calls.count("send_message") == 7  # one reached Telegram
    assert await _audits(svc, "outbox.ambiguous") == []


@pytest.mark.parametrize("loss", [lost_answer, read_timeout])
async def test_a_lost_answer_repeats_a_send_once_and_a_second_ends_it(
    svc: Services, sender: Sender, fake: FakeBot, loss: Callable[[], Exception]
):
    item = await _queue(svc, "send_text", {"text": "已同意"})
    fake.failures = [loss, loss]
    assert await _attempt(svc, sender, item)
    row = await _row(svc, item)
    assert (row.status, row.ambiguous, row.ambiguous_calls) == (
        OutboxStatus.PENDING,
        1,
        "send_message",
    )
    assert await _attempt(svc, sender, item)  # the one repeat
    row = await _row(svc, item)
    assert row.status == OutboxStatus.FAILED and "second ambiguous" in (row.error or "")
    assert not await _attempt(svc, sender, item)  # never a third copy
    assert fake.calls == ["send_message", "send_message"]
    assert [e.data["item"] for e in await _audits(svc, "outbox.ambiguous")] == [item]
    assert [e.data["call"] for e in await _audits(svc, "outbox.not_repeated")] == ["send_message"]


async def test_a_lost_answer_then_success_is_done_with_one_repeat_counted(
    svc: Services, sender: Sender, fake: FakeBot
):
    item = await _queue(svc, "send_text", {"text": "报案号"})
    fake.failures = [lost_answer, refused]  # a clean failure after it does not count
    for _ in range(3):
        assert await _attempt(svc, sender, item)
    row = await _row(svc, item)
    assert (row.status, row.ambiguous) == (OutboxStatus.DONE, 1)


async def test_idempotent_calls_are_retried_freely_after_lost_answers(
    svc: Services, sender: Sender, fake: FakeBot
):
    item = await _queue(svc, "edit_text", {"message_id": 5, "text": "新"})
    fake.failures = [lost_answer, read_timeout, lost_answer]
    for _ in range(4):
        assert await _attempt(svc, sender, item)
    row = await _row(svc, item)
    assert (row.status, row.ambiguous) == (OutboxStatus.DONE, 0)
    assert fake.calls == ["edit_message_text"] * 4


def _dead_holder() -> str:
    # A pid that does not exist: above the kernel's pid_max.
    return f"{HERE}:{2**22 + 17}:dead"


async def _left_sending(svc: Services, item_id: int, holder: str) -> None:
    async with svc.db.transaction() as s:
        row = await s.get(OutboxItem, item_id)
        assert row is not None
        row.status, row.claimed_by = OutboxStatus.SENDING, holder
        s.add(row)
        lease = await s.get(ChatLease, CHAT)
        until = svc.clock.now() + timedelta(seconds=20)
        if lease is None:
            s.add(ChatLease(chat_id=CHAT, holder=holder, until=until))
        else:
            lease.holder, lease.until = holder, until
            s.add(lease)


async def test_a_sender_killed_mid_send_is_taken_over_at_once_and_repeats_once(
    svc: Services, sender: Sender, fake: FakeBot
):
    send = await _queue(svc, "send_text", {"text": "卡片"})
    edit = await _queue(svc, "edit_text", {"message_id": 5, "text": "新"})
    await _left_sending(svc, send, _dead_holder())
    async with svc.db.transaction() as s:
        row = await s.get(OutboxItem, edit)
        assert row is not None
        row.status, row.claimed_by = OutboxStatus.SENDING, _dead_holder()
        s.add(row)
    # The lease has not run out, but its holder is a dead process of this host: no wait.
    assert await claim(sender, CHAT, await _row(svc, edit)) is True
    row = await _row(svc, send)
    assert (row.status, row.ambiguous, row.ambiguous_calls) == (OutboxStatus.PENDING, 1, "*")
    assert row.not_before is None
    assert (await _row(svc, edit)).ambiguous == 0  # an edit is simply made again
    assert len(await _audits(svc, "outbox.ambiguous")) == 1

    # Killed again while repeating it: a dead sender may never have called (it often waits
    # for the flood limit), so the item is repeated once more rather than lost.
    await _left_sending(svc, send, _dead_holder())
    other = await _queue(svc, "send_text", {"text": "别的"})
    assert await claim(sender, CHAT, await _row(svc, other)) is True
    row = await _row(svc, send)
    assert (row.status, row.ambiguous) == (OutboxStatus.PENDING, 2)
    assert await _audits(svc, "outbox.not_repeated") == []
    assert len(await _audits(svc, "outbox.ambiguous")) == 2


async def test_after_a_takeover_a_lost_answer_repeats_once_and_a_second_ends_it(
    svc: Services, sender: Sender, fake: FakeBot
):
    send = await _queue(svc, "send_text", {"text": "卡片"})
    await _left_sending(svc, send, _dead_holder())
    fake.failures = [lost_answer, lost_answer]
    row = await _row(svc, send)
    assert await claim(sender, CHAT, row) is True  # taken over, and claimed again
    await sender._deliver(row)
    row = await _row(svc, send)
    assert (row.status, row.ambiguous) == (OutboxStatus.PENDING, 2)  # the crash, then the call
    assert await _attempt(svc, sender, send)
    row = await _row(svc, send)
    assert row.status == OutboxStatus.FAILED  # the same call's answer lost twice
    assert fake.calls == ["send_message", "send_message"]


async def test_a_live_holders_lease_is_waited_out(svc: Services, sender: Sender):
    send = await _queue(svc, "send_text", {"text": "卡片"})
    alive = f"{HERE}:{os.getppid()}:alive"  # the process that started these tests
    await _left_sending(svc, send, alive)
    other = await _queue(svc, "send_text", {"text": "别的"})
    assert await claim(sender, CHAT, await _row(svc, other)) is None
    assert (await _row(svc, send)).status == OutboxStatus.SENDING
    svc.clock.advance(seconds=21)  # type: ignore[attr-defined]
    assert await claim(sender, CHAT, await _row(svc, other)) is True
    assert (await _row(svc, send)).ambiguous == 1


async def test_items_orphaned_without_a_lease_are_taken_over(svc: Services, sender: Sender):
    send = await _queue(svc, "send_text", {"text": "卡片"})
    async with svc.db.transaction() as s:
        row = await s.get(OutboxItem, send)
        assert row is not None
        row.status, row.claimed_by = OutboxStatus.SENDING, "elsewhere:1:gone"
        s.add(row)
    other = await _queue(svc, "send_text", {"text": "别的"})
    assert await claim(sender, CHAT, await _row(svc, other)) is True
    row = await _row(svc, send)
    assert (row.status, row.ambiguous) == (OutboxStatus.PENDING, 1)


async def test_an_outcome_the_database_refuses_at_first_is_recorded_not_left_sending(
    svc: Services, sender: Sender, fake: FakeBot, monkeypatch: pytest.MonkeyPatch
):
    # SQLite busy past its timeout right after Telegram answered: the item must still end
    # `done` (sent once), not stay `sending` under this live sender for good.
    monkeypatch.setattr("bot.transport.sender.RECORD_RETRY", (0.0,))
    item = await _queue(svc, "send_text", {"text": "已结案"})
    real = svc.db.transaction
    refusals = {"left": 2}

    def flaky() -> Any:
        if refusals["left"]:
            refusals["left"] -= 1
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("locked"))
        return real()

    assert await claim(sender, CHAT, await _row(svc, item)) is True
    monkeypatch.setattr(svc.db, "transaction", flaky)
    await sender._deliver(await _row(svc, item))
    assert refusals["left"] == 0
    row = await _row(svc, item)
    assert (row.status, row.ambiguous) == (OutboxStatus.DONE, 0)
    assert fake.calls == ["send_message"]


async def test_a_chats_last_item_left_sending_by_a_dead_sender_is_taken_over(
    svc: Services, sender: Sender, fake: FakeBot
):
    # Killed mid-send with nothing else of the chat pending: no new item would start the
    # chat's lane, yet the item must not wait for one.
    send = await _queue(svc, "send_text", {"text": "请各方驾驶人点击"})
    await _left_sending(svc, send, _dead_holder())
    await sender._spawn_lanes()
    assert CHAT in sender._lanes
    await sender._lanes[CHAT]
    row = await _row(svc, send)
    assert (row.status, row.ambiguous, row.ambiguous_calls) == (OutboxStatus.DONE, 1, "*")
    assert fake.calls == ["send_message"]
    async with svc.db.session() as s:
        assert await s.get(ChatLease, CHAT) is None  # given back when the lane ran dry


async def test_a_live_senders_item_in_flight_is_not_adopted(svc: Services, sender: Sender):
    send = await _queue(svc, "send_text", {"text": "卡片"})
    await _left_sending(svc, send, f"{HERE}:{os.getppid()}:alive")
    await sender._spawn_lanes()
    await sender._lanes[CHAT]
    assert (await _row(svc, send)).status == OutboxStatus.SENDING
