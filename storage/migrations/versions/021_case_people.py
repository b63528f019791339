"""The people around a case (seed 003): the department head, a case's own owner, signatures.

A department names its head (§2.2.6, §3.3, §3.7: the head signs the conclusions; §2.2.5: the
head hears of an exclusion); a case may have an owner of its own by instruction (§1.4); the
head's signature of a step's conclusion is a row of ``case_signatures``.

Revision ID: 021
Revises: 019
Create Date: 2026-12-02 07:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "021"
down_revision: str | None = "019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("head_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_departments_head_id_people"),
            "people",
            ["head_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("reengineering_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reengineering_cases_owner_id_people"),
            "people",
            ["owner_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "case_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=16), nullable=False),
        sa.Column("activation", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_case_signatures_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["head_id"],
            ["people.id"],
            name=op.f("fk_case_signatures_head_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["people.id"],
            name=op.f("fk_case_signatures_requested_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_signatures")),
    )
    op.create_index(
        op.f("ix_case_signatures_case_id"), "case_signatures", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_signatures_case_id"), table_name="case_signatures")
    op.drop_table("case_signatures")
    with op.batch_alter_table("reengineering_cases", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reengineering_cases_owner_id_people"), type_="foreignkey"
        )
        batch_op.drop_column("owner_id")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_departments_head_id_people"), type_="foreignkey")
        batch_op.drop_column("head_id")
