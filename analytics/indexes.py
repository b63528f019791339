"""Monthly satisfaction indexes read from the rollup: mean, CSAT, n and 95% CI.

The questionnaire version is always part of the grouping: series of different scales
or versions are never mixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.decline import MonthlyScore
from analytics.stats import RollupCell
from core.periods import month_add
from storage.models import ClientType, MonthlyRollup, Questionnaire

DIMENSIONS: dict[str, Any] = {
    "process": MonthlyRollup.process_id,
    "touchpoint": MonthlyRollup.touchpoint_id,
    "segment": MonthlyRollup.segment,
    "channel": MonthlyRollup.channel,  # the touchpoint's kind: digital or offline
    "collected_via": MonthlyRollup.collected_via,  # where the answers were given
    "department": MonthlyRollup.department_id,
    "client_type": MonthlyRollup.client_type,
}


@dataclass(frozen=True)
class IndexRow:
    """One group and month: the statistics people read."""

    month: date
    questionnaire_id: int
    keys: dict[str, Any]
    cell: RollupCell

    @property
    def n(self) -> int:
        return self.cell.n

    @property
    def mean(self) -> float | None:
        return self.cell.mean

    @property
    def csat(self) -> float | None:
        return self.cell.csat

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.cell.ci95


async def monthly_index(
    session: AsyncSession,
    *,
    by: Sequence[str] = ("process",),
    client_type: ClientType | None = None,
    process_ids: Sequence[int] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[IndexRow]:
    """Indexes grouped by the given dimensions, per questionnaire version and month."""
    unknown = set(by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown index dimensions: {sorted(unknown)}")
    group = [DIMENSIONS[name] for name in by]
    query = sa.select(
        MonthlyRollup.month,
        MonthlyRollup.questionnaire_id,
        *group,
        sa.func.sum(MonthlyRollup.n),
        sa.func.sum(MonthlyRollup.total),
        sa.func.sum(MonthlyRollup.total_sq),
        sa.func.sum(MonthlyRollup.top2),
    ).group_by(MonthlyRollup.month, MonthlyRollup.questionnaire_id, *group)
    if client_type is not None:
        query = query.where(MonthlyRollup.client_type == client_type)
    if process_ids is not None:
        query = query.where(MonthlyRollup.process_id.in_(list(process_ids)))
    if since is not None:
        query = query.where(MonthlyRollup.month >= since)
    if until is not None:
        query = query.where(MonthlyRollup.month <= until)
    rows: list[IndexRow] = []
    for record in await session.execute(query.order_by(MonthlyRollup.month)):
        values = tuple(record)
        keys = dict(zip(by, values[2 : 2 + len(by)], strict=True))
        n, total, total_sq, top2 = (int(v or 0) for v in values[2 + len(by) :])
        rows.append(
            IndexRow(
                values[0],
                values[1],
                keys,
                RollupCell(n=n, total=total, total_sq=total_sq, top2=top2),
            )
        )
    return rows


def months_back(until: date, count: int) -> list[date]:
    return [month_add(until, -offset) for offset in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class Series:
    """A chronological monthly series of one questionnaire version, gaps filled with n = 0."""

    questionnaire_id: int
    scale_max: int
    points: list[MonthlyScore]
    cells: list[RollupCell]


def build_series(
    rows: Sequence[IndexRow], questionnaire_id: int, scale_max: int, months: Sequence[date]
) -> Series:
    by_month = {row.month: row.cell for row in rows if row.questionnaire_id == questionnaire_id}
    cells = [by_month.get(month, RollupCell()) for month in months]
    points = [
        MonthlyScore(month=month, mean=cell.mean or 0.0, responses=cell.n)
        for month, cell in zip(months, cells, strict=True)
    ]
    return Series(questionnaire_id, scale_max, points, cells)


async def scale_max_of(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(sa.select(Questionnaire.id, Questionnaire.scale_max))
    return {row.id: row.scale_max for row in rows}


def latest_version(rows: Sequence[IndexRow]) -> int | None:
    """The questionnaire version a series follows: the one with the most recent data."""
    if not rows:
        return None
    return max(rows, key=lambda row: (row.month, row.n)).questionnaire_id
