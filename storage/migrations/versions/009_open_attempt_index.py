"""A person's open attempt by one index: (respondent_key, status) replaces respondent_key.

Revision ID: 009
Revises: 008
Create Date: 2026-11-24 04:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "009"
down_revision: str | None = "008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_survey_sessions_respondent_key", table_name="survey_sessions")
    op.create_index(
        "ix_survey_sessions_respondent_status",
        "survey_sessions",
        ["respondent_key", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_survey_sessions_respondent_status", table_name="survey_sessions")
    op.create_index(
        "ix_survey_sessions_respondent_key", "survey_sessions", ["respondent_key"], unique=False
    )
