"""Which sender delivers a chat now: the chat's lease (`chat_lease`), shared by every
process on the database.

A lane holds its chat's lease while it sends and lets go when nothing is left; a lease
runs out after LEASE without delivery, and one held by a process of this host that no
longer exists is taken over at once. Taking a chat over brings back what the stopped
sender left `sending` (`reclaim`). With the limits shared between processes a group's
recent send times travel in the lease row, kept run out after letting go.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from bot.transport.ambiguity import IDEMPOTENT_KINDS, UNKNOWN_CALL, settle_ambiguity
from bot.transport.throttle import Throttle
from storage.models import ChatLease, OutboxItem
from storage.types import OutboxStatus

# How long a sender holds a chat without delivering before another process may take it.
LEASE = timedelta(seconds=20)

# The chat's lease as the lane reads and writes it: plain rows, no ORM object to flush.
_LEASE = ChatLease.__table__.c  # type: ignore[attr-defined]
_READ = (
    select(ChatLease.holder, ChatLease.until, ChatLease.sent)
    .where(ChatLease.chat_id == bindparam("chat"))
    .with_for_update()
)
_NEW = insert(ChatLease)
_HOLD = (
    update(ChatLease)
    .where(col(ChatLease.chat_id) == bindparam("chat"))
    .values(
        holder=bindparam("holder", type_=_LEASE.holder.type),
        until=bindparam("until", type_=_LEASE.until.type),
        sent=bindparam("sent", type_=_LEASE.sent.type),
    )
)
_DROP = delete(ChatLease).where(col(ChatLease.chat_id) == bindparam("chat"))
# What a stopped sender left `sending` in a chat: any other sender's, or one holder's.
_LEFT_SENDING = select(OutboxItem).where(
    OutboxItem.chat_id == bindparam("chat"), OutboxItem.status == OutboxStatus.SENDING
)
_LEFT_BY_OTHERS = _LEFT_SENDING.where(col(OutboxItem.claimed_by) != bindparam("holder"))
_LEFT_BY = _LEFT_SENDING.where(OutboxItem.claimed_by == bindparam("holder"))


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        return "-"


# Where this process runs: a lease held by a dead process of the same host and pid
# namespace is taken at once instead of after LEASE, so a restart after a crash resumes
# its chats at once. Another host's (or container's) holder is only ever waited out.
HERE = f"{socket.gethostname()}@{_pid_namespace()}"


def new_holder() -> str:
    """A name for this process among those sharing the database (`host@pidns:pid:nonce`)."""
    return f"{HERE}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_is_dead(holder: str) -> bool:
    """Whether a lease holder (`host@pidns:pid:nonce`) is a process here that has exited."""
    where, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if where != HERE or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists under another user
        return False
    return False


class ChatLeases:
    """One sender's side of the chat leases: take, hold, give back, take over."""

    def __init__(
        self,
        svc: Services,
        throttle: Throttle,
        *,
        holder: str | None = None,
        lease: timedelta = LEASE,
        shared_limits: bool = False,
    ) -> None:
        self.svc = svc
        self.throttle = throttle
        self.holder = holder or new_holder()
        self.lease = lease
        # Several processes (MULTI_PROCESS): a group's recent send times travel with its
        # lease, so whoever sends into it next keeps the group's flood limit.
        self.shared_limits = shared_limits

    @staticmethod
    async def read(session: AsyncSession, chat_id: int) -> Any:
        """The chat's lease row (holder, until, sent), locked for this transaction."""
        conn = await session.connection()
        return (await conn.execute(_READ, {"chat": chat_id})).first()

    def ours(self, lease: Any) -> bool:
        return lease is not None and lease.holder == self.holder

    def held_elsewhere(self, lease: Any, now: datetime) -> bool:
        """Whether another sender holds the chat and may still be delivering."""
        if lease is None or self.ours(lease):
            return False
        return bool(lease.until > now) and not holder_is_dead(lease.holder)

    def _window(self, chat_id: int) -> list[float] | None:
        keep = self.shared_limits and chat_id < 0
        return self.throttle.group_times(chat_id) if keep else None

    async def take(self, session: AsyncSession, chat_id: int, now: datetime) -> None:
        """A lease for a chat nobody holds. The first write of its transaction: of two
        senders taking the chat at once, one fails here (IntegrityError) and backs off."""
        conn = await session.connection()
        await conn.execute(
            _NEW,
            {
                "chat_id": chat_id,
                "holder": self.holder,
                "until": now + self.lease,
                "sent": self._window(chat_id),
            },
        )

    async def drop(self, session: AsyncSession, chat_id: int) -> None:
        conn = await session.connection()
        await conn.execute(_DROP, {"chat": chat_id})

    async def hold(self, session: AsyncSession, chat_id: int, lease: Any, now: datetime) -> None:
        """Renew (or take over) an existing lease for another LEASE."""
        window = self._window(chat_id)
        conn = await session.connection()
        await conn.execute(
            _HOLD,
            {
                "chat": chat_id,
                "holder": self.holder,
                "until": now + self.lease,
                "sent": window if window is not None else lease.sent,
            },
        )

    async def take_over(self, session: AsyncSession, chat_id: int, lease: Any) -> int:
        """Bring back what the chat's previous holder (any other when there was no lease)
        left `sending`, and its group's send times; how many items it left."""
        cut_off = await self.reclaim(session, chat_id, lease.holder if lease else None)
        if self.shared_limits and lease is not None:
            # The sends of the process that held the group before; one it was making when
            # it died was never written down, so count it as made just now.
            self.throttle.seed_group(chat_id, lease.sent or [], now=min(cut_off, 1))
        return cut_off

    async def give_back(self, session: AsyncSession, chat_id: int) -> None:
        """Let go of a chat at once. With limits shared between processes the row stays,
        run out, for the group's send times it carries to whoever sends there next."""
        conn = await session.connection()
        if self.shared_limits and chat_id < 0:
            # Still ours, but run out: anyone may take it from now on.
            await conn.execute(
                _HOLD,
                {
                    "chat": chat_id,
                    "holder": self.holder,
                    "until": self.svc.clock.now(),
                    "sent": self.throttle.group_times(chat_id),
                },
            )
        else:
            await conn.execute(_DROP, {"chat": chat_id})

    async def let_go(self, chat_id: int) -> None:
        """Give the chat back at once when the lane has nothing left to send."""
        with contextlib.suppress(Exception):  # the lease then simply runs out
            async with self.svc.db.transaction() as session:
                if self.ours(await self.read(session, chat_id)):
                    await self.give_back(session, chat_id)

    async def reclaim(self, session: AsyncSession, chat_id: int, holder: str | None) -> int:
        """Take over what a sender that stopped (`holder`; None: any other) left `sending`;
        how many items that was.

        Whether its last call reached Telegram is unknown: an idempotent kind is sent again,
        any other is an ambiguous failure of an unknown call (bot/transport/ambiguity.py).
        """
        if holder is None:
            stmt, params = _LEFT_BY_OTHERS, {"chat": chat_id, "holder": self.holder}
        else:
            stmt, params = _LEFT_BY, {"chat": chat_id, "holder": holder}
        rows = (await session.exec(stmt, params=params)).all()
        now = self.svc.clock.now()
        for row in rows:
            if row.kind in IDEMPOTENT_KINDS:
                row.status, row.claimed_by = OutboxStatus.PENDING, None
                session.add(row)
            else:
                settle_ambiguity(
                    session, row, UNKNOWN_CALL, f"sender {row.claimed_by} stopped", now
                )
        if rows:
            await session.flush()
        return len(rows)

    async def adopt(self, chat_id: int) -> bool:
        """Take over the chat's items a stopped sender left `sending` when nothing else of
        the chat is due (the lane's take does it on the way otherwise): True when there
        were any."""
        now = self.svc.clock.now()
        try:
            async with self.svc.db.transaction() as session:
                stmt = select(OutboxItem.id).where(
                    OutboxItem.chat_id == chat_id,
                    OutboxItem.status == OutboxStatus.SENDING,
                    col(OutboxItem.claimed_by) != self.holder,
                )
                if (await session.exec(stmt.limit(1))).first() is None:
                    return False
                lease = await self.read(session, chat_id)
                if self.held_elsewhere(lease, now):
                    return False  # its holder is alive and may still answer for them
                if lease is None:
                    await self.take(session, chat_id, now)
                    await self.reclaim(session, chat_id, None)
                elif self.ours(lease):
                    await self.reclaim(session, chat_id, None)
                else:
                    await self.reclaim(session, chat_id, lease.holder)
                    await self.hold(session, chat_id, lease, now)
                return True
        except IntegrityError:  # another sender leased the chat first
            return False
