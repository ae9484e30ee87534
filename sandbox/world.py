"""The sandbox's state: users, chats, members, messages, topics, files, updates and logs.

Plain data plus bookkeeping; no HTTP and no validation of Bot API rules (see ``botapi``).
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)


@dataclass
class User:
    """A Telegram user (or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    # Never in the User object; a client shares it only through a request_contact button.
    phone_number: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``User`` object as the Bot API sends it."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @property
    def display_name(self) -> str:
        """First and last name, as a client shows it."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class Member:
    """A user's standing in a chat."""

    user_id: int
    status: str = "member"  # creator | administrator | member | left | kicked
    rights: dict[str, bool] = field(default_factory=dict)

    def can(self, right: str) -> bool:
        """Whether this member holds an admin right (creators hold all)."""
        return self.status == "creator" or (
            self.status == "administrator" and self.rights.get(right, False)
        )


@dataclass
class Topic:
    """A forum topic; its id is the id of its creation service message."""

    thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``ForumTopic`` object."""
        data: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data


@dataclass
class Message:
    """A message in a chat, with its current content after edits."""

    chat_id: int
    message_id: int
    from_id: int
    date: int
    text: str | None = None
    entities: list[dict] | None = None
    caption: str | None = None
    caption_entities: list[dict] | None = None
    thread_id: int | None = None
    is_topic_message: bool = False
    reply_to: int | None = None
    reply_markup: dict | None = None
    media_group_id: str | None = None
    photo: list[dict] | None = None
    document: dict | None = None
    location: dict | None = None
    venue: dict | None = None
    contact: dict | None = None
    service: dict | None = None  # e.g. {"forum_topic_created": {...}}
    pinned: bool = False
    edits: int = 0
    edit_date: int | None = None
    deleted: bool = False


@dataclass
class Chat:
    """A private chat, basic group or supergroup (optionally a forum)."""

    id: int
    type: str
    title: str | None = None
    is_forum: bool = False
    username: str | None = None
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, Message] = field(default_factory=dict)
    next_message_id: int = 1
    migrated_to: int | None = None
    private_user: int | None = None
    bot_blocked: bool = False
    # The reply keyboard the bot's messages left under the input field (ReplyKeyboardMarkup).
    reply_keyboard: dict | None = None

    @property
    def is_group(self) -> bool:
        """Basic groups and supergroups (the ones with the 20-a-minute limit)."""
        return self.type in ("group", "supergroup")

    def new_message_id(self) -> int:
        """Take the next message id of this chat."""
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass
class StoredFile:
    """Bytes kept in memory with Telegram's identifiers."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


class World:
    """Everything the sandbox knows, and the queue of updates for the bot."""

    def __init__(
        self,
        bot_id: int,
        bot_username: str,
        bot_name: str = "快赔Bot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.bot = User(id=bot_id, first_name=bot_name, username=bot_username, is_bot=True)
        self.users: dict[int, User] = {bot_id: self.bot}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.updates: list[dict] = []
        self.next_update_id = 700_000_001
        self.delivered: dict[int, dict] = {}  # every update ever queued, by id
        self.callback_queries: dict[str, dict] = {}
        self.commands: dict[str, list[dict]] = {}
        self.calls: list[dict] = []
        # When each update became available to the bot (the clock's seconds), with the
        # chat and message it carries: what a latency bench measures replies against.
        self.update_log: list[dict] = []
        self.rate_limited: dict[int | None, int] = {}
        self.listeners: list[Callable[[], None]] = []
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(1_000_000_001)
        self._media_groups = itertools.count(13_000_000_000_000_001)

    # --- time and ids -----------------------------------------------------------------
    def now(self) -> int:
        """Unix seconds, as message dates are."""
        return int(self.clock())

    def new_user_id(self) -> int:
        """A fresh user id."""
        return next(self._user_ids)

    def new_chat_id(self, kind: str) -> int:
        """A fresh id shaped like Telegram's for the chat type."""
        if kind == "supergroup":
            return -int(f"100{next(self._supergroup_ids)}")
        return -next(self._group_ids)

    def new_media_group_id(self) -> str:
        """A fresh media_group_id."""
        return str(next(self._media_groups))

    def new_token(self, prefix: str) -> str:
        """An opaque id such as a file_id or callback query id."""
        n = next(self._ids)
        digest = hashlib.sha1(f"{prefix}{n}".encode()).hexdigest()[:20]
        return f"{prefix}{n:05d}{digest}"

    # --- lookups ----------------------------------------------------------------------
    def chat(self, chat_id: int) -> Chat | None:
        """The chat with this id, or None."""
        return self.chats.get(chat_id)

    def message(self, chat_id: int, message_id: int) -> Message | None:
        """A live (not deleted) message, or None."""
        chat = self.chats.get(chat_id)
        msg = chat.messages.get(message_id) if chat else None
        return None if msg is None or msg.deleted else msg

    def member(self, chat: Chat, user_id: int) -> Member:
        """A member record; users never seen in the chat count as ``left``."""
        return chat.members.get(user_id) or Member(user_id=user_id, status="left")

    def bot_member(self, chat: Chat) -> Member:
        """The bot's standing in a chat."""
        return self.member(chat, self.bot.id)

    # --- files ------------------------------------------------------------------------
    def store_file(
        self,
        data: bytes,
        folder: str,
        ext: str,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        """Keep bytes and give them a file_id, file_unique_id and file_path."""
        file_id = self.new_token("AgAC")
        unique = "AQAD" + hashlib.sha1(file_id.encode()).hexdigest()[:12]
        path = f"{folder}/file_{len(self.files)}{ext}"
        stored = StoredFile(file_id, unique, data, path, width, height)
        self.files[file_id] = stored
        self.files_by_path[path] = stored
        return stored

    # --- updates ----------------------------------------------------------------------
    def push_update(self, kind: str, payload: dict) -> int:
        """Queue an update of ``kind`` (``message``, ``callback_query``…) for the bot."""
        update: dict[str, Any] = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        self.delivered[update["update_id"]] = update
        # A message carries its chat; a callback query the message its button is under.
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        self.update_log.append(
            {
                "update_id": update["update_id"],
                "at": self.clock(),
                "chat_id": chat.get("id") if isinstance(chat, dict) else None,
                "message_id": payload.get("message_id"),
            }
        )
        self.notify()
        return update["update_id"]

    def requeue(self, update_id: int) -> None:
        """Put an already-sent update back into the queue with the same id."""
        if update_id not in self.delivered:
            raise KeyError(f"no update {update_id} was ever queued")
        self.updates.append(self.delivered[update_id])
        self.updates.sort(key=lambda u: u["update_id"])
        self.notify()

    def notify(self) -> None:
        """Wake whoever waits for state changes (long polls, webhook sender, waiters)."""
        for listener in list(self.listeners):
            listener()

    # --- JSON -------------------------------------------------------------------------
    def chat_json(self, chat: Chat) -> dict[str, Any]:
        """The short ``Chat`` object embedded in messages."""
        if chat.type == "private":
            user = self.users[chat.private_user or chat.id]
            data: dict[str, Any] = {"id": chat.id, "type": "private", "first_name": user.first_name}
            if user.last_name:
                data["last_name"] = user.last_name
            if user.username:
                data["username"] = user.username
            return data
        data = {"id": chat.id, "type": chat.type, "title": chat.title or ""}
        if chat.username:
            data["username"] = chat.username
        if chat.is_forum:
            data["is_forum"] = True
        return data

    def message_json(self, msg: Message, nested: bool = True) -> dict[str, Any]:
        """The ``Message`` object as the Bot API sends it."""
        chat = self.chats[msg.chat_id]
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.users[msg.from_id].to_json(),
            "chat": self.chat_json(chat),
            "date": msg.date,
        }
        if msg.thread_id is not None:
            data["message_thread_id"] = msg.thread_id
        if msg.is_topic_message:
            data["is_topic_message"] = True
        if nested and msg.reply_to is not None:
            replied = chat.messages.get(msg.reply_to)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self.message_json(replied, nested=False)
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        for key in (
            "media_group_id",
            "text",
            "entities",
            "caption",
            "caption_entities",
            "photo",
            "document",
            "location",
            "venue",
            "contact",
            "reply_markup",
        ):
            value = getattr(msg, key)
            if value:
                data[key] = value
        if msg.service:
            data.update(msg.service)
        return data
