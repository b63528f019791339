"""The monthly rollup: sufficient statistics per cell, updated as responses arrive.

Sums of n, Σx, Σx² and top-2 counts are additive, so every index (per process, touchpoint,
segment, channel, collection channel) is a sum over cells, and a full rebuild is one GROUP BY.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ClientType, MonthlyRollup, Questionnaire, Response
from storage.statements import PerDialect, binds, dialect_insert, run, scalar


def cell_key(
    questionnaire_id: int,
    process_id: int | None,
    touchpoint_id: int | None,
    segment: str | None,
    channel: str,
    department_id: int | None,
    collected_via: str,
) -> str:
    """The cell's name: its dimensions joined by «|», None as «-», collection channel last."""

    def part(value: object) -> str:
        return "-" if value is None else str(value)

    return "|".join(
        part(v)
        for v in (
            questionnaire_id,
            process_id,
            touchpoint_id,
            segment,
            channel,
            department_id,
            collected_via,
        )
    )


def _cell_sql() -> sa.ColumnElement[str]:
    """The same key as `cell_key`, computed by the database for the rebuild."""

    def part(column: Any) -> sa.ColumnElement[str]:
        return sa.func.coalesce(sa.cast(column, sa.String), "-")

    columns = (
        Response.questionnaire_id,
        Response.process_id,
        Response.touchpoint_id,
        Response.segment,
        Response.channel,
        Response.department_id,
        Response.collected_via,
    )
    key: sa.ColumnElement[str] = part(columns[0])
    for column in columns[1:]:
        key = key.concat("|").concat(part(column))
    return key


class Rated(Protocol):
    """The fields of a stored response that decide its cell (an ORM row or a plain record)."""

    questionnaire_id: int
    process_id: int | None
    touchpoint_id: int | None
    segment: str | None
    channel: str
    department_id: int | None
    collected_via: str
    client_type: ClientType
    rating: int | None
    month: date


async def add_to_rollup(session: AsyncSession, response: Rated, scale_max: int) -> None:
    """Count one stored response into its cell, in the caller's transaction."""
    await count_in_rollup(session, response, scale_max)


async def count_in_rollup(session: AsyncSession, response: Rated, scale_max: int) -> None:
    """Count one stored response into its cell, in the caller's transaction."""
    if response.rating is None:
        return
    rating = response.rating
    values = {
        "cell": cell_key(
            response.questionnaire_id,
            response.process_id,
            response.touchpoint_id,
            response.segment,
            response.channel,
            response.department_id,
            response.collected_via,
        ),
        "month": response.month,
        "questionnaire_id": response.questionnaire_id,
        "process_id": response.process_id,
        "touchpoint_id": response.touchpoint_id,
        "segment": response.segment,
        "channel": response.channel,
        "collected_via": response.collected_via,
        "client_type": response.client_type,
        "department_id": response.department_id,
        "n": 1,
        "total": rating,
        "total_sq": rating * rating,
        "top2": 1 if rating >= scale_max - 1 else 0,
    }
    await run(session, _ADD_ONE, values)


def _add_one(dialect: str) -> sa.Insert:
    """Per dialect: the upsert's ON CONFLICT clause is the dialect's own."""
    insert = dialect_insert(dialect)
    table = cast(sa.Table, MonthlyRollup.__table__)
    statement = insert(table).values(binds(*_ROLLUP_COLUMNS))
    return statement.on_conflict_do_update(
        index_elements=["cell", "month"],
        set_={
            "n": table.c.n + statement.excluded.n,
            "total": table.c.total + statement.excluded.total,
            "total_sq": table.c.total_sq + statement.excluded.total_sq,
            "top2": table.c.top2 + statement.excluded.top2,
        },
    )


_ROLLUP_COLUMNS = (
    "cell",
    "month",
    "questionnaire_id",
    "process_id",
    "touchpoint_id",
    "segment",
    "channel",
    "collected_via",
    "client_type",
    "department_id",
    "n",
    "total",
    "total_sq",
    "top2",
)
_ADD_ONE = PerDialect(_add_one)


