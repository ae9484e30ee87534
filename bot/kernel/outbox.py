"""A plain answer in a chat, recorded in the outbox like everything the bot says."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from storage import queries as q


async def reply(
    svc: Services, *, chat_id: int, text: str, reply_to: int | None, thread_id: int | None
) -> None:
    """Queue `text` (safe HTML) as an answer to a message."""

    async def work(session: AsyncSession) -> None:
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=chat_id,
            kind="send_text",
            text=text,
            reply_to=reply_to,
            thread_id=thread_id,
        )

    await svc.in_transaction(work)
