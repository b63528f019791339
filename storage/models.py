"""Tables of the registry, people and survey answers.

Answer tables (`responses`, `response_answers`, `respondents`) are keyed by the
pseudonymous respondent key and never hold a Telegram id, username or name.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from storage.base import Base, UTCDateTime, str_enum


class ClientType(enum.StrEnum):
    EXTERNAL = "external"
    INTERNAL = "internal"


class TouchpointKind(enum.StrEnum):
    DIGITAL = "digital"
    OFFLINE = "offline"


class SessionStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class OrganizationSettings(Base):
    """The body running the bot; one row."""

    __tablename__ = "organization_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    bot_username: Mapped[str | None] = mapped_column(sa.String(64))


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    # A subordinate institution (or a unit of one), whose staff are internal clients too
    # (seed 004 §2: «сотрудник учреждения, подведомственного министерству»).
    subordinate: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The head of the department (руководитель структурного подразделения): signs the
    # conclusions of seed 003 §2.2.6, §3.3, §3.7 and hears of an exclusion (§2.2.5).
    head_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL", use_alter=True)
    )


class ActivityDirection(Base):
    """Direction of activity (seed 002 §2.6); the fixed list is seeded by migration 001."""

    __tablename__ = "activity_directions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class Person(Base):
    """Someone the bot knows by Telegram account: employee, process owner or officer.

    `telegram_id` may be unknown while only an @username was given in the registry;
    it is filled in when the person first writes to the bot.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    # The person's MAX user id (core.channels): staff may use MAX beside or instead of Telegram.
    max_id: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    full_name: Mapped[str | None] = mapped_column(sa.String(200))
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="SET NULL")
    )
    is_employee: Mapped[bool] = mapped_column(default=False)
    is_officer: Mapped[bool] = mapped_column(default=False)
    unreachable: Mapped[bool] = mapped_column(default=False)
    unreachable_reason: Mapped[str | None] = mapped_column(sa.String(32))  # storage.recipients
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Their own quiet hours («22-7», or «off»); None: the organisation's (core.quiet).
    quiet_hours: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Departments name their head (Department.head_id): two paths between the tables.
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    owned_processes: Mapped[list[Process]] = relationship(back_populates="owner")


class Process(Base):
    """An entry of the process registry (реестр процессов)."""

    __tablename__ = "processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(500))
    group_number: Mapped[int | None]
    direction_id: Mapped[int] = mapped_column(sa.ForeignKey("activity_directions.id"))
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="SET NULL")
    )
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    client_type: Mapped[ClientType] = mapped_column(str_enum(ClientType))
    last_reengineering: Mapped[date | None]
    review_due: Mapped[date | None]
    stages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    direction: Mapped[ActivityDirection] = relationship()
    department: Mapped[Department | None] = relationship()
    owner: Mapped[Person | None] = relationship(back_populates="owned_processes")
    touchpoints: Mapped[list[Touchpoint]] = relationship(
        back_populates="process", order_by="Touchpoint.code"
    )


class Touchpoint(Base):
    """A place where a client meets a process (точка взаимодействия)."""

    __tablename__ = "touchpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("processes.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(500))
    kind: Mapped[TouchpointKind] = mapped_column(str_enum(TouchpointKind))
    channel: Mapped[str] = mapped_column(sa.String(100))
    needs: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    specifics: Mapped[str] = mapped_column(sa.Text, default="")
    payload: Mapped[str] = mapped_column(sa.String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Seed 002 §2.6: a process run by several departments lists each one's touchpoints.
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="SET NULL")
    )

    process: Mapped[Process] = relationship(back_populates="touchpoints")
    department: Mapped[Department | None] = relationship()


