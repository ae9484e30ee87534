"""Small data functions over one session; the use cases compose them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import OUTBOX_CHATS
from storage.models import (
    AuditEvent,
    Button,
    Case,
    CaseMessage,
    ChatGroup,
    Member,
    MessageInput,
    OutboxItem,
    Photo,
    RoleRequest,
)
from storage.types import OutboxStatus


async def get_group(session: AsyncSession, *, chat_id: int) -> ChatGroup | None:
    """The township group a chat is registered as, if any (a liaison chat is none: it has
    no cases, and everything about cases treats it as a chat the bot does not serve)."""
    row = await get_registration(session, chat_id=chat_id)
    return row if row is not None and row.kind == "township" else None


async def get_registration(session: AsyncSession, *, chat_id: int) -> ChatGroup | None:
    """A chat's registration of either kind (a township group or a liaison chat)."""
    return (await session.exec(select(ChatGroup).where(ChatGroup.chat_id == chat_id))).first()


async def case_of_message(session: AsyncSession, *, chat_id: int, message_id: int) -> Case | None:
    """The case a chat message belongs to, if any."""
    stmt = (
        select(Case)
        .join(CaseMessage, col(CaseMessage.case_id) == col(Case.id))
        .where(CaseMessage.chat_id == chat_id, CaseMessage.message_id == message_id)
    )
    return (await session.exec(stmt)).first()


async def case_of_album(session: AsyncSession, *, chat_id: int, media_group_id: str) -> Case | None:
    """The case that already holds a photo of this album, if any."""
    stmt = (
        select(Case)
        .join(Photo, col(Photo.case_id) == col(Case.id))
        .where(Photo.chat_id == chat_id, Photo.media_group_id == media_group_id)
    )
    return (await session.exec(stmt)).first()


async def case_of_topic(session: AsyncSession, *, chat_id: int, thread_id: int) -> Case | None:
    """The case whose forum topic this is, if any."""
    stmt = select(Case).where(
        Case.chat_id == chat_id, Case.thread_mode == "forum", Case.message_thread_id == thread_id
    )
    return (await session.exec(stmt)).first()


async def case_has_photo(session: AsyncSession, *, case_id: int, file_unique_id: str) -> bool:
    """Whether the case already holds this exact Telegram file."""
    stmt = select(Photo.id).where(Photo.case_id == case_id, Photo.file_unique_id == file_unique_id)
    return (await session.exec(stmt)).first() is not None


async def photo_count(session: AsyncSession, *, case_id: int) -> int:
    """How many photos a case holds."""
    stmt = select(func.count()).select_from(Photo).where(Photo.case_id == case_id)
    return int((await session.exec(stmt)).one())


async def link_message(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    case_id: int,
    from_bot: bool,
    kind: str,
    ref: str | None = None,
) -> None:
    """Remember that a message belongs to a case (idempotent)."""
    if await session.get(CaseMessage, (chat_id, message_id)) is None:
        session.add(
            CaseMessage(
                chat_id=chat_id,
                message_id=message_id,
                case_id=case_id,
                from_bot=from_bot,
                kind=kind,
                ref=ref,
            )
        )


async def case_message_of_ref(session: AsyncSession, *, case_id: int, ref: str) -> int | None:
    """The newest bot message of a case that stands for `ref` (a ping, an open prompt)."""
    stmt = select(func.max(CaseMessage.message_id)).where(
        CaseMessage.case_id == case_id, CaseMessage.ref == ref
    )
    return (await session.exec(stmt)).first()


async def newest_message_id(session: AsyncSession, *, case_id: int | None) -> int | None:
    """The newest chat message known to belong to a case."""
    stmt = select(func.max(CaseMessage.message_id)).where(CaseMessage.case_id == case_id)
    return (await session.exec(stmt)).first()


