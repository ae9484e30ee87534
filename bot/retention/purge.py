"""The retention purge: what has outlived its period is deleted, in batches, once.

- Evidence of cases closed or cancelled before the evidence period: the photo rows are
  marked purged (their Telegram file id and GPS cleared; the hashes stay for the reuse
  check) and each file is deleted unless a photo not purged still has the same content
  (a live case that received the same picture).
- Delivered outbox rows without a once-only key (the sent texts, with names and phones)
  and delivery files (exports, digest charts) older than the messages' period.
- What people typed, kept in audit events (bot/retention/rules.py `TYPED_TEXT`), after the
  messages' period; the event itself stays.
- What a process killed mid-write left under MEDIA_DIR: a `.part-` file (an original or
  thumbnail never renamed into place, bot/evidence/media.py) is deleted; a `.purging` file
  (moved aside by a purge that died) is put back when a photo not purged still holds its
  content, else deleted; both only once older than `LEFTOVER_AGE`, so that a write or a
  purge still running in another process is not touched.

Several processes may run it at once: photo rows are claimed with SKIP LOCKED on
PostgreSQL (SQLite has one writer), deletes of rows already gone delete nothing, and a
file is moved aside, checked against committed rows, and only then deleted, so a photo of
the same content stored meanwhile keeps it (the downloader writes its file again after
recording it, bot/transport/downloader.py).
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import TERMINAL
from bot.evidence.media import PART_PREFIX, original_path, thumbnail_path
from bot.kernel.services import Services
from bot.retention.rules import DELIVERY_DIRS, TYPED_TEXT, Policy, without_typed_text
from storage import queries as q
from storage.models import AuditEvent, Case, OutboxItem, Photo
from storage.types import OutboxStatus, PhotoStatus

log = logging.getLogger(__name__)

BATCH = 200
# Far longer than any write of one file or one purge batch takes.
LEFTOVER_AGE = timedelta(hours=1)
ASIDE_SUFFIX = ".purging"
DELIVERED = (OutboxStatus.DONE, OutboxStatus.FAILED, OutboxStatus.SUPERSEDED)


@dataclass
class Purged:
    """What one run deleted (or, dry, would delete)."""

    photos: int = 0
    files: int = 0
    outbox: int = 0
    typed_texts: int = 0
    delivery_files: int = 0
    leftovers: int = 0

    @property
    def anything(self) -> bool:
        return any(asdict(self).values())


async def purge(svc: Services, policy: Policy, *, dry_run: bool = False) -> Purged:
    """Delete what is past its period; audited as `retention.purged` (not when dry)."""
    now = svc.clock.now()
    evidence_before, messages_before = policy.evidence_before(now), policy.messages_before(now)
    if dry_run:
        return await _count(svc, evidence_before, messages_before)
    done = Purged()
    while True:
        photos, files = await svc.in_transaction(
            lambda s: _photo_batch(s, svc, evidence_before, now)
        )
        done.photos, done.files = done.photos + photos, done.files + files
        if photos < BATCH:
            break
    while (n := await svc.in_transaction(lambda s: _outbox_batch(s, messages_before))) > 0:
        done.outbox += n
    after = 0
    while True:

        async def typed(session: AsyncSession, since: int = after) -> tuple[int, int, int]:
            return await _typed_batch(session, messages_before, since)

        seen, changed, after = await svc.in_transaction(typed)
        done.typed_texts += changed
        if seen < BATCH:
            break
    done.delivery_files = _delivery_files(svc.media_dir, messages_before, delete=True)
    done.leftovers = await _mend_leftovers(svc, now - LEFTOVER_AGE)

    async def record(session: AsyncSession) -> None:
        q.audit(
            session,
            at=now,
            kind="retention.purged",
            evidence_before=evidence_before.isoformat(),
            messages_before=messages_before.isoformat(),
            **asdict(done),
        )

    await svc.in_transaction(record)
    return done


def _purgeable_photos(evidence_before: datetime) -> Any:
    return (
        select(Photo)
        .join(Case, col(Case.id) == col(Photo.case_id))
        .where(
            col(Photo.status) == PhotoStatus.STORED,
            col(Photo.purged_at).is_(None),
            col(Case.status).in_(TERMINAL),
            col(Case.closed_at) < evidence_before,
        )
    )


async def _photo_batch(
    session: AsyncSession, svc: Services, evidence_before: datetime, now: datetime
) -> tuple[int, int]:
    stmt = _purgeable_photos(evidence_before).order_by(col(Photo.id)).limit(BATCH)
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Photo)
    photos = list((await session.exec(stmt)).all())
    if not photos:
        return 0, 0
    for photo in photos:
        photo.purged_at, photo.file_id = now, ""
        photo.gps_lat = photo.gps_lon = None
        session.add(photo)
    await session.flush()
    contents = {p.sha256: p.image_format or "" for p in photos if p.sha256}
    ids = [p.id for p in photos]
    # Contents another photo not purged still holds, in this transaction's view ...
    held = await _held(session, list(contents), exclude=ids)
    aside = {sha: _move_aside(svc.media_dir, sha, fmt) for sha, fmt in contents.items()}
    # ... and in what other transactions committed meanwhile (a photo just stored). On
    # SQLite this transaction holds the one write lock since its start: nothing committed
    # meanwhile, and a second session would wait for it.
    if bind is not None and bind.dialect.name == "postgresql":
        async with svc.db.session() as fresh:
            held |= await _held(fresh, list(contents), exclude=ids)
    else:
        held |= await _held(session, list(contents), exclude=ids)
    files = 0
    for sha, moved in aside.items():
        for original, trash in moved:
            if sha in held:
                os.replace(trash, original)
            else:
                trash.unlink(missing_ok=True)
        files += bool(moved) and sha not in held
    return len(photos), files


async def _held(session: AsyncSession, shas: list[str], *, exclude: list[int | None]) -> set[str]:
    if not shas:
        return set()
    stmt = select(Photo.sha256).where(
        col(Photo.sha256).in_(shas),
        col(Photo.purged_at).is_(None),
        col(Photo.id).not_in(exclude),
    )
    return {sha for sha in (await session.exec(stmt)).all() if sha}


def _move_aside(media_dir: Path, sha: str, fmt: str) -> list[tuple[Path, Path]]:
    moved = []
    for path in (original_path(media_dir, sha, fmt), thumbnail_path(media_dir, sha)):
        trash = path.with_name(path.name + ASIDE_SUFFIX)
        try:
            os.replace(path, trash)
        except FileNotFoundError:
            continue
        moved.append((path, trash))
    return moved


def _delivered_before(messages_before: datetime) -> Any:
    return (
        col(OutboxItem.status).in_(DELIVERED),
        col(OutboxItem.dedupe_key).is_(None),  # a once-only key is a fact use cases ask
        func.coalesce(col(OutboxItem.done_at), col(OutboxItem.created_at)) < messages_before,
    )


async def _outbox_batch(session: AsyncSession, messages_before: datetime) -> int:
    stmt = select(OutboxItem.id).where(*_delivered_before(messages_before)).limit(BATCH)
    ids = list((await session.exec(stmt)).all())
    if ids:
        await session.exec(delete(OutboxItem).where(col(OutboxItem.id).in_(ids)))
    return len(ids)


def _typed_events(messages_before: datetime, after: int) -> Any:
    return (
        select(AuditEvent)
        .where(
            col(AuditEvent.kind).in_(list(TYPED_TEXT)),
            col(AuditEvent.at) < messages_before,
            col(AuditEvent.id) > after,
        )
        .order_by(col(AuditEvent.id))
    )


async def _typed_batch(
    session: AsyncSession, messages_before: datetime, after: int
) -> tuple[int, int, int]:
    events = list((await session.exec(_typed_events(messages_before, after).limit(BATCH))).all())
    changed = 0
    for event in events:
        kept = without_typed_text(event.kind, event.data)
        if kept is not None:
            event.data = kept
            session.add(event)
            changed += 1
    return len(events), changed, (events[-1].id or after) if events else after


def _delivery_files(media_dir: Path, messages_before: datetime, *, delete: bool) -> int:
    # Their age is the file's own: they are written by the bot and never changed.
    limit = messages_before.timestamp()
    count = 0
    for folder in DELIVERY_DIRS:
        root = media_dir / folder
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_mtime < limit:
                count += 1
                if delete:
                    path.unlink(missing_ok=True)
    return count


def _leftovers(media_dir: Path, before: datetime) -> list[Path]:
    limit = before.timestamp()
    found = []
    for folder in ("originals", "thumbs"):
        root = media_dir / folder
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if not (path.name.startswith(PART_PREFIX) or path.name.endswith(ASIDE_SUFFIX)):
                continue
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    found.append(path)
            except FileNotFoundError:
                continue
    return found


async def _mend_leftovers(svc: Services, before: datetime) -> int:
    found = _leftovers(svc.media_dir, before)
    aside = {p: p.name.removesuffix(ASIDE_SUFFIX) for p in found if p.name.endswith(ASIDE_SUFFIX)}
    shas = [name.split(".", 1)[0] for name in aside.values()]
    held: set[str] = set()
    if shas:
        async with svc.db.session() as session:
            held = await _held(session, shas, exclude=[])
    for path in found:
        name = aside.get(path)
        if name is None:
            path.unlink(missing_ok=True)  # never renamed into place: not evidence
            continue
        # Moved aside by a purge that died: back if a photo not purged still holds the
        # content (the purge never committed), else the purge's work is finished.
        original = path.with_name(name)
        if name.split(".", 1)[0] in held and not original.exists():
            os.replace(path, original)
        else:
            path.unlink(missing_ok=True)
    return len(found)


async def _count(svc: Services, evidence_before: datetime, messages_before: datetime) -> Purged:
    async with svc.db.session() as session:
        photos = list((await session.exec(_purgeable_photos(evidence_before))).all())
        shas = {p.sha256 for p in photos if p.sha256}
        held = await _held(session, list(shas), exclude=[p.id for p in photos])
        stmt = (
            select(func.count()).select_from(OutboxItem).where(*_delivered_before(messages_before))
        )
        outbox = (await session.exec(stmt)).one()
        events = (await session.exec(_typed_events(messages_before, 0))).all()
        typed = sum(1 for e in events if without_typed_text(e.kind, e.data) is not None)
    return Purged(
        photos=len(photos),
        files=len(shas - held),
        outbox=int(outbox),
        typed_texts=typed,
        delivery_files=_delivery_files(svc.media_dir, messages_before, delete=False),
        leftovers=len(_leftovers(svc.media_dir, svc.clock.now() - LEFTOVER_AGE)),
    )
