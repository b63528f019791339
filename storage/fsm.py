"""aiogram FSM storage in the application database, so a questionnaire survives a restart.

Keys are hashed: the table never holds a readable Telegram id, and a cleared state leaves no
row (the key is still a pseudonym of the chat). aiogram reads the state of
every update; with `cache=True` (one process owns the table, as with SQLite) those reads
come from a write-through memory copy and only writes reach the database.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal, cast

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, KeyBuilder, StateType, StorageKey

from core.clock import utcnow
from storage.database import SessionPool
from storage.direct import Statement, direct_reads
from storage.models import FsmRecord

CACHE_SIZE = 50_000
# A conversation state untouched this long is dropped (a questionnaire expires after 24 h
# anyway; an officer's half-typed prompt a week old is not worth resuming).
STATE_RETENTION = timedelta(days=7)


_records = cast(sa.Table, FsmRecord.__table__).c
_BY_KEY = Statement.of(
    sa.select(_records.state, _records.data).where(_records.key == sa.bindparam("key_id"))
)


def storage_key_id(key: StorageKey, salt: bytes) -> str:
    raw = f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id}:{key.destiny}"
    return hashlib.blake2b(raw.encode(), key=salt[:64], digest_size=32).hexdigest()


class HashedKeyBuilder(KeyBuilder):
    """Redis keys as the table's: a keyed hash of the chat, never a readable Telegram id.

    aiogram's default key is `fsm:<bot>:<chat>:<user>:…`, so every conversation in Redis
    would be listed under the person's Telegram id for as long as it lives.
    """

    def __init__(self, salt: bytes, prefix: str = "fsm") -> None:
        self._salt = salt
        self._prefix = prefix

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        built = f"{self._prefix}:{storage_key_id(key, self._salt)}"
        return f"{built}:{part}" if part else built


class SqlFsmStorage(BaseStorage):
    """FSM state in the `fsm_records` table; each write is its own short transaction."""

    def __init__(self, session_pool: SessionPool, salt: bytes, *, cache: bool = False) -> None:
        self._pool = session_pool
        self._salt = salt
        self._cache: OrderedDict[str, tuple[str | None, dict[str, Any]]] | None = (
            OrderedDict() if cache else None
        )

    def _remember(self, key_id: str, state: str | None, data: dict[str, Any]) -> None:
        if self._cache is None:
            return
        self._cache[key_id] = (state, data)
        self._cache.move_to_end(key_id)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    async def _load(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        key_id = storage_key_id(key, self._salt)
        if self._cache is not None and key_id in self._cache:
            self._cache.move_to_end(key_id)
            return self._cache[key_id]
        async with direct_reads(self._pool) as db:
            record = await db.row(_BY_KEY, {"key_id": key_id})
        loaded = (record[0], dict(record[1] or {})) if record else (None, {})
        self._remember(key_id, *loaded)
        return loaded

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        key_id = storage_key_id(key, self._salt)
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

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._load(key))[1])

    async def close(self) -> None:
        return None

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
