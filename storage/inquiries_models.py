"""Requests of internal clients to internal services (seed 004 §9–10).

Kept apart from storage/models.py so that the inquiries feature owns its table; the Alembic
environment imports this module so migrations and tests see it. The author is a staff person
(a `people` row, seed 004 §2: an employee of the body or of a subordinate institution); the
text is the request itself and is never written to a log.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from storage.base import Base, UTCDateTime, str_enum


class RequestForm(enum.StrEnum):
    """How the answer is given: §9 oral (at once or by the end of the day), §10 written."""

    WRITTEN = "written"
    ORAL = "oral"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    REFUSED = "refused"


class InternalRequest(Base):
    """One request of an internal client to an internal service (a process for employees)."""

    __tablename__ = "internal_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        sa.ForeignKey("processes.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    form: Mapped[RequestForm] = mapped_column(str_enum(RequestForm))
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus), default=RequestStatus.OPEN, index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    received_on: Mapped[date]  # the local day of receipt: «с даты поступления обращения»
    due_on: Mapped[date] = mapped_column(index=True)  # the last local day to answer
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    answer: Mapped[str | None] = mapped_column(sa.Text)  # the answer, or the refusal's reasons
