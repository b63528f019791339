"""Tables of reengineering cases: steps, grounds, audit trail, documents, extensions, plans.

A case follows a workflow template (reengineering/templates); its steps are stored one row
per template step so the UI, the reminders and the audit can read where each step stands
without recomputing the plan. The plan is recomputed from these rows after every event.

Kept apart from storage/models.py so that the reengineering feature owns its tables; the
Alembic environment imports this module so migrations and tests see them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, UTCDateTime, str_enum
from storage.models import Process


class Ground(enum.StrEnum):
    """Grounds for reengineering (seed 003 §1.5)."""

    INSTRUCTION = "instruction"
    DECLINE = "decline"
    REVIEW_DUE = "review_due"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class StepStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"
    SKIPPED = "skipped"


class ExtensionStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


class PlanItemStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class ReengineeringCase(Base):
    """One reengineering of one process; at most one open case per process (partial index)."""

    __tablename__ = "reengineering_cases"
    __table_args__ = (
        sa.Index(
            "uq_reengineering_cases_open_process",
            "process_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        sa.ForeignKey("processes.id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[str] = mapped_column(sa.String(64))
    ground: Mapped[Ground] = mapped_column(str_enum(Ground))
    arose_on: Mapped[date]
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), index=True)
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opened_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    detection_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decline_detections.id", ondelete="SET NULL")
    )
    closed_on: Mapped[date | None]
    uses_digital_service: Mapped[bool] = mapped_column(default=False)
    plan_created_on: Mapped[date | None]
    effect_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Seed 003 §1.4: an instruction may name another owner for this case only; None means
    # the process owner of the registry.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))

    process: Mapped[Process] = relationship()


class CaseGround(Base):
    """Every ground that concerned a case: the one that opened it and those linked to it."""

    __tablename__ = "case_grounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    ground: Mapped[Ground] = mapped_column(str_enum(Ground))
    arose_on: Mapped[date]
    opened: Mapped[bool] = mapped_column(default=False)
    # A detection is consumed once: it opened a case or was linked to one.
    detection_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decline_detections.id", ondelete="CASCADE"), unique=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseStep(Base):
    """Where one template step stands; completion and decision of its latest pass."""

    __tablename__ = "case_steps"
    __table_args__ = (sa.UniqueConstraint("case_id", "step_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    step_code: Mapped[str] = mapped_column(sa.String(16))
    position: Mapped[int]
    status: Mapped[StepStatus] = mapped_column(str_enum(StepStatus))
    started_on: Mapped[date | None]
    due_on: Mapped[date | None]
    done_on: Mapped[date | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    decision: Mapped[str | None] = mapped_column(sa.String(32))
    # Set by a return-for-revision decision of this step: the date the revision is due.
    revision_due: Mapped[date | None]
    # A due date people enter (the working-group meeting for D5).
    entered_due: Mapped[date | None]
    # The working-group meeting at which this step's decision was taken.
    meeting_on: Mapped[date | None]
    # A granted extension; cleared when the step becomes active again.
    extended_due: Mapped[date | None]
    # How many times the step became active (a revision loop reactivates it).
    activation: Mapped[int] = mapped_column(default=0)
    # Active again because a decision returned it for revision: the owner revises it.
    reopened: Mapped[bool] = mapped_column(default=False)
    activated_on: Mapped[date | None]


class SignatureStatus(enum.StrEnum):
    PENDING = "pending"
    SIGNED = "signed"
    RETURNED = "returned"


class CaseSignature(Base):
    """The department head's signature on a step's conclusion (seed 003 §2.2.6, §3.3, §3.7).

    The step is completed only once the head signs; ``request`` keeps what was asked (the
    decision, its dates, the comment) so signing completes the step as it was submitted.
    """

    __tablename__ = "case_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    step_code: Mapped[str] = mapped_column(sa.String(16))
    activation: Mapped[int]
    head_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    request: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[SignatureStatus] = mapped_column(str_enum(SignatureStatus))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_on: Mapped[date | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)


class CaseEvent(Base):
    """The audit trail: who did what and when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    step_code: Mapped[str | None] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(32))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    on_day: Mapped[date]
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseDocument(Base):
    """A document attached to a step: the Telegram file and, when downloaded, a local copy."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    step_code: Mapped[str] = mapped_column(sa.String(16))
    telegram_file_id: Mapped[str | None] = mapped_column(sa.String(256))
    file_path: Mapped[str | None] = mapped_column(sa.String(500))
    original_name: Mapped[str] = mapped_column(sa.String(300))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseExtension(Base):
    """The owner asks for more time on a step; the officer grants a new date or refuses."""

    __tablename__ = "case_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    step_code: Mapped[str] = mapped_column(sa.String(16))
    activation: Mapped[int]
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    proposed_due: Mapped[date | None]
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ExtensionStatus] = mapped_column(str_enum(ExtensionStatus))
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    new_due: Mapped[date | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)


class PlanItem(Base):
    """A measure of the action plan (seed 003 annex): section, due date, responsible, result."""

    __tablename__ = "case_plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    section: Mapped[int]
    position: Mapped[int]
    measure: Mapped[str] = mapped_column(sa.Text)
    due_on: Mapped[date]
    responsible_name: Mapped[str] = mapped_column(sa.String(300))
    responsible_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    expected_result: Mapped[str] = mapped_column(sa.Text, default="")
    report_document: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[PlanItemStatus] = mapped_column(str_enum(PlanItemStatus))
    done_on: Mapped[date | None]
    # 1..6 for the prototype measures of seed 003 §3.5, added automatically.
    prototype_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ResearchCampaign(Base):
    """The R3 survey of clients and performers of a case: who was invited, when it closed."""

    __tablename__ = "research_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reengineering_cases.id", ondelete="CASCADE"), index=True
    )
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    launched_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
    department_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    invited_clients: Mapped[int] = mapped_column(default=0)
    invited_performers: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_documents.id", ondelete="SET NULL")
    )


class ResearchInvitation(Base):
    """One invitee of an R3 survey. The invitation's button carries a random token; only
    ``sha256(token:chat)`` is kept, so the row names no chat and a token works for its
    invitee alone (a guessed case id or a borrowed button opens nothing)."""

    __tablename__ = "research_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("research_campaigns.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    audience: Mapped[str] = mapped_column(sa.String(16))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime())
