"""The bot's @username for deep links, shared by the CLI commands that print links."""

from __future__ import annotations

from typing import Any

from core.i18n import translator
from core.settings import Settings, SettingsError


async def resolve_bot_username(settings: Settings, pool: Any, given: str | None) -> str:
    """The name given, else the one stored for the organization, else Telegram's getMe."""
    import sqlalchemy as sa

    from storage.models import OrganizationSettings

    if given:
        return given.lstrip("@")
    async with pool() as session:
        stored = await session.scalar(sa.select(OrganizationSettings.bot_username).limit(1))
    if stored:
        return str(stored)
    if not settings.has_telegram:
        _ = translator(settings.locale)
        raise SettingsError(
            _(
                "The bot's username is not known yet: give --bot-username NAME, or set "
                "OTKLIK_BOT_TOKEN so that Telegram tells it."
            )
        )
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.factory import create_bot
    from bot.patience import telegram_refused, telegram_unreachable

    bot = create_bot(settings)
    try:
        me = await bot.me()
    except TelegramUnauthorizedError:  # one line, as at start-up (issue #17, point 10)
        raise telegram_refused(settings) from None
    except TelegramNetworkError:
        raise telegram_unreachable(settings) from None
    finally:
        await bot.session.close()
    return me.username or ""


async def resolve_max_bot_name(settings: Settings, pool: Any) -> str | None:
    """OTKLIK_MAX_BOT_NAME, else MAX's getMe when OTKLIK_MAX_TOKEN is set, else None."""
    if settings.max_bot_name:
        return settings.max_bot_name
    if not settings.has_max:
        return None
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.max.channel import create_max_channel
    from bot.patience import max_refused, max_unreachable

    channel = create_max_channel(settings, pool)
    try:
        me = await channel.bot.me()
    except TelegramUnauthorizedError:
        raise max_refused(settings) from None
    except TelegramNetworkError:
        raise max_unreachable(settings) from None
    finally:
        await channel.bot.session.close()
    return me.username or None
