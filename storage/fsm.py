"""Conversation state in the application database, so a questionnaire survives a restart.

Rows of `fsm_records` by a hashed key (bot.fsm hashes aiogram's storage keys): the table never
holds a readable Telegram id, and a cleared state leaves no row. With `cache=True` (one process
owns the table, as with SQLite) reads come from a write-through memory copy and only writes
reach the database.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa

from core.clock import utcnow
from storage.database import SessionPool, read_only_of, session_from
from storage.delivery_models import FsmRecord
from storage.sqlite_driver import inline_statements
from storage.statements import first

CACHE_SIZE = 50_000
# A conversation state untouched this long is dropped (a questionnaire expires after 24 h
# anyway; an officer's half-typed prompt a week old is not worth resuming).
STATE_RETENTION = timedelta(days=7)
Stored = tuple[str | None, dict[str, Any]]


_records = cast(sa.Table, FsmRecord.__table__).c
_BY_KEY = sa.select(_records.state, _records.data).where(_records.key == sa.bindparam("key_id"))


class FsmRecords:
    """State and data by key id; each write is its own short transaction."""

    def __init__(self, session_pool: SessionPool, *, cache: bool = False) -> None:
        self._pool = session_pool
        self._cache: OrderedDict[str, Stored] | None = OrderedDict() if cache else None

    def _remember(self, key_id: str, state: str | None, data: dict[str, Any]) -> None:
        if self._cache is None:
            return
        self._cache[key_id] = (state, data)
        self._cache.move_to_end(key_id)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    async def load(self, key_id: str) -> Stored:
        if self._cache is not None and key_id in self._cache:
            self._cache.move_to_end(key_id)
            return self._cache[key_id]
        # On the loop's thread, in a read-only transaction that ends with the block (a
        # snapshot held until the session's close would keep SQLite from resetting the WAL).
        with inline_statements():
            async with session_from(read_only_of(self._pool)) as session, session.begin():
                record = await first(session, _BY_KEY, {"key_id": key_id})
        loaded = (record[0], dict(record[1] or {})) if record else (None, {})
        self._remember(key_id, *loaded)
        return loaded

    async def upsert(self, key_id: str, **values: Any) -> None:
        async with self._pool() as session, session.begin():
            record = await session.get(FsmRecord, key_id)
            if record is None:
                record = FsmRecord(key=key_id, state=None, data={})
                session.add(record)
            for name, value in values.items():
                setattr(record, name, value)
            record.updated_at = utcnow()
            written = (record.state, dict(record.data or {}))
            if written == (None, {}):
                # A cleared conversation (state.clear(), /forget) leaves no row keyed by
                # the person's chat behind: no state is the same as no row.
                if record in session.new:
                    session.expunge(record)
                else:
                    await session.delete(record)
        self._remember(key_id, *written)  # only after the commit

    def forget_cached(self) -> None:
        """Drop the memory copy, e.g. after the database was restored under the process."""
        if self._cache is not None:
            self._cache.clear()

    async def purge_older_than(self, age: timedelta) -> int:
        """Drop states untouched for `age`; expired questionnaires are recorded elsewhere."""
        async with self._pool() as session, session.begin():
            result = await session.execute(
                sa.delete(FsmRecord).where(FsmRecord.updated_at < utcnow() - age)
            )
        if self._cache is not None:
            self._cache.clear()  # reloaded on demand: the purge is daily
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
