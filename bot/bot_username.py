"""The bot's @username for deep links, shared by the CLI commands that print links."""

from __future__ import annotations

from typing import Any

from core.settings import Settings


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
    from bot.factory import create_bot

    bot = create_bot(settings)
    try:
        me = await bot.me()
    finally:
        await bot.session.close()
    return me.username or ""


async def resolve_max_bot_name(settings: Settings, pool: Any) -> str | None:
    """OTKLIK_MAX_BOT_NAME, else MAX's getMe when OTKLIK_MAX_TOKEN is set, else None."""
    if settings.max_bot_name:
        return settings.max_bot_name
    if not settings.has_max:
        return None
    from bot.max.channel import create_max_channel

    channel = create_max_channel(settings, pool)
    try:
        me = await channel.bot.me()
    finally:
        await channel.bot.session.close()
    return me.username or None
