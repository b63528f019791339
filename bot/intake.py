"""Durable intake: an update is stored before Telegram is told it arrived, then handled.

aiogram's own polling confirms updates (the next getUpdates offset) while their handlers may
still run, and its webhook handler answers 200 before handling: a crash loses what was in
flight. Here every update goes to the inbox first; the offset moves (or the webhook answers
200) only after that commit; handlers mark it done in their own transaction; and at start-up
whatever is still pending from before a crash is handled. At-least-once delivery plus the
compare-and-set in storage.uow gives exactly-once effects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from aiogram import Bot, Dispatcher
from aiogram.exceptions import AiogramError, TelegramConflictError, TelegramRetryAfter
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.patience import until_done
from core.channels import MAX_UPDATE_BASE, Channel
from core.clock import utcnow
from storage.database import SessionPool, session_from
from storage.delivery_models import InboxUpdate
from storage.sqlite_driver import inline_statements
from storage.statements import PerDialect, binds, dialect_insert

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def _store_one(dialect: str) -> sa.Executable:
    insert = dialect_insert(dialect)
    table = cast(sa.Table, InboxUpdate.__table__)
    # The payload arrives as JSON text (pydantic writes it in one step); the column reads
    # back as JSON. PostgreSQL wants the text cast to its json type, SQLite stores it as is.
    text = sa.bindparam("payload", type_=sa.Text)
    payload = sa.cast(text, table.c.payload.type) if dialect == "postgresql" else text
    return (
        insert(table)
        .values(payload=payload, **binds("update_id", "status", "attempts", "received_at"))
        .on_conflict_do_nothing()
        .returning(table.c.update_id)
    )


_STORE = PerDialect(_store_one)


async def _insert(
    session: AsyncSession, updates: Sequence[Update], now: datetime, fresh: set[int]
) -> None:
    """The batch in one statement (SQLAlchemy's "insertmanyvalues": one multi-row INSERT …
    RETURNING); `fresh` gets the ids that were new."""
    rows = [
        {
            "update_id": update.update_id,
            "payload": update.model_dump_json(exclude_none=True),
            "status": "pending",
            "attempts": 0,
            "received_at": now,
        }
        for update in updates
    ]
    fresh.update(await session.scalars(_STORE.of(session), rows))


class Inbox:
    """The inbox table and the handling of what is in it, by a bounded pool of workers.

    A worker per update (aiogram's default) lets a burst of thousands of updates open
    thousands of transactions at once; on SQLite they then queue for the one write lock and
    time out. `workers` handlers at a time keep the database busy without a pile-up; the
    rest wait in memory, already safe in the inbox table. Polling fetches more only while
    fewer than `backlog` wait (`room`): beyond that, updates wait at Telegram, unconfirmed,
    and memory stays flat however many people write at once.
    """

    def __init__(
        self,
        pool: SessionPool,
        dispatcher: Dispatcher,
        bot: Bot,
        *,
        workers: int = 16,
        backlog: int | None = None,
        channel: Channel = Channel.TELEGRAM,
    ) -> None:
        self.pool = pool
        self.channel = channel  # whose pending updates `recover` takes (core.channels)
        self.dispatcher = dispatcher
        self.bot = bot
        self.workers = max(1, workers)
        self.backlog = max(1, backlog if backlog is not None else self.workers * 8)
        self._queue: asyncio.Queue[tuple[Update, bool]] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._has_room = asyncio.Event()
        self._has_room.set()

    async def store(
        self,
        updates: Sequence[Update],
        then: Callable[[AsyncSession], Awaitable[None]] | None = None,
    ) -> set[int]:
        """Commit the updates as pending; a copy seen before is ignored.

        Returns the ids that were new: those cannot have been applied before, so their
        handling skips the "seen before?" read. `then` runs in the same transaction (MAX's
        marker is confirmed with the updates it covers).
        """
        if not updates and then is not None:
            async with self.pool() as session, session.begin():
                await then(session)
        if not updates:
            return set()
        fresh: set[int] = set()
        now = utcnow()
        # A batch is one short transaction: its statements on the loop's thread.
        with inline_statements():
            async with session_from(self.pool) as session, session.begin():
                await _insert(session, updates, now, fresh)
                if then is not None:
                    await then(session)
        return fresh

    def handle_soon(self, update: Update, *, fresh: bool = False) -> None:
        """Queue the update for a worker; `fresh` when `store` has just inserted it."""
        if len(self._workers) < self.workers:
            self._workers.append(asyncio.create_task(self._work()))
        self._queue.put_nowait((update, fresh))
        if self._queue.qsize() >= self.backlog:
            self._has_room.clear()

    async def room(self) -> None:
        """Return once fewer than `backlog` updates wait for a worker."""
        await self._has_room.wait()

    async def _work(self) -> None:
        while True:
            update, fresh = await self._queue.get()
            if self._queue.qsize() < self.backlog:
                self._has_room.set()
            try:
                await self.handle(update, fresh=fresh)
            finally:
                self._queue.task_done()

    async def handle(self, update: Update, *, fresh: bool = False) -> None:
        try:
            await self.dispatcher.feed_update(self.bot, update, inbox_fresh=fresh)
        except Exception:  # the errors router answers people; this is the last net
            log.exception("update %s failed outside the handlers", update.update_id)

    async def recover(self, *, older_than: timedelta = timedelta(seconds=0)) -> int:
        """Handle updates left pending by a crash (oldest first); poison ones give up."""
        cutoff = utcnow() - older_than
        async with self.pool() as session, session.begin():
            rows = (
                await session.scalars(
                    sa.select(InboxUpdate)
                    .where(
                        InboxUpdate.status == "pending",
                        InboxUpdate.received_at <= cutoff,
                        InboxUpdate.update_id >= MAX_UPDATE_BASE
                        if self.channel is Channel.MAX
                        else InboxUpdate.update_id < MAX_UPDATE_BASE,
                    )
                    .order_by(InboxUpdate.update_id)
                )
            ).all()
            pending: list[dict[str, Any]] = []
            given_up: list[int] = []
            for row in rows:
                row.attempts += 1
                if row.attempts > MAX_ATTEMPTS or row.payload is None:
                    given_up.append(row.update_id)
                    row.reason = f"gave up after {row.attempts - 1} attempts"
                    log.error("update %s given up after %d attempts", row.update_id, row.attempts)
                else:
                    pending.append(row.payload)
            if given_up:  # the raw update identifies its sender: only the id and status stay
                await session.flush()
                await session.execute(
                    sa.update(InboxUpdate)
                    .where(InboxUpdate.update_id.in_(given_up))
                    .values(status="failed", payload=sa.null())
                    .execution_options(synchronize_session=False)
                )
        for payload in pending:
            await self.handle(Update.model_validate(payload, context={"bot": self.bot}))
        if pending:
            log.info("recovered %d updates left pending before a restart", len(pending))
        return len(pending)

    async def drain(self) -> None:
        """Finish what is queued, then stop the workers."""
        if self._workers:
            await self._queue.join()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()


async def durable_polling(
    inbox: Inbox,
    stop: asyncio.Event,
    *,
    allowed_updates: list[str] | None = None,
    poll_seconds: int = 25,
) -> None:
    """getUpdates → store → confirm (next offset) → handle; never drops pending updates."""
    bot = inbox.bot
    await until_done(
        lambda: bot.delete_webhook(drop_pending_updates=False), what="deleteWebhook", stop=stop
    )
    await inbox.recover()
    offset: int | None = None
    backoff = 1.0
    while not stop.is_set():
        await inbox.room()  # back-pressure: the rest stays at Telegram, unconfirmed
        halt = asyncio.create_task(stop.wait())
        try:
            fetch = asyncio.create_task(
                bot.get_updates(
                    offset=offset, timeout=poll_seconds, allowed_updates=allowed_updates
                )
            )
            done, _ = await asyncio.wait({fetch, halt}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                break
            updates = fetch.result()
            backoff = 1.0
        except TelegramRetryAfter as error:
            await asyncio.sleep(error.retry_after)
            continue
        except TelegramConflictError:
            log.warning(
                "getUpdates: another process polls with this token (a second `otklik run`?); "
                "retrying in %.0f s",
                backoff,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        except (AiogramError, TimeoutError, OSError) as error:  # 5xx, non-JSON, network, 4xx
            log.warning("getUpdates failed (%s); retrying in %.0f s", type(error).__name__, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        finally:
            halt.cancel()
        if not updates:
            continue
        try:
            fresh = await inbox.store(updates)  # only now may Telegram forget them (next offset)
        except Exception:  # the offset stays: Telegram gives them again, nothing is lost
            log.exception("storing %d updates failed; fetching them again", len(updates))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        offset = updates[-1].update_id + 1
        for update in updates:
            inbox.handle_soon(update, fresh=update.update_id in fresh)
    await inbox.drain()
