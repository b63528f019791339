"""The one SQLite driver adapter fails here, loudly, when aiosqlite or SQLAlchemy moves."""

from __future__ import annotations

import sqlalchemy as sa

from storage.database import create_engine, create_session_pool
from storage.sqlite_driver import fast_dbapi


def test_the_internals_the_adapter_relies_on_are_there() -> None:
    assert fast_dbapi() is not None, (
        "aiosqlite's Connection._execute/_conn or SQLAlchemy's aiosqlite adapter classes moved: "
        "storage/sqlite_driver.py now falls back to the stock adapter (four thread trips per "
        "statement); update it"
    )


async def test_the_engine_runs_on_the_adapter_and_the_writer_gate() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert type(raw.dbapi_connection).__name__ == "OneHopConnection"
        async with create_session_pool(engine)() as session, session.begin():
            assert await session.scalar(sa.text("SELECT 1")) == 1
    finally:
        await engine.dispose()
