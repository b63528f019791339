"""Prototype of the outbox sender fixes proposed in bench/README.md (## delivery). NOT used by
the bot: `python bench/delivery.py --sender prototype` measures it; bot/delivery.py is untouched.

`PrototypeSender` is `bot.delivery.OutboxSender` with four changes, each switchable for an
ablation (`fixes`):

- ``local429``: a 429 defers only its own chat (its row already gets next_attempt_at +
  retry_after); the whole bot pauses for retry_after only when 429s are frequent — at least
  10 of the last 100 answers — which is what a real global flood looks like. A 2% share of
  scattered 429s no longer freezes all sending for a second, 4 times a second at R = 200.
- ``burst``: the sender's token bucket holds at most 10 tokens (was R/5 = 40 at R = 200), below
  the 30 of Telegram's (and the sandbox's) global bucket, so a burst after an idle moment or at
  start-up does not itself cause 429s; and a pause ends with an empty bucket instead of a full
  one (`RestartingBucket`).
- ``batch``: outcomes (sent / retry / failed / unreachable) are written by one writer task in
  one transaction every 50 ms (or every 100 outcomes) instead of one transaction per message;
  a row stays "in flight" in memory until its outcome is committed, so it is never picked
  twice. The at-least-once window grows from one message to 50 ms of messages.
- ``nobarrier``: a pass does not wait for its slowest send (and its write); the next query
  excludes the rows in flight in SQL, so sending continues without a gap.
- ``prefetch`` (with nobarrier): the next pass's query runs while the last quarter of this
  pass is being sent, so sending does not stop for the query either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any, cast

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

from bot.delivery import LANE_ORDER, OutboxSender, TokenBucket
from storage.database import SessionPool
from storage.models import OutboxMessage, OutboxStatus, Person

log = logging.getLogger(__name__)

ALL_FIXES = frozenset({"local429", "burst", "batch", "nobarrier", "prefetch"})
RowWrite = tuple[int, dict[str, Any]]  # outbox id, values
ChatWrite = tuple[int, str]  # chat id, reason (403: unreachable)


class RestartingBucket(TokenBucket):
    """A pause ends with an empty bucket.

    `TokenBucket.pause` sets tokens to 0 but leaves `updated` at the last take, so the next
    `delay()` after the pause credits the whole pause: the bucket is full again (R/5 = 40 at
    R = 200) and that burst, above Telegram's ~30, draws fresh 429s and another pause.
    """

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        self.updated = max(self.updated, self.paused_until)


class PrototypeSender(OutboxSender):
    def __init__(
        self,
        bot: Bot,
        pool: SessionPool,
        *,
        rate_per_second: float = 25.0,
        fixes: frozenset[str] = ALL_FIXES,
        max_burst: float = 10.0,
        storm_429: int = 10,
        storm_window: int = 100,
        flush_interval: float = 0.05,
        flush_rows: int = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(bot, pool, rate_per_second=rate_per_second, **kwargs)
        self.fixes = fixes
        if "burst" in fixes:
            self.bucket = RestartingBucket(
                rate_per_second, burst=max(1.0, min(max_burst, rate_per_second / 5))
            )
        self.storm_429 = storm_429
        self._answers: deque[bool] = deque(maxlen=storm_window)
        self._recent_429 = 0
        self.flush_interval = flush_interval
        self.flush_rows = flush_rows
        # Outcomes waiting for the writer, and the ids that leave "in flight" once committed.
        self._rows: list[RowWrite] = []
        self._chats: list[ChatWrite] = []
        self._release_later: list[int] = []
        self._flush_now = asyncio.Event()
        self._closing = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._next: asyncio.Task[list[OutboxMessage]] | None = None

    # ------------------------------------------------------------------ passes
    async def _due(self, exclude: frozenset[int] = frozenset()) -> list[OutboxMessage]:
        query = (
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= self.clock(),
            )
            .order_by(LANE_ORDER, OutboxMessage.id)
            .limit(self.batch)
        )
        skip = self._in_flight | exclude
        if skip:
            query = query.where(OutboxMessage.id.not_in(list(skip)))
        async with self.pool() as session:
            return list((await session.scalars(query)).all())

    async def run_once(self) -> int:
        if self._next is not None:
            due = [m for m in await self._next if m.id not in self._in_flight]
            self._next = None
        else:
            due = await self._due()
        prefetch_at = len(due) * 3 // 4 if len(due) >= self.batch else -1
        started = 0
        tasks: list[asyncio.Task[None]] = []
        for position, message in enumerate(due):
            if position == prefetch_at and {"nobarrier", "prefetch"} <= self.fixes:
                self._next = asyncio.create_task(self._due(frozenset(m.id for m in due[position:])))
            if not self._chat_ready(message.chat_id):
                continue
            await self.bucket.take()
            if not self._chat_ready(message.chat_id):
                continue
            self._chat_sent(message.chat_id)
            self._in_flight.add(message.id)
            await self._slots.acquire()
            task = asyncio.create_task(self._deliver(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            tasks.append(task)
            started += 1
        if tasks and "nobarrier" not in self.fixes:
            await asyncio.gather(*tasks)
        return started

    async def run(
        self,
        stop: asyncio.Event,
        idle: float = 0.5,
        should_run: Callable[[], bool] = lambda: True,
    ) -> None:
        writer = asyncio.create_task(self._writer()) if "batch" in self.fixes else None
        try:
            await super().run(stop, idle, should_run)
        finally:
            if self._next is not None:
                self._next.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._next
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            if writer is not None:
                self._closing.set()
                await writer

    # ------------------------------------------------------------------ sending
    def _answered(self, too_many: bool) -> bool:
        """Record one answer; True when 429s are frequent enough to pause everyone."""
        if len(self._answers) == self._answers.maxlen:
            self._recent_429 -= self._answers[0]
        self._answers.append(too_many)
        self._recent_429 += too_many
        return self._recent_429 >= self.storm_429

    async def _deliver(self, message: OutboxMessage) -> None:
        row: RowWrite | None = None
        chat: ChatWrite | None = None
        try:
            try:
                telegram_id = await self._call(message)
                self._answered(False)
                self.stats.sent += 1
                row = (
                    message.id,
                    {
                        "status": OutboxStatus.SENT,
                        "sent_at": self.clock(),
                        "telegram_message_id": telegram_id,
                    },
                )
            except TelegramRetryAfter as error:
                self.stats.rate_limited += 1
                storm = self._answered(True)
                if "local429" not in self.fixes or storm:
                    self.bucket.pause(error.retry_after)
                else:
                    self._chat_next[message.chat_id] = time.monotonic() + error.retry_after
                row = (
                    message.id,
                    self._retry(message, error.retry_after, "429 retry_after", count=False),
                )
            except TelegramForbiddenError as error:
                self._answered(False)
                self.stats.unreachable += 1
                chat = (message.chat_id, str(error))
            except (TelegramBadRequest, TelegramUnauthorizedError) as error:
                self._answered(False)
                self.stats.failed += 1
                row = (message.id, {"status": OutboxStatus.FAILED, "last_error": str(error)[:500]})
            except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as error:
                self._answered(False)
                backoff = min(300.0, 2.0 ** min(message.attempts, 8))
                row = (
                    message.id,
                    self._retry(message, backoff, f"{type(error).__name__}: {error}"),
                )
        except Exception:
            log.exception("outbox send %s failed", message.id)
            self._in_flight.discard(message.id)
            return
        finally:
            self._slots.release()
        if "batch" in self.fixes:
            if row is not None:
                self._rows.append(row)
            if chat is not None:
                self._chats.append(chat)
            self._release_later.append(message.id)
            if len(self._rows) + len(self._chats) >= self.flush_rows:
                self._flush_now.set()
            return
        try:
            await self._write([row] if row else [], [chat] if chat else [])
        finally:
            self._in_flight.discard(message.id)

    # ------------------------------------------------------------------ writing
    async def _writer(self) -> None:
        """Commit buffered outcomes every `flush_interval` (sooner when many); last on close."""
        while True:
            closing = self._closing.is_set()
            if not closing:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flush_now.wait(), self.flush_interval)
                self._flush_now.clear()
            rows, chats, ids = self._rows, self._chats, self._release_later
            self._rows, self._chats, self._release_later = [], [], []
            if ids:
                try:
                    await self._write(rows, chats)
                except Exception:  # keep them in flight (never picked twice); retry next tick
                    log.exception("outbox outcome write failed; retrying")
                    self._rows[:0], self._chats[:0], self._release_later[:0] = rows, chats, ids
                    if closing:
                        return
                    await asyncio.sleep(self.flush_interval)
                    continue
                self._in_flight.difference_update(ids)
            if closing:
                return

    async def _write(self, rows: list[RowWrite], chats: list[ChatWrite]) -> None:
        """All outcomes in one transaction; rows grouped by the columns they set."""
        table = cast(sa.Table, OutboxMessage.__table__)
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for outbox_id, values in rows:
            bound = {"oid": outbox_id, **{f"v_{key}": value for key, value in values.items()}}
            groups.setdefault(tuple(sorted(values)), []).append(bound)
        async with self.pool() as session, session.begin():
            connection = await session.connection()
            for columns, params in groups.items():
                statement = (
                    sa.update(table)
                    .where(table.c.id == sa.bindparam("oid"))
                    .values({column: sa.bindparam(f"v_{column}") for column in columns})
                )
                await connection.execute(statement, params)
            for chat_id, reason in chats:
                await session.execute(
                    sa.update(OutboxMessage)
                    .where(
                        OutboxMessage.chat_id == chat_id,
                        OutboxMessage.status == OutboxStatus.PENDING,
                    )
                    .values(status=OutboxStatus.UNREACHABLE, last_error=reason[:500])
                )
                await session.execute(
                    sa.update(Person).where(Person.telegram_id == chat_id).values(unreachable=True)
                )
