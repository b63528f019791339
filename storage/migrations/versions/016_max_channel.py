"""The MAX channel: people's MAX ids, the outbox's channel, MAX's marker and message ids.

Every outbox row stored before this revision was Telegram's, the only channel then.

Revision ID: 016
Revises: 015
Create Date: 2026-12-02 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "016"
down_revision: str | None = "015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_people_max_id"), ["max_id"])
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), server_default="telegram", nullable=False)
        )
    op.create_table(
        "channel_markers",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("marker", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_markers")),
    )
    op.create_table(
        "max_message_ids",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mid", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_max_message_ids")),
        sa.UniqueConstraint("mid", name=op.f("uq_max_message_ids_mid")),
    )
    op.create_index(
        op.f("ix_max_message_ids_created_at"), "max_message_ids", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_max_message_ids_created_at"), table_name="max_message_ids")
    op.drop_table("max_message_ids")
    op.drop_table("channel_markers")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("channel")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_people_max_id"), type_="unique")
        batch_op.drop_column("max_id")
