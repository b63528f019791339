"""aiogram FSM storage in the application database, so a questionnaire survives a restart.

Keys are hashed: the table never holds a readable Telegram id, and a cleared state leaves no
row (the key is still a pseudonym of the chat). aiogram reads the state of every update; the
rows and their memory copy are storage.fsm's, this module speaks aiogram's storage API.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, KeyBuilder, StateType, StorageKey

from storage.database import SessionPool
from storage.fsm import FsmRecords


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
    """FSM state in the `fsm_records` table (storage.fsm.FsmRecords)."""

    def __init__(self, session_pool: SessionPool, salt: bytes, *, cache: bool = False) -> None:
        self.records = FsmRecords(session_pool, cache=cache)
        self._salt = salt

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.records.upsert(storage_key_id(key, self._salt), state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self.records.load(storage_key_id(key, self._salt)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.records.upsert(storage_key_id(key, self._salt), data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self.records.load(storage_key_id(key, self._salt)))[1])

    async def close(self) -> None:
        return None

    def forget_cached(self) -> None:
        """Drop the memory copy, e.g. after the database was restored under the process."""
        self.records.forget_cached()

    async def purge_older_than(self, age: timedelta) -> int:
        """Drop states untouched for `age` (the nightly jobs.surveys.purge_fsm)."""
        return await self.records.purge_older_than(age)
