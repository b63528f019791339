"""Long reads (reports over the whole catalogue) on a thread with an event loop of its own.

A report over a thousand processes turns hundreds of thousands of rollup rows into Python
objects and series; run on the bot's event loop, that work holds every chat for seconds,
even when the statements themselves run on aiosqlite's thread. Here it runs in a read-only
transaction of a separate engine on a worker thread, so the bot's loop only waits for the
result (the interpreter switches between the threads every few milliseconds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.database import SessionPool, create_engine, read_only_of, read_only_pool
from storage.sqlite_driver import off_loop_statements

T = TypeVar("T")

Work = Callable[[AsyncSession], Awaitable[T]]


async def _read(url: str, work: Work[T]) -> T:
    engine = create_engine(url)
    try:
        with off_loop_statements():
            async with read_only_pool(engine)() as session, session.begin():
                return await work(session)
    finally:
        await engine.dispose()


def _shareable(url: URL) -> bool:
    """A database another engine can open: not SQLite's private in-memory one."""
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


async def read_off_loop(pool: SessionPool, work: Work[T]) -> T:
    """`await work(session)` in a read-only session on a worker thread; its result.

    An in-memory SQLite database cannot be opened twice: its work runs on this loop then.
    """
    bind = pool.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or not _shareable(bind.url):
        with off_loop_statements():
            async with read_only_of(pool)() as session, session.begin():
                return await work(session)
    url = bind.url.render_as_string(hide_password=False)
    return await asyncio.to_thread(asyncio.run, _read(url, work))
