"""Migrations reach head on a fresh database and match the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.catalog import ACTIVITY_DIRECTIONS
from storage.base import Base
from storage.migrate import current_revision


async def test_fresh_sqlite_upgrades_to_head_matching_models(engine: AsyncEngine) -> None:
    def diff(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []
    assert await current_revision(engine) is not None


@pytest.mark.sqlite_only
async def test_sqlite_runs_in_wal_with_foreign_keys(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1


async def test_activity_directions_are_seeded(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        codes = (await connection.exec_driver_sql("SELECT code FROM activity_directions")).all()
    assert {row[0] for row in codes} == {d.code for d in ACTIVITY_DIRECTIONS}
