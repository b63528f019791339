"""Requests of internal clients (seed 004 §9–10) and subordinate institutions (seed 004 §2).

`internal_requests` holds one request of an employee to an internal service, its form
(written or oral), the day it is due and how it was closed. `departments.subordinate` marks
a department row that stands for a subordinate institution, whose staff are internal
clients too; every existing department is the body's own.

Revision ID: 020
Revises: 017
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "020"
down_revision: str | None = "017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subordinate", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "internal_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column(
            "form",
            sa.Enum(
                "written",
                "oral",
                name="requestform",
                native_enum=False,
                create_constraint=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "answered",
                "refused",
                name="requeststatus",
                native_enum=False,
                create_constraint=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["people.id"],
            name=op.f("fk_internal_requests_author_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"],
            ["people.id"],
            name=op.f("fk_internal_requests_closed_by_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
            name=op.f("fk_internal_requests_process_id_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_requests")),
    )
    for column in ("process_id", "author_id", "status", "due_on"):
        op.create_index(
            op.f(f"ix_internal_requests_{column}"), "internal_requests", [column], unique=False
        )


def downgrade() -> None:
    for column in ("due_on", "status", "author_id", "process_id"):
        op.drop_index(op.f(f"ix_internal_requests_{column}"), table_name="internal_requests")
    op.drop_table("internal_requests")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_column("subordinate")
