"""The organisation chooses its regulation; a case keeps the template revision it opened under.

``organization_settings.regulation_id`` is the workflow template new cases open under
(seed 003 for every existing install, as before); ``regulation_days`` holds the body's own
defaults for the due dates its officer sets. ``reengineering_cases.template_version`` records
the template's version and checksum (existing cases: unknown, left empty).

Revision ID: 018
Revises: 021 (relinked after merging main: 017 → 020 → 023 → 024 → 019 → 021 → 018)
Create Date: 2026-12-02 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "018"
down_revision: str | None = "021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "regulation_id", sa.String(length=64), server_default="seed003", nullable=False
            )
        )
        batch_op.add_column(sa.Column("regulation_days", sa.JSON(), nullable=True))
    with op.batch_alter_table("reengineering_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template_version", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reengineering_cases", schema=None) as batch_op:
        batch_op.drop_column("template_version")
    with op.batch_alter_table("organization_settings", schema=None) as batch_op:
        batch_op.drop_column("regulation_days")
        batch_op.drop_column("regulation_id")
