"""Outer middlewares: one unit of work per update, and who the sender is."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
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


class ThrottlingMiddleware(BaseMiddleware):
    """Per-user flood control: past `limit` updates in `window` seconds, updates are dropped.

    The person is told once per window; button taps are always answered so no spinner hangs.
    In-memory per process: a flood needs no cross-replica precision.
    """

    def __init__(self, limit: int = 20, window: float = 10.0) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Update):
            return await handler(event, data)
        now = time.monotonic()
        hits = self._hits.setdefault(user.id, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            if len(self._hits) > 100_000:
                self._hits = {
                    uid: h for uid, h in self._hits.items() if h and h[-1] > now - self.window
                }
            return await handler(event, data)
        log.info("update %s throttled", event.update_id)
        first_warning = self._warned.get(user.id, 0.0) <= now - self.window
        if first_warning:
            self._warned[user.id] = now
        bot = data.get("bot")
        text = "Слишком много запросов. Пожалуйста, подождите несколько секунд."
        with suppress(TelegramAPIError):
            if event.callback_query is not None:
                await event.callback_query.answer(text if first_warning else None)
            elif first_warning and event.message is not None and bot is not None:
                await bot.send_message(event.message.chat.id, text)
        return None
