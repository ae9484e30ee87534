"""A plain answer in a chat, recorded in the outbox like everything the bot says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel import questions
from bot.kernel.services import Services
from bot.kernel.texts import Raw, plain, t
from storage import queries as q
from storage.models import Case


async def reply(
    svc: Services, *, chat_id: int, text: str, reply_to: int | None, thread_id: int | None
) -> None:
    """Queue `text` (safe HTML) as an answer to a message."""

    async def work(session: AsyncSession) -> None:
        # The transaction's only row: a plain insert (q.Batch) spares building an ORM
        # object and flushing it, most of a /help's transaction. It still names the chat
        # for the commit to wake its sender lane (storage/db.py OUTBOX_CHATS).
        row = q.Batch()
        row.enqueue(
            at=svc.clock.now(),
            chat_id=chat_id,
            kind="send_text",
            text=text,
            reply_to=reply_to,
            thread_id=thread_id,
        )
        await row.write(session)

    await svc.in_transaction(work)


def mention(user_id: int, name: str) -> Raw:
    """An HTML mention that notifies the person."""
    return Raw(f'<a href="tg://user?id={user_id}">{plain(name or str(user_id))}</a>')


async def ask(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    user_id: int,
    user_name: str,
    question: str,
    label: str | None,
    reply_to: int | None = None,
    buttons: list[list[list[str]]] | None = None,
    ref: str | None = None,
    **values: object,
) -> None:
    """Ask one person one question in the case thread, and remember it for their reply."""
    now = svc.clock.now()
    lifetime = timedelta(minutes=svc.deployment.rules.pending_question_minutes)
    await questions.set_pending(
        session,
        case=case,
        user_id=user_id,
        question=question,
        label=label,
        now=now,
        lifetime=lifetime,
    )
    text = t(
        f"q.{question}", svc.language, who=mention(user_id, user_name), label=label or "", **values
    )
    say(session, svc, case, text, reply_to=reply_to, buttons=buttons, ref=ref)


def _queue(session: AsyncSession, svc: Services, case: Case, kind: str, **payload: Any) -> None:
    q.enqueue(
        session, at=svc.clock.now(), chat_id=case.chat_id, kind=kind, case_id=case.id, **payload
    )


def say(
    session: AsyncSession,
    svc: Services,
    case: Case,
    text: str,
    *,
    reply_to: int | None = None,
    buttons: list[list[list[str]]] | None = None,
    ref: str | None = None,
) -> None:
    """Queue a message (safe HTML) in the case thread; `ref` names it for `edit_ref`."""
    extra = {"ref": ref} if ref else {}
    _queue(
        session,
        svc,
        case,
        "send_text",
        text=text,
        reply_to=reply_to,
        buttons=buttons or [],
        **extra,
    )


def edit_ref(
    session: AsyncSession,
    svc: Services,
    case: Case,
    ref: str,
    text: str,
    *,
    buttons: list[list[list[str]]] | None = None,
) -> None:
    """Queue an edit of the case message named `ref` to `text` (safe HTML), keyboard and all:
    the group sees one message change instead of a new one arriving."""
    _queue(session, svc, case, "edit_ref", ref=ref, text=text, buttons=buttons or [])


async def chat_language(session: AsyncSession, svc: Services, chat_id: int) -> str:
    """The language a chat is spoken to in: its group's, else the deployment's."""
    group = await q.get_registration(session, chat_id=chat_id)
    return group.language if group is not None else svc.language
