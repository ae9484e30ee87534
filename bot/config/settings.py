"""Settings from the environment or `.env`; the names are fixed by DESIGN.md."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # Telegram's flood limits as the sender honours them; lowered only by tests and
    # the demo, whose local Telegram runs with scaled-down windows.
    send_group_max_rate: int = Field(default=20, alias="SEND_GROUP_MAX_RATE")
    send_group_period_seconds: float = Field(default=60.0, alias="SEND_GROUP_PERIOD_SECONDS")
    send_overall_max_rate: int = Field(default=30, alias="SEND_OVERALL_MAX_RATE")
    send_overall_period_seconds: float = Field(default=1.0, alias="SEND_OVERALL_PERIOD_SECONDS")

    @field_validator(
        "kuaipei_config", "agreement_font", "webhook_url", "webhook_secret", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `.env.example` lists optional settings as `NAME=`; empty means "not set".
        return None if value == "" else value

    def token(self) -> str:
        """Return the bot token; raise MissingToken when it is not configured."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise MissingTokenError
        return self.telegram_bot_token.get_secret_value()


class MissingTokenError(RuntimeError):
    """Raised when a command that talks to Telegram runs without a token."""
