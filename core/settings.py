"""Settings from the environment and `.env`, prefixed `OTKLIK_`.

One object built once at start-up and passed down, so nothing reads the
environment at import time and tests can build their own.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from core.i18n import Translator

TOKEN_PATTERN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
TELEGRAM_API_URL = "https://api.telegram.org"
MAX_API_URL = "https://platform-api2.max.ru"  # maxapi's BaseConnection.API_URL
DEMO_TOKEN = "1000001:SANDBOX-otklik-demo-token-not-secret"


class SettingsError(Exception):
    """A configuration problem, explained in one line for the person starting the bot."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    """Everything Otklik can be told from outside; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="OTKLIK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./otklik.db"
    telegram_api_url: str = TELEGRAM_API_URL
    # The MAX channel (dev.max.ru issues the token); either token alone is enough to run
    max_token: SecretStr | None = None
    max_api_url: str = MAX_API_URL
    timezone: str = "Europe/Moscow"
    locale: str = "ru"
    officer_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    secret_key: SecretStr | None = None
    redis_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1:8080"
    webhook_max_connections: int = 40
    handler_workers: int = Field(default=16, ge=1, le=1000)
    data_dir: Path = Path("./var")

    # Web form and one QR code for every channel: set the address people reach to serve them
    public_url: str | None = None
    web_listen: str = "127.0.0.1:8081"
    web_rate_per_minute: int = Field(default=60, ge=1)
    max_bot_name: str | None = None

    # Surveys
    daily_response_limit: int = 1
    survey_ttl_hours: int = 24

    # Analytics
    decline_months: int = 3
    decline_min_responses: int = 30
    decline_min_drop: float = 0.0
    decline_guard: Literal["standard_error", "literal"] = "standard_error"
    decline_guard_margin: float = Field(default=2.5, ge=0, allow_inf_nan=False)
    min_cell_respondents: int = 5
    scan_hour: int = 9

    # Reengineering
    extra_days_off: Annotated[list[date], NoDecode] = Field(default_factory=list)
    extra_working_days: Annotated[list[date], NoDecode] = Field(default_factory=list)
    reminder_days_before: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [2])
    reminder_hour: int = 9
    # When the bot does not write to staff on its own (core.quiet): «20-8», or «off».
    quiet_hours: str = "20-8"

    # Delivery
    outbox_rate_per_second: float = 25.0
    low_score_threshold: int = 2
    feedback_answer_days: int = 30
    feedback_link_retention_days: int = 180
    campaign_remind_after_days: int = 3
    campaign_max_reminders: int = 2

    @field_validator("officer_ids", mode="before")
    @classmethod
    def _people(cls, value: Any) -> Any:
        """Telegram ids, or MAX user ids written ``max:123456`` (as chat addresses)."""
        from core.channels import Channel, address

        found = _split_csv(value)
        if not isinstance(found, list):
            return found
        return [
            address(Channel.MAX, int(part[4:]))
            if isinstance(part, str) and part[:4].casefold() == "max:" and part[4:].isdigit()
            else part
            for part in found
        ]

    @field_validator("reminder_days_before", mode="before")
    @classmethod
    def _ints(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("extra_days_off", "extra_working_days", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("public_url")
    @classmethod
    def _public_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            _ = _default_translator()
            raise ValueError(_("an address starting with https:// is expected"))
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        from core.quiet import parse_quiet_hours

        value = value.strip()
        if value.lower() != "off" and parse_quiet_hours(value) is None:
            _ = _default_translator()
            raise ValueError(_("hours from–to are expected, for example 20-8, or off"))
        return value

    @field_validator("max_bot_name")
    @classmethod
    def _bot_name(cls, value: str | None) -> str | None:
        return (value or "").strip().removeprefix("@") or None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            _ = _default_translator()
            raise ValueError(_("unknown time zone {name}").format(name=repr(value))) from error
        return value

    @field_validator("locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in ("ru", "en"):
            _ = _default_translator()
            raise ValueError(_("the supported languages are ru and en"))
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def token(self) -> str:
        """The bot token, or a one-line explanation of what is wrong with it."""
        from core.i18n import translator

        _ = translator(self.locale)
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError(
                _(
                    "The bot token is not set: put OTKLIK_BOT_TOKEN in the environment or in the "
                    ".env file (@BotFather issues it), or run `otklik demo` without a token."
                )
            )
        value = self.bot_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(value):
            raise SettingsError(
                _(
                    "OTKLIK_BOT_TOKEN has a wrong format: «123456789:AA...» from the @BotFather "
                    "message is expected."
                )
            )
        return value

    @property
    def has_telegram(self) -> bool:
        return self.bot_token is not None and bool(self.bot_token.get_secret_value().strip())

    @property
    def has_max(self) -> bool:
        value = self.max_token
        return value is not None and bool(value.get_secret_value().strip())

    def max_bot_token(self) -> str:
        """The MAX bot token, or a one-line explanation that it is missing."""
        if not self.has_max:
            from core.i18n import translator

            _ = translator(self.locale)
            raise SettingsError(
                _("The MAX token is not set: put OTKLIK_MAX_TOKEN in the environment.")
            )
        assert self.max_token is not None
        return self.max_token.get_secret_value().strip()

    def check_channels(self) -> None:
        """`otklik run` needs a token of at least one messenger; a given one must be right."""
        if self.has_telegram or not self.has_max:
            self.token()

    def secret(self) -> bytes:
        """Key of the respondent HMAC; `ensure_secret_key` creates it on first run."""
        if self.secret_key is None:
            from core.i18n import translator

            _ = translator(self.locale)
            raise SettingsError(
                _("OTKLIK_SECRET_KEY is not set (it is created in .env automatically).")
            )
        return self.secret_key.get_secret_value().encode()


def _default_translator() -> Translator:
    """Before the settings exist their locale is unknown: the default locale speaks."""
    from core.i18n import translator

    return translator()


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"OTKLIK_{'_'.join(str(p) for p in issue['loc']).upper()}: {issue['msg']}"
            for issue in error.errors()
        )
        _ = _default_translator()
        raise SettingsError(
            _("Error in the settings: {problems}").format(problems=problems)
        ) from None


def ensure_secret_key(settings: Settings, env_file: Path = Path(".env")) -> Settings:
    """Create OTKLIK_SECRET_KEY in `.env` on first run so respondent keys stay stable."""
    if settings.secret_key is not None:
        return settings
    key = secrets.token_urlsafe(32)
    existing = env_file.read_text(encoding="utf-8") if env_file.exists() else ""
    separator = "" if not existing or existing.endswith("\n") else "\n"
    env_file.write_text(
        f"{existing}{separator}# created by otklik on first run; keep it secret and stable\n"
        f"OTKLIK_SECRET_KEY={key}\n",
        encoding="utf-8",
    )
    return settings.model_copy(update={"secret_key": SecretStr(key)})
