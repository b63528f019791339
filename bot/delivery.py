"""The outbox sender: delivers queued messages within each messenger's limits, once.

One sender per channel (core.channels): Telegram's at OTKLIK_OUTBOX_RATE_PER_SECOND, MAX's
at MAX's 30 requests per second, each taking only its channel's rows.

Rows hold channel-neutral text and actions (core.speech); `handlers.speech` renders the
actions as Telegram's inline buttons when a row is sent.

Outcomes are committed by one writer every 50 ms (or every 100 outcomes); a message stays
"in flight" in memory until its outcome is committed, so it is never picked twice.
At-least-once with one unavoidable window: if the process dies after Telegram accepted
messages but before the writer recorded them, those are sent again after the restart. The
window is the sends in flight (at most `concurrency`, 32) plus the outcomes not yet
committed (normally ~50 ms of sending, at most `flush_rows`, 100). Everything else (429,
5xx, network errors, restarts, kill -9) loses nothing and duplicates nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import FSInputFile

from core.channels import Channel
from core.clock import Clock, utcnow
from core.speech import actions_from_json
from handlers.speech import inline_keyboard
from storage.database import SessionPool
from storage.delivery_models import OutboxLane, OutboxMessage, OutboxStatus
from storage.recipients import Unreachable, classify, hold

log = logging.getLogger(__name__)

LANE_ORDER = sa.case(
    (OutboxMessage.lane == OutboxLane.INTERACTIVE, 0),
    (OutboxMessage.lane == OutboxLane.ALERT, 1),
    else_=2,
)
MAX_ATTEMPTS = 12
RowWrite = tuple[int, dict[str, Any]]  # outbox id, values


@dataclass(frozen=True)
class ChatWrite:
    """A recipient Telegram cannot reach (yet): a person's messages are held, not lost."""

    chat_id: int
    outbox_id: int
    description: str
    reason: Unreachable
    forbidden: bool  # 403: a chat that is nobody's in the registry is given up as before


def _chat(message: OutboxMessage) -> int:
    """A pending message always has its chat: held ones get it when they are released."""
    if message.chat_id is None:
        raise ValueError(f"outbox message {message.id} has no chat")
    return message.chat_id


@dataclass
class TokenBucket:
    """Global messages per second, with a pause that a 429 imposes on everyone."""

    rate: float
    burst: float = 0.0
    tokens: float = 0.0
    updated: float = field(default_factory=time.monotonic)
    paused_until: float = 0.0

    def __post_init__(self) -> None:
        # Below Telegram's own burst of ~30, so a burst after an idle moment draws no 429s.
        self.burst = self.burst or max(1.0, min(10.0, self.rate / 5))
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
        """Stop everyone; the pause ends with an empty bucket, not a burst that draws 429s."""
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.tokens = 0
        self.updated = max(self.updated, self.paused_until)


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    rate_limited: int = 0


