"""aiogram FSM storage in the application database, so a questionnaire survives a restart.

Keys are hashed: the table never holds a readable Telegram id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.base import utcnow
from storage.database import SessionPool
from storage.models import FsmRecord


def storage_key_id(key: StorageKey, salt: bytes) -> str:
    raw = f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id}:{key.destiny}"
    return hashlib.blake2b(raw.encode(), key=salt[:64], digest_size=32).hexdigest()


class SqlFsmStorage(BaseStorage):
    """FSM state in the `fsm_records` table; each call is its own short transaction."""

    def __init__(self, session_pool: SessionPool, salt: bytes) -> None:
        self._pool = session_pool
        self._salt = salt

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

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._upsert(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._pool() as session:
            record = await session.get(FsmRecord, storage_key_id(key, self._salt))
            return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._pool() as session:
            record = await session.get(FsmRecord, storage_key_id(key, self._salt))
            return dict(record.data) if record and record.data else {}

    async def close(self) -> None:
        return None

    async def purge_older_than(self, age: timedelta) -> int:
        """Drop states untouched for `age`; expired questionnaires are recorded elsewhere."""
        async with self._pool() as session, session.begin():
            result = await session.execute(
                sa.delete(FsmRecord).where(FsmRecord.updated_at < utcnow() - age)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
