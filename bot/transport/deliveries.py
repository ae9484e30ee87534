"""How each kind of outbox item reaches Telegram: threads, the card, texts, documents, topics.

The sender's engine (bot/transport/sender.py) chooses the next item of a chat's lane and
retries; these methods say what one item of each kind does, and store what Telegram
returns (topic ids, the card's message id, every bot message of a case).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlmodel import col, select
from telegram import Bot, Message, ReplyParameters
from telegram.error import BadRequest

from bot.case.card import card_for
from bot.kernel.services import Services
from bot.transport.errors import ThreadError, classify
from bot.transport.fitting import fit_html
from bot.transport.keyboards import keyboard
from storage import queries as q
from storage.models import Case, OutboxItem, Photo
from storage.types import OutboxStatus, PhotoStatus

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
T = TypeVar("T")


class Deliveries:
    """The per-kind deliveries; the Sender supplies `call` (limits, 429s, migrations)."""

    bot: Bot
    svc: Services
    # When each case's card last reached the chat (time.monotonic(), this process): the
    # sender holds a card edit back until the card has shown for a moment, so a burst of
    # changes costs one edit (Sender.card_settle).
    card_shown: dict[int, float]

    def _note_card_shown(self, case_id: int | None) -> None:
        if case_id is not None:
            self.card_shown[case_id] = time.monotonic()

    async def call(self, chat_id: int, fn: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        """One Bot API call into a chat (the Sender's, with its limits and retries)."""
        raise NotImplementedError

    async def _load_case(self, case_id: int | None) -> Case:
        async with self.svc.db.session() as session:
            case = await session.get(Case, case_id)
        if case is None:
            raise ValueError(f"case {case_id} not found")
        return case

    async def _save_case(self, case: Case, **changes: Any) -> Case:
        async with self.svc.db.transaction() as session:
            row = await session.get(Case, case.id)
            assert row is not None
            for key, value in changes.items():
                setattr(row, key, value)
            session.add(row)
            if "card_message_id" in changes and changes["card_message_id"] is not None:
                await q.link_message(
                    session,
                    chat_id=row.chat_id,
                    message_id=changes["card_message_id"],
                    case_id=row.id or 0,
                    from_bot=True,
                    kind="card",
                )
        return row

    async def _fall_back_to_replies(self, case: Case, reason: str) -> Case:
        async with self.svc.db.transaction() as session:
            q.audit(
                session,
                at=self.svc.clock.now(),
                kind="case.thread_fallback",
                case_id=case.id,
                chat_id=case.chat_id,
                reason=reason,
            )
        log.info("case %s: falling back to a reply chain (%s)", case.number, reason)
        return await self._save_case(case, thread_mode="reply", message_thread_id=None)

    def _thread_kwargs(self, case: Case, *, is_card: bool = False) -> dict[str, Any]:
        if case.thread_mode == "forum" and case.message_thread_id is not None:
            return {"message_thread_id": case.message_thread_id}
        anchor = (
            case.origin_message_id if is_card else (case.card_message_id or case.origin_message_id)
        )
        return {"reply_parameters": ReplyParameters(anchor, allow_sending_without_reply=True)}

    async def _open_thread(self, item: OutboxItem) -> None:
        case = await self._load_case(item.case_id)
        if case.thread_mode == "forum" and case.message_thread_id is None:
            name = f"{case.number} {self.svc.township_name(case.township_code)}"[:128]
            try:
                topic = await self.call(case.chat_id, self.bot.create_forum_topic, name=name)
            except BadRequest as exc:
                if classify(exc) is not ThreadError.NO_TOPICS:
                    raise
                case = await self._fall_back_to_replies(case, str(exc))
            else:
                case = await self._save_case(case, message_thread_id=topic.message_thread_id)
        if case.card_message_id is None:
            await self._send_card(case)
            case = await self._load_case(case.id)
        await self._pin(case.id)

    async def _pin(self, case_id: int | None) -> None:
        case = await self._load_case(case_id)
        if case.card_pinned or case.card_message_id is None:
            return
        try:
            await self.call(
                case.chat_id,
                self.bot.pin_chat_message,
                message_id=case.card_message_id,
                disable_notification=True,
            )
        except BadRequest as exc:  # no right to pin: the card still works unpinned
            log.info("case %s: card not pinned: %s", case.number, exc)
        await self._save_case(case, card_pinned=True)

    async def _send_card(self, case: Case) -> None:
        text, rows, signature = await card_for(self.svc, case)
        markup = keyboard(rows)
        try:
            msg: Message = await self.call(
                case.chat_id,
                self.bot.send_message,
                text=text,
                reply_markup=markup,
                **self._thread_kwargs(case, is_card=True),
            )
        except BadRequest as exc:
            if classify(exc) is not ThreadError.THREAD_GONE:
                raise
            case = await self._fall_back_to_replies(case, str(exc))
            msg = await self.call(
                case.chat_id,
                self.bot.send_message,
                text=text,
                reply_markup=markup,
                **self._thread_kwargs(case, is_card=True),
            )
        await self._save_case(
            case,
            card_message_id=msg.message_id,
            card_text=text,
            card_signature=signature,
            card_pinned=False,
        )
        self._note_card_shown(case.id)

    async def _edit_card(self, item: OutboxItem) -> None:
        case = await self._load_case(item.case_id)
        await self._supersede_older_edits(item)
        if case.card_message_id is None:
            return  # the card is not out yet; sending it will show the current state
        if await self._photos_on_first_try(case):
            log.debug("case %s: card edit left to the album's last photo", case.id)
            # An album is being stored: each photo's outcome queues a card edit of its own
            # (bot/evidence/storing.py), so the burst shows as one edit once the last
            # photo is in, not one per photo. Checked after superseding, so an edit queued
            # meanwhile by a photo finishing is still pending and goes out.
            return
        text, rows, signature = await card_for(self.svc, case)
        markup = keyboard(rows)
        if signature == case.card_signature:
            log.debug("case %s: card %s unchanged", case.id, case.card_message_id)
            return
        try:
            await self.call(
                case.chat_id,
                self.bot.edit_message_text,
                message_id=case.card_message_id,
                text=text,
                reply_markup=markup,
            )
        except BadRequest as exc:
            kind = classify(exc)
            if kind is ThreadError.NOT_MODIFIED:
                pass
            elif kind is ThreadError.MESSAGE_GONE:  # someone deleted the card: post it again
                case = await self._save_case(case, card_message_id=None, card_pinned=False)
                await self._send_card(case)
                await self._pin(case.id)
                return
            else:
                raise
        self._note_card_shown(case.id)
        await self._save_case(case, card_text=text, card_signature=signature)

    async def _photos_on_first_try(self, case: Case) -> bool:
        async with self.svc.db.session() as session:
            stmt = (
                select(Photo.id)
                .where(
                    Photo.case_id == case.id,
                    Photo.status == PhotoStatus.PENDING,
                    Photo.attempts == 0,
                )
                .limit(1)
            )
            return (await session.exec(stmt)).first() is not None

    async def _supersede_older_edits(self, item: OutboxItem) -> None:
        # Later edits of the same card are covered by this one: it renders current state.
        async with self.svc.db.transaction() as session:
            stmt = select(OutboxItem).where(
                OutboxItem.case_id == item.case_id,
                OutboxItem.kind == "edit_card",
                OutboxItem.status == OutboxStatus.PENDING,
                col(OutboxItem.id) > (item.id or 0),
            )
            for row in (await session.exec(stmt)).all():
                row.status, row.done_at = OutboxStatus.SUPERSEDED, self.svc.clock.now()
                session.add(row)

    async def _send_text(self, item: OutboxItem) -> None:
        payload = item.payload
        kwargs: dict[str, Any] = {"text": fit_html(payload["text"])}  # too long fails for good
        if payload.get("buttons"):
            kwargs["reply_markup"] = keyboard(payload["buttons"])
        case = await self._load_case(item.case_id) if item.case_id else None
        if case is not None:
            kwargs.update(self._thread_kwargs(case))
        elif payload.get("thread_id"):
            kwargs["message_thread_id"] = payload["thread_id"]
        if payload.get("reply_to"):
            kwargs["reply_parameters"] = ReplyParameters(
                payload["reply_to"], allow_sending_without_reply=True
            )
        try:
            msg: Message = await self.call(item.chat_id, self.bot.send_message, **kwargs)
        except BadRequest as exc:
            if classify(exc) is not ThreadError.THREAD_GONE or "message_thread_id" not in kwargs:
                raise
            kwargs.pop("message_thread_id")
            msg = await self.call(item.chat_id, self.bot.send_message, **kwargs)
        if case is not None and case.id is not None:
            async with self.svc.db.transaction() as session:
                await q.link_message(
                    session,
                    chat_id=case.chat_id,
                    message_id=msg.message_id,
                    case_id=case.id,
                    from_bot=True,
                    kind=item.kind,
                    ref=payload.get("ref"),
                )

    async def _topic_call(self, item: OutboxItem) -> None:
        """editForumTopic / closeForumTopic / reopenForumTopic of a case's topic."""
        case = await self._load_case(item.case_id)
        if case.thread_mode != "forum" or case.message_thread_id is None:
            return  # a reply chain has nothing to rename or close
        fn, kwargs = {
            "edit_topic": (self.bot.edit_forum_topic, {"name": item.payload.get("name")}),
            "close_topic": (self.bot.close_forum_topic, {}),
            "reopen_topic": (self.bot.reopen_forum_topic, {}),
        }[item.kind]
        try:
            await self.call(case.chat_id, fn, message_thread_id=case.message_thread_id, **kwargs)
        except BadRequest as exc:
            if "NOT_MODIFIED" not in str(exc).upper():
                raise

    async def _send_file(self, item: OutboxItem) -> None:
        """A file under MEDIA_DIR into a chat outside any case (a digest's chart, an
        export): as a photo when `photo` is set, else as a document."""
        payload = item.payload
        path = self.svc.media_dir / payload["path"]
        if not path.is_file():
            raise ValueError(f"file {payload['path']} is missing under MEDIA_DIR")
        kwargs: dict[str, Any] = {"caption": payload.get("caption") or None}
        if payload.get("thread_id"):
            kwargs["message_thread_id"] = payload["thread_id"]
        if payload.get("reply_to"):
            kwargs["reply_parameters"] = ReplyParameters(
                payload["reply_to"], allow_sending_without_reply=True
            )
        if payload.get("photo"):
            await self.call(item.chat_id, self.bot.send_photo, photo=path.read_bytes(), **kwargs)
        else:
            filename = payload.get("filename") or path.name
            document = path.read_bytes()
            await self.call(
                item.chat_id, self.bot.send_document, document=document, filename=filename, **kwargs
            )

    async def _send_document(self, item: OutboxItem) -> None:
        # A file written under MEDIA_DIR (the agreement PDF); the payload holds its path.
        payload = item.payload
        path = self.svc.media_dir / payload["path"]
        if not path.is_file():
            raise ValueError(f"document {payload['path']} is missing under MEDIA_DIR")
        case = await self._load_case(item.case_id)
        kwargs: dict[str, Any] = {
            "document": path.read_bytes(),
            "filename": payload.get("filename") or path.name,
            # A caption past Telegram's 1024 characters fails for good: cut it instead.
            "caption": fit_html(payload["caption"], CAPTION_LIMIT)
            if payload.get("caption")
            else None,
            **self._thread_kwargs(case),
        }
        if payload.get("reply_to"):
            kwargs["reply_parameters"] = ReplyParameters(
                payload["reply_to"], allow_sending_without_reply=True
            )
        try:
            msg: Message = await self.call(case.chat_id, self.bot.send_document, **kwargs)
        except BadRequest as exc:
            if classify(exc) is not ThreadError.THREAD_GONE or "message_thread_id" not in kwargs:
                raise
            kwargs.pop("message_thread_id")
            msg = await self.call(case.chat_id, self.bot.send_document, **kwargs)
        async with self.svc.db.transaction() as session:
            await q.link_message(
                session,
                chat_id=case.chat_id,
                message_id=msg.message_id,
                case_id=case.id or 0,
                from_bot=True,
                kind=item.kind,
            )

    async def _edit_text(self, item: OutboxItem) -> None:
        payload = item.payload
        try:
            await self.call(
                item.chat_id,
                self.bot.edit_message_text,
                message_id=payload["message_id"],
                text=fit_html(payload["text"]),
                reply_markup=keyboard(payload.get("buttons") or []),
            )
        except BadRequest as exc:
            if classify(exc) is not ThreadError.NOT_MODIFIED:
                raise

    async def _edit_ref(self, item: OutboxItem) -> None:
        """Edit the case message a use case knows by its `ref` (a claim's ping, an open
        prompt) to its latest text: it resolves a question in place instead of a new
        message. Rendered by the use case, so of a burst of edits only the newest is sent;
        a message that never went out (or was deleted) is sent anew under the same ref."""
        payload = item.payload
        case = await self._load_case(item.case_id)
        async with self.svc.db.session() as session:
            newer = (
                await session.exec(
                    select(OutboxItem.id).where(
                        OutboxItem.case_id == item.case_id,
                        OutboxItem.kind == "edit_ref",
                        OutboxItem.status == OutboxStatus.PENDING,
                        col(OutboxItem.id) > (item.id or 0),
                    )
                )
            ).all()
            if newer:
                rows = [await session.get(OutboxItem, i) for i in newer]
                if any(r is not None and r.payload.get("ref") == payload["ref"] for r in rows):
                    return
            message_id = await q.case_message_of_ref(
                session, case_id=case.id or 0, ref=payload["ref"]
            )
        if message_id is not None:
            try:
                await self.call(
                    case.chat_id,
                    self.bot.edit_message_text,
                    message_id=message_id,
                    text=fit_html(payload["text"]),
                    reply_markup=keyboard(payload.get("buttons") or []),
                )
                return
            except BadRequest as exc:
                kind = classify(exc)
                if kind is ThreadError.NOT_MODIFIED:
                    return
                if kind is not ThreadError.MESSAGE_GONE:
                    raise
        await self._send_text(item)
