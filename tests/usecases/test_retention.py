"""The retention purge: evidence of long-finished cases, delivered messages, export files
and typed text go; live cases, the agreement's data, money and the audit trail stay."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.retention.purge as retention_purge
from bot.evidence.media import original_path, store, thumbnail_path
from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.retention.purge import BATCH, Purged, purge
from bot.retention.rules import Policy
from storage import queries as q
from storage.models import AuditEvent, Case, OutboxItem, Party, Photo
from tests.factories import get, make_case, make_group, make_party, make_photo, rows

POLICY = Policy.days(evidence=365, messages=30)


async def _finished(svc: Services, status: str = "closed") -> Case:
    case = await make_case(svc, status=status)
    async with svc.db.transaction() as s:
        row = await s.get(Case, case.id)
        assert row is not None
        row.closed_at = svc.clock.now()
        s.add(row)
    return case


async def _evidence(svc: Services, case: Case, content: bytes) -> Photo:
    """A stored photo whose original and thumbnail are on disk."""
    photo = await make_photo(svc, case)
    sha = hashlib.sha256(content).hexdigest()
    store(svc.media_dir, sha256=sha, fmt="JPEG", original=content, thumbnail=b"thumb" + content)
    async with svc.db.transaction() as s:
        row = await s.get(Photo, photo.id)
        assert row is not None
        row.sha256, row.image_format, row.gps_lat, row.gps_lon = sha, "JPEG", 27.8, 112.9
        s.add(row)
    return await get(svc, Photo, photo.id)


def _on_disk(svc: Services, photo: Photo) -> bool:
    assert photo.sha256
    original = original_path(svc.media_dir, photo.sha256, "JPEG")
    return original.exists() and thumbnail_path(svc.media_dir, photo.sha256).exists()


def _later(svc: Services, days: int) -> None:
    assert isinstance(svc.clock, ManualClock)
    svc.clock.advance(seconds=timedelta(days=days).total_seconds())


async def test_evidence_of_long_finished_cases_goes_and_live_cases_keep_theirs(svc: Services):
    await make_group(svc)
    old_closed = await _finished(svc)
    old_cancelled = await _finished(svc, "cancelled")
    closed_photo = await _evidence(svc, old_closed, b"closed scene")
    cancelled_photo = await _evidence(svc, old_cancelled, b"cancelled scene")
    # The same picture in an old closed case and in a case still open: the file stays.
    shared_old = await _evidence(svc, old_closed, b"shared scene")
    party = await make_party(svc, old_closed)
    _later(svc, 300)
    recent = await _finished(svc)
    recent_photo = await _evidence(svc, recent, b"recent scene")
    live = await make_case(svc, status="awaiting_insurer")
    shared_live = await _evidence(svc, live, b"shared scene")
    live_photo = await _evidence(svc, live, b"live scene")
    _later(svc, 100)  # the old cases ended 400 days ago, the recent one 100

    done = await purge(svc, POLICY)

    assert (done.photos, done.files) == (3, 2)
    for photo in (closed_photo, cancelled_photo):
        assert not _on_disk(svc, photo)
        row = await get(svc, Photo, photo.id)
        assert row.purged_at == svc.clock.now() and row.file_id == "" and row.gps_lat is None
        assert row.sha256 == photo.sha256  # the reuse check still knows the picture
    assert (await get(svc, Photo, shared_old.id)).purged_at is not None
    for photo in (shared_live, recent_photo, live_photo):
        assert _on_disk(svc, photo)
        row = await get(svc, Photo, photo.id)
        assert row.purged_at is None and row.file_id == photo.file_id
    # The case and its parties stay: the agreement is printed from them.
    kept = await get(svc, Party, party.id)
    assert kept.driver_name == party.driver_name and kept.phone == party.phone
    assert (await get(svc, Case, old_closed.id)).status == "closed"
    [event] = await rows(svc, AuditEvent, AuditEvent.kind == "retention.purged")
    assert event.data["photos"] == 3 and event.data["files"] == 2
    assert event.data["evidence_before"] == (svc.clock.now() - timedelta(days=365)).isoformat()

    # A second run deletes nothing and says so.
    again = await purge(svc, POLICY)
    assert again == Purged()
    assert len(await rows(svc, AuditEvent, AuditEvent.kind == "retention.purged")) == 2


async def test_a_photo_stored_meanwhile_with_the_same_content_keeps_its_file(
    svc: Services, monkeypatch: pytest.MonkeyPatch
):
    """The content is checked again, against committed rows, once the file is moved aside:
    a live photo of the same content recorded after the first look keeps the file."""
    await make_group(svc)
    old = await _finished(svc)
    photo = await _evidence(svc, old, b"scene")
    _later(svc, 400)
    twin = await _evidence(svc, await make_case(svc), b"scene")  # same content, live case
    looks: list[int] = []
    real = retention_purge._held

    async def first_look_misses_it(session: AsyncSession, shas: list[str], **kw: Any) -> set[str]:
        looks.append(len(shas))
        return set() if len(looks) == 1 else await real(session, shas, **kw)

    monkeypatch.setattr(retention_purge, "_held", first_look_misses_it)
    done = await purge(svc, POLICY)
    assert looks == [1, 1]
    assert done.photos == 1 and done.files == 0
    assert _on_disk(svc, twin) and (await get(svc, Photo, photo.id)).purged_at is not None
    assert not list(svc.media_dir.rglob("*.purging"))


async def test_delivered_messages_exports_and_typed_text_go_after_their_period(svc: Services):
    await make_group(svc)
    case = await make_case(svc)
    now = svc.clock.now()
    async with svc.db.transaction() as s:
        for status in ("done", "failed", "superseded", "pending"):
            done_at = None if status == "pending" else now
            s.add(
                OutboxItem(
                    chat_id=case.chat_id,
                    kind="text",
                    payload={"text": f"张三 13800001111 {status}"},
                    status=status,
                    created_at=now,
                    done_at=done_at,
                )
            )
        s.add(
            OutboxItem(
                chat_id=case.chat_id,
                case_id=case.id,
                kind="open_thread",
                dedupe_key=f"open_thread:{case.id}",
                status="done",
                created_at=now,
                done_at=now,
            )
        )
        q.audit(s, at=now, kind="input.refused", case_id=case.id, text="13800001111 张三")
        q.audit(s, at=now, kind="case.closed", case_id=case.id, actor=7)
    export = svc.media_dir / "exports" / str(case.chat_id) / "1-kuaipei-2026-11.xlsx"
    chart = svc.media_dir / "digests" / "c.png"
    agreement = svc.media_dir / "agreements" / "HS-1-abc.pdf"
    for path in (export, chart, agreement):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    _later(svc, 10)
    fresh = svc.media_dir / "exports" / "fresh.csv"
    fresh.write_bytes(b"y")
    for path in (export, chart, agreement):  # written 40 days before the purge
        stamp = (svc.clock.now() - timedelta(days=30)).timestamp()
        os.utime(path, (stamp, stamp))
    fresh_stamp = svc.clock.now().timestamp()
    os.utime(fresh, (fresh_stamp, fresh_stamp))
    _later(svc, 25)

    assert await purge(svc, POLICY, dry_run=True) == Purged(
        outbox=3, typed_texts=1, delivery_files=2
    )
    assert export.exists()  # a dry run deletes nothing
    done = await purge(svc, POLICY)
    assert (done.outbox, done.typed_texts, done.delivery_files) == (3, 1, 2)
    left = await rows(svc, OutboxItem)
    assert sorted((i.status, i.dedupe_key is not None) for i in left) == [
        ("done", True),  # the once-only fact a use case asks about
        ("pending", False),  # not delivered yet
    ]
    assert not export.exists() and not chart.exists()
    assert agreement.exists() and fresh.exists()
    [refused] = await rows(svc, AuditEvent, AuditEvent.kind == "input.refused")
    assert "text" not in refused.data and refused.data["purged"] == ["text"]
    assert refused.case_id == case.id  # the event itself stays
    assert len(await rows(svc, AuditEvent, AuditEvent.kind == "case.closed")) == 1
    assert await purge(svc, POLICY) == Purged()


async def test_more_than_one_batch_of_photos_is_purged_in_one_run(svc: Services):
    await make_group(svc)
    case = await _finished(svc)
    async with svc.db.transaction() as s:
        for i in range(BATCH + 5):
            s.add(
                Photo(
                    case_id=case.id or 0,
                    chat_id=case.chat_id,
                    message_id=10_000 + i,
                    file_id=f"f{i}",
                    file_unique_id=f"u{i}",
                    from_user_id=1,
                    received_at=svc.clock.now(),
                    status="stored",
                    sha256=hashlib.sha256(str(i).encode()).hexdigest(),
                    image_format="JPEG",
                )
            )
    _later(svc, 400)
    assert (await purge(svc, POLICY, dry_run=True)).photos == BATCH + 5
    assert (await purge(svc, POLICY)).photos == BATCH + 5
    assert (await purge(svc, POLICY)).photos == 0


async def test_files_left_by_a_killed_write_or_purge_are_mended_once_old(svc: Services):
    await make_group(svc)
    live = await make_case(svc, status="awaiting_insurer")
    held = await _evidence(svc, live, b"live scene")
    assert held.sha256
    folder = original_path(svc.media_dir, held.sha256, "JPEG").parent
    part = folder / ".part-abc123"  # an original killed before its rename
    part.write_bytes(b"half a pict")
    # A purge moved this live case's original aside and died before it committed ...
    original = original_path(svc.media_dir, held.sha256, "JPEG")
    back = original.with_name(original.name + ".purging")
    os.replace(original, back)
    # ... and one moved aside the file of a content no photo holds any more.
    gone = "f" * 64
    dead = original_path(svc.media_dir, gone, "JPEG")
    dead.parent.mkdir(parents=True, exist_ok=True)
    dead_aside = dead.with_name(dead.name + ".purging")
    dead_aside.write_bytes(b"purged long ago")
    young = folder / ".part-still-writing"
    stamp = (svc.clock.now() - timedelta(hours=2)).timestamp()
    for path in (part, back, dead_aside):
        os.utime(path, (stamp, stamp))
    now = svc.clock.now().timestamp()
    young.write_bytes(b"x")
    os.utime(young, (now, now))

    assert (await purge(svc, POLICY, dry_run=True)).leftovers == 3
    assert part.exists() and back.exists()  # a dry run mends nothing
    done = await purge(svc, POLICY)

    assert done.leftovers == 3
    assert not part.exists() and not dead_aside.exists()
    assert original.read_bytes() == b"live scene" and not back.exists()
    assert young.exists()  # another process may still be writing it
    [event, *_] = await rows(svc, AuditEvent, AuditEvent.kind == "retention.purged")
    assert event.data["leftovers"] == 3
