"""Messages to people Telegram cannot reach yet are held, with the reason and since when.

Revision ID: 010
Revises: 009
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "010"
down_revision: str | None = "009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unreachable_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("unreachable_since", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("held_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_person_id"), ["person_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_person_id_people"),
            "people",
            ["person_id"],
            ["id"],
            ondelete="CASCADE",
        )
    # Those a 403 stopped for good are now kept for the day the person writes again.
    op.execute(
        "UPDATE outbox SET status = 'held', person_id = "
        "(SELECT people.id FROM people WHERE people.telegram_id = outbox.chat_id) "
        "WHERE status = 'unreachable' AND EXISTS "
        "(SELECT 1 FROM people WHERE people.telegram_id = outbox.chat_id)"
    )
    op.execute(
        "UPDATE people SET unreachable_reason = 'blocked' "
        "WHERE unreachable AND unreachable_reason IS NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'unreachable' WHERE status = 'held'")
    op.execute("DELETE FROM outbox WHERE chat_id IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_person_id_people"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_person_id"))
        batch_op.drop_column("held_since")
        batch_op.drop_column("person_id")
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("unreachable_since")
        batch_op.drop_column("unreachable_reason")
