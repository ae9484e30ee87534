"""A closed case's topic reopens when someone with a role writes in it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import CaseStatus
from bot.kernel.services import Services
from bot.roles.lookup import grants_of
from storage import queries as q
from storage.models import AuditEvent


async def reopen_topic_if_closed(
    svc: Services,
    *,
    chat_id: int,
    topic_id: int,
    message_id: int,
    user_id: int,
    is_chat_admin: Callable[[], Awaitable[bool]],
) -> bool:
    """Someone with a role wrote in a closed case's topic: reopen the topic (status stays).

    Most messages are in open topics: a read settles those, and Telegram is asked about
    admin status only for a closed case's topic and a writer without a role.
    """
    async with svc.db.session() as session:
        case = await q.case_of_topic(session, chat_id=chat_id, thread_id=topic_id)
        if case is None or case.status != CaseStatus.CLOSED:
            return False
        grants = await grants_of(
            session, svc, chat_id=chat_id, user_id=user_id, township=case.township_code
        )
    if not grants and not await is_chat_admin():
        return False

    async def work(session: AsyncSession) -> bool:
        case = await q.case_of_topic(session, chat_id=chat_id, thread_id=topic_id)
        if case is None or case.status != CaseStatus.CLOSED:
            return False
        stmt = (
            select(AuditEvent)
            .where(
                AuditEvent.case_id == case.id,
                col(AuditEvent.kind).in_(["case.topic_closed", "case.topic_reopened"]),
            )
            .order_by(col(AuditEvent.id).desc())
            .limit(1)
        )
        last = (await session.exec(stmt)).first()
        if last is None or last.kind != "case.topic_closed":
            return False
        upto = last.data.get("upto_message")
        if isinstance(upto, int) and message_id <= upto:
            return False  # the post that closed the case, or one before it
        now = svc.clock.now()
        q.enqueue(session, at=now, chat_id=chat_id, kind="reopen_topic", case_id=case.id)
        q.audit(
            session,
            at=now,
            kind="case.topic_reopened",
            case_id=case.id,
            chat_id=chat_id,
            actor=user_id,
        )
        return True

    # Runs before the main handler (handlers/__init__.py): its commit is not the update's.
    return await svc.in_transaction(work, marks_update=False)
