"""Storage start-up shared by every command: migrate, load questionnaires, seed officers.

Kept free of aiogram so that registry, QR and report commands start quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.calendar import configure_default_calendar
from core.i18n import Translator, translator
from core.quiet import configure_quiet_hours, parse_quiet_hours
from core.settings import Settings, SettingsError
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
    engine = await open_database(settings)
    pool = create_session_pool(engine)
    await sync_questionnaires(pool)
    await bootstrap_officers(pool, settings.officer_ids)
    return Storage(engine, pool)


async def open_database(settings: Settings) -> AsyncEngine:
    """An engine on OTKLIK_DATABASE_URL at the schema's head, or one line on what to check.

    Seed clause (issue #17, point 10): «a database that cannot be opened: one line each,
    saying what to check». Only the first connection is judged here; a failing migration
    keeps its traceback, since that is a fault of ours, not of the settings.
    """
    _ = translator(settings.locale)
    try:
        url = make_url(settings.database_url)
        if settings.is_sqlite and url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.database_url)
    except (sa.exc.ArgumentError, ImportError):
        raise SettingsError(
            _(
                "OTKLIK_DATABASE_URL is not an address of a database Otklik can use: expected "
                "sqlite+aiosqlite:///./otklik.db or "
                "postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DATABASE."
            )
        ) from None
    except OSError:
        raise SettingsError(unopened_sqlite(url, _)) from None
    try:
        async with engine.connect():
            pass
    except (sa.exc.DBAPIError, OSError) as error:
        await engine.dispose()
        raise SettingsError(unopened(url, error, _)) from None
    await upgrade_database(engine)
    return engine


def unopened_sqlite(url: URL, _: Translator) -> str:
    return _(
        "The SQLite database {path} cannot be opened: check that its folder exists and that "
        "the bot's user may write there (OTKLIK_DATABASE_URL)."
    ).format(path=url.database)


def unopened(url: URL, error: Exception, _: Translator) -> str:
    """What to check when the first connection fails: the file, the server, the account."""
    if url.get_backend_name() == "sqlite":
        return unopened_sqlite(url, _)
    cause: BaseException = (error.orig or error) if isinstance(error, sa.exc.DBAPIError) else error
    cause = cause.__cause__ or cause  # SQLAlchemy's adapter keeps the driver's own error
    if isinstance(cause, OSError | TimeoutError):  # refused, no such host, no answer
        return _(
            "The database server {host}:{port} does not answer: check that it is running and "
            "that OTKLIK_DATABASE_URL names the right host and port."
        ).format(host=url.host or "localhost", port=url.port or 5432)
    return _(
        "The database {url} refused the connection ({reason}): check the user, the password "
        "and the database name in OTKLIK_DATABASE_URL."
    ).format(url=url.render_as_string(hide_password=True), reason=type(cause).__name__)


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
