"""Inbox retention: handled updates keep their id and status, not the raw update.

Until now every update stayed in `inbox.payload` for good, with the sender's Telegram id,
username, names and texts. Handling now drops it (storage.uow, storage.retention); this
drops what earlier versions left behind. No schema change.

Revision ID: 012
Revises: 009
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "012"
down_revision: str | None = "011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE inbox SET payload = NULL WHERE status <> 'pending'")


def downgrade() -> None:
    """Nothing to restore: the dropped updates were handled and are not needed again."""
