"""Several processes fetch a photo once: a download round claims the photos it takes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.transport.downloader import Downloader
from storage.models import Photo
from tests.factories import get, make_case, make_group, make_photo

LEASE = timedelta(seconds=20)


async def _pending(svc: Services, count: int) -> list[int]:
    await make_group(svc)
    case = await make_case(svc)
    ids = []
    for _ in range(count):
        photo = await make_photo(svc, case)
        async with svc.db.transaction() as s:
            row = await s.get(Photo, photo.id)
            assert row is not None
            row.status, row.stored_at = "pending", None
            s.add(row)
        ids.append(photo.id)
    return ids


def _downloader(svc: Services, claim: timedelta | None) -> Downloader:
    return Downloader(None, svc, claim=claim)  # type: ignore[arg-type]


async def test_one_process_takes_what_is_due_without_claiming_it(svc: Services):
    ids = await _pending(svc, 2)
    one = _downloader(svc, None)
    assert [p.id for p in await one.due()] == ids
    assert [p.id for p in await one.due()] == ids  # nothing else fetches: no claim
    assert (await get(svc, Photo, ids[0])).next_attempt_at is None


async def test_a_claimed_photo_is_fetched_by_one_process_until_its_lease_is_over(svc: Services):
    assert isinstance(svc.clock, ManualClock)
    ids = await _pending(svc, 5)
    first, second = _downloader(svc, LEASE), _downloader(svc, LEASE)
    first.batch = second.batch = 3
    taken = await asyncio.gather(first.due(), second.due())
    a, b = ([p.id for p in t] for t in taken)
    assert sorted(a + b) == ids and not set(a) & set(b)  # each photo to one of them
    assert await first.due() == [] and await second.due() == []
    row = await get(svc, Photo, ids[0])
    assert row.attempts == 0  # a claim is no attempt: the card still waits for the album
    assert row.next_attempt_at == svc.clock.now() + LEASE
    # The process that took them died: once the lease is over they are due again.
    svc.clock.advance(seconds=LEASE.total_seconds() + 1)
    assert len(await second.due()) == 3
