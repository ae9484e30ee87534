"""Post the agreement PDF into a case's thread: at closing, or on request with /agreement.

`post_agreement(session, svc, case)` gathers AgreementData from the database, renders
the PDF, writes it under MEDIA_DIR (`agreements/<case number>-<sha256 prefix>.pdf`, so
the outbox carries a path, never megabytes) and records a `send_document` outbox item
and an audit event, all in the caller's transaction. The insurer loop calls it when a
case closes; `/agreement` (request_agreement) posts the current draft at any time.

The insurers' decisions (claim numbers, approved and assessed amounts, payments) come
from `insurer_decisions()` (the insurer loop's InsurerClaim/InsurerPayment tables); a
paying insurer without a claim yet prints as a blank row to fill by hand.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreement.data import agreement_data
from bot.agreement.model import AgreementData
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from storage import queries as q
from storage.models import Case, OutboxItem

# The closing agreement: an outbox kind the sender renders (see `sender_kinds`).
AGREEMENT_KIND = "send_agreement"

AGREEMENT_DIR = "agreements"


def store_pdf(media_dir: Path, number: str, pdf: bytes) -> str:
    """Write the PDF under MEDIA_DIR (atomically); its path relative to MEDIA_DIR."""
    digest = hashlib.sha256(pdf).hexdigest()[:16]
    relative = f"{AGREEMENT_DIR}/{number}-{digest}.pdf"
    path = media_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pdf)
        tmp.replace(path)
    return relative


def _render(data: AgreementData, font_path: Path | None) -> bytes:
    # Imported when the first agreement is printed: fpdf2 and its font tools take seconds
    # of a (re)start on a loaded machine, and a restart after a crash should resume at once.
    from bot.agreement.pdf import render_agreement

    return render_agreement(data, font_path=font_path)


async def post_agreement(
    session: AsyncSession,
    svc: Services,
    case: Case,
    *,
    actor: int | None = None,
    reply_to: int | None = None,
) -> str:
    """Render the agreement and queue it as a document in the case thread; its MEDIA_DIR path."""
    data = await agreement_data(session, svc, case)
    pdf = await asyncio.to_thread(_render, data, svc.agreement_font)
    relative = store_pdf(svc.media_dir, case.number, pdf)
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=case.chat_id,
        kind="send_document",
        case_id=case.id,
        reply_to=reply_to,
        **_document(svc, case, relative, draft=data.draft),
    )
    _audit_posted(session, svc, case, actor=actor, path=relative, size=len(pdf), draft=data.draft)
    return relative


def _document(svc: Services, case: Case, relative: str, *, draft: bool) -> dict[str, Any]:
    lang = svc.language
    caption = t(
        "agreement.caption",
        lang,
        number=case.number,
        draft=Raw(t("agreement.draft", lang)) if draft else "",
    )
    return {"path": relative, "filename": f"{case.number}-协议书.pdf", "caption": caption}


def _audit_posted(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None, **data: Any
) -> None:
    q.audit(
        session,
        at=svc.clock.now(),
        kind="agreement.posted",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=actor,
        **data,
    )


def queue_closing_agreement(
    session: AsyncSession, svc: Services, case: Case, *, actor: int | None, summary: str = ""
) -> None:
    """The closed case's agreement, rendered by the sender when its turn comes (`sender_kinds`).

    The closing `summary` (safe HTML) travels as the document's caption: the group gets
    one message for the closing, not a text and then a file.
    """
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=case.chat_id,
        kind=AGREEMENT_KIND,
        case_id=case.id,
        dedupe_key=f"agreement:{case.id}",
        actor=actor,
        summary=summary,
    )


def sender_kinds(
    send_document: Callable[[OutboxItem], Awaitable[None]], svc: Services
) -> dict[str, Callable[[OutboxItem], Awaitable[None]]]:
    """The agreement's outbox kind: render outside any use case's transaction, then send.

    Rendering takes a quarter of a second; inside the closing `/paid` it would hold the
    database's write lock that long. A failure here is retried by the sender.
    """

    async def deliver(item: OutboxItem) -> None:
        async with svc.db.session() as session:
            case = await session.get(Case, item.case_id) if item.case_id else None
            if case is None:
                return
            data = await agreement_data(session, svc, case)
        pdf = await asyncio.to_thread(_render, data, svc.agreement_font)
        relative = store_pdf(svc.media_dir, case.number, pdf)
        payload = _document(svc, case, relative, draft=data.draft)
        if item.payload.get("summary"):
            payload["caption"] = f"{item.payload['summary']}\n{payload['caption']}"
        await send_document(
            OutboxItem(
                id=item.id,
                chat_id=item.chat_id,
                case_id=item.case_id,
                kind="send_document",
                payload=payload,
                created_at=item.created_at,
            )
        )
        async with svc.db.transaction() as session:
            actor = item.payload.get("actor")
            _audit_posted(
                session, svc, case, actor=actor, path=relative, size=len(pdf), draft=data.draft
            )

    return {AGREEMENT_KIND: deliver}
