"""The monthly rollup is split by collection channel (telegram, max, web) as well.

Every existing cell becomes its Telegram cell: its key gains «|telegram». Responses collected
through MAX or the web since revision 015 were counted into those cells; their sums are moved
out of the Telegram cell into a cell of their own channel, so every figure stays the same
and only its split is new. A group larger than its Telegram cell (responses that were
never counted) is left where it is, so no sum goes below zero. Downgrading adds the
channels' cells back together.

Revision ID: 017
Revises: 015
Create Date: 2026-12-02 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "017"
down_revision: str | None = "016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DIMENSIONS = (
    "questionnaire_id",
    "process_id",
    "touchpoint_id",
    "segment",
    "channel",
    "department_id",
)
_SUMS = ("n", "total", "total_sq", "top2")

_rollups = sa.table(
    "monthly_rollups",
    sa.column("id", sa.Integer),
    sa.column("cell", sa.String),
    sa.column("month", sa.Date),
    sa.column("client_type", sa.String),
    sa.column("collected_via", sa.String),
    *(sa.column(name) for name in _DIMENSIONS),
    *(sa.column(name, sa.BigInteger) for name in _SUMS),
)
_responses = sa.table(
    "responses",
    sa.column("rating", sa.Integer),
    sa.column("month", sa.Date),
    sa.column("client_type", sa.String),
    sa.column("collected_via", sa.String),
    *(sa.column(name) for name in _DIMENSIONS),
)
_questionnaires = sa.table(
    "questionnaires",
    sa.column("id", sa.Integer),
    sa.column("scale_max", sa.Integer),
    sa.column("definition", sa.JSON),
)


def _key(values: Sequence[Any]) -> str:
    """`analytics.rollup.cell_key` as of this revision, copied so that it cannot drift."""
    return "|".join("-" if value is None else str(value) for value in values)


def upgrade() -> None:
    with op.batch_alter_table("monthly_rollups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "collected_via", sa.String(length=16), server_default="telegram", nullable=False
            )
        )
    bind = op.get_bind()
    bind.execute(sa.update(_rollups).values(cell=_rollups.c.cell.concat("|telegram")))
    for group in bind.execute(_elsewhere(bind)).mappings().all():
        _move(bind, group)


def _elsewhere(bind: sa.Connection) -> sa.Select[Any]:
    """Sums of the rated, indexed responses collected outside Telegram, per cell and month."""
    skipped = [
        row.id
        for row in bind.execute(sa.select(_questionnaires.c.id, _questionnaires.c.definition))
        if not (row.definition or {}).get("indexed", True)
    ]
    rating = _responses.c.rating
    top = sa.case((rating >= _questionnaires.c.scale_max - 1, 1), else_=0)
    groups = [
        *(_responses.c[name] for name in _DIMENSIONS),
        _responses.c.month,
        _responses.c.client_type,
        _responses.c.collected_via,
    ]
    return (
        sa.select(
            *groups,
            sa.func.count().label("n"),
            sa.func.sum(rating).label("total"),
            sa.func.sum(rating * rating).label("total_sq"),
            sa.func.sum(top).label("top2"),
        )
        .join(_questionnaires, _questionnaires.c.id == _responses.c.questionnaire_id)
        .where(
            rating.is_not(None),
            _responses.c.collected_via != "telegram",
            _responses.c.questionnaire_id.not_in(skipped) if skipped else sa.true(),
        )
        .group_by(*groups)
    )


def _move(bind: sa.Connection, group: Any) -> None:
    """Take one channel's sums out of the Telegram cell into the channel's own cell."""
    dimensions = [group[name] for name in _DIMENSIONS]
    telegram = _key([*dimensions, "telegram"])
    source = bind.execute(
        sa.select(_rollups.c.id, *(_rollups.c[name] for name in _SUMS)).where(
            _rollups.c.cell == telegram, _rollups.c.month == group["month"]
        )
    ).first()
    if source is None or any(getattr(source, name) < int(group[name] or 0) for name in _SUMS):
        return
    left = {name: getattr(source, name) - int(group[name] or 0) for name in _SUMS}
    if left["n"] == 0:
        bind.execute(sa.delete(_rollups).where(_rollups.c.id == source.id))
    else:
        bind.execute(sa.update(_rollups).where(_rollups.c.id == source.id).values(**left))
    bind.execute(
        sa.insert(_rollups).values(
            cell=_key([*dimensions, group["collected_via"]]),
            month=group["month"],
            client_type=group["client_type"],
            collected_via=group["collected_via"],
            **dict(zip(_DIMENSIONS, dimensions, strict=True)),
            **{name: int(group[name] or 0) for name in _SUMS},
        )
    )


def downgrade() -> None:
    bind = op.get_bind()
    others = bind.execute(
        sa.select(_rollups).where(_rollups.c.collected_via != "telegram")
    ).mappings()
    for row in others.all():
        telegram = row["cell"].rsplit("|", 1)[0] + "|telegram"
        updated = bind.execute(
            sa.update(_rollups)
            .where(_rollups.c.cell == telegram, _rollups.c.month == row["month"])
            .values(**{name: _rollups.c[name] + row[name] for name in _SUMS})
        )
        if updated.rowcount:
            bind.execute(sa.delete(_rollups).where(_rollups.c.id == row["id"]))
        else:
            bind.execute(
                sa.update(_rollups)
                .where(_rollups.c.id == row["id"])
                .values(cell=telegram, collected_via="telegram")
            )
    suffix = len("|telegram")
    bind.execute(
        sa.update(_rollups).values(
            cell=sa.func.substr(_rollups.c.cell, 1, sa.func.length(_rollups.c.cell) - suffix)
        )
    )
    with op.batch_alter_table("monthly_rollups", schema=None) as batch_op:
        batch_op.drop_column("collected_via")