class OutboxSender:
    """Sends due outbox messages: interactive and alerts first, then bulk; 1 msg/s per chat.

    A 429 defers only its own chat; everyone pauses only when 429s are frequent (at least
    `storm_429` of the last `storm_window` answers), which is what a real flood looks like.
    A pass does not wait for its slowest send, and the next batch is fetched while the last
    quarter of this one is still going out.
    """

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
        storm_429: int = 10,
        storm_window: int = 100,
        flush_interval: float = 0.05,
        flush_rows: int = 100,
        channel: Channel = Channel.TELEGRAM,
    ) -> None:
        self.bot = bot
        self.channel = channel  # the rows it sends: its messenger's (outbox.channel)
        self.pool = pool
        self.bucket = TokenBucket(rate_per_second)
        self.per_chat_interval = per_chat_interval
        self.clock = clock
        # A pass lasts about two seconds, so a new alert never waits behind a long bulk pass.
        self.batch = batch or max(10, int(rate_per_second * 2))
        self.stats = SenderStats()
        self.storm_429 = storm_429
        self.flush_interval = flush_interval
        self.flush_rows = flush_rows
        self._chat_next: OrderedDict[int, float] = OrderedDict()
        self._in_flight: set[int] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._wakeup = asyncio.Event()
        self._answers: deque[bool] = deque(maxlen=storm_window)
        self._recent_429 = 0
        self._rows: list[RowWrite] = []
        self._chats: list[ChatWrite] = []
        self._release_later: list[int] = []
        self._flush_now = asyncio.Event()
        self._closing = asyncio.Event()
        self._writing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._next: asyncio.Task[list[OutboxMessage]] | None = None

    def wake(self) -> None:
        """Called after a commit that queued something, so it goes out without polling delay."""
        self._wakeup.set()

    async def _due(self, exclude: frozenset[int] = frozenset()) -> list[OutboxMessage]:
        query = (
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.channel == self.channel.value,
                OutboxMessage.chat_id.is_not(None),
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

    def _chat_ready(self, chat_id: int) -> bool:
        return self._chat_next.get(chat_id, 0.0) <= time.monotonic()

    def _chat_sent(self, chat_id: int) -> None:
        self._chat_next[chat_id] = time.monotonic() + self.per_chat_interval
        self._chat_next.move_to_end(chat_id)
        while len(self._chat_next) > 50_000:
            self._chat_next.popitem(last=False)

    async def run_once(self) -> int:
        """One pass over due messages; returns how many were handed to Telegram."""
        if self._next is not None:
            due = [m for m in await self._next if m.id not in self._in_flight]
            self._next = None
        else:
            due = await self._due()
        prefetch_at = len(due) * 3 // 4 if len(due) >= self.batch else -1
        started = 0
        for position, message in enumerate(due):
            if position == prefetch_at:
                rest = frozenset(m.id for m in due[position:])
                self._next = asyncio.create_task(self._due(rest))
            chat_id = _chat(message)
            if not self._chat_ready(chat_id):
                continue
            await self.bucket.take()
            if not self._chat_ready(chat_id):
                continue
            self._chat_sent(chat_id)
            self._in_flight.add(message.id)
            await self._slots.acquire()
            task = asyncio.create_task(self._deliver(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
        return started

    async def run(
        self,
        stop: asyncio.Event,
        idle: float = 0.5,
        should_run: Callable[[], bool] = lambda: True,
    ) -> None:
        """Loop until `stop` is set; sleeps only when nothing is due (or another replica sends)."""
        writer = asyncio.create_task(self._writer())
        self._writing = True
        try:
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
        finally:
            if self._next is not None:
                self._next.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._next
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            self._closing.set()
            await writer
            self._writing = False

    async def _call(self, message: OutboxMessage) -> int | None:
        chat_id = _chat(message)
        markup = inline_keyboard(actions_from_json(message.actions))
        if message.method == "sendPhoto" and message.file_path:
            sent = await self.bot.send_photo(
                chat_id,
                FSInputFile(message.file_path),
                caption=message.text or None,
                reply_markup=markup,
            )
        elif message.method == "sendDocument" and message.file_path:
            sent = await self.bot.send_document(
                chat_id,
                FSInputFile(message.file_path),
                caption=message.text or None,
                reply_markup=markup,
            )
        else:
            sent = await self.bot.send_message(chat_id, message.text, reply_markup=markup)
        return sent.message_id

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
                if storm:
                    self.bucket.pause(error.retry_after)
                else:
                    self._chat_next[_chat(message)] = time.monotonic() + error.retry_after
                row = (
                    message.id,
                    self._retry(message, error.retry_after, "429 retry_after", count=False),
                )
            except (TelegramForbiddenError, TelegramBadRequest) as error:
                self._answered(False)
                forbidden = isinstance(error, TelegramForbiddenError)
                reason = classify(error.message, forbidden=forbidden)
                if reason is None:
                    self.stats.failed += 1
                    row = (
                        message.id,
                        {"status": OutboxStatus.FAILED, "last_error": str(error)[:500]},
                    )
                else:
                    self.stats.unreachable += 1
                    chat = ChatWrite(_chat(message), message.id, str(error), reason, forbidden)
            except TelegramUnauthorizedError as error:
                self._answered(False)
                self.stats.failed += 1
                row = (message.id, {"status": OutboxStatus.FAILED, "last_error": str(error)[:500]})
            except (
                TelegramServerError,
                TelegramNetworkError,
                ClientDecodeError,  # a non-JSON answer (a proxy's 502 page): like a 5xx
                TimeoutError,
                OSError,
            ) as error:
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
        if self._writing:
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
            for chat in chats:
                if await hold(session, chat.chat_id, chat.reason, chat.description, self.clock()):
                    continue
                # Nobody's chat in the registry (a respondent): given up, as before.
                stopped = OutboxMessage.chat_id == chat.chat_id
                if not chat.forbidden:
                    stopped = OutboxMessage.id == chat.outbox_id
                await session.execute(
                    sa.update(OutboxMessage)
                    .where(stopped, OutboxMessage.status == OutboxStatus.PENDING)
                    .values(
                        status=OutboxStatus.UNREACHABLE if chat.forbidden else OutboxStatus.FAILED,
                        last_error=chat.description[:500],
                    )
                )
