"""Column types: UTC-aware datetimes on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite has no time zones and hands back naive values; PostgreSQL's timestamptz
    keeps them. This type makes both behave the same and refuses naive input.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Kuaipei stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class PhotoStatus(StrEnum):
    """A photo's download: pending → stored, or failed after too many attempts."""

    PENDING = "pending"
    STORED = "stored"
    FAILED = "failed"


class OutboxStatus(StrEnum):
    """An outbox item: pending until sent (done), failed for good, or covered by a newer one."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender, which is delivering it now
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"


class RequestStatus(StrEnum):
    """A /join request: pending until an admin approves or denies it."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


def ts_column(nullable: bool = False, index: bool = False) -> Any:
    """A UTC-aware time column (SQLite keeps the offset in the text, PostgreSQL timestamptz)."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


def tg_id_column(nullable: bool = False, index: bool = False) -> Any:
    """A Telegram id column: chat ids like -100… need 64 bits."""
    return Field(
        default=None if nullable else ...,
        sa_column=Column(BigInteger, nullable=nullable, index=index),
    )
