"""Logging set-up that keeps secrets and personal data out of every log line.

Whoever reads a log (journald, docker logs, a support ticket) must not learn the bot's
token, a driver's phone, name, ID or licence number or plate, or a confirmation deep link
(which lets its holder confirm for the driver). Redaction therefore happens when a record
is created, so that every handler, including ones added later, only ever sees the cleaned
record. Names cannot be recognised in free text, so the records that carry stored data
(Telegram's dumps, SQLAlchemy's result rows, aiosqlite's calls with their parameters) are
reduced to their shape before they are rendered; patterns then mask what remains.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from typing import Any

MASK = "<token>"
# Telegram's deep-link confirmation tokens, and mainland phone numbers (+86 optional).
_CONFIRM_TOKEN = re.compile(r"cf_[A-Za-z0-9_\-]+")
_PHONE = re.compile(r"(?<![\d])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![\d])")
# Resident ID numbers (also the driving licence number): region, birth date, sequence and
# check character; the date part keeps Telegram ids and amounts out of it.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{3}[0-9Xx](?![0-9A-Za-z])"
)
# Mainland plates (湘C12345, new-energy 湘CD12345, 湘C1234学); with a name they say who was there.
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领]"
    r"[A-HJ-NP-Z][- ·]?[A-HJ-NP-Z0-9]{4,6}[挂学警港澳领试超]?"
)
# Loggers whose DEBUG output is a statement log with parameters, or chatter an operator
# never needs; they stay at WARNING unless asked for.
_QUIET = ("httpx", "httpcore", "aiosqlite", "sqlalchemy", "alembic", "fontTools", "asyncpg")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask the secrets, confirmation tokens and phone numbers in one text."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _CONFIRM_TOKEN.sub("cf_<hidden>", text)
    text = _ID_NUMBER.sub("<id-number>", text)
    text = _PLATE.sub("<plate>", text)
    return _PHONE.sub("<phone>", text)


def _summary(value: object) -> object:
    """What python-telegram-bot's dumps may show: ids and shapes, never the content."""
    # python-telegram-bot's objects, recognised by shape: configuration knows no Telegram.
    if hasattr(type(value), "de_json") and hasattr(value, "to_dict"):
        update_id = getattr(value, "update_id", None)
        if update_id is not None:
            return f"<update {update_id}>"
        return f"<{type(value).__name__}>"
    if isinstance(value, dict):
        if "message_id" in value:
            return f"<message {value['message_id']}>"
        return "<" + ", ".join(sorted(str(k) for k in value)) + ">"
    if isinstance(value, list | tuple):
        return f"<{len(value)} items>"
    return value


def _operation(value: object) -> object:
    """aiosqlite's calls hold the statement's parameters: only the method's name may show."""
    if isinstance(value, functools.partial):
        return f"<{getattr(value.func, '__name__', 'call')}>"
    if isinstance(value, BaseException):
        return f"<{type(value).__name__}>"
    return value


def _shaped(record: logging.LogRecord) -> None:
    """Reduce the arguments of records that dump stored or received data to their shape."""
    if not record.args:
        return
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    if record.name.startswith("telegram"):
        # Update and API-call dumps hold names, phones and message texts.
        record.args = tuple(_summary(a) for a in args)
    elif record.name.startswith("aiosqlite"):
        record.args = tuple(_operation(a) for a in args)
    elif record.name.startswith("sqlalchemy.engine") and str(record.msg).endswith("Row %r"):
        # A result row at DEBUG: a party's plate, name and phone (parameters are hidden
        # by storage/db.py, rows are not).
        record.args = ("<row>",)


class RedactingFilter(logging.Filter):
    """Replaces each secret in a record's rendered message (and traceback) by a mask."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these secrets too (PTB URL-quotes the token: ":" becomes "%3A")."""
        for secret in secrets:
            for form in (secret, secret.replace(":", "%3A")):
                if form and form not in self._secrets:
                    self._secrets.append(form)

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, mask what must not be read, keep the record."""
        _shaped(record)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = scrub(message, self._secrets), None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info, self._secrets)
        return True


_redactor = RedactingFilter(())
_base_factory = logging.getLogRecordFactory()


def _make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    _redactor.filter(record)
    return record


def protect_logs(secrets: Iterable[str] = (), *, log_sql: bool = False) -> None:
    """Redact every record from now on, and keep the noisy loggers at WARNING.

    `log_sql` lets SQLAlchemy's statement log through (its parameters stay hidden, see
    storage/db.py); aiosqlite's own log repeats each statement with its parameters and
    stays off.
    """
    _redactor.add(secrets)
    if logging.getLogRecordFactory() is not _make_record:
        logging.setLogRecordFactory(_make_record)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO if log_sql else logging.WARNING)


def configure_logging(level: str, secrets: Iterable[str] = (), *, log_sql: bool = False) -> None:
    """Log to stderr at `level`, with secrets and personal data masked everywhere."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    protect_logs(secrets, log_sql=log_sql)
