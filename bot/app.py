"""Starting the bot for real: migrate, load questionnaires, then long polling."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.factory import bot_commands, create_bot, create_dispatcher
from jobs.setup import create_scheduler
from storage.base import Clock, utcnow
from storage.database import SessionPool, create_engine, create_session_pool
from storage.migrate import upgrade_database
from storage.models import OrganizationSettings, Person
from surveys.catalogue import sync_questionnaires

log = logging.getLogger(__name__)


@dataclass
class Storage:
    engine: AsyncEngine
    pool: SessionPool


async def open_storage(settings: Settings) -> Storage:
    """Connect and bring the schema to head: the bot never runs on an old schema."""
    if settings.is_sqlite:
        from sqlalchemy.engine import make_url

        path = make_url(settings.database_url).database
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await upgrade_database(engine)
    pool = create_session_pool(engine)
    await sync_questionnaires(pool)
    await bootstrap_officers(pool, settings.officer_ids)
    return Storage(engine, pool)


async def bootstrap_officers(pool: SessionPool, officer_ids: list[int]) -> None:
    """OTKLIK_OFFICER_IDS makes the first admins; nobody is demoted by leaving the list."""
    async with pool() as session, session.begin():
        for telegram_id in officer_ids:
            person = await session.scalar(
                sa.select(Person).where(Person.telegram_id == telegram_id)
            )
            if person is None:
                person = Person(telegram_id=telegram_id)
                session.add(person)
            person.is_officer = True
            person.is_employee = True


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
    """Long polling; pending updates are never dropped, so nothing sent while down is lost."""
    storage = await open_storage(settings)
    bot = bot or create_bot(settings)
    dispatcher: Dispatcher = create_dispatcher(settings, storage.pool, clock=clock)
    scheduler = create_scheduler(settings, storage.pool, clock)
    try:
        username = await prepare(bot, storage.pool, settings)
        log.info("bot @%s started", username)
        scheduler.start()
        await dispatcher.start_polling(
            bot,
            allowed_updates=dispatcher.resolve_used_update_types(),
            handle_signals=True,
            close_bot_session=True,
        )
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await storage.engine.dispose()
