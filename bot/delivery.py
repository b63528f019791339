"""The outbox sender: delivers queued messages within Telegram's limits, once.

At-least-once with one unavoidable window: if the process dies after Telegram accepted a
message but before the database recorded it as sent, that message is sent again after the
restart. Everything else (429, 5xx, network errors, restarts, kill -9) loses nothing and
duplicates nothing, because a message is marked sent in its own short transaction right
after Telegram's answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import FSInputFile, InlineKeyboardMarkup

from storage.base import Clock, utcnow
from storage.database import SessionPool
from storage.models import OutboxLane, OutboxMessage, OutboxStatus, Person

log = logging.getLogger(__name__)

LANE_ORDER = sa.case(
    (OutboxMessage.lane == OutboxLane.INTERACTIVE, 0),
    (OutboxMessage.lane == OutboxLane.ALERT, 1),
    else_=2,
)
MAX_ATTEMPTS = 12


@dataclass
class TokenBucket:
    """Global messages per second, with a pause that a 429 imposes on everyone."""

    rate: float
    burst: float = 0.0
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)
    paused_until: float = 0.0

    def __post_init__(self) -> None:
        self.burst = self.burst or max(1.0, self.rate / 5)
        self.tokens = self.burst

    def delay(self) -> float:
        """Seconds to wait before one more message may go; takes the token when 0."""
        now = time.monotonic()
        if now < self.paused_until:
            return self.paused_until - now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    async def take(self) -> None:
        """Wait for one token: pacing to the rate limit, not polling for a state change."""
        wait = self.delay()
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self.delay()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.tokens = 0


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    rate_limited: int = 0


class OutboxSender:
    """Sends due outbox messages: interactive and alerts first, then bulk; 1 msg/s per chat."""

    def __init__(
        self,
        bot: Bot,
        pool: SessionPool,
        *,
        rate_per_second: float = 25.0,
        per_chat_interval: float = 1.0,
        clock: Clock = utcnow,
        batch: int | None = None,
        concurrency: int = 32,
    ) -> None:
        self.bot = bot
        self.pool = pool
        self.bucket = TokenBucket(rate_per_second)
        self.per_chat_interval = per_chat_interval
        self.clock = clock
        # A pass lasts about two seconds, so a new alert never waits behind a long bulk pass.
        self.batch = batch or max(10, int(rate_per_second * 2))
        self.stats = SenderStats()
        self._chat_next: OrderedDict[int, float] = OrderedDict()
        self._in_flight: set[int] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Called after a commit that queued something, so it goes out without polling delay."""
        self._wakeup.set()

    async def _due(self) -> list[OutboxMessage]:
        async with self.pool() as session:
            rows = await session.scalars(
                sa.select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= self.clock(),
                )
                .order_by(LANE_ORDER, OutboxMessage.id)
                .limit(self.batch)
            )
            return [m for m in rows.all() if m.id not in self._in_flight]

    def _chat_ready(self, chat_id: int) -> bool:
        return self._chat_next.get(chat_id, 0.0) <= time.monotonic()

    def _chat_sent(self, chat_id: int) -> None:
        self._chat_next[chat_id] = time.monotonic() + self.per_chat_interval
        self._chat_next.move_to_end(chat_id)
        while len(self._chat_next) > 50_000:
            self._chat_next.popitem(last=False)

    async def run_once(self) -> int:
        """One pass over due messages; returns how many were handed to Telegram."""
        due = await self._due()
        started = 0
        tasks: list[asyncio.Task[None]] = []
        for message in due:
            if not self._chat_ready(message.chat_id):
                continue
            await self.bucket.take()
            if not self._chat_ready(message.chat_id):
                continue
            self._chat_sent(message.chat_id)
            self._in_flight.add(message.id)
            await self._slots.acquire()
            tasks.append(asyncio.create_task(self._deliver(message)))
            started += 1
        if tasks:
            await asyncio.gather(*tasks)
        return started

    async def run(
        self,
        stop: asyncio.Event,
        idle: float = 0.5,
        should_run: Callable[[], bool] = lambda: True,
    ) -> None:
        """Loop until `stop` is set; sleeps only when nothing is due (or another replica sends)."""
        while not stop.is_set():
            try:
                started = await self.run_once() if should_run() else 0
            except Exception:  # a failing pass must not kill delivery for good
                log.exception("outbox pass failed")
                started = 0
            if started == 0:
                self._wakeup.clear()
                waiters = [
                    asyncio.create_task(stop.wait()),
                    asyncio.create_task(self._wakeup.wait()),
                ]
                await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()

    async def _call(self, message: OutboxMessage) -> int | None:
        markup = (
            InlineKeyboardMarkup.model_validate(message.reply_markup)
            if message.reply_markup
            else None
        )
        if message.method == "sendPhoto" and message.file_path:
            sent = await self.bot.send_photo(
                message.chat_id,
                FSInputFile(message.file_path),
                caption=message.text or None,
                reply_markup=markup,
            )
        elif message.method == "sendDocument" and message.file_path:
            sent = await self.bot.send_document(
                message.chat_id,
                FSInputFile(message.file_path),
                caption=message.text or None,
                reply_markup=markup,
            )
        else:
            sent = await self.bot.send_message(message.chat_id, message.text, reply_markup=markup)
        return sent.message_id

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            outcome: dict[str, Any]
            try:
                telegram_id = await self._call(message)
                outcome = {
                    "status": OutboxStatus.SENT,
                    "sent_at": self.clock(),
                    "telegram_message_id": telegram_id,
                }
                self.stats.sent += 1
            except TelegramRetryAfter as error:
                self.stats.rate_limited += 1
                self.bucket.pause(error.retry_after)
                outcome = self._retry(message, error.retry_after, "429 retry_after", count=False)
            except TelegramForbiddenError as error:
                self.stats.unreachable += 1
                await self._mark_unreachable(message.chat_id, str(error))
                return
            except (TelegramBadRequest, TelegramUnauthorizedError) as error:
                self.stats.failed += 1
                outcome = {"status": OutboxStatus.FAILED, "last_error": str(error)[:500]}
            except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as error:
                backoff = min(300.0, 2.0 ** min(message.attempts, 8))
                outcome = self._retry(message, backoff, f"{type(error).__name__}: {error}")
            async with self.pool() as session, session.begin():
                await session.execute(
                    sa.update(OutboxMessage).where(OutboxMessage.id == message.id).values(**outcome)
                )
        finally:
            self._in_flight.discard(message.id)
            self._slots.release()

    def _retry(
        self, message: OutboxMessage, delay: float, reason: str, *, count: bool = True
    ) -> dict[str, Any]:
        attempts = message.attempts + (1 if count else 0)
        if attempts >= MAX_ATTEMPTS:
            self.stats.failed += 1
            return {"status": OutboxStatus.FAILED, "attempts": attempts, "last_error": reason[:500]}
        self.stats.retried += 1
        return {
            "attempts": attempts,
            "next_attempt_at": self.clock() + timedelta(seconds=delay),
            "last_error": reason[:500],
        }

    async def _mark_unreachable(self, chat_id: int, reason: str) -> None:
        """403: stop writing to this person and let the officer see it."""
        async with self.pool() as session, session.begin():
            await session.execute(
                sa.update(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING
                )
                .values(status=OutboxStatus.UNREACHABLE, last_error=reason[:500])
            )
            await session.execute(
                sa.update(Person).where(Person.telegram_id == chat_id).values(unreachable=True)
            )
