"""Run Alembic migrations from code: `otklik db upgrade` and `otklik run` both call this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_043_512_011  # an arbitrary advisory-lock key owned by Otklik


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser escaping
    return config


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to `revision` over the application's own engine."""

    def _upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Replicas starting together migrate one after another; the others find head.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    if engine.dialect.name != "sqlite":
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)
        return

    def _upgrade_sqlite(connection: Connection) -> None:
        # Alembic's batch mode rebuilds a table to add a foreign key: a copy, then DROP TABLE
        # of the original. With foreign keys on, that DROP deletes or nulls every row that
        # points at the table (a case's steps, a process's department, an answer's
        # touchpoint). SQLite ignores the pragma inside a transaction, so it is switched off
        # before the migrations' transaction and on again after it, once the copy is checked.
        _pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                _upgrade(connection)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        finally:
            _pragma(connection, "PRAGMA foreign_keys=ON")

    async with engine.connect() as connection:
        await connection.run_sync(_upgrade_sqlite)


def _pragma(connection: Connection, statement: str) -> None:
    """A pragma on the DBAPI connection itself, outside any transaction SQLAlchemy begins."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_current)
