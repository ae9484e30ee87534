import logging

from telegram.error import BadRequest, RetryAfter

from bot.config.logs import RedactingFilter
from bot.transport.errors import ThreadError, classify, retry_after_seconds


def test_redacting_filter_masks_plain_and_quoted_token():
    f = RedactingFilter(["123:ABC"])
    rec = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "GET %s and %s",
        ("bot123:ABC/getMe", "bot123%3AABC/f"),
        None,
    )
    assert f.filter(rec)
    assert rec.getMessage() == "GET bot<token>/getMe and bot<token>/f"


def test_redacting_filter_masks_tracebacks():
    f = RedactingFilter(["123:ABC"])
    try:
        raise RuntimeError("url bot123:ABC")
    except RuntimeError:
        import sys

        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    f.filter(rec)
    assert "123:ABC" not in rec.exc_text and "<token>" in rec.exc_text


def test_classify_known_telegram_errors():
    assert classify(BadRequest("Bad Request: the chat is not a forum")) is ThreadError.NO_TOPICS
    assert classify(BadRequest("Not enough rights to create a topic")) is ThreadError.NO_TOPICS
    assert classify(BadRequest("Message thread not found")) is ThreadError.THREAD_GONE
    assert classify(BadRequest("TOPIC_CLOSED")) is ThreadError.THREAD_GONE
    assert (
        classify(BadRequest("Message is not modified: specified new message content"))
        is ThreadError.NOT_MODIFIED
    )
    assert classify(BadRequest("Message to edit not found")) is ThreadError.MESSAGE_GONE
    assert classify(BadRequest("Chat not found")) is ThreadError.OTHER


def test_retry_after_seconds_accepts_int_and_timedelta():
    from datetime import timedelta

    assert retry_after_seconds(RetryAfter(3)) == 3.0
    assert retry_after_seconds(RetryAfter(timedelta(seconds=2.5))) == 2.5
