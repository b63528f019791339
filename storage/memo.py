"""Small caches that live as long as an engine, so they never mix two databases."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_ATTRIBUTE = "_otklik_memo"


def engine_memo(session: AsyncSession, name: str) -> dict[Any, Any]:
    """The dict called `name` of the session's engine (a test's database, the bot's one)."""
    engine = session.get_bind()
    memos: dict[str, dict[Any, Any]] | None = engine.__dict__.get(_ATTRIBUTE)
    if memos is None:
        memos = {}
        engine.__dict__[_ATTRIBUTE] = memos
    return memos.setdefault(name, {})


def fresh(stamp: float, ttl: float) -> bool:
    return time.monotonic() - stamp < ttl


def now() -> float:
    return time.monotonic()
