"""Forum topic methods: create, edit, close, reopen, delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox import limits
from sandbox.rateguard import RateGuard
from sandbox.rules import Params, bad, bot_can, require_bot_in_chat, resolve_chat
from sandbox.world import Chat, Message, Topic, World


class TopicMethods:
    """createForumTopic and friends; each posts Telegram's service message into the topic."""

    def __init__(self, world: World, guard: RateGuard) -> None:
        self.world = world
        self.guard = guard

    def table(self) -> dict[str, Callable[[Params], Any]]:
        """Method name -> implementation."""
        return {
            "createForumTopic": self.create,
            "editForumTopic": self.edit,
            "closeForumTopic": self.close,
            "reopenForumTopic": self.reopen,
            "deleteForumTopic": self.delete,
        }

    def _forum(self, p: Params) -> Chat:
        chat = resolve_chat(self.world, p)
        require_bot_in_chat(self.world, chat)
        if not chat.is_forum:
            raise bad(limits.ERR_NOT_FORUM)
        if not bot_can(self.world, chat, "can_manage_topics"):
            raise bad(limits.ERR_TOPIC_RIGHTS)
        return chat

    def _topic(self, chat: Chat, p: Params) -> Topic:
        tid = p.int("message_thread_id", required=True)
        topic = chat.topics.get(tid) if tid is not None else None
        if topic is None or topic.deleted:
            raise bad(limits.ERR_THREAD_NOT_FOUND)
        return topic

    def _service(
        self, chat: Chat, thread_id: int, service: dict, message_id: int | None = None
    ) -> Message:
        msg = Message(
            chat_id=chat.id,
            message_id=message_id or chat.new_message_id(),
            from_id=self.world.bot.id,
            date=self.world.now(),
            thread_id=thread_id,
            is_topic_message=True,
            service=service,
            reply_to=None if message_id else thread_id,
        )
        chat.messages[msg.message_id] = msg
        self.world.notify()
        return msg

    def create(self, p: Params) -> dict:
        """createForumTopic."""
        chat = self._forum(p)
        name = p.str("name") or ""
        if not 1 <= len(name) <= limits.MAX_TOPIC_NAME:
            raise bad(limits.ERR_TOPIC_NAME)
        color = p.int("icon_color")
        if color is None:
            color = limits.FORUM_ICON_COLORS[len(chat.topics) % len(limits.FORUM_ICON_COLORS)]
        elif color not in limits.FORUM_ICON_COLORS:
            raise bad("Bad Request: TOPIC_ICON_COLOR_INVALID")
        self.guard.take(chat)
        mid = chat.new_message_id()
        topic = Topic(
            thread_id=mid,
            name=name,
            icon_color=color,
            icon_custom_emoji_id=p.str("icon_custom_emoji_id"),
        )
        chat.topics[mid] = topic
        created: dict[str, Any] = {"name": name, "icon_color": color}
        if topic.icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        self._service(chat, mid, {"forum_topic_created": created}, message_id=mid)
        return topic.to_json()

    def edit(self, p: Params) -> bool:
        """editForumTopic."""
        chat = self._forum(p)
        topic = self._topic(chat, p)
        name = p.str("name")
        emoji = p.str("icon_custom_emoji_id")
        if name is not None and not 1 <= len(name) <= limits.MAX_TOPIC_NAME:
            raise bad(limits.ERR_TOPIC_NAME)
        if (name is None or name == topic.name) and (
            emoji is None or emoji == topic.icon_custom_emoji_id
        ):
            raise bad("Bad Request: TOPIC_NOT_MODIFIED")
        self.guard.take(chat)
        edited: dict[str, Any] = {}
        if name is not None:
            topic.name = edited["name"] = name
        if emoji is not None:
            topic.icon_custom_emoji_id = edited["icon_custom_emoji_id"] = emoji
        self._service(chat, topic.thread_id, {"forum_topic_edited": edited})
        return True

    def close(self, p: Params) -> bool:
        """closeForumTopic."""
        return self._set_closed(p, True)

    def reopen(self, p: Params) -> bool:
        """reopenForumTopic."""
        return self._set_closed(p, False)

    def _set_closed(self, p: Params, closed: bool) -> bool:
        chat = self._forum(p)
        topic = self._topic(chat, p)
        if topic.closed == closed:
            raise bad("Bad Request: TOPIC_NOT_MODIFIED")
        self.guard.take(chat)
        topic.closed = closed
        kind = "forum_topic_closed" if closed else "forum_topic_reopened"
        self._service(chat, topic.thread_id, {kind: {}})
        return True

    def delete(self, p: Params) -> bool:
        """deleteForumTopic: the topic and all its messages."""
        chat = self._forum(p)
        topic = self._topic(chat, p)
        if not bot_can(self.world, chat, "can_delete_messages"):
            raise bad("Bad Request: not enough rights to delete a topic")
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.thread_id == topic.thread_id:
                msg.deleted = True
        self.world.notify()
        return True