def _grouped_responses(*where: sa.ColumnElement[bool]) -> sa.Select[*tuple[Any, ...]]:
    """Rated responses summed per cell and month, in the order of `_ROLLUP_COLUMNS`."""
    rating = Response.rating
    top = sa.case((rating >= Questionnaire.scale_max - 1, 1), else_=0)
    return (
        sa.select(
            _cell_sql(),
            Response.month,
            Response.questionnaire_id,
            Response.process_id,
            Response.touchpoint_id,
            Response.segment,
            Response.channel,
            Response.collected_via,
            Response.client_type,
            Response.department_id,
            sa.func.count(),
            sa.func.sum(rating),
            sa.func.sum(rating * rating),
            sa.func.sum(top),
        )
        .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
        .where(rating.is_not(None), *where)
        .group_by(
            Response.questionnaire_id,
            Response.process_id,
            Response.touchpoint_id,
            Response.segment,
            Response.channel,
            Response.department_id,
            Response.collected_via,
            Response.client_type,
            Response.month,
        )
    )


async def _indexed_only(session: AsyncSession) -> sa.ColumnElement[bool]:
    """Responses of questionnaires kept out of the indexes (one-off research) are skipped."""
    rows = await session.execute(sa.select(Questionnaire.id, Questionnaire.definition))
    skipped = [row.id for row in rows if not (row.definition or {}).get("indexed", True)]
    return Response.questionnaire_id.not_in(skipped) if skipped else sa.true()


async def rebuild_rollups(session: AsyncSession) -> int:
    """Recompute every cell from the responses: one DELETE and one INSERT … SELECT … GROUP BY."""
    await session.execute(sa.delete(MonthlyRollup))
    indexed = await _indexed_only(session)
    result = await session.execute(
        sa.insert(MonthlyRollup).from_select(list(_ROLLUP_COLUMNS), _grouped_responses(indexed))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def absorb_new_responses(session: AsyncSession, after_id: int) -> int:
    """Count the responses with id > `after_id` into the rollup; returns how many were counted.

    One grouped statement: INSERT … SELECT … GROUP BY … ON CONFLICT (cell, month) DO UPDATE
    adding the sums, so a batch costs one pass over the new rows (a rowid range) and one
    upsert per touched cell, however large the history. Responses without a rating are
    skipped, as by `add_to_rollup`, and are not counted in the result.

    For responses stored without `add_to_rollup` (a bulk import, a load test): a response
    counted both ways would be counted twice. The caller keeps the watermark; on PostgreSQL,
    ids are drawn from a sequence before commit, so a watermark of max(id) should trail
    writers that are still in flight.
    """
    dialect = session.get_bind().dialect.name
    # The WHERE clause also keeps SQLite from reading ON CONFLICT as a join constraint.
    indexed = await _indexed_only(session)
    fresh = _grouped_responses(Response.id > after_id, indexed)
    if dialect == "postgresql":
        # One snapshot for the upsert and the count: a data-modifying CTE.
        rows = fresh.cte("fresh")
        upsert = _upsert(postgresql.insert(MonthlyRollup), sa.select(rows)).cte("absorbed")
        n = rows.c[_ROLLUP_COLUMNS.index("n")]
        total = sa.select(sa.func.coalesce(sa.func.sum(n), 0)).add_cte(upsert)
        return int(await scalar(session, total) or 0)
    # SQLite: one writer at a time, so the count and the upsert see the same rows.
    counted = sa.select(sa.func.count()).where(
        Response.id > after_id, Response.rating.is_not(None), indexed
    )
    absorbed = int(await scalar(session, counted) or 0)
    if absorbed:
        await session.execute(_upsert(sqlite.insert(MonthlyRollup), fresh))
    return absorbed


def _upsert(insert: Any, rows: sa.Select[*tuple[Any, ...]]) -> Any:
    """`insert` … SELECT `rows` … ON CONFLICT (cell, month) DO UPDATE adding the sums."""
    statement = insert.from_select(list(_ROLLUP_COLUMNS), rows)
    table = MonthlyRollup.__table__.c
    return statement.on_conflict_do_update(
        index_elements=["cell", "month"],
        set_={
            "n": table.n + statement.excluded.n,
            "total": table.total + statement.excluded.total,
            "total_sq": table.total_sq + statement.excluded.total_sq,
            "top2": table.top2 + statement.excluded.top2,
        },
    )
