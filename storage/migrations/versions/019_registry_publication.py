"""Touchpoints belong to a department; the registry's changes wait for their publication.

Seed 002 §2.6: «Осуществление процесса несколькими структурными подразделениями министерства
предполагает указание точек взаимодействия, исходя из выполняемых действий каждым структурным
подразделением в отдельности» — `touchpoints.department_id`. Seed 002 §3.1: «Актуальная версия
Перечня размещается на официальном сайте министерства не позднее 5 рабочих дней с момента
внесения изменений» — `registry_changes`, one row per import that changed something.

Revision ID: 019
Revises: 024 (017 as written; relinked after main gained 023)
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "019"
down_revision: str | None = "024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_touchpoints_department_id_departments"),
            "departments",
            ["department_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "registry_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("publish_by", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["people.id"],
            name=op.f("fk_registry_changes_published_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_changes")),
    )
    with op.batch_alter_table("registry_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registry_changes_published_on"), ["published_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("registry_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_changes_published_on"))
    op.drop_table("registry_changes")
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_touchpoints_department_id_departments"), type_="foreignkey"
        )
        batch_op.drop_column("department_id")
