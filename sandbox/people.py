"""What people do in the sandbox: post, edit, press buttons (the control API's verbs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox import limits
from sandbox.entities import auto_entities
from sandbox.media import make_document, make_opaque_photo, make_photo, read_source
from sandbox.membership import Membership
from sandbox.rules import ApiError, place_message, resolve_thread
from sandbox.world import Chat, Message

Source = str | Path | bytes


class People(Membership):
    """User-side actions on a ``World``; each creates the updates Telegram would send."""

    def _remember_photo(self, sizes: list[dict]) -> None:
        """Hook: let the bot re-send user photos by file_id."""

    # --- posting --------------------------------------------------------------------------
    def send_text(
        self,
        cid: int,
        uid: int,
        text: str,
        thread_id: int | None = None,
        reply_to: int | None = None,
        entities: list[dict] | None = None,
    ) -> dict:
        """Post text as a user; leading /commands (also /cmd@bot) get bot_command entities."""
        if not text:
            raise ValueError("text must not be empty")
        ents = entities if entities is not None else auto_entities(text)
        return self._post(
            self._chat(cid), uid, thread_id, reply_to, text=text, entities=ents or None
        )

    def send_photo(
        self,
        cid: int,
        uid: int,
        photo: Source,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict:
        """Post a photo (bytes stored; PhotoSize list generated)."""
        return self._post(
            self._chat(cid),
            uid,
            thread_id,
            reply_to,
            photo=self._photo_sizes(photo),
            **_caption(caption),
        )

    def send_album(
        self,
        cid: int,
        uid: int,
        items: list[Source],
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> list[dict]:
        """Post 2-10 photos as an album: one update per item, sharing media_group_id."""
        if not limits.MIN_MEDIA_GROUP <= len(items) <= limits.MAX_MEDIA_GROUP:
            raise ValueError("an album has 2-10 items")
        chat = self._chat(cid)
        group_id = self.world.new_media_group_id()
        return [
            self._post(
                chat,
                uid,
                thread_id,
                reply_to,
                photo=self._photo_sizes(item),
                media_group_id=group_id,
                **_caption(caption if i == 0 else None),
            )
            for i, item in enumerate(items)
        ]

    def send_album_part(
        self,
        cid: int,
        uid: int,
        photo: Source,
        media_group_id: str,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict:
        """Post one item of an album: clients send the items as separate messages, so a
        script can spread an album over time (use ``new_media_group_id()`` for a new one)."""
        return self._post(
            self._chat(cid),
            uid,
            thread_id,
            reply_to,
            photo=self._photo_sizes(photo),
            media_group_id=media_group_id,
            **_caption(caption),
        )

    def new_media_group_id(self) -> str:
        """A fresh media_group_id for ``send_album_part``."""
        return self.world.new_media_group_id()

    def send_document(
        self,
        cid: int,
        uid: int,
        document: Source,
        file_name: str | None = "IMG_1.jpg",
        mime_type: str | None = None,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict:
        """Post a file as a document (EXIF kept, as Telegram does for files)."""
        if isinstance(document, str | Path) and file_name is None:
            file_name = Path(document).name
        doc = make_document(self.world, read_source(document), file_name, mime_type)
        self._remember_document(doc)
        return self._post(
            self._chat(cid), uid, thread_id, reply_to, document=doc, **_caption(caption)
        )

    def _remember_document(self, doc: dict) -> None:
        """Hook: let the bot re-send user documents by file_id."""

    def send_location(
        self,
        cid: int,
        uid: int,
        latitude: float,
        longitude: float,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict:
        """Share a location."""
        return self._post(
            self._chat(cid),
            uid,
            thread_id,
            reply_to,
            location={"latitude": latitude, "longitude": longitude},
        )

    def send_venue(
        self,
        cid: int,
        uid: int,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict:
        """Share a venue (a location with a title and address)."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._post(
            self._chat(cid),
            uid,
            thread_id,
            reply_to,
            location=location,
            venue={"location": location, "title": title, "address": address},
        )

    def send_contact(
        self,
        cid: int,
        uid: int,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        user_id: int | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict:
        """Send a contact card from the attachment menu (or forward one): any name and number.

        ``user_id`` is set when the contact is a Telegram user, as for a forwarded contact.
        """
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if user_id is not None:
            contact["user_id"] = user_id
        return self._post(self._chat(cid), uid, thread_id, reply_to, contact=contact)

    def share_contact(self, cid: int, uid: int) -> dict:
        """Press the request_contact button of the bot's reply keyboard: share one's own number.

        As on Telegram, only in the private chat with the bot, only when the bot showed such a
        button there, and the contact is the sender's own (user_id = the sender).
        """
        chat = self._chat(cid)
        user = self._user(uid)
        if chat.type != "private" or chat.private_user != uid:
            raise ValueError("request_contact buttons work in the user's private chat only")
        rows = (chat.reply_keyboard or {}).get("keyboard", [])
        if not any(isinstance(b, dict) and b.get("request_contact") for r in rows for b in r):
            raise ValueError(f"chat {cid} shows no request_contact button")
        if not user.phone_number:
            raise ValueError(f"user {uid} has no phone number (create_user(phone_number=...))")
        contact: dict[str, Any] = {
            "phone_number": user.phone_number,
            "first_name": user.first_name,
            "user_id": uid,
        }
        if user.last_name:
            contact["last_name"] = user.last_name
        return self._post(chat, uid, None, None, contact=contact)

    def reply_keyboard(self, cid: int) -> dict | None:
        """The reply keyboard the chat shows under its input field, if any."""
        return self._chat(cid).reply_keyboard

    def edit_text(self, cid: int, uid: int, message_id: int, text: str) -> dict:
        """A user edits their text message; queues an ``edited_message`` update."""
        msg = self._message(cid, message_id)
        if msg.from_id != uid or msg.text is None:
            raise ValueError("users can only edit their own text messages")
        msg.text, msg.entities = text, auto_entities(text) or None
        msg.edits += 1
        msg.edit_date = self.world.now()
        data = self.world.message_json(msg)
        self._deliver(self._chat(cid), "edited_message", data)
        return data

    def press_button(
        self, cid: int, uid: int, message_id: int, callback_data: str, strict: bool = True
    ) -> str:
        """Press an inline button; queues a ``callback_query``; returns the query id.

        With ``strict`` the message must carry a button with this callback_data; pass
        ``strict=False`` to forge data, as a modified client can.
        """
        chat = self._chat(cid)
        msg = self._message(cid, message_id)
        user = self._user(uid)
        buttons = [
            b.get("callback_data")
            for row in (msg.reply_markup or {}).get("inline_keyboard", [])
            for b in row
        ]
        if strict and callback_data not in buttons:
            raise ValueError(
                f"message {message_id} has no button with data {callback_data!r}; it has {buttons}"
            )
        qid = self.world.new_token("cbq")
        query = {
            "id": qid,
            "from": user.to_json(),
            "message": self.world.message_json(msg),
            "chat_instance": str(abs(chat.id) * 7 + 1),
            "data": callback_data,
        }
        self.world.callback_queries[qid] = {
            "query": query,
            "answer": None,
            "created": self.world.clock(),
        }
        self.world.push_update("callback_query", query)
        return qid

    def callback_answer(self, query_id: str) -> dict | None:
        """How the bot answered a callback query (None while unanswered)."""
        return self.world.callback_queries[query_id]["answer"]

    # --- helpers --------------------------------------------------------------------------
    def _photo_sizes(self, source: Source) -> list[dict]:
        data = read_source(source)
        sizes = make_photo(self.world, data) or make_opaque_photo(self.world, data)
        self._remember_photo(sizes)
        return sizes

    def _message(self, cid: int, message_id: int) -> Message:
        msg = self.world.message(cid, message_id)
        if msg is None:
            raise KeyError(f"no message {message_id} in chat {cid}")
        return msg

    def _post(
        self, chat: Chat, uid: int, thread_id: int | None, reply_to: int | None, **content: Any
    ) -> dict:
        self._user(uid)
        if chat.migrated_to is not None and "service" not in content:
            raise ValueError(f"chat {chat.id} migrated to {chat.migrated_to}")
        if self.world.member(chat, uid).status in ("left", "kicked") and "service" not in content:
            raise ValueError(f"user {uid} is not a member of chat {chat.id}")
        try:
            thread = resolve_thread(chat, thread_id)
        except ApiError as exc:
            topic = chat.topics.get(thread_id or 0)
            if not (
                exc.description == limits.ERR_TOPIC_CLOSED
                and topic is not None
                and self.world.member(chat, uid).can("can_manage_topics")
            ):
                raise ValueError(f"cannot post in thread {thread_id}: {exc.description}") from None
            thread = (topic.thread_id, True)  # admins may still write in closed topics
        reply = self._message(chat.id, reply_to) if reply_to is not None else None
        tid, is_topic, reply_id = place_message(chat, thread, reply)
        msg = Message(
            chat_id=chat.id,
            message_id=chat.new_message_id(),
            from_id=uid,
            date=self.world.now(),
            thread_id=tid,
            is_topic_message=is_topic,
            reply_to=reply_id,
            **content,
        )
        chat.messages[msg.message_id] = msg
        data = self.world.message_json(msg)
        self._deliver(chat, "message", data)
        return data

    def _deliver(self, chat: Chat, kind: str, data: dict) -> None:
        if self.world.bot_member(chat).status not in ("left", "kicked") and not chat.bot_blocked:
            self.world.push_update(kind, data)
        else:
            self.world.notify()


def _caption(caption: str | None) -> dict[str, Any]:
    if not caption:
        return {}
    return {"caption": caption, "caption_entities": auto_entities(caption) or None}
