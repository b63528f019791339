"""Who a message goes to, and whether Telegram can reach them yet.

In Telegram a bot cannot write first: a person who never pressed /start, who blocked the
bot, or whom the registry knows only by @username cannot be sent anything. Their messages
are kept (`held`) instead of failing, and released in order when they first write.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import MAX_BASE, channel_of
from storage.addresses import person_address, person_at, unaddressed
from storage.delivery_models import OutboxMessage, OutboxStatus
from storage.models import Person, Process
from storage.statements import first, rows, scalar


class Unreachable(enum.StrEnum):
    """Why a person cannot be reached; the value is stored in `people.unreachable_reason`."""

    NOT_STARTED = "not_started"  # never opened the bot (400 chat not found)
    NO_CHAT = "no_chat"  # known only by @username: no chat id yet
    BLOCKED = "blocked"  # 403 bot was blocked by the user
    DEACTIVATED = "deactivated"  # 403 user is deactivated


@dataclass(frozen=True)
class Recipient:
    """A person (or a bare chat) to write to; `held` says why it must wait, if it must."""

    chat_id: int | None
    person_id: int | None = None
    held: Unreachable | None = None

    def __str__(self) -> str:
        """The part of a dedupe key naming the recipient: the chat, or the person."""
        return str(self.chat_id) if self.chat_id is not None else f"p{self.person_id}"


def recipient_of(person: Person) -> Recipient:
    chat = person_address(person.telegram_id, person.max_id)
    return _recipient(person.id, chat, person.unreachable, person.unreachable_reason)


def _recipient(
    person_id: int, chat_id: int | None, unreachable: bool, reason: str | None
) -> Recipient:
    held: Unreachable | None = None
    if chat_id is None:
        held = Unreachable.NO_CHAT
    elif unreachable:
        held = Unreachable(reason) if reason in set(Unreachable) else Unreachable.BLOCKED
    return Recipient(
        chat_id=int(chat_id) if chat_id is not None else None, person_id=person_id, held=held
    )


_people = cast(sa.Table, Person.__table__).c
_CHAT = sa.case(
    (_people.telegram_id.is_not(None), _people.telegram_id),
    (_people.max_id.is_not(None), _people.max_id + sa.literal(MAX_BASE, sa.BigInteger)),
    else_=sa.null(),
)  # storage.addresses.person_address, in SQL (core.channels.MAX_BASE)
_COLUMNS = (_people.id, _CHAT, _people.unreachable, _people.unreachable_reason)
_PERSON = sa.select(*_COLUMNS).where(_people.id == sa.bindparam("person_id"))
_OFFICERS = sa.select(*_COLUMNS).where(_people.is_officer).order_by(_people.id)


async def person_recipient(session: AsyncSession, person_id: int | None) -> Recipient | None:
    """The person as a recipient, reachable or not; None when there is no such person."""
    if person_id is None:
        return None
    row = await first(session, _PERSON, {"person_id": person_id})
    return _recipient(row[0], row[1], bool(row[2]), row[3]) if row else None


async def officer_recipients(session: AsyncSession) -> list[Recipient]:
    """Every client-centricity officer, those who cannot be reached yet included."""
    officers = await rows(session, _OFFICERS)
    return [_recipient(row[0], row[1], bool(row[2]), row[3]) for row in officers]


async def chat_recipients(session: AsyncSession, chats: list[int]) -> dict[int, Recipient]:
    """Chats as recipients: a person of the registry may be unreachable; others are plain."""
    found = {chat: Recipient(chat) for chat in chats}
    for start in range(0, len(chats), 500):
        part = chats[start : start + 500]
        rows = await session.execute(
            sa.select(*_COLUMNS).where(
                sa.or_(
                    _people.telegram_id.in_(part),
                    _people.max_id.in_([chat - MAX_BASE for chat in part if chat > MAX_BASE]),
                )
            )
        )
        for row in rows:
            if row[1] is not None and int(row[1]) in found:
                found[int(row[1])] = _recipient(row[0], row[1], bool(row[2]), row[3])
    return found


def _reason(person: Person) -> Unreachable:
    held = recipient_of(person).held
    return held or Unreachable.NOT_STARTED  # messages kept, the flag not yet set


def classify(description: str, *, forbidden: bool) -> Unreachable | None:
    """The reason in a Bot API error that means "this person cannot be reached yet"."""
    text = description.lower()
    if "deactivated" in text:
        return Unreachable.DEACTIVATED
    if "chat not found" in text or "can't initiate conversation" in text:
        return Unreachable.NOT_STARTED
    if forbidden:
        return Unreachable.BLOCKED
    return None


async def hold(
    session: AsyncSession, chat_id: int, reason: Unreachable, description: str, now: datetime
) -> bool:
    """Keep every pending message of a person's chat; False when the chat is nobody's."""
    person_id = await scalar(session, sa.select(Person.id).where(person_at(chat_id)))
    if person_id is None:
        return False
    await session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(
            status=OutboxStatus.HELD,
            person_id=person_id,
            held_since=now,
            last_error=description[:500],
        )
    )
    await session.execute(
        sa.update(Person)
        .where(Person.id == person_id, sa.not_(Person.unreachable))
        .values(unreachable=True, unreachable_reason=reason.value, unreachable_since=now)
    )
    return True


async def release(session: AsyncSession, person_id: int, chat_id: int) -> int:
    """The person wrote: their kept messages go out, oldest first; returns how many.

    `next_attempt_at` is left as it was (when the message was first due), so they are due now.
    """
    await session.execute(
        sa.update(Person)
        .where(Person.id == person_id)
        .values(unreachable=False, unreachable_reason=None, unreachable_since=None)
    )
    result = await session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.status == OutboxStatus.HELD)
        .values(status=OutboxStatus.PENDING, chat_id=chat_id, channel=channel_of(chat_id).value)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class UnreachablePerson:
    """Someone Telegram cannot reach yet, as the officer sees them: who, why, since, waiting."""

    person_id: int
    full_name: str | None
    username: str | None
    is_officer: bool
    is_employee: bool
    process_codes: tuple[str, ...]
    reason: Unreachable
    since: datetime | None
    waiting: int


async def unreachable_people(session: AsyncSession) -> list[UnreachablePerson]:
    """People with no chat yet, marked unreachable, or with messages kept for them."""
    waiting = (
        sa.select(OutboxMessage.person_id, sa.func.count(OutboxMessage.id).label("n"))
        .where(OutboxMessage.status == OutboxStatus.HELD)
        .group_by(OutboxMessage.person_id)
        .subquery()
    )
    rows = await session.execute(
        sa.select(Person, sa.func.coalesce(waiting.c.n, 0))
        .outerjoin(waiting, waiting.c.person_id == Person.id)
        .where(sa.or_(unaddressed(), Person.unreachable, waiting.c.n > 0))
        .order_by(sa.func.coalesce(waiting.c.n, 0).desc(), Person.id)
    )
    people = [(person, int(count)) for person, count in rows]
    owned: dict[int, list[str]] = {}
    if people:
        processes = await session.execute(
            sa.select(Process.owner_id, Process.code)
            .where(Process.owner_id.in_([p.id for p, _ in people]), Process.active)
            .order_by(Process.code)
        )
        for owner_id, code in processes:
            if owner_id is not None:
                owned.setdefault(owner_id, []).append(code)
    return [
        UnreachablePerson(
            person_id=person.id,
            full_name=person.full_name,
            username=person.username,
            is_officer=person.is_officer,
            is_employee=person.is_employee,
            process_codes=tuple(owned.get(person.id, ())),
            reason=_reason(person),
            since=person.unreachable_since,
            waiting=count,
        )
        for person, count in people
    ]


async def quiet_hours_of(session: AsyncSession, person_id: int) -> str | None:
    """A member of staff's own quiet hours («22-7», «off»), or None for the default."""
    return await session.scalar(sa.select(Person.quiet_hours).where(Person.id == person_id))


async def set_quiet_hours(session: AsyncSession, person_id: int, value: str | None) -> None:
    """Their own quiet hours, «off», or None to follow the organisation's (core.quiet)."""
    await session.execute(sa.update(Person).where(Person.id == person_id).values(quiet_hours=value))
