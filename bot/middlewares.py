"""Outer middlewares: one unit of work per update, and who the sender is."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from storage.database import SessionPool
from storage.models import Person, Process
from storage.uow import DuplicateUpdate, UnitOfWork
from surveys.respondents import respondent_key

log = logging.getLogger(__name__)


class UnitOfWorkMiddleware(BaseMiddleware):
    """Skips updates applied before and records each update with its effects."""

    def __init__(self, pool: SessionPool) -> None:
        self.pool = pool

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update_id = event.update_id if isinstance(event, Update) else None
        uow = UnitOfWork(self.pool, update_id)
        if await uow.was_processed():
            log.info("update %s seen before; skipped", update_id)
            return None
        data["uow"] = uow
        try:
            result = await handler(event, data)
            await uow.mark_done()
        except DuplicateUpdate:
            log.info("update %s applied concurrently by another worker; skipped", update_id)
            return None
        return result


@dataclass(frozen=True)
class Actor:
    """The sender as the bot sees them: pseudonymous key for answers, roles for access."""

    telegram_id: int
    key: str
    person_id: int | None
    department_id: int | None
    is_employee: bool
    is_officer: bool
    owned_process_ids: frozenset[int]

    @property
    def is_owner(self) -> bool:
        return bool(self.owned_process_ids)


class ActorMiddleware(BaseMiddleware):
    """Loads the sender's roles; links an @username from the registry to the real account."""

    def __init__(self, pool: SessionPool, secret: bytes) -> None:
        self.pool = pool
        self.secret = secret

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            data["actor"] = await self._actor(user)
        return await handler(event, data)

    async def _actor(self, user: User) -> Actor:
        async with self.pool() as session:
            person = await session.scalar(sa.select(Person).where(Person.telegram_id == user.id))
            if person is None and user.username:
                person = await session.scalar(
                    sa.select(Person).where(
                        Person.telegram_id.is_(None),
                        sa.func.lower(Person.username) == user.username.lower(),
                    )
                )
                if person is not None:
                    person.telegram_id = user.id
                    await session.commit()
            owned: frozenset[int] = frozenset()
            if person is not None:
                owned = frozenset(
                    (
                        await session.scalars(
                            sa.select(Process.id).where(Process.owner_id == person.id)
                        )
                    ).all()
                )
        return Actor(
            telegram_id=user.id,
            key=respondent_key(self.secret, user.id),
            person_id=person.id if person else None,
            department_id=person.department_id if person else None,
            is_employee=bool(person and person.is_employee),
            is_officer=bool(person and person.is_officer),
            owned_process_ids=owned,
        )
