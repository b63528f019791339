"""Tables of the bot's own machinery: conversation state, inbox, outbox, the jobs' lease.

They hold no survey or registry facts, only what lets the bot receive each update once, send
each message once and run its jobs on one replica; kept apart from storage/models.py so the
delivery machinery owns its tables. The Alembic environment imports this module.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from storage.base import Base, UTCDateTime, str_enum


class FsmRecord(Base):
    """aiogram FSM state and data kept in the database so a conversation survives a restart."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    state: Mapped[str | None] = mapped_column(sa.String(128))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class InboxUpdate(Base):
    """Every update, stored before Telegram is told it arrived; done in its handler's transaction.

    A crash between the two leaves it pending, and it is handled after the restart; an update
    id seen before is never applied twice (the done-marking is a compare-and-set).
    """

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    # Why an update is done without its handler, or given up: "throttled", "gave up …".
    reason: Mapped[str | None] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    HELD = "held"  # kept until the person can be reached (storage.recipients)
    # One item of a day's digest (jobs/cases.py): recorded so that it is said once, never
    # sent alone; the digest that lists it is the message.
    DIGESTED = "digested"


class OutboxLane(enum.StrEnum):
    """Interactive and alert messages never wait behind a bulk campaign."""

    INTERACTIVE = "interactive"
    ALERT = "alert"
    BULK = "bulk"


class OutboxMessage(Base):
    """A message the bot sends on its own initiative, written with the event that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "lane", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lane: Mapped[OutboxLane] = mapped_column(str_enum(OutboxLane))
    chat_id: Mapped[int | None] = mapped_column(sa.BigInteger, index=True)
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(48))
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    method: Mapped[str] = mapped_column(sa.String(32), default="sendMessage")
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # The actions offered under the text (core.speech, channel-neutral), rendered on sending.
    actions: Mapped[list[list[dict[str, Any]]] | None] = mapped_column(sa.JSON)
    file_path: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    telegram_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The messenger the chat belongs to (core.channels); each channel's sender takes its own.
    channel: Mapped[str] = mapped_column(
        sa.String(16), default="telegram", server_default="telegram"
    )


class Lease(Base):
    """Who runs the scheduled jobs: one replica holds it and renews it; a dead one's lapses."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelMarker(Base):
    """Where a channel's update stream was confirmed up to (MAX's long-polling marker)."""

    __tablename__ = "channel_markers"

    channel: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    marker: Mapped[int | None] = mapped_column(sa.BigInteger)


class MaxMessageId(Base):
    """MAX knows a message by a string `mid`; aiogram's handlers by an integer id: this pairs
    them. Only the two ids and when: nothing of who or what (kept a few days)."""

    __tablename__ = "max_message_ids"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    mid: Mapped[str] = mapped_column(sa.String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
