"""Bot API methods that change messages: edits, deletes and pins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox import limits
from sandbox.rateguard import RateGuard
from sandbox.rules import Params, bad, check_markup, parse_text, require_bot_in_chat, resolve_chat
from sandbox.world import Chat, Message, World


class EditMethods:
    """editMessageText/Caption/ReplyMarkup, deleteMessage, pin/unpin."""

    def __init__(self, world: World, guard: RateGuard, new_message: Callable[..., Message]) -> None:
        self.world = world
        self.guard = guard
        self.new_message = new_message

    def table(self) -> dict[str, Callable[[Params], Any]]:
        """Method name -> implementation."""
        return {
            "editMessageText": self.edit_text,
            "editMessageCaption": self.edit_caption,
            "editMessageReplyMarkup": self.edit_markup,
            "deleteMessage": self.delete_message,
            "pinChatMessage": self.pin,
            "unpinChatMessage": self.unpin,
            "unpinAllChatMessages": self.unpin_all,
        }

    # --- edits ----------------------------------------------------------------------------
    def _editable(self, p: Params) -> tuple[Chat, Message]:
        if p.has("inline_message_id"):
            raise bad("Bad Request: the sandbox has no inline messages")
        chat = resolve_chat(self.world, p)
        require_bot_in_chat(self.world, chat)
        mid = p.int("message_id")
        msg = self.world.message(chat.id, mid) if mid is not None else None
        if msg is None or msg.service:
            raise bad(limits.ERR_EDIT_NOT_FOUND)
        if msg.from_id != self.world.bot.id:
            raise bad("Bad Request: message can't be edited")
        return chat, msg

    def _apply_edit(self, chat: Chat, msg: Message, **changes: Any) -> dict:
        if all(getattr(msg, k) == v for k, v in changes.items()):
            raise bad(limits.ERR_NOT_MODIFIED)
        self.guard.take(chat)
        for key, value in changes.items():
            setattr(msg, key, value)
        msg.edits += 1
        msg.edit_date = self.world.now()
        self.world.notify()
        return self.world.message_json(msg)

    def edit_text(self, p: Params) -> dict:
        """editMessageText (an omitted reply_markup removes the keyboard, as on Telegram)."""
        chat, msg = self._editable(p)
        if msg.text is None:
            raise bad("Bad Request: there is no text in the message to edit")
        text, entities = parse_text(p.str("text"), p.str("parse_mode"), p.json("entities"))
        markup = check_markup(p.json("reply_markup"))
        return self._apply_edit(chat, msg, text=text, entities=entities, reply_markup=markup)

    def edit_caption(self, p: Params) -> dict:
        """editMessageCaption."""
        chat, msg = self._editable(p)
        if msg.photo is None and msg.document is None:
            raise bad("Bad Request: there is no caption in the message to edit")
        caption, entities = parse_text(
            p.str("caption"), p.str("parse_mode"), p.json("caption_entities"), caption=True
        )
        markup = check_markup(p.json("reply_markup"))
        return self._apply_edit(
            chat, msg, caption=caption or None, caption_entities=entities, reply_markup=markup
        )

    def edit_markup(self, p: Params) -> dict:
        """editMessageReplyMarkup."""
        chat, msg = self._editable(p)
        markup = check_markup(p.json("reply_markup"))
        return self._apply_edit(chat, msg, reply_markup=markup)

    # --- delete and pins ------------------------------------------------------------------
    def delete_message(self, p: Params) -> bool:
        """deleteMessage."""
        chat = resolve_chat(self.world, p)
        require_bot_in_chat(self.world, chat)
        msg = self.world.message(chat.id, p.int("message_id", required=True))
        if msg is None:
            raise bad("Bad Request: message to delete not found")
        own = msg.from_id == self.world.bot.id
        if chat.is_group and not own and not self.world.bot_member(chat).can("can_delete_messages"):
            raise bad("Bad Request: message can't be deleted")
        if msg.service and "forum_topic_created" in msg.service:
            raise bad("Bad Request: message can't be deleted")
        msg.deleted = True
        self.world.notify()
        return True

    def _pin_rights(self, chat: Chat) -> None:
        require_bot_in_chat(self.world, chat)
        if chat.is_group and not self.world.bot_member(chat).can("can_pin_messages"):
            raise bad(limits.ERR_PIN_RIGHTS)

    def pin(self, p: Params) -> bool:
        """pinChatMessage: marks the message and posts Telegram's service message."""
        chat = resolve_chat(self.world, p)
        self._pin_rights(chat)
        msg = self.world.message(chat.id, p.int("message_id", required=True))
        if msg is None:
            raise bad("Bad Request: message to pin not found")
        self.guard.take(chat)
        msg.pinned = True
        pinned = self.world.message_json(msg, nested=False)
        self.new_message(
            chat, msg.thread_id, msg.is_topic_message, None, service={"pinned_message": pinned}
        )
        return True

    def unpin(self, p: Params) -> bool:
        """unpinChatMessage (the latest pin when message_id is omitted)."""
        chat = resolve_chat(self.world, p)
        self._pin_rights(chat)
        mid = p.int("message_id")
        if mid is None:
            pins = [m for m in chat.messages.values() if m.pinned and not m.deleted]
            if pins:
                pins[-1].pinned = False
            return True
        msg = self.world.message(chat.id, mid)
        if msg is None or not msg.pinned:
            raise bad("Bad Request: message to unpin not found")
        msg.pinned = False
        self.world.notify()
        return True

    def unpin_all(self, p: Params) -> bool:
        """unpinAllChatMessages."""
        chat = resolve_chat(self.world, p)
        self._pin_rights(chat)
        for msg in chat.messages.values():
            msg.pinned = False
        self.world.notify()
        return True
