"""What handlers hand to use cases: each update as the handler saw it, with no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IncomingText:
    """A text message in a group, as the handler saw it."""

    chat_id: int
    message_id: int
    user_id: int
    user_name: str
    text: str
    topic_id: int | None
    reply_to_message_id: int | None
    chain_root_id: int | None
    # Telegram delivers an edit of a message as a message with the same id: use cases must
    # correct what that message did, never do it again.
    edited: bool = False
    private: bool = False


@dataclass(frozen=True)
class IncomingPhoto:
    """A photo message as the handler saw it."""

    chat_id: int
    chat_title: str
    chat_is_forum: bool
    message_id: int
    user_id: int
    user_name: str
    file_id: str
    file_unique_id: str
    media_group_id: str | None
    # Only set when Telegram marks the message as a topic message.
    topic_id: int | None
    reply_to_message_id: int | None
    # In a plain supergroup, the root of the reply chain the message is in.
    chain_root_id: int | None
    # "photo" (compressed), "document" (a file) or "video"; documents keep their EXIF.
    kind: str = "photo"
    file_size: int | None = None
    file_name: str | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class IncomingPlace:
    """A location or venue message as the handler saw it."""

    chat_id: int
    message_id: int
    user_id: int
    lat: float
    lon: float
    title: str | None
    address: str | None
    topic_id: int | None
    reply_to_message_id: int | None
    chain_root_id: int | None


@dataclass(frozen=True)
class Command:
    """A roles command as the handler saw it."""

    chat_id: int
    chat_type: str
    user_id: int
    user_name: str
    message_id: int
    thread_id: int | None
    args: tuple[str, ...] = ()
    # Telegram's answer to getChatMember, for commands that need it (False otherwise).
    chat_admin: bool = False
    # /role: the person whose message the command replies to.
    target_id: int | None = None
    target_name: str = ""
    target_is_bot: bool = False


@dataclass(frozen=True)
class SetupRequest:
    """A /setup command as the handler saw it (admin status checked with Telegram)."""

    chat_id: int
    chat_type: str
    title: str
    is_forum: bool
    user_id: int
    user_is_admin: bool
    argument: str
    message_id: int
    thread_id: int | None


@dataclass(frozen=True)
class AgreementRequest:
    """/agreement as the handler saw it."""

    chat_id: int
    message_id: int
    user_id: int
    topic_id: int | None
    reply_to_message_id: int | None
    chain_root_id: int | None
    chat_admin: bool = False
    private: bool = False
