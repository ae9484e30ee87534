"""Telegram's known error texts about threads and messages, sorted into what to do next."""

from __future__ import annotations

import warnings
from datetime import timedelta
from enum import Enum

import httpx
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning


class ThreadError(Enum):
    NO_TOPICS = "no_topics"  # not a forum, or no right to create topics: use a reply chain
    THREAD_GONE = "thread_gone"  # the topic was deleted or closed: send outside it
    NOT_MODIFIED = "not_modified"  # an edit with identical content: nothing to do
    MESSAGE_GONE = "message_gone"  # the message to edit was deleted
    OTHER = "other"


_PATTERNS: tuple[tuple[str, ThreadError], ...] = (
    ("the chat is not a forum", ThreadError.NO_TOPICS),
    ("not enough rights to create a topic", ThreadError.NO_TOPICS),
    ("chat_not_forum", ThreadError.NO_TOPICS),
    ("message thread not found", ThreadError.THREAD_GONE),
    ("topic_closed", ThreadError.THREAD_GONE),
    ("topic_deleted", ThreadError.THREAD_GONE),
    ("message is not modified", ThreadError.NOT_MODIFIED),
    ("message to edit not found", ThreadError.MESSAGE_GONE),
)


def classify(error: TelegramError) -> ThreadError:
    """Sort a Telegram error by its text (PTB strips and recapitalises the prefix)."""
    text = error.message.lower()
    for pattern, kind in _PATTERNS:
        if pattern in text:
            return kind
    return ThreadError.OTHER


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds.

    PTB 22 returns an int and warns that it will become a timedelta; read either.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Delivery(Enum):
    """What a failed Bot API call tells about whether Telegram acted on it.

    CLEAN: the request never reached Telegram, or Telegram answered (a 5xx, a 429, a
    refusal); trying again cannot repeat anything. AMBIGUOUS: the request went out and the
    answer was lost (a read timeout, the connection closed mid-response); Telegram may have
    acted, and the Bot API has no idempotency key to ask. docs/architecture.md, "What
    exactly once means", says what the sender does with each.
    """

    CLEAN = "clean"
    AMBIGUOUS = "ambiguous"


# httpx errors raised before the request was complete on the wire: Telegram cannot act
# on a request it did not receive whole (HTTP/1.1 reads the body to Content-Length).
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
    httpx.LocalProtocolError,
)

# Calls that leave the same state however often they are made: an edit sets the text, a
# pin pins the one message, a topic rename/close/reopen sets the topic's state. Any other
# method (sendMessage, sendDocument, sendPhoto, sendMediaGroup, createForumTopic, and
# whatever is added later) counts as one that a repeat would duplicate.
IDEMPOTENT_METHODS = frozenset(
    {
        "edit_message_text",
        "edit_message_caption",
        "edit_message_reply_markup",
        "pin_chat_message",
        "unpin_chat_message",
        "unpin_all_chat_messages",
        "edit_forum_topic",
        "close_forum_topic",
        "reopen_forum_topic",
        "delete_message",
        "answer_callback_query",
        "send_chat_action",
        "set_my_commands",
    }
)


def delivery_of(error: NetworkError) -> Delivery:
    """Whether a failed call may have taken effect (a NetworkError of PTB's HTTP stack).

    PTB raises the httpx error as the cause of its NetworkError/TimedOut; an error with
    no httpx cause is an HTTP answer (5xx, 429), which Telegram sent after deciding.
    """
    cause = error.__cause__
    if isinstance(cause, _NOT_SENT):
        return Delivery.CLEAN
    if isinstance(cause, httpx.HTTPError):
        return Delivery.AMBIGUOUS  # ReadTimeout, ReadError, RemoteProtocolError, ...
    if "Unknown error in HTTP implementation" in error.message:
        return Delivery.AMBIGUOUS  # PTB wrapped something else mid-request: assume it went out
    return Delivery.CLEAN


def repeat_duplicates(method: str) -> bool:
    """Whether repeating a call of this Bot method (PTB's snake_case name) could duplicate."""
    return method not in IDEMPOTENT_METHODS
