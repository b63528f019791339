"""Starting the bot for real: storage first, then Telegram and long polling."""

from __future__ import annotations

import asyncio
import logging
import signal

import sqlalchemy as sa
from aiogram import Bot, Dispatcher

from bot.bootstrap import open_storage
from bot.config import Settings
from bot.delivery import OutboxSender
from bot.factory import bot_commands, create_bot, create_dispatcher
from bot.intake import Inbox, durable_polling
from jobs.setup import create_scheduler
from storage.base import Clock, utcnow
from storage.database import SessionPool
from storage.models import OrganizationSettings

log = logging.getLogger(__name__)


async def remember_bot_username(pool: SessionPool, username: str) -> None:
    async with pool() as session, session.begin():
        organization = await session.scalar(sa.select(OrganizationSettings).limit(1))
        if organization is None:
            organization = OrganizationSettings(name="")
            session.add(organization)
        organization.bot_username = username


async def prepare(bot: Bot, pool: SessionPool, settings: Settings) -> str:
    me = await bot.me()
    await remember_bot_username(pool, me.username or "")
    await bot.set_my_commands(bot_commands(settings.locale))
    return me.username or ""


async def run_polling(settings: Settings, *, clock: Clock = utcnow, bot: Bot | None = None) -> None:
    """Durable long polling: every update is stored before it is confirmed, then handled."""
    storage = await open_storage(settings)
    bot = bot or create_bot(settings)
    dispatcher: Dispatcher = create_dispatcher(settings, storage.pool, clock=clock)
    scheduler = create_scheduler(settings, storage.pool, clock)
    sender = OutboxSender(
        bot, storage.pool, rate_per_second=settings.outbox_rate_per_second, clock=clock
    )
    stop = asyncio.Event()
    delivery = asyncio.create_task(sender.run(stop))
    try:
        username = await prepare(bot, storage.pool, settings)
        log.info("bot @%s started", username)
        scheduler.start()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        inbox = Inbox(storage.pool, dispatcher, bot)
        await durable_polling(inbox, stop, allowed_updates=dispatcher.resolve_used_update_types())
    finally:
        stop.set()
        await delivery
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await bot.session.close()
        await storage.engine.dispose()
