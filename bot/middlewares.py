"""Outer middlewares: one unit of work per update, and who the sender is."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n

from core.channels import Channel, channel_of
from storage.database import SessionPool
from storage.sqlite_driver import inline_statements
from storage.uow import DuplicateUpdate, UnitOfWork
from surveys.actors import ActorCache
from surveys.service import SurveyPolicy

__all__ = ["ActorMiddleware", "ThrottlingMiddleware", "UnitOfWorkMiddleware"]

log = logging.getLogger(__name__)
THROTTLED = "throttled"


def _(message: str) -> str:
    """Marks a message for the catalogue; translated later with an explicit locale."""
    return message


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
        # Just inserted into the inbox by this process: it cannot have been applied before.
        if not data.get("inbox_fresh") and await uow.was_processed():
            log.info("update %s seen before; skipped", update_id)
            return None
        data["uow"] = uow
        try:
            with inline_statements():  # an update's transactions are short by design
                result = await handler(event, data)
                await uow.mark_done()
        except DuplicateUpdate:
            log.info("update %s applied concurrently by another worker; skipped", update_id)
            return None
        return result


class ActorMiddleware(BaseMiddleware):
    """Gives handlers the sender as an `Actor` (roles cached briefly, see surveys.actors).

    A sender in MAX (core.channels) answers with the policy that records MAX as the channel
    their responses were collected through.
    """

    def __init__(self, pool: SessionPool, secret: bytes) -> None:
        self.actors = ActorCache(pool, secret)
        self._policies: dict[int, tuple[SurveyPolicy, SurveyPolicy]] = {}

    def _policy_in(self, policy: SurveyPolicy, channel: Channel) -> SurveyPolicy:
        if channel is Channel.TELEGRAM:
            return policy
        cached = self._policies.get(id(policy))
        if cached is None or cached[0] is not policy:
            cached = (policy, replace(policy, collected_via=channel.value))
            self._policies[id(policy)] = cached
        return cached[1]

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            data["actor"] = await self.actors.get(user)
            policy = data.get("policy")
            if isinstance(policy, SurveyPolicy):
                data["policy"] = self._policy_in(policy, channel_of(user.id))
        return await handler(event, data)


class ThrottlingMiddleware(BaseMiddleware):
    """Per-user flood control: past `limit` updates in `window` seconds, updates are dropped.

    The person is told once per window; button taps are always answered so no spinner hangs.
    A dropped update is marked done in the inbox with the reason "throttled" (this middleware
    runs inside the unit of work), so a restart replays none of it.
    In-memory per process: a flood needs no cross-replica precision. A sender's id is kept
    only while it counts against the window: every window, quiet senders are swept out.
    """

    def __init__(
        self,
        limit: int = 20,
        window: float = 10.0,
        *,
        i18n: I18n | None = None,
        locale: str = "ru",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.i18n = i18n
        self.locale = locale
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._hits: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._swept = monotonic()

    def remembered(self) -> int:
        """How many senders the flood control holds right now (tests, diagnostics)."""
        return len(self._hits.keys() | self._warned.keys())

    def _sweep(self, now: float) -> None:
        """Forget senders whose last update left the window: their ids serve no purpose."""
        if now - self._swept < self.window:
            return
        self._swept = now
        cutoff = now - self.window
        self._hits = {uid: h for uid, h in self._hits.items() if h and h[-1] > cutoff}
        self._warned = {uid: at for uid, at in self._warned.items() if at > cutoff}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Update):
            return await handler(event, data)
        now = self._monotonic()
        self._sweep(now)
        hits = self._hits.setdefault(user.id, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return await handler(event, data)
        log.info("update %s throttled", event.update_id)
        uow: UnitOfWork | None = data.get("uow")
        if uow is not None:  # done, with its reason: never pending, never replayed
            await uow.mark_done(reason=THROTTLED)
        first_warning = self._warned.get(user.id, 0.0) <= now - self.window
        if first_warning:
            self._warned[user.id] = now
        bot = data.get("bot")
        # Outside the i18n middleware (flood control runs first): translate explicitly.
        text = self._text(_("Too many requests. Please wait a few seconds."))
        with suppress(TelegramAPIError):
            if event.callback_query is not None:
                await event.callback_query.answer(text if first_warning else None)
            elif first_warning and event.message is not None and bot is not None:
                await bot.send_message(event.message.chat.id, text)
        return None

    def _text(self, message: str) -> str:
        return self.i18n.gettext(message, locale=self.locale) if self.i18n else message
