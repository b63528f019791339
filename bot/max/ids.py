"""MAX's string message ids (`mid`) paired with the integer ids aiogram's handlers use.

Only the two ids and when they were paired: nothing of who wrote or what. Pairs older
than `RETENTION` go (a keyboard that old is stale anyway, as in Telegram after 48 hours).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import timedelta
from typing import cast

import sqlalchemy as sa

from core.clock import utcnow
from storage.database import SessionPool
from storage.delivery_models import MaxMessageId
from storage.statements import dialect_insert, dialect_of

RETENTION = timedelta(days=30)
CACHED = 20_000
_table = cast(sa.Table, MaxMessageId.__table__)


class MessageIds:
    """Numbers for mids and back; the last `CACHED` pairs in memory, the rest in the table."""

    def __init__(self, pool: SessionPool) -> None:
        self.pool = pool
        self._numbers: OrderedDict[str, int] = OrderedDict()
        self._mids: dict[int, str] = {}

    def _remember(self, mid: str, number: int) -> None:
        self._numbers[mid] = number
        self._numbers.move_to_end(mid)
        self._mids[number] = mid
        while len(self._numbers) > CACHED:
            _old, gone = self._numbers.popitem(last=False)
            self._mids.pop(gone, None)

    async def numbers(self, mids: Iterable[str]) -> dict[str, int]:
        """The number of each mid, new ones paired now (one transaction for all)."""
        wanted = [mid for mid in dict.fromkeys(mids) if mid not in self._numbers]
        if wanted:
            now = utcnow()
            async with self.pool() as session, session.begin():
                insert = dialect_insert(dialect_of(session))(_table)
                await session.execute(
                    insert.values(
                        [{"mid": mid, "created_at": now} for mid in wanted]
                    ).on_conflict_do_nothing(index_elements=["mid"])
                )
                found = await session.execute(
                    sa.select(_table.c.mid, _table.c.id).where(_table.c.mid.in_(wanted))
                )
                for mid, number in found:
                    self._remember(mid, int(number))
        return {mid: self._numbers[mid] for mid in mids if mid in self._numbers}

    async def number(self, mid: str) -> int:
        return (await self.numbers([mid]))[mid]

    async def mid(self, number: int) -> str | None:
        """The mid of a number, or None (never paired, or forgotten after `RETENTION`)."""
        if number in self._mids:
            return self._mids[number]
        async with self.pool() as session:
            mid = await session.scalar(sa.select(_table.c.mid).where(_table.c.id == number))
        if mid is not None:
            self._remember(mid, number)
        return mid

    async def forget_old(self) -> int:
        async with self.pool() as session, session.begin():
            result = await session.execute(
                sa.delete(_table).where(_table.c.created_at < utcnow() - RETENTION)
            )
        return int(getattr(result, "rowcount", 0) or 0)