async def next_sequence(session: AsyncSession, *, prefix: str, day: str) -> int:
    """Atomically take the next case sequence number for a prefix and day."""
    bump = text(
        "UPDATE case_counter SET last = last + 1 WHERE prefix = :p AND day = :d RETURNING last"
    )
    conn = await session.connection()
    row = (await conn.execute(bump, {"p": prefix, "d": day})).first()
    if row is not None:
        return int(row[0])
    # First case of the day: a concurrent insert fails on the primary key and the
    # caller's transaction is retried.
    await conn.execute(
        text("INSERT INTO case_counter (prefix, day, last) VALUES (:p, :d, 1)"),
        {"p": prefix, "d": day},
    )
    return 1


def audit(
    session: AsyncSession,
    *,
    at: datetime,
    kind: str,
    case_id: int | None = None,
    chat_id: int | None = None,
    actor: int | None = None,
    **data: Any,
) -> None:
    """Append an audit event to the current transaction."""
    session.add(
        AuditEvent(
            case_id=case_id, chat_id=chat_id, at=at, actor_user_id=actor, kind=kind, data=data
        )
    )


class Batch:
    """Audit events and outbox items written together in one statement each (a sweep's
    hundreds of firings), in the current transaction, when `write` is called."""

    def __init__(self) -> None:
        self.audits: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []

    def audit(
        self,
        *,
        at: datetime,
        kind: str,
        case_id: int | None = None,
        chat_id: int | None = None,
        actor: int | None = None,
        **data: Any,
    ) -> None:
        self.audits.append(
            {
                "case_id": case_id,
                "chat_id": chat_id,
                "at": at,
                "actor_user_id": actor,
                "kind": kind,
                "data": data,
            }
        )

    def enqueue(
        self, *, at: datetime, chat_id: int, kind: str, case_id: int | None = None, **payload: Any
    ) -> None:
        self.items.append(
            {
                "chat_id": chat_id,
                "case_id": case_id,
                "kind": kind,
                "payload": payload,
                "dedupe_key": None,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "created_at": at,
            }
        )

    async def write(self, session: AsyncSession) -> None:
        conn = await session.connection()
        if self.audits:
            await conn.execute(insert(AuditEvent), self.audits)
        if self.items:
            await conn.execute(insert(OutboxItem), self.items)
            chats = session.info.setdefault(OUTBOX_CHATS, set())
            chats.update(item["chat_id"] for item in self.items)
        self.audits, self.items = [], []


def enqueue(
    session: AsyncSession,
    *,
    at: datetime,
    chat_id: int,
    kind: str,
    case_id: int | None = None,
    dedupe_key: str | None = None,
    **payload: Any,
) -> None:
    """Record a chat effect in the outbox, in the current transaction."""
    session.add(
        OutboxItem(
            chat_id=chat_id,
            case_id=case_id,
            kind=kind,
            payload=payload,
            dedupe_key=dedupe_key,
            created_at=at,
        )
    )


async def has_recent_outbox(
    session: AsyncSession, *, chat_id: int, kind: str, since: datetime
) -> bool:
    """Whether an effect of this kind was recorded for the chat since `since`."""
    stmt = (
        select(OutboxItem.id)
        .where(OutboxItem.chat_id == chat_id, OutboxItem.kind == kind)
        .where(col(OutboxItem.created_at) >= since)
        .limit(1)
    )
    return (await session.exec(stmt)).first() is not None


async def rewrite_chat_id(session: AsyncSession, *, old: int, new: int) -> None:
    """Follow a group's migration to a supergroup in every table that names the chat."""
    conn = await session.connection()
    for model in (
        ChatGroup,
        Case,
        Photo,
        OutboxItem,
        CaseMessage,
        MessageInput,
        Member,
        RoleRequest,
        Button,
    ):
        await conn.execute(update(model).where(col(model.chat_id) == old).values(chat_id=new))


async def case_in_thread(
    session: AsyncSession, *, chat_id: int, topic_id: int | None, anchors: tuple[int | None, ...]
) -> Case | None:
    """The case whose thread a message is in: its forum topic, or a message it replies to."""
    if topic_id is not None:
        case = await case_of_topic(session, chat_id=chat_id, thread_id=topic_id)
        if case:
            return case
    for anchor in anchors:
        if anchor is not None:
            case = await case_of_message(session, chat_id=chat_id, message_id=anchor)
            if case:
                return case
    return None
