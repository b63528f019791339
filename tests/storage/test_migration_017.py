"""Revision 017: rollup cells gain the collection channel, and every figure stays the same."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from analytics.rollup import cell_key, rebuild_rollups
from core.settings import Settings
from storage.database import create_engine, create_session_pool
from storage.migrate import alembic_config, upgrade_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)
MARCH = date(2026, 3, 1)
# (collected_via, rating): revision 015 stored the channel, but the rollup of its time
# counted every response into the one cell of its other dimensions.
ANSWERS = [("telegram", 5), ("telegram", 4), ("telegram", 2), ("web", 5), ("web", 3), ("max", 4)]
SUMS = "SELECT sum(n), sum(total), sum(total_sq), sum(top2) FROM monthly_rollups"


async def _insert(connection: AsyncConnection, sql: str, **values: Any) -> None:
    await connection.execute(sa.text(sql), values)


async def _history(connection: AsyncConnection) -> None:
    """A questionnaire, its responses and the rollup as the code of revision 015 wrote it."""
    await _insert(
        connection,
        "INSERT INTO questionnaires (id, code, version, title, audience, scale_min, scale_max,"
        " definition, checksum, is_current, loaded_at)"
        " VALUES (1, 'touchpoint', 1, 't', 'external', 1, 5, '{}', 'x', true, :now)",
        now=NOW,
    )
    for index, (via, rating) in enumerate(ANSWERS, start=1):
        await _insert(
            connection,
            "INSERT INTO survey_sessions (id, respondent_key, questionnaire_id, status, step,"
            " path, answers, started_at, expires_at)"
            " VALUES (:id, :key, 1, 'completed', 1, '[0]', '{}', :now, :now)",
            id=index, key=f"k{index}", now=NOW,
        )  # fmt: skip
        await _insert(
            connection,
            "INSERT INTO responses (id, session_id, questionnaire_id, respondent_key,"
            " client_type, channel, collected_via, segment, rating, month, local_day,"
            " submitted_at) VALUES (:id, :id, 1, :key, 'external', 'digital', :via, 'citizen',"
            " :rating, :day, :day, :now)",
            id=index, key=f"k{index}", via=via, rating=rating, day=MARCH, now=NOW,
        )  # fmt: skip
    counted = [rating for _via, rating in ANSWERS]
    rows = [
        # the cell of the responses above, with the old key (no collection channel)
        ("1|-|-|citizen|digital|-", MARCH, counted),
        # a month whose responses are gone (or never were): its figures must survive
        ("1|-|-|citizen|digital|-", date(2025, 1, 1), [5, 5, 1]),
    ]
    for cell, month, ratings in rows:
        await _insert(
            connection,
            "INSERT INTO monthly_rollups (cell, month, questionnaire_id, segment, channel,"
            " client_type, n, total, total_sq, top2) VALUES (:cell, :month, 1, 'citizen',"
            " 'digital', 'external', :n, :total, :total_sq, :top2)",
            cell=cell, month=month, n=len(ratings), total=sum(ratings),
            total_sq=sum(r * r for r in ratings), top2=sum(1 for r in ratings if r >= 4),
        )  # fmt: skip


async def test_cells_are_split_by_channel_and_the_figures_stay_equal(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine, "015")
        async with engine.begin() as connection:
            await _history(connection)
            before = tuple((await connection.execute(sa.text(SUMS))).one())
            original = await connection.execute(
                sa.text("SELECT cell, month, n, total, total_sq, top2 FROM monthly_rollups")
            )
            old = sorted((c, _day(m), *sums) for c, m, *sums in original)
        await upgrade_database(engine, "017")
        async with engine.connect() as connection:
            after = tuple((await connection.execute(sa.text(SUMS))).one())
            rows = await connection.execute(
                sa.text(
                    "SELECT cell, month, collected_via, n, total, total_sq, top2"
                    " FROM monthly_rollups ORDER BY month, collected_via"
                )
            )
            cells = [tuple(row) for row in rows]
        assert after == before
        january, march = date(2025, 1, 1), MARCH
        key = lambda via: cell_key(1, None, None, "citizen", "digital", None, via)  # noqa: E731
        assert [(c[0], _day(c[1]), c[2], c[3], c[4]) for c in cells] == [
            (key("telegram"), january, "telegram", 3, 11),
            (key("max"), march, "max", 1, 4),
            (key("telegram"), march, "telegram", 3, 11),
            (key("web"), march, "web", 2, 8),
        ]
        # the March cells are what the code now counts: a rebuild from responses agrees
        async with create_session_pool(engine)() as session, session.begin():
            await rebuild_rollups(session)
            rebuilt = await session.execute(
                sa.text(
                    "SELECT cell, month, collected_via, n, total, total_sq, top2"
                    " FROM monthly_rollups ORDER BY month, collected_via"
                )
            )
            assert [tuple(row) for row in rebuilt] == [c for c in cells if _day(c[1]) == march]
            await session.rollback()

        def downgrade(connection: Connection) -> None:
            config = alembic_config(engine.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.downgrade(config, "-1")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            restored = await connection.execute(
                sa.text("SELECT cell, month, n, total, total_sq, top2 FROM monthly_rollups")
            )
            assert sorted((c, _day(m), *sums) for c, m, *sums in restored) == old
    finally:
        await engine.dispose()


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
