"""Logging set-up that keeps secrets and personal data out of every log line.

Whoever reads a log (journald, docker logs, a support ticket) must not learn the bot's
token, a driver's phone or name, or a confirmation deep link (which lets its holder
confirm for the driver). Redaction therefore happens when a record is created, so that
every handler, including ones added later, only ever sees the cleaned record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

MASK = "<token>"
# Telegram's deep-link confirmation tokens, and mainland phone numbers (+86 optional).
_CONFIRM_TOKEN = re.compile(r"cf_[A-Za-z0-9_\-]+")
_PHONE = re.compile(r"(?<![\d])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![\d])")
# Loggers whose DEBUG output is a statement log with parameters, or chatter an operator
# never needs; they stay at WARNING unless asked for.
_QUIET = ("httpx", "httpcore", "aiosqlite", "sqlalchemy", "alembic", "fontTools", "asyncpg")


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask the secrets, confirmation tokens and phone numbers in one text."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _CONFIRM_TOKEN.sub("cf_<hidden>", text)
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
        if record.name.startswith("telegram") and record.args:
            # Update and API-call dumps hold names, phones and message texts.
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_summary(a) for a in args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = scrub(message, self._secrets), None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text, self._secrets)
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
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    protect_logs(secrets, log_sql=log_sql)
