"""One unit of work per update: the update is marked done in the transaction of its effects.

The marking is a compare-and-set on the inbox row (pending → done), or an insert when the
update did not come through the inbox. A second delivery of the same update then finds it
done, or fails on the primary key, and its effects roll back: no update is ever applied
twice, even when both copies are handled at the same moment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.heap import settle_heap
from storage.database import SessionPool, read_only_of, session_from
from storage.delivery_models import InboxUpdate
from storage.off_loop import Work, read_off_loop
from storage.sqlite_driver import off_loop_statements
from storage.statements import run

T = TypeVar("T")

_INBOX = cast(sa.Table, InboxUpdate.__table__)
_inbox = _INBOX.c
# Built once (it runs for every update): pending → done, or no row changed. The raw update
# (ids, names, texts) has served its purpose once handled: only its id and status stay.
_MARK_DONE = (
    sa.update(_INBOX)
    .where(_inbox.update_id == sa.bindparam("mark_id"), _inbox.status == "pending")
    .values(
        status="done", done_at=sa.bindparam("at"), reason=sa.bindparam("reason"), payload=sa.null()
    )
)

# An update that did not come through the inbox (a test, a replay) is recorded done at once.
_RECORD_DONE = sa.insert(_INBOX).values(
    update_id=sa.bindparam("mark_id"),
    status="done",
    done_at=sa.bindparam("at"),
    reason=sa.bindparam("reason"),
)


class DuplicateUpdate(Exception):
    """This update was applied before; its second delivery must change nothing."""


class UnitOfWork:
    """Opens short transactions for one update; never held across a Telegram call."""

    def __init__(self, pool: SessionPool, update_id: int | None = None) -> None:
        self.pool = pool
        self.update_id = update_id
        self.marked = update_id is None
        self.reason: str | None = None  # why it is done without its handler (e.g. throttled)

    def _marks(self) -> dict[str, object]:
        return {"mark_id": self.update_id, "at": utcnow(), "reason": self.reason}

    async def _mark(self, session: AsyncSession) -> None:
        marks = self._marks()
        if await run(session, _MARK_DONE, marks) != 1:
            await run(session, _RECORD_DONE, marks)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with session_from(self.pool) as session:
            try:
                async with session.begin():
                    if not self.marked:
                        await self._mark(session)
                    yield session
            except IntegrityError as error:
                if "inbox" in str(error).lower():
                    raise DuplicateUpdate(self.update_id) from error
                raise
            self.marked = True

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction for reports: no write lock, its statements off the loop.

        It does not mark the update done: that stays a short write of its own (`mark_done`),
        so a report never holds the write lock while it is built.
        """
        with off_loop_statements():
            async with read_only_of(self.pool)() as session, session.begin():
                yield session

    async def report(self, work: Work[T]) -> T:
        """`await work(session)` read-only on a worker thread with its own loop and engine:
        for reports whose Python work (rows into series, frames) would hold the bot's loop."""
        result = await read_off_loop(self.pool, work)
        settle_heap()  # a first report imports pandas on its thread
        return result

    async def was_processed(self) -> bool:
        if self.update_id is None:
            return False
        async with read_only_of(self.pool)() as session:
            status = await session.scalar(
                sa.select(InboxUpdate.status).where(InboxUpdate.update_id == self.update_id)
            )
        return status == "done"

    async def mark_done(self, reason: str | None = None) -> None:
        """Record the update when its handler needed no transaction of its own.

        ``reason`` says why it is done without being handled (flood control), so it is
        neither pending nor replayed after a restart.
        """
        if self.marked:
            return
        self.reason = reason
        async with self.transaction():
            pass
