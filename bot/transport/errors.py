"""Telegram's known error texts about threads and messages, sorted into what to do next."""

from __future__ import annotations

import warnings
from datetime import timedelta
from enum import Enum

from telegram.error import RetryAfter, TelegramError
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
