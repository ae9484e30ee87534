"""Parameter parsing and the checks Telegram applies before it acts (errors as ``ApiError``)."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from typing import Any, Literal, overload

from sandbox import limits
from sandbox.entities import EntityParseError, parse_html, visible_length
from sandbox.world import Chat, Message, World


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """The error envelope."""
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad(description: str) -> ApiError:
    """A 400 Bad Request."""
    return ApiError(400, description)


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    data: bytes
    content_type: str | None = None


class Params:
    """A method's parameters: strings from forms, typed values from JSON bodies, uploads."""

    def __init__(self, values: dict[str, Any], files: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.files = files or {}

    def has(self, name: str) -> bool:
        """Whether the parameter was given (and is not null)."""
        return self.values.get(name) is not None or name in self.files

    @overload
    def str(self, name: str, required: Literal[True]) -> str: ...
    @overload
    def str(self, name: str, required: bool = False) -> str | None: ...

    def str(self, name: str, required: bool = False) -> str | None:
        """A string parameter."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad(f'Bad Request: parameter "{name}" is required')
            return None
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    # From here on `str` names the method above: the builtin is spelled out.
    @overload
    def int(self, name: builtins.str, required: Literal[True]) -> int: ...
    @overload
    def int(self, name: builtins.str, required: bool = False) -> int | None: ...

    def int(self, name: builtins.str, required: bool = False) -> int | None:
        """An integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad(f'Bad Request: parameter "{name}" is required')
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad(f'Bad Request: field "{name}" must be a valid Number') from None

    @overload
    def float(self, name: builtins.str, required: Literal[True]) -> float: ...
    @overload
    def float(self, name: builtins.str, required: bool = False) -> float | None: ...

    def float(self, name: builtins.str, required: bool = False) -> float | None:
        """A float parameter."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad(f'Bad Request: parameter "{name}" is required')
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(f'Bad Request: field "{name}" must be a valid Number') from None

    def bool(self, name: builtins.str) -> builtins.bool:
        """A boolean parameter (``true``/``1``)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: builtins.str) -> Any:
        """A nested parameter, JSON-encoded in forms."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad(f"Bad Request: can't parse {name} JSON object") from None
        return value

    def file(self, name: builtins.str) -> Upload | builtins.str | None:
        """An InputFile: an uploaded part, or a string (file_id, URL or ``attach://``)."""
        if name in self.files:
            return self.files[name]
        return self.str(name)

    def public(self) -> dict[builtins.str, Any]:
        """Values for the call log (uploads shown by name and size)."""
        data = dict(self.values)
        for name, up in self.files.items():
            data[name] = f"<upload {up.filename} {len(up.data)} bytes>"
        return data


# --- chats and membership ---------------------------------------------------------------
def resolve_chat(world: World, params: Params, name: str = "chat_id") -> Chat:
    """The chat named by ``chat_id`` (int or @username), or Telegram's error."""
    raw = params.values.get(name)
    if raw is None or raw == "":
        raise bad("Bad Request: chat_id is empty")
    chat: Chat | None = None
    if isinstance(raw, str) and raw.startswith("@"):
        chat = next(
            (
                c
                for c in world.chats.values()
                if c.username and c.username.lower() == raw[1:].lower()
            ),
            None,
        )
    else:
        try:
            chat = world.chat(int(raw))
        except (TypeError, ValueError):
            chat = None
    if chat is None:
        raise bad(limits.ERR_CHAT_NOT_FOUND)
    if chat.migrated_to is not None:
        raise ApiError(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": chat.migrated_to},
        )
    return chat


def require_bot_in_chat(world: World, chat: Chat) -> None:
    """403 when the bot cannot write into the chat."""
    if chat.type == "private":
        if chat.bot_blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return
    kind = "supergroup" if chat.type == "supergroup" else "group"
    status = world.bot_member(chat).status
    if status == "kicked":
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
    if status == "left":
        raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")


def bot_can(world: World, chat: Chat, right: str) -> bool:
    """Whether the bot holds an admin right in a group (always true in private chats)."""
    return chat.type == "private" or world.bot_member(chat).can(right)


# --- threads and replies ----------------------------------------------------------------
def resolve_thread(chat: Chat, thread_id: int | None) -> tuple[int | None, bool]:
    """(message_thread_id, is_topic_message) for a send, or Telegram's error."""
    if thread_id is None or thread_id == 0:
        return None, False
    if chat.is_forum:
        topic = chat.topics.get(thread_id)
        if thread_id == 1 or topic is None or topic.deleted:
            raise bad(limits.ERR_THREAD_NOT_FOUND)
        if topic.closed:
            raise bad(limits.ERR_TOPIC_CLOSED)
        return thread_id, True
    root = chat.messages.get(thread_id)
    if root is None or root.deleted or chat.type != "supergroup":
        raise bad(limits.ERR_THREAD_NOT_FOUND)
    return thread_id, False


def resolve_reply(world: World, chat: Chat, params: Params) -> Message | None:
    """The message replied to (reply_parameters or legacy reply_to_message_id)."""
    rp = params.json("reply_parameters") or {}
    if not isinstance(rp, dict):
        raise bad("Bad Request: can't parse reply parameters JSON object")
    mid = rp.get("message_id", params.int("reply_to_message_id"))
    allow = rp.get("allow_sending_without_reply", params.bool("allow_sending_without_reply"))
    if mid is None:
        return None
    target_chat = chat
    if rp.get("chat_id") not in (None, chat.id):
        target_chat = world.chat(int(rp["chat_id"])) or chat
    msg = world.message(target_chat.id, int(mid))
    if msg is None and not allow:
        raise bad("Bad Request: message to be replied not found")
    return msg


def place_message(
    chat: Chat, thread: tuple[int | None, bool], reply: Message | None
) -> tuple[int | None, bool, int | None]:
    """Where a new message goes: (thread_id, is_topic_message, reply_to) as Telegram sets them.

    In a forum, a reply inherits the topic of the message it answers, and a topic message
    without an explicit reply answers the topic's creation message. In a non-forum
    supergroup, a reply carries the id of its reply chain's root as message_thread_id.
    """
    thread_id, is_topic = thread
    reply_to = reply.message_id if reply else None
    if chat.is_forum:
        if thread_id is None and reply is not None and reply.is_topic_message:
            thread_id, is_topic = reply.thread_id, True
        if is_topic and reply_to is None:
            reply_to = thread_id
    elif chat.type == "supergroup" and reply is not None and thread_id is None:
        thread_id = reply.thread_id or reply.message_id
    return thread_id, is_topic, reply_to


# --- content ----------------------------------------------------------------------------
def parse_text(
    text: str | None, parse_mode: str | None, entities: Any, caption: bool = False
) -> tuple[str, list[dict] | None]:
    """Apply parse_mode and check the length; returns (text, entities)."""
    text = text or ""
    parsed: list[dict] | None = entities if isinstance(entities, list) else None
    if parse_mode and parse_mode.upper() == "HTML":
        try:
            text, parsed = parse_html(text)
        except EntityParseError as exc:
            raise bad(f"Bad Request: can't parse entities: {exc}") from None
    if not caption and not text.strip():
        raise bad(limits.ERR_TEXT_EMPTY)
    limit = limits.MAX_CAPTION if caption else limits.MAX_TEXT
    if visible_length(text) > limit:
        raise bad(limits.ERR_CAPTION_TOO_LONG if caption else limits.ERR_TEXT_TOO_LONG)
    return text, (parsed or None)


def check_markup(markup: Any) -> dict | None:
    """Validate reply_markup; returns the inline keyboard to store on the message, if any."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards, force_reply, remove: accepted, not part of the message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad(
            'Bad Request: can\'t parse inline keyboard button: field "inline_keyboard"'
            " must be an Array of Arrays"
        )
    for row in rows:
        for button in row:
            _check_button(button)
    return {"inline_keyboard": rows}


def check_reply_keyboard(markup: Any) -> dict | None:
    """Validate a ReplyKeyboardMarkup or ReplyKeyboardRemove; None for other markup.

    A reply keyboard is not part of the message: the client shows it under the input field
    of the chat until another one replaces it or the bot removes it.
    """
    if not isinstance(markup, dict):
        return None
    if markup.get("remove_keyboard"):
        return {"remove_keyboard": True}
    if "keyboard" not in markup:
        return None
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad(
            'Bad Request: can\'t parse keyboard button: field "keyboard" must be an Array of Arrays'
        )
    buttons = []
    for row in rows:
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not button.get("text"):
                raise bad("Bad Request: can't parse keyboard button: Text must be non-empty")
            buttons.append(button)
    if not buttons:
        raise bad("Bad Request: keyboard must be non-empty")
    keys = ("keyboard", "is_persistent", "resize_keyboard", "one_time_keyboard", "selective")
    return {k: markup[k] for k in keys if k in markup}


def show_keyboard(chat: Chat, keyboard: dict | None) -> None:
    """Record the reply keyboard a sent message set (or removed) for the chat."""
    if keyboard is None:
        return
    chat.reply_keyboard = None if keyboard.get("remove_keyboard") else keyboard


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad("Bad Request: can't parse inline keyboard button: Text must be non-empty")
    if "callback_data" in button:
        size = len(str(button["callback_data"]).encode("utf-8"))
        if not 1 <= size <= limits.MAX_CALLBACK_DATA_BYTES:
            raise bad(limits.ERR_BUTTON_DATA)
    elif "url" in button:
        url = str(button["url"])
        if not url.startswith(("http://", "https://", "tg://")):
            raise bad(f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    elif not any(
        k in button
        for k in (
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "login_url",
            "web_app",
            "pay",
            "copy_text",
            "callback_game",
            "switch_inline_query_chosen_chat",
        )
    ):
        raise bad("Bad Request: text buttons are unallowed in the inline keyboard")
