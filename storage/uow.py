"""One unit of work per update: the update id is recorded in the same transaction as its effects.

A second delivery of the same update then fails on the primary key and its effects roll back,
so no update is ever applied twice, even when both copies are handled at the same moment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import SessionPool
from storage.models import ProcessedUpdate


class DuplicateUpdate(Exception):
    """This update was applied before; its second delivery must change nothing."""


class UnitOfWork:
    """Opens short transactions for one update; never held across a Telegram call."""

    def __init__(self, pool: SessionPool, update_id: int | None = None) -> None:
        self.pool = pool
        self.update_id = update_id
        self.marked = update_id is None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.pool() as session:
            try:
                async with session.begin():
                    marking = not self.marked
                    if marking:
                        session.add(ProcessedUpdate(update_id=self.update_id))
                        await session.flush()
                    yield session
            except IntegrityError as error:
                if "processed_updates" in str(error).lower() or "pk_processed" in str(error):
                    raise DuplicateUpdate(self.update_id) from error
                raise
            self.marked = True

    async def was_processed(self) -> bool:
        if self.update_id is None:
            return False
        async with self.pool() as session:
            found = await session.scalar(
                sa.select(ProcessedUpdate.update_id).where(
                    ProcessedUpdate.update_id == self.update_id
                )
            )
        return found is not None

    async def mark_done(self) -> None:
        """Record the update when its handler needed no transaction of its own."""
        if self.marked:
            return
        async with self.transaction():
            pass
