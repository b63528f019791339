"""Short transactions on the event loop's thread, without ever blocking the loop on a lock."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import SessionPool
from storage.models import OrganizationSettings
from storage.sqlite_driver import inline_statements

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def thread_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What was sent to aiosqlite's thread (the first words of each call's statement)."""
    trips: list[str] = []
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(str(args[1]).split("(")[0][:20] if len(args) > 1 else fn.__name__)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return trips


async def _write(pool: SessionPool, name: str) -> str:
    async with pool() as session, session.begin():
        session.add(OrganizationSettings(name=name))
        await session.flush()
        found = await session.scalar(
            sa.select(OrganizationSettings.name).where(OrganizationSettings.name == name)
        )
    return str(found)


async def test_inline_transaction_takes_no_thread_trip(
    session_pool: SessionPool, thread_trips: list[str]
) -> None:
    assert await _write(session_pool, "threaded") == "threaded"
    threaded = len(thread_trips)
    assert threaded >= 4  # BEGIN IMMEDIATE, INSERT, SELECT, COMMIT

    thread_trips.clear()
    with inline_statements():
        assert await _write(session_pool, "inline") == "inline"
    assert thread_trips == []  # the write lock was free: no trip at all
    async with session_pool() as session:  # committed, visible to the next reader
        names = set(await session.scalars(sa.select(OrganizationSettings.name)))
    assert names == {"threaded", "inline"}


async def test_inline_rollback_leaves_nothing(session_pool: SessionPool) -> None:
    with inline_statements(), pytest.raises(RuntimeError):
        async with session_pool() as session, session.begin():
            session.add(OrganizationSettings(name="rolled back"))
            await session.flush()
            raise RuntimeError("abort")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(OrganizationSettings.id))) == 0


async def test_another_process_lock_waits_off_the_loop(
    engine: AsyncEngine, session_pool: SessionPool, thread_trips: list[str]
) -> None:
    """A writer outside this process holds the lock: the loop keeps running meanwhile."""
    url = engine.url
    assert url.database is not None
    holder = sqlite3.connect(url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.6, holder.rollback)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    release.start()
    try:
        with inline_statements():
            assert await _write(session_pool, "after the lock") == "after the lock"
    finally:
        release.join()
        holder.close()
        ticking.cancel()
    waited = time.monotonic() - started
    assert waited >= 0.5  # it did wait for the other writer...
    assert ticks >= 20  # ...while the event loop went on (a blocked loop ticks once)
    assert thread_trips[0] == "BEGIN IMMEDIATE"  # on aiosqlite's thread


async def test_a_writer_cancelled_mid_statement_frees_the_lock(session_pool: SessionPool) -> None:
    """Cancelling a writer (shutdown, a timeout) raises CancelledError, not a rollback error,
    and the next writer of the process gets the lock."""

    async def slow_writer() -> None:
        async with session_pool() as session, session.begin():
            session.add(OrganizationSettings(name="cancelled"))
            await session.flush()
            await session.execute(
                sa.text(
                    "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                    "WHERE n < 5000000) SELECT count(*) FROM c"
                )
            )

    writer = asyncio.create_task(slow_writer())
    await asyncio.sleep(0.05)
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writer
    assert await asyncio.wait_for(_write(session_pool, "next"), 10) == "next"
    async with session_pool() as session:
        names = set(await session.scalars(sa.select(OrganizationSettings.name)))
    assert names == {"next"}
