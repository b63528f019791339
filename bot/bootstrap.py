"""Storage start-up shared by every command: migrate, load questionnaires, seed officers.

Kept free of aiogram so that registry, QR and report commands start quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.calendar import configure_default_calendar
from core.quiet import configure_quiet_hours, parse_quiet_hours
from core.settings import Settings
from storage.addresses import new_person_at, person_at
from storage.database import SessionPool, create_engine, create_session_pool
from storage.migrate import upgrade_database
from storage.models import Person
from surveys.catalogue import sync_questionnaires


@dataclass
class Storage:
    engine: AsyncEngine
    pool: SessionPool


async def open_storage(settings: Settings) -> Storage:
    """Connect and bring the schema to head: the bot never runs on an old schema."""
    configure_default_calendar(settings.extra_days_off, settings.extra_working_days)
    configure_quiet_hours(parse_quiet_hours(settings.quiet_hours), settings.tz)
    if settings.is_sqlite:
        path = make_url(settings.database_url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await upgrade_database(engine)
    pool = create_session_pool(engine)
    await sync_questionnaires(pool)
    await bootstrap_officers(pool, settings.officer_ids)
    return Storage(engine, pool)


async def bootstrap_officers(pool: SessionPool, officer_ids: list[int]) -> None:
    """OTKLIK_OFFICER_IDS makes the first admins (Telegram ids, or MAX ones as ``max:123``,
    read as chat addresses: core.channels); nobody is demoted by leaving the list."""
    async with pool() as session, session.begin():
        for chat in officer_ids:
            person = await session.scalar(sa.select(Person).where(person_at(chat)))
            if person is None:
                person = new_person_at(chat)
                session.add(person)
            person.is_officer = True
            person.is_employee = True
