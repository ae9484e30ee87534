"""Settings from the environment or `.env`; the names are fixed (tools and .env.example rely on them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# How long a case card stays as it is after it reached the chat before the sender's next
# edit of it goes out (bot/transport/sender.py): the changes of a burst (six checks tapped,
# several people answering at once) then cost one edit, and the card is never more than
# this behind. An edit after a quiet moment goes out at once. Edits count against the
# group's 20 calls a minute like new messages.
CARD_SETTLE_SECONDS = 1.0
DATABASES = ("sqlite", "postgresql")


class Settings(BaseSettings):
    """Every setting Kuaipei reads; each has a safe default except the token."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL"
    )
    telegram_file_base_url: str = Field(
        default="https://api.telegram.org/file/bot", alias="TELEGRAM_FILE_BASE_URL"
    )
    database_url: str = Field(default="sqlite:///./data/kuaipei.db", alias="DATABASE_URL")
    media_dir: Path = Field(default=Path("./data/media"), alias="MEDIA_DIR")
    agreement_font: Path | None = Field(default=None, alias="AGREEMENT_FONT")
    kuaipei_config: Path | None = Field(default=None, alias="KUAIPEI_CONFIG")
    timezone: str = Field(default="Asia/Shanghai", alias="TIMEZONE")
    language: Literal["zh", "en"] = Field(default="zh", alias="LANGUAGE")
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    # Where the webhook server listens (a reverse proxy in front ends TLS).
    webhook_listen: str = Field(default="127.0.0.1", alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, alias="WEBHOOK_PORT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # SQL statements (parameters always hidden) are noise and slow the bot; only on request.
    log_sql: bool = Field(default=False, alias="LOG_SQL")
    # Telegram's flood limits as the sender honours them; lowered only by tests and
    # the demo, whose local Telegram runs with scaled-down windows.
    send_group_max_rate: int = Field(default=20, alias="SEND_GROUP_MAX_RATE")
    send_group_period_seconds: float = Field(default=60.0, alias="SEND_GROUP_PERIOD_SECONDS")
    send_overall_max_rate: int = Field(default=30, alias="SEND_OVERALL_MAX_RATE")
    send_overall_period_seconds: float = Field(default=1.0, alias="SEND_OVERALL_PERIOD_SECONDS")
    # Lowered, like the windows above, only where the local Telegram runs on scaled-down time.
    card_settle_seconds: float = Field(
        default=CARD_SETTLE_SECONDS, ge=0, alias="CARD_SETTLE_SECONDS"
    )
    # /healthz and /metrics for the operator (0: off), on this address.
    health_port: int = Field(default=0, ge=0, le=65535, alias="HEALTH_PORT")
    health_host: str = Field(default="127.0.0.1", alias="HEALTH_HOST")
    # How often the SLA sweep asks the database for due ladder steps (docs/domain.md §6.1).
    sla_sweep_seconds: float = Field(default=5.0, gt=0, alias="SLA_SWEEP_SECONDS")
    # Retention (README, "What is kept, for how long"): evidence photos of cases closed or
    # cancelled this many days ago are deleted; delivered messages, export files and typed
    # text in the audit log after the second period. The operator's decision, like where
    # the database and the media live: one policy for the whole installation.
    retention_evidence_days: int = Field(default=1095, ge=1, alias="RETENTION_EVIDENCE_DAYS")
    retention_messages_days: int = Field(default=30, ge=1, alias="RETENTION_MESSAGES_DAYS")
    # Several bot processes on one PostgreSQL database (docs/architecture.md): per-chat
    # inbox leases, one elected poller, the flood limits shared through the database.
    multi_process: bool = Field(default=False, alias="MULTI_PROCESS")
    # How long a process's chat leases (handling a chat's updates, sending into a chat)
    # outlive it when it dies: another process takes the chat over after this.
    process_lease_seconds: float = Field(default=20.0, gt=0, alias="PROCESS_LEASE_SECONDS")

    @field_validator(
        "kuaipei_config", "agreement_font", "webhook_url", "webhook_secret", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `.env.example` lists optional settings as `NAME=`; empty means "not set".
        return None if value == "" else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        # Never echo the URL: it may hold a password.
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(
                "not a database URL; use sqlite:///./data/kuaipei.db or "
                "postgresql://user:password@host:5432/db"
            ) from None
        if backend == "postgres":
            return value
        if backend not in DATABASES:
            raise ValueError(f"unsupported database {backend!r}; use sqlite or postgresql")
        return value

    @field_validator("multi_process")
    @classmethod
    def _shared_database(cls, value: bool, info: ValidationInfo) -> bool:
        url = info.data.get("database_url")
        if value and url and make_url(url).get_backend_name() == "sqlite":
            raise ValueError("needs a PostgreSQL DATABASE_URL (SQLite serves one process)")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai"
            ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"unknown level {value!r}; use one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    def token(self) -> str:
        """Return the bot token; raise MissingToken when it is not configured."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise MissingTokenError
        return self.telegram_bot_token.get_secret_value()


class MissingTokenError(RuntimeError):
    """Raised when a command that talks to Telegram runs without a token."""


class SettingsError(ValueError):
    """Settings that cannot work, one line per wrong setting, naming it."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


_PLAIN = {
    "int_parsing": "should be a whole number",
    "float_parsing": "should be a number",
    "bool_parsing": "should be true or false",
    "literal_error": "should be one of",
}


def load_settings() -> Settings:
    """Read the settings; raise SettingsError naming each wrong one (never its secret value)."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError([_describe(error) for error in exc.errors()]) from None


def _describe(error: object) -> str:
    assert isinstance(error, dict)
    name = str(error["loc"][0]) if error.get("loc") else "setting"
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        message = f"should be one of {expected}"
    elif kind in _PLAIN:
        message = _PLAIN[kind]
    # Our own validators already say what they got; secrets are never shown.
    secret = "TOKEN" in name or "SECRET" in name or "DATABASE_URL" in name
    shown = None if secret or kind == "value_error" else error.get("input")
    suffix = f" (got {shown!r})" if isinstance(shown, str) else ""
    return f"{name}: {message}{suffix}"
