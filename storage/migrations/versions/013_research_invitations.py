"""Research invitations: one row per invitee of an R3 survey, keyed by a token's digest.

Revision ID: 013
Revises: 009
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "013"
down_revision: str | None = "012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "research_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["research_campaigns.id"],
            name=op.f("fk_research_invitations_campaign_id_research_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_invitations")),
        sa.UniqueConstraint("digest", name=op.f("uq_research_invitations_digest")),
    )
    with op.batch_alter_table("research_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_research_invitations_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("research_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_research_invitations_campaign_id"))
    op.drop_table("research_invitations")