class Questionnaire(Base):
    """One version of a questionnaire; the scale is part of the version (comparability)."""

    __tablename__ = "questionnaires"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    audience: Mapped[ClientType] = mapped_column(str_enum(ClientType))
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    checksum: Mapped[str] = mapped_column(sa.String(64))
    is_current: Mapped[bool] = mapped_column(default=True)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Respondent(Base):
    """What the bot remembers of a pseudonymous respondent (segment and consents)."""

    __tablename__ = "respondents"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    segment: Mapped[str | None] = mapped_column(sa.String(32))
    segment_asked: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recontact_ok: Mapped[bool] = mapped_column(default=False)
    answer_ok: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RespondentContact(Base):
    """The only link from a respondent key to a chat, for opted-in contact; /forget drops it."""

    __tablename__ = "respondent_contacts"

    respondent_key: Mapped[str] = mapped_column(
        sa.ForeignKey("respondents.key", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoints.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SurveySession(Base):
    """One attempt to fill a questionnaire: open → completed or abandoned (the funnel)."""

    __tablename__ = "survey_sessions"
    # The person's open attempt is looked up on every typed answer and every opening; with
    # the status index alone SQLite scans every open attempt.
    __table_args__ = (sa.Index("ix_survey_sessions_respondent_status", "respondent_key", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_key: Mapped[str] = mapped_column(sa.String(64))
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaires.id"))
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoints.id", ondelete="SET NULL")
    )
    process_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("processes.id", ondelete="SET NULL")
    )
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="SET NULL")
    )
    status: Mapped[SessionStatus] = mapped_column(str_enum(SessionStatus), index=True)
    step: Mapped[int] = mapped_column(default=0)
    path: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    message_id: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Response(Base):
    """A completed questionnaire, stored once with everything analytics groups by."""

    __tablename__ = "responses"
    __table_args__ = (
        sa.Index("ix_responses_limit", "respondent_key", "touchpoint_id", "local_day"),
        sa.Index("ix_responses_process_month", "process_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_sessions.id", ondelete="CASCADE"), unique=True
    )
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaires.id"))
    respondent_key: Mapped[str] = mapped_column(sa.String(64))
    process_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("processes.id", ondelete="SET NULL")
    )
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoints.id", ondelete="SET NULL")
    )
    service_code: Mapped[str | None] = mapped_column(sa.String(32))
    client_type: Mapped[ClientType] = mapped_column(str_enum(ClientType))
    channel: Mapped[str] = mapped_column(sa.String(16))
    # Where the answers were collected (telegram, max, web); `channel` is the touchpoint's kind.
    collected_via: Mapped[str] = mapped_column(
        sa.String(16), default="telegram", server_default="telegram"
    )
    segment: Mapped[str | None] = mapped_column(sa.String(32))
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="SET NULL")
    )
    rating: Mapped[int | None]
    month: Mapped[date]
    local_day: Mapped[date]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    answers: Mapped[list[ResponseAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class ResponseAnswer(Base):
    """One answered question of a response."""

    __tablename__ = "response_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(sa.String(64))
    value_int: Mapped[int | None]
    value_text: Mapped[str | None] = mapped_column(sa.Text)
    choices: Mapped[list[str] | None] = mapped_column(sa.JSON)

    response: Mapped[Response] = relationship(back_populates="answers")


class Invite(Base):
    """An invite link that registers employees of one department."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(48), unique=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id", ondelete="CASCADE"))
    max_uses: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MonthlyRollup(Base):
    """Sufficient statistics of the primary rating for one cell and month.

    A cell is the finest grouping (questionnaire version × process × touchpoint × segment ×
    channel × department × collection channel); every index is a sum over cells, so analysis
    reads months, not responses. Kept up to date in the transaction that stores each response.
    `channel` is the touchpoint's kind (digital/offline); `collected_via` is where the answers
    were given (telegram, max, web).
    """

    __tablename__ = "monthly_rollups"
    __table_args__ = (
        sa.UniqueConstraint("cell", "month"),
        sa.Index("ix_monthly_rollups_process_month", "process_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cell: Mapped[str] = mapped_column(sa.String(160))
    month: Mapped[date]
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    process_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("processes.id", ondelete="CASCADE")
    )
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoints.id", ondelete="CASCADE")
    )
    segment: Mapped[str | None] = mapped_column(sa.String(32))
    channel: Mapped[str] = mapped_column(sa.String(16))
    collected_via: Mapped[str] = mapped_column(
        sa.String(16), default="telegram", server_default="telegram"
    )
    client_type: Mapped[ClientType] = mapped_column(str_enum(ClientType))
    department_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("departments.id", ondelete="CASCADE")
    )
    n: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total_sq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    top2: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class DeclineDetection(Base):
    """A satisfaction decline found by the monthly scan, recorded once per series and month."""

    __tablename__ = "decline_detections"
    __table_args__ = (sa.UniqueConstraint("series", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(sa.String(64))
    level: Mapped[str] = mapped_column(sa.String(16))  # process | touchpoint
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("processes.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoints.id", ondelete="CASCADE")
    )
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    month: Mapped[date]
    streak: Mapped[int]
    first_mean: Mapped[float | None]
    last_mean: Mapped[float | None]
    p_value: Mapped[float | None]
    reason: Mapped[str] = mapped_column(sa.Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedbackAlert(Base):
    """A low score with a comment, put before the process owner: the closed loop.

    `respondent_key` is the only link to the person; /forget and the retention job clear it.
    """

    __tablename__ = "feedback_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("processes.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoints.id", ondelete="SET NULL")
    )
    respondent_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FeedbackMessage(Base):
    """One relayed message of the closed loop, owner → respondent or back."""

    __tablename__ = "feedback_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_alerts.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(sa.String(16))  # to_respondent | to_owner
    text: Mapped[str] = mapped_column(sa.Text)
    delivered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Campaign(Base):
    """A one-off survey round: a questionnaire, an audience, a period, reminders, a rate."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_code: Mapped[str] = mapped_column(sa.String(64))
    audience: Mapped[str] = mapped_column(sa.String(16))  # employees | departments | touchpoint
    department_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoints.id", ondelete="SET NULL")
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(16), default="scheduled", index=True)
    remind_after_days: Mapped[int] = mapped_column(default=3)
    max_reminders: Mapped[int] = mapped_column(default=2)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The moment it invited its audience: answers before it are not answers to it (rev. 023).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invited: Mapped[int] = mapped_column(default=0)
    responded: Mapped[int] = mapped_column(default=0)


class CampaignInvite(Base):
    """One invited chat. No respondent key is stored: it is derived from the chat when needed."""

    __tablename__ = "campaign_invites"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    invited_on: Mapped[date]
    reminders: Mapped[int] = mapped_column(default=0)
    last_contact_on: Mapped[date]
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RegistryChange(Base):
    """An import that changed the registry. Seed 002 §3.1: «Актуальная версия Перечня
    размещается на официальном сайте министерства не позднее 5 рабочих дней с момента
    внесения изменений» — `publish_by`; `published_on` is recorded by the officer."""

    __tablename__ = "registry_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    changed_on: Mapped[date]
    publish_by: Mapped[date]
    published_on: Mapped[date | None] = mapped_column(index=True)
    published_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL")
    )
