"""Bot API methods that send messages: text, photos, documents, albums, places."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox import limits
from sandbox.media import make_document, make_photo
from sandbox.rateguard import RateGuard
from sandbox.rules import (
    ApiError,
    Params,
    Upload,
    bad,
    check_markup,
    check_reply_keyboard,
    parse_text,
    place_message,
    require_bot_in_chat,
    resolve_chat,
    resolve_reply,
    resolve_thread,
    show_keyboard,
)
from sandbox.world import Chat, Message, World

Handler = Callable[[Params], Any]


class MessageMethods:
    """sendMessage, sendPhoto, sendDocument, sendMediaGroup, sendLocation, sendVenue."""

    def __init__(self, world: World, guard: RateGuard) -> None:
        self.world = world
        self.guard = guard
        self.photo_sizes: dict[str, list[dict]] = {}  # any size's file_id -> the size list
        self.documents: dict[str, dict] = {}

    def table(self) -> dict[str, Handler]:
        """Method name -> implementation."""
        return {
            "sendMessage": self.send_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendMediaGroup": self.send_media_group,
            "sendLocation": self.send_location,
            "sendVenue": self.send_venue,
        }

    # --- common send pipeline -----------------------------------------------------------
    def _target(self, p: Params) -> tuple[Chat, int | None, bool, int | None]:
        chat = resolve_chat(self.world, p)
        require_bot_in_chat(self.world, chat)
        thread = resolve_thread(chat, p.int("message_thread_id"))
        reply = resolve_reply(self.world, chat, p)
        return (chat, *place_message(chat, thread, reply))

    def new_message(
        self,
        chat: Chat,
        thread_id: int | None,
        is_topic: bool,
        reply_to: int | None,
        **content: Any,
    ) -> Message:
        msg = Message(
            chat_id=chat.id,
            message_id=chat.new_message_id(),
            from_id=self.world.bot.id,
            date=self.world.now(),
            thread_id=thread_id,
            is_topic_message=is_topic,
            reply_to=reply_to,
            **content,
        )
        chat.messages[msg.message_id] = msg
        self.world.notify()
        return msg

    def send_message(self, p: Params) -> dict:
        """sendMessage."""
        chat, thread_id, is_topic, reply_to = self._target(p)
        text, entities = parse_text(p.str("text"), p.str("parse_mode"), p.json("entities"))
        markup = check_markup(p.json("reply_markup"))
        keys = check_reply_keyboard(p.json("reply_markup"))
        self.guard.take(chat)
        msg = self.new_message(
            chat, thread_id, is_topic, reply_to, text=text, entities=entities, reply_markup=markup
        )
        show_keyboard(chat, keys)
        return self.world.message_json(msg)

    def _caption(self, p: Params) -> tuple[str | None, list[dict] | None]:
        if not p.has("caption"):
            return None, None
        caption, entities = parse_text(
            p.str("caption"), p.str("parse_mode"), p.json("caption_entities"), caption=True
        )
        return caption or None, entities

    def _photo(self, source: Upload | str | None) -> list[dict]:
        if source is None:
            raise bad('Bad Request: parameter "photo" is required')
        if isinstance(source, str):
            if source in self.photo_sizes:
                return self.photo_sizes[source]
            raise bad("Bad Request: wrong file identifier/HTTP URL specified")
        if not source.data:
            raise bad("Bad Request: file must be non-empty")
        if len(source.data) > limits.MAX_PHOTO_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        sizes = make_photo(self.world, source.data)
        if sizes is None:
            raise bad("Bad Request: IMAGE_PROCESS_FAILED")
        self.remember_photo(sizes)
        return sizes

    def remember_photo(self, sizes: list[dict]) -> None:
        """Let later sends reuse a photo by any of its file_ids."""
        for size in sizes:
            self.photo_sizes[size["file_id"]] = sizes

    def _document(self, source: Upload | str | None) -> dict:
        if source is None:
            raise bad('Bad Request: parameter "document" is required')
        if isinstance(source, str):
            if source in self.documents:
                return self.documents[source]
            if source in self.photo_sizes:
                return self._doc_from_photo(source)
            raise bad("Bad Request: wrong file identifier/HTTP URL specified")
        if not source.data:
            raise bad("Bad Request: file must be non-empty")
        if len(source.data) > limits.MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        name = source.filename
        if name in (None, "application.octet-stream"):
            name = name or "file"
        doc = make_document(
            self.world,
            source.data,
            name,
            source.content_type
            if source.content_type not in (None, "application/octet-stream")
            else None,
        )
        self.documents[doc["file_id"]] = doc
        return doc

    def _doc_from_photo(self, file_id: str) -> dict:
        stored = self.world.files[file_id]
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_name": stored.file_path.rsplit("/", 1)[-1],
            "mime_type": "image/jpeg",
        }

    def send_photo(self, p: Params) -> dict:
        """sendPhoto."""
        chat, thread_id, is_topic, reply_to = self._target(p)
        caption, entities = self._caption(p)
        markup = check_markup(p.json("reply_markup"))
        keys = check_reply_keyboard(p.json("reply_markup"))
        self.guard.check(chat)
        photo = self._photo(p.file("photo"))
        self.guard.take(chat)
        msg = self.new_message(
            chat,
            thread_id,
            is_topic,
            reply_to,
            photo=photo,
            caption=caption,
            caption_entities=entities,
            reply_markup=markup,
        )
        show_keyboard(chat, keys)
        return self.world.message_json(msg)

    def send_document(self, p: Params) -> dict:
        """sendDocument."""
        chat, thread_id, is_topic, reply_to = self._target(p)
        caption, entities = self._caption(p)
        markup = check_markup(p.json("reply_markup"))
        keys = check_reply_keyboard(p.json("reply_markup"))
        self.guard.check(chat)
        doc = self._document(p.file("document"))
        self.guard.take(chat)
        msg = self.new_message(
            chat,
            thread_id,
            is_topic,
            reply_to,
            document=doc,
            caption=caption,
            caption_entities=entities,
            reply_markup=markup,
        )
        show_keyboard(chat, keys)
        return self.world.message_json(msg)

    def send_media_group(self, p: Params) -> list[dict]:
        """sendMediaGroup: one message per item sharing a media_group_id (1 item: no id)."""
        chat, thread_id, is_topic, reply_to = self._target(p)
        media = p.json("media")
        if media is None:
            raise bad('Bad Request: parameter "media" is required')
        if not isinstance(media, list) or not media:
            raise bad(limits.ERR_ALBUM_EMPTY)
        if len(media) > limits.MAX_MEDIA_GROUP:
            raise bad(limits.ERR_ALBUM_TOO_LARGE)
        kinds = [item.get("type") if isinstance(item, dict) else None for item in media]
        for kind in kinds:
            if kind not in ("photo", "document"):
                raise bad(
                    f'Bad Request: can\'t parse InputMedia: type "{kind}" is not'
                    " supported by the sandbox"
                )
        if "document" in kinds and "photo" in kinds:
            raise bad("Bad Request: document can't be mixed with other media types")
        captions = [self._item_caption(item) for item in media]
        self.guard.check(chat, len(media))
        contents = [self._item_content(p, item) for item in media]
        self.guard.take(chat, len(media))
        group_id = self.world.new_media_group_id() if len(media) > 1 else None
        results = []
        for content, (caption, entities) in zip(contents, captions, strict=True):
            msg = self.new_message(
                chat,
                thread_id,
                is_topic,
                reply_to,
                media_group_id=group_id,
                caption=caption,
                caption_entities=entities,
                **content,
            )
            results.append(self.world.message_json(msg))
        return results

    def _item_caption(self, item: dict) -> tuple[str | None, list[dict] | None]:
        if not item.get("caption"):
            return None, None
        caption, entities = parse_text(
            item["caption"], item.get("parse_mode"), item.get("caption_entities"), caption=True
        )
        return caption or None, entities

    def _item_content(self, p: Params, item: dict) -> dict:
        ref = item.get("media")
        source: Upload | str | None = ref
        if isinstance(ref, str) and ref.startswith("attach://"):
            source = p.files.get(ref[len("attach://") :])
            if source is None:
                raise bad("Bad Request: can't parse InputMedia: media not found")
        if item["type"] == "photo":
            return {"photo": self._photo(source)}
        return {"document": self._document(source)}

    def send_location(self, p: Params) -> dict:
        """sendLocation."""
        chat, thread_id, is_topic, reply_to = self._target(p)
        location = _location(p)
        markup = check_markup(p.json("reply_markup"))
        keys = check_reply_keyboard(p.json("reply_markup"))
        self.guard.take(chat)
        msg = self.new_message(
            chat, thread_id, is_topic, reply_to, location=location, reply_markup=markup
        )
        show_keyboard(chat, keys)
        return self.world.message_json(msg)

    def send_venue(self, p: Params) -> dict:
        """sendVenue."""
        chat, thread_id, is_topic, reply_to = self._target(p)
        location = _location(p)
        venue = {
            "location": location,
            "title": p.str("title", required=True),
            "address": p.str("address", required=True),
        }
        markup = check_markup(p.json("reply_markup"))
        keys = check_reply_keyboard(p.json("reply_markup"))
        self.guard.take(chat)
        msg = self.new_message(
            chat, thread_id, is_topic, reply_to, location=location, venue=venue, reply_markup=markup
        )
        show_keyboard(chat, keys)
        return self.world.message_json(msg)


def _location(p: Params) -> dict:
    lat = p.float("latitude", required=True)
    lon = p.float("longitude", required=True)
    assert lat is not None and lon is not None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad("Bad Request: wrong location specified")  # pragma: no cover
    return {"latitude": lat, "longitude": lon}
