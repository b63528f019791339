"""The monthly rollup: sufficient statistics per cell, updated as responses arrive.

Sums of n, Σx, Σx² and top-2 counts are additive, so every index (per process, touchpoint,
segment, channel) is a sum over cells, and a full rebuild is one GROUP BY.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MonthlyRollup, Questionnaire, Response


def cell_key(
    questionnaire_id: int,
    process_id: int | None,
    touchpoint_id: int | None,
    segment: str | None,
    channel: str,
    department_id: int | None,
) -> str:
    def part(value: object) -> str:
        return "-" if value is None else str(value)

    return "|".join(
        part(v)
        for v in (questionnaire_id, process_id, touchpoint_id, segment, channel, department_id)
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
    )
    key: sa.ColumnElement[str] = part(columns[0])
    for column in columns[1:]:
        key = key.concat("|").concat(part(column))
    return key


async def add_to_rollup(session: AsyncSession, response: Response, scale_max: int) -> None:
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
        ),
        "month": response.month,
        "questionnaire_id": response.questionnaire_id,
        "process_id": response.process_id,
        "touchpoint_id": response.touchpoint_id,
        "segment": response.segment,
        "channel": response.channel,
        "client_type": response.client_type,
        "department_id": response.department_id,
        "n": 1,
        "total": rating,
        "total_sq": rating * rating,
        "top2": 1 if rating >= scale_max - 1 else 0,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(MonthlyRollup).values(**values)
    table = MonthlyRollup.__table__.c
    statement = statement.on_conflict_do_update(
        index_elements=["cell", "month"],
        set_={
            "n": table.n + statement.excluded.n,
            "total": table.total + statement.excluded.total,
            "total_sq": table.total_sq + statement.excluded.total_sq,
            "top2": table.top2 + statement.excluded.top2,
        },
    )
    await session.execute(statement)


async def rebuild_rollups(session: AsyncSession) -> int:
    """Recompute every cell from the responses: one DELETE and one INSERT … SELECT … GROUP BY."""
    await session.execute(sa.delete(MonthlyRollup))
    rating = Response.rating
    top = sa.case((rating >= Questionnaire.scale_max - 1, 1), else_=0)
    grouped = (
        sa.select(
            _cell_sql(),
            Response.month,
            Response.questionnaire_id,
            Response.process_id,
            Response.touchpoint_id,
            Response.segment,
            Response.channel,
            Response.client_type,
            Response.department_id,
            sa.func.count(),
            sa.func.sum(rating),
            sa.func.sum(rating * rating),
            sa.func.sum(top),
        )
        .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
        .where(rating.is_not(None))
        .group_by(
            Response.questionnaire_id,
            Response.process_id,
            Response.touchpoint_id,
            Response.segment,
            Response.channel,
            Response.department_id,
            Response.client_type,
            Response.month,
        )
    )
    result = await session.execute(
        sa.insert(MonthlyRollup).from_select(
            [
                "cell",
                "month",
                "questionnaire_id",
                "process_id",
                "touchpoint_id",
                "segment",
                "channel",
                "client_type",
                "department_id",
                "n",
                "total",
                "total_sq",
                "top2",
            ],
            grouped,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
