"""Who the sender is: a pseudonymous key for answers and roles for access, cached briefly.

Every update needs the sender's roles; reading them costs a transaction. They change
rarely, so they are kept for `ttl` seconds, keyed by the pseudonymous respondent key: the
cache holds no Telegram id (the id of the update at hand is put back into the actor it
returns). Any change to people or processes made in this process (an invite, a role
granted, a registry import) clears the cache at once through listeners on the project's own
session class (storage.database.ProjectSession, never SQLAlchemy's global Session); a change
made by another process (the CLI, another replica) is seen within `ttl` seconds (a minute:
long enough to cover a questionnaire's answers, so a respondent's roles are read about once
per questionnaire). Channel-neutral: a channel's middleware (bot.middlewares for Telegram)
asks the cache and hands the `Actor` to its handlers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from core.channels import Channel, channel_of, native_id
from storage.database import ProjectSession, SessionPool, read_only_of, session_from
from storage.delivery_models import OutboxMessage, OutboxStatus
from storage.models import Person, Process
from storage.recipients import release
from storage.sqlite_driver import inline_statements
from storage.statements import first
from surveys.respondents import address_key

DEFAULT_TTL = 60.0
MAX_ENTRIES = 100_000


class Sender(Protocol):
    """Who writes, as a channel knows them: an id and perhaps a username (aiogram's User)."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str | None: ...


@dataclass(frozen=True)
class Actor:
    """The sender as the bot sees them: pseudonymous key for answers, roles for access."""

    telegram_id: int  # the chat address in the sender's channel (core.channels)
    key: str
    person_id: int | None
    department_id: int | None
    is_employee: bool
    is_officer: bool
    owned_process_ids: frozenset[int]
    released: int = 0  # messages kept while they could not be reached, released just now

    @property
    def is_owner(self) -> bool:
        return bool(self.owned_process_ids)


class _Generation:
    """Bumped whenever roles may have changed in this process; caches compare it."""

    value = 0


def roles_changed() -> None:
    _Generation.value += 1


_ROLE_TABLES = (Person.__table__, Process.__table__)
_people = cast(sa.Table, Person.__table__).c
_outbox = cast(sa.Table, OutboxMessage.__table__).c
# Messages kept for a person (storage.recipients): released by their next update.
_kept = sa.select(_outbox.id).where(_outbox.status == OutboxStatus.HELD.value)
_ROLES = sa.select(
    _people.id,
    _people.department_id,
    _people.is_employee,
    _people.is_officer,
    sa.or_(_people.unreachable, _kept.where(_outbox.person_id == _people.id).exists()),
)
_BY_TELEGRAM_ID = _ROLES.where(_people.telegram_id == sa.bindparam("user_id"))
_BY_MAX_ID = _ROLES.where(_people.max_id == sa.bindparam("user_id"))
_UNCLAIMED = sa.select(_people.id).where(
    _people.telegram_id.is_(None), sa.func.lower(_people.username) == sa.bindparam("username")
)
_processes = cast(sa.Table, Process.__table__).c
_OWNED = sa.select(_processes.id).where(_processes.owner_id == sa.bindparam("person_id"))


@event.listens_for(ProjectSession, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(item, Person | Process) for item in touched):
        roles_changed()


@event.listens_for(ProjectSession, "do_orm_execute")
def _bulk_writes(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        if table is not None and table in _ROLE_TABLES:
            roles_changed()


class ActorCache:
    """Actors by respondent key, each valid for `ttl` seconds and until roles change here."""

    def __init__(self, pool: SessionPool, secret: bytes, ttl: float = DEFAULT_TTL) -> None:
        self.pool = pool
        self.secret = secret
        self.ttl = ttl
        self._entries: dict[str, tuple[float, int, Actor]] = {}
        self._swept = time.monotonic()

    async def get(self, user: Sender) -> Actor:
        now = time.monotonic()
        key = address_key(self.secret, user.id)
        cached = self._entries.get(key)
        if cached is not None:
            stamp, generation, actor = cached
            if now - stamp < self.ttl and generation == _Generation.value:
                return replace(actor, telegram_id=user.id)
        generation = _Generation.value
        actor = await self._load(user, key)
        # Expired entries go at least once per `ttl`: nobody is kept in memory longer than
        # their roles are worth caching.
        if now - self._swept >= self.ttl or len(self._entries) >= MAX_ENTRIES:
            self._swept = now
            self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.ttl}
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
        self._entries[key] = (now, generation, replace(actor, telegram_id=0, released=0))
        return actor

    async def _load(self, user: Sender, key: str) -> Actor:
        # Reads by key, on the loop's thread, in a read-only transaction (never waiting
        # for a writer under WAL) that ends at the block's end, before the session's close
        # (a snapshot held across the loop keeps SQLite from checkpointing the WAL).
        with inline_statements():
            async with session_from(read_only_of(self.pool)) as session, session.begin():
                return await self._read(session, user, key)

    async def _read(self, session: AsyncSession, user: Sender, key: str) -> Actor:
        released = 0
        telegram = channel_of(user.id) is Channel.TELEGRAM
        by_id = _BY_TELEGRAM_ID if telegram else _BY_MAX_ID
        person: Any = await first(session, by_id, {"user_id": native_id(user.id)})
        if (
            person is None
            and telegram  # the registry's @usernames are Telegram's
            and user.username
            and await first(session, _UNCLAIMED, {"username": user.username.lower()})
        ):
            person, released = await self._claim_username(user)
        elif person is not None and person[4]:
            released = await self._release(person[0], user.id)
        owned = (
            frozenset(await session.scalars(_OWNED, {"person_id": person[0]}))
            if person is not None
            else frozenset()
        )
        return Actor(
            telegram_id=user.id,
            key=key,
            person_id=person[0] if person else None,
            department_id=person[1] if person else None,
            is_employee=bool(person and person[2]),
            is_officer=bool(person and person[3]),
            owned_process_ids=owned,
            released=released,
        )

    async def _release(self, person_id: int, chat_id: int) -> int:
        """Someone Telegram could not reach writes: what waited for them goes out now."""
        async with self.pool() as session, session.begin():
            return await release(session, person_id, chat_id)

    async def _claim_username(self, user: Sender) -> tuple[Any, int]:
        """A person the registry knew only by @username writes for the first time."""
        assert user.username is not None
        async with self.pool() as session, session.begin():
            person = await session.scalar(
                sa.select(Person).where(
                    Person.telegram_id.is_(None),
                    sa.func.lower(Person.username) == user.username.lower(),
                )
            )
            if person is None:
                return None, 0
            person.telegram_id = user.id
            await session.flush()
            released = await release(session, person.id, user.id)
            row = (person.id, person.department_id, person.is_employee, person.is_officer, False)
            return row, released
