"""Small caches that live as long as an engine, so they never mix two databases."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy.engine import Engine

_ATTRIBUTE = "_otklik_memo"
T = TypeVar("T")


class Bound(Protocol):
    """A session (or anything else bound to an engine): memos are kept per engine."""

    def get_bind(self) -> Engine | Any: ...


def engine_memo(session: Bound, name: str) -> dict[Any, Any]:
    """The dict called `name` of the session's engine (a test's database, the bot's one)."""
    engine = session.get_bind()
    memos: dict[str, dict[Any, Any]] | None = engine.__dict__.get(_ATTRIBUTE)
    if memos is None:
        memos = {}
        engine.__dict__[_ATTRIBUTE] = memos
    return memos.setdefault(name, {})


async def reused(
    session: Bound, name: str, key: Hashable, ttl: float, load: Callable[[], Awaitable[T]]
) -> T:
    """`load()`'s value for `key` in the engine's memo `name`, loaded again after `ttl` s."""
    memo = engine_memo(session, name)
    cached = memo.get(key)
    if cached is not None and time.monotonic() - cached[0] < ttl:
        return cast(T, cached[1])
    value = await load()
    memo[key] = (time.monotonic(), value)
    return value
