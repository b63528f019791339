"""Reengineering cases: steps, grounds, audit, documents, extensions, plans, research.

Revision ID: 004
Revises: 003
Create Date: 2026-11-23 18:26:08.150513
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "004"
down_revision: str | None = "003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reengineering_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column(
            "ground",
            sa.Enum(
                "instruction", "decline", "review_due", name="ground", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("arose_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="casestatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("detection_id", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("uses_digital_service", sa.Boolean(), nullable=False),
        sa.Column("plan_created_on", sa.Date(), nullable=True),
        sa.Column("effect_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["detection_id"],
            ["decline_detections.id"],
            name=op.f("fk_reengineering_cases_detection_id_decline_detections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["people.id"],
            name=op.f("fk_reengineering_cases_opened_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["processes.id"],
            name=op.f("fk_reengineering_cases_process_id_processes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reengineering_cases")),
    )
    with op.batch_alter_table("reengineering_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reengineering_cases_process_id"), ["process_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reengineering_cases_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_reengineering_cases_open_process",
            ["process_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=16), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=256), nullable=True),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("original_name", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_case_documents_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["people.id"],
            name=op.f("fk_case_documents_uploaded_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
    )
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_documents_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["people.id"],
            name=op.f("fk_case_events_actor_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_case_events_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=16), nullable=False),
        sa.Column("activation", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_due", sa.Date(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "granted",
                "refused",
                name="extensionstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_due", sa.Date(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_case_extensions_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["people.id"],
            name=op.f("fk_case_extensions_decided_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["people.id"],
            name=op.f("fk_case_extensions_requested_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_extensions")),
    )
    with op.batch_alter_table("case_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_extensions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_grounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column(
            "ground",
            sa.Enum(
                "instruction", "decline", "review_due", name="ground", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("arose_on", sa.Date(), nullable=False),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("detection_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["people.id"],
            name=op.f("fk_case_grounds_actor_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_case_grounds_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["detection_id"],
            ["decline_detections.id"],
            name=op.f("fk_case_grounds_detection_id_decline_detections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_grounds")),
        sa.UniqueConstraint("detection_id", name=op.f("uq_case_grounds_detection_id")),
    )
    with op.batch_alter_table("case_grounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_grounds_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("responsible_name", sa.String(length=300), nullable=False),
        sa.Column("responsible_id", sa.Integer(), nullable=True),
        sa.Column("expected_result", sa.Text(), nullable=False),
        sa.Column("report_document", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "in_progress",
                "done",
                "cancelled",
                name="planitemstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("prototype_step", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_case_plan_items_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_id"],
            ["people.id"],
            name=op.f("fk_case_plan_items_responsible_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_plan_items")),
    )
    with op.batch_alter_table("case_plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_plan_items_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_code", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "done",
                "skipped",
                name="stepstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("revision_due", sa.Date(), nullable=True),
        sa.Column("entered_due", sa.Date(), nullable=True),
        sa.Column("meeting_on", sa.Date(), nullable=True),
        sa.Column("extended_due", sa.Date(), nullable=True),
        sa.Column("activation", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_case_steps_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"],
            ["people.id"],
            name=op.f("fk_case_steps_done_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_steps")),
        sa.UniqueConstraint("case_id", "step_code", name=op.f("uq_case_steps_case_id_step_code")),
    )
    with op.batch_alter_table("case_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_steps_case_id"), ["case_id"], unique=False)

    op.create_table(
        "research_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("launched_by_id", sa.Integer(), nullable=True),
        sa.Column("department_ids", sa.JSON(), nullable=False),
        sa.Column("invited_clients", sa.Integer(), nullable=False),
        sa.Column("invited_performers", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["reengineering_cases.id"],
            name=op.f("fk_research_campaigns_case_id_reengineering_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["case_documents.id"],
            name=op.f("fk_research_campaigns_document_id_case_documents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["launched_by_id"],
            ["people.id"],
            name=op.f("fk_research_campaigns_launched_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_campaigns")),
    )
    with op.batch_alter_table("research_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_research_campaigns_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("research_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_research_campaigns_case_id"))

    op.drop_table("research_campaigns")
    with op.batch_alter_table("case_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_steps_case_id"))

    op.drop_table("case_steps")
    with op.batch_alter_table("case_plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_plan_items_case_id"))

    op.drop_table("case_plan_items")
    with op.batch_alter_table("case_grounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_grounds_case_id"))

    op.drop_table("case_grounds")
    with op.batch_alter_table("case_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_extensions_case_id"))

    op.drop_table("case_extensions")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_documents_case_id"))

    op.drop_table("case_documents")
    with op.batch_alter_table("reengineering_cases", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_reengineering_cases_open_process",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_reengineering_cases_status"))
        batch_op.drop_index(batch_op.f("ix_reengineering_cases_process_id"))

    op.drop_table("reengineering_cases")
