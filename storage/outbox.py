"""Enqueueing outgoing messages in the caller's transaction (the transactional outbox).

A rolled-back event sends nothing; a committed one is sent by the sender task, once.
A `dedupe_key` makes enqueueing idempotent: a job that runs twice queues nothing twice.
A message to a person Telegram cannot reach yet is written `held` (storage.recipients).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import MAX_BASE, Channel, channel_of
from core.clock import utcnow
from core.quiet import default_quiet_hours, parse_quiet_hours
from core.speech import Actions, actions_to_json
from storage.delivery_models import OutboxLane, OutboxMessage, OutboxStatus
from storage.models import Person
from storage.recipients import Recipient
from storage.statements import PerDialect, binds, dialect_insert, run, scalar

_COLUMNS = (
    "lane",
    "chat_id",
    "person_id",
    "kind",
    "dedupe_key",
    "method",
    "text",
    "actions",
    "file_path",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "held_since",
    "last_error",
    "channel",
)


def _insert(dialect: str, *, deduplicated: bool) -> sa.Executable:
    insert = dialect_insert(dialect)
    statement = insert(cast(sa.Table, OutboxMessage.__table__)).values(binds(*_COLUMNS))
    if deduplicated:
        return statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    return statement


_ADD = PerDialect(lambda dialect: _insert(dialect, deduplicated=False))
_ADD_ONCE = PerDialect(lambda dialect: _insert(dialect, deduplicated=True))

# A member of staff's own quiet hours: by person, or by the chat they are written to.
_STAFF_QUIET = sa.select(Person.quiet_hours).where(
    sa.or_(
        Person.id == sa.bindparam("person_id"),
        Person.telegram_id == sa.bindparam("chat_id"),
        Person.max_id + sa.literal(MAX_BASE, sa.BigInteger) == sa.bindparam("chat_id"),
    )
)


async def _first_moment(session: AsyncSession, to: Recipient, lane: OutboxLane) -> datetime:
    """Now, or when the quiet hours of the member of staff written to end (core.quiet).

    Answers to what a person has just done (the interactive lane) never wait; citizens are
    not staff, so nothing of theirs waits either.
    """
    now = utcnow()
    if lane == OutboxLane.INTERACTIVE or (to.person_id is None and to.chat_id is None):
        return now
    rows = (
        await session.execute(
            _STAFF_QUIET, {"person_id": to.person_id or -1, "chat_id": to.chat_id or -1}
        )
    ).all()
    if not rows:
        return now
    default, tz = default_quiet_hours()
    own = rows[0][0]
    hours = default if own is None else parse_quiet_hours(own)  # "off": none of their own
    return hours.next_allowed(now, tz) if hours is not None else now


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int | Recipient,
    text: str,
    kind: str,
    lane: OutboxLane = OutboxLane.ALERT,
    dedupe_key: str | None = None,
    actions: Actions = (),
    method: str = "sendMessage",
    file_path: str | None = None,
    digested: bool = False,
) -> bool:
    """Queue one message; returns False when `dedupe_key` was queued before (nothing added).

    `chat_id` is a chat, or a `Recipient`: a person who may not be reachable yet. `text` and
    `actions` are what `core.speech.Speech` holds; each channel's sender renders them.
    `digested` records an item of a digest: remembered under its key, never sent alone.
    """
    to = chat_id if isinstance(chat_id, Recipient) else Recipient(chat_id)
    now = utcnow()
    first = now if digested else await _first_moment(session, to, lane)
    values = {
        "lane": lane,
        "chat_id": to.chat_id,
        "person_id": to.person_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "method": method,
        "text": text,
        "actions": actions_to_json(actions),
        "file_path": file_path,
        "status": (
            OutboxStatus.DIGESTED
            if digested
            else OutboxStatus.PENDING
            if to.held is None
            else OutboxStatus.HELD
        ),
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": first,
        "held_since": None if to.held is None else now,
        "last_error": None if to.held is None else to.held.value,
        # A held row gets its channel with its chat, when released (storage.recipients).
        "channel": (Channel.TELEGRAM if to.chat_id is None else channel_of(to.chat_id)).value,
    }
    statement = _ADD if dedupe_key is None else _ADD_ONCE
    return bool(await run(session, statement, values))


async def pending_count(session: AsyncSession) -> int:
    return int(
        await scalar(
            session,
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.status == OutboxStatus.PENDING
            ),
        )
        or 0
    )


# What the bot sends to a person as a respondent (not in a staff role), by the consent that
# allows it: answers to their feedback (and news that the process they rated was changed,
# seed 001 §4(3)); survey invitations and reminders.
ANSWER_KINDS = ("feedback_answer", "service_changed")
INVITATION_KINDS = ("campaign_invite", "campaign_reminder", "research_invite")
RESPONDENT_KINDS = ANSWER_KINDS + INVITATION_KINDS


async def forget_chat(
    session: AsyncSession, chat_id: int, kinds: Sequence[str] | None = None
) -> int:
    """Delete what was queued for a chat, sent or not (of `kinds`, or all); the row count.

    For /forget and a withdrawn consent: a relay row holds the chat and a button naming the
    feedback it answers, an invitation row the chat and the campaign; left behind, they
    would keep the person's chat (and tie it to their answer) without their agreement.
    """
    query = sa.delete(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(list(kinds)))
    result = await session.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
