"""The hot path's statements on the loop's thread store exactly what they store on aiosqlite's
thread, and SQLite's writers stay in line."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from outreach.loop import LoopPolicy
from storage.database import SessionPool, create_engine, create_session_pool, read_only_of
from storage.migrate import upgrade_database
from storage.models import OrganizationSettings
from storage.outbox import enqueue
from storage.sqlite_driver import inline_statements
from storage.uow import DuplicateUpdate, UnitOfWork
from surveys import profiles, service
from surveys.catalogue import sync_questionnaires
from surveys.service import Outcome, StepResult, SurveyPolicy
from tests.conftest import SmallRegistry, build_small_registry

pytestmark = pytest.mark.sqlite_only

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
POLICY = SurveyPolicy(
    tz=ZoneInfo("Europe/Moscow"), after_client_response=LoopPolicy().after_response
)
Opener = Callable[[SessionPool], AbstractAsyncContextManager[AsyncSession]]


@asynccontextmanager
async def threaded_transaction(pool: SessionPool) -> AsyncIterator[AsyncSession]:
    """The reference: the same statements, each a trip to aiosqlite's thread."""
    async with pool() as session, session.begin():
        yield session


@asynccontextmanager
async def inline_transaction(pool: SessionPool) -> AsyncIterator[AsyncSession]:
    """The hot path: an update's transaction, its statements on the loop's thread.

    It begins (takes its place among the writers) on entry, as a unit of work marking its
    update does."""
    with inline_statements():
        async with pool() as session, session.begin():
            await session.connection()
            yield session


@asynccontextmanager
async def inline_reads(pool: SessionPool) -> AsyncIterator[AsyncSession]:
    """Reads on the loop's thread in a read-only transaction (the FSM state, the roles)."""
    with inline_statements():
        async with read_only_of(pool)() as session:
            yield session


def _one_hop(session: Session) -> bool:
    """The session runs on the project's SQLite adapter (storage.sqlite_driver)."""
    raw = session.connection().connection.dbapi_connection
    return type(raw).__name__ == "OneHopConnection"


async def _database(path: Path) -> tuple[AsyncEngine, SessionPool, SmallRegistry]:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_database(engine)
    pool = create_session_pool(engine)
    await sync_questionnaires(pool)
    return engine, pool, await build_small_registry(pool)


async def _press(pool: SessionPool, opener: Opener, key: str, result: StepResult, raw: str) -> Any:
    assert result.view is not None
    async with opener(pool) as db:
        return await service.press_button(
            db, POLICY, key, session_id=result.view.session_id, version=result.view.version,
            raw=raw, now=NOW,
        )  # fmt: skip


async def _play(pool: SessionPool, registry: SmallRegistry, opener: Opener) -> list[Any]:
    """Two questionnaires, one ending in a low score with a comment; what each step said."""
    said: list[Any] = []
    for key, rating, comment in (("a" * 64, "5", None), ("b" * 64, "1", "Очередь на час")):
        async with opener(pool) as db:
            await profiles.give_consent(db, key, NOW)
            result = await service.start_survey(
                db, POLICY, key, questionnaire_code="touchpoint", now=NOW,
                touchpoint_id=registry.touchpoint_id, message_id=77,
            )  # fmt: skip
        presses = [rating] if rating == "5" else [rating, "t.queue", "t.other", "ok", "1", "high"]
        for raw in presses:
            result = await _press(pool, opener, key, result, raw)
            said.append((result.outcome, result.view.index if result.view else None))
        if comment:
            async with opener(pool) as db:
                result = await service.answer_text(db, POLICY, key, text=comment, now=NOW)
        else:
            result = await _press(pool, opener, key, result, "-")
        said.append((result.outcome, result.view.index if result.view else None))
        last = result
        result = await _press(pool, opener, key, last, "citizen")
        said.append((result.outcome, result.response_id))
        async with opener(pool) as db:  # a second attempt the same day
            again = await service.start_survey(
                db, POLICY, key, questionnaire_code="touchpoint", now=NOW,
                touchpoint_id=registry.touchpoint_id,
            )  # fmt: skip
        stale = await _press(pool, opener, key, last, "citizen")  # a late double tap
        said.append((again.outcome, stale.outcome, stale.extra.get("opt_in")))
        async with opener(pool) as db:
            said.append(await profiles.segment_of(db, key))
    async with opener(pool) as db:
        said.append(await enqueue(db, chat_id=5, text="x", kind="k", dedupe_key="once"))
        said.append(await enqueue(db, chat_id=5, text="x", kind="k", dedupe_key="once"))
    return said


# Written by Python-side defaults at the moment of the call, so they differ between runs.
_MOMENTS = {
    "outbox": {"created_at", "next_attempt_at"},
    "people": {"created_at"},
    "questionnaires": {"loaded_at"},
}


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as stored (the driver's own view, no type processing)."""
    connection = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        dump: dict[str, list[tuple[Any, ...]]] = {}
        for name in names:
            cursor = connection.execute(f'SELECT * FROM "{name}" ORDER BY 1')
            columns = [column[0] for column in cursor.description]
            masked = _MOMENTS.get(name, set())
            dump[name] = [
                tuple("<now>" if c in masked else v for c, v in zip(columns, row, strict=True))
                for row in cursor.fetchall()
            ]
        return dump
    finally:
        connection.close()


async def test_inline_statements_store_exactly_what_threaded_statements_store(
    tmp_path: Path,
) -> None:
    plays = {}
    for name, opener in (("orm", threaded_transaction), ("direct", inline_transaction)):
        engine, pool, registry = await _database(tmp_path / f"{name}.db")
        if name == "direct":
            async with inline_transaction(pool) as db:
                assert await db.run_sync(_one_hop)  # not the stock adapter
        plays[name] = (await _play(pool, registry, opener), registry)
        await engine.dispose()
    assert plays["direct"] == plays["orm"]
    said = plays["direct"][0]
    assert (Outcome.COMPLETED, 1) in said and (Outcome.COMPLETED, 2) in said
    assert (Outcome.LIMIT, Outcome.ALREADY_DONE, (False, False)) in said
    assert said[-2:] == [True, False]  # the dedupe key holds on both paths

    orm, direct = _tables(tmp_path / "orm.db"), _tables(tmp_path / "direct.db")
    assert direct.keys() == orm.keys()
    for table in orm:
        assert direct[table] == orm[table], table
    assert len(direct["responses"]) == 2 and len(direct["feedback_alerts"]) == 1
    assert len(direct["monthly_rollups"]) == 1 and len(direct["response_answers"]) >= 6


async def test_a_failed_inline_transaction_leaves_nothing(
    session_pool: SessionPool, registry: SmallRegistry
) -> None:
    with pytest.raises(RuntimeError):
        async with inline_transaction(session_pool) as db:
            await profiles.give_consent(db, "c" * 64, NOW)
            raise RuntimeError("abort")
    async with inline_reads(session_pool) as db:
        assert await profiles.segment_of(db, "c" * 64) is None


async def test_the_same_update_twice_is_a_duplicate(
    session_pool: SessionPool,
) -> None:
    async with UnitOfWork(session_pool, 4242).transaction() as db:
        await profiles.give_consent(db, "d" * 64, NOW)
    with pytest.raises(DuplicateUpdate):
        async with UnitOfWork(session_pool, 4242).transaction() as db:
            await profiles.give_consent(db, "e" * 64, NOW)
    async with inline_reads(session_pool) as db:
        assert await profiles.segment_of(db, "d" * 64) == (None, False)
        assert await profiles.segment_of(db, "e" * 64) is None  # rolled back with the mark


async def test_inline_and_threaded_writers_take_turns(session_pool: SessionPool) -> None:
    """One writer at a time in this process, whichever path it takes, in arrival order."""
    order: list[str] = []

    async def orm_writer() -> None:
        async with session_pool() as session, session.begin():
            session.add(OrganizationSettings(name="orm"))
            await session.flush()
            order.append("orm in")
            await asyncio.sleep(0.2)  # holds the write lock
            order.append("orm out")

    async def direct_writer() -> None:
        await asyncio.sleep(0.05)
        async with inline_transaction(session_pool) as db:
            order.append("direct in")
            await profiles.give_consent(db, "f" * 64, NOW)
        order.append("direct out")

    await asyncio.gather(orm_writer(), direct_writer())
    assert order == ["orm in", "orm out", "direct in", "direct out"]


def _hold_write_lock(engine: AsyncEngine) -> sqlite3.Connection:
    """Another process's writer, as far as SQLite can tell: its own connection, lock taken."""
    assert engine.url.database is not None
    holder = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_another_process_lock_is_waited_for_off_the_loop(
    engine: AsyncEngine, session_pool: SessionPool
) -> None:
    holder = _hold_write_lock(engine)
    release = threading.Timer(0.6, holder.rollback)
    release.start()
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    started = time.monotonic()
    try:
        async with inline_transaction(session_pool) as db:
            await profiles.give_consent(db, "g" * 64, NOW)
    finally:
        ticker.cancel()
        release.join()
        holder.close()
    assert time.monotonic() - started >= 0.5
    assert ticks >= 20  # the loop went on while the transaction waited for the lock
    async with inline_reads(session_pool) as db:
        assert await profiles.segment_of(db, "g" * 64) == (None, False)


async def test_cancelled_while_waiting_for_the_lock_frees_everything(
    engine: AsyncEngine, session_pool: SessionPool
) -> None:
    holder = _hold_write_lock(engine)

    async def writer() -> None:
        async with inline_transaction(session_pool) as db:
            await profiles.give_consent(db, "h" * 64, NOW)

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.2)
    task.cancel()
    threading.Timer(0.3, holder.rollback).start()
    with pytest.raises(asyncio.CancelledError):
        await task
    holder.close()
    async with asyncio.timeout(5):  # neither the gate nor the connection is left taken
        async with inline_transaction(session_pool) as db:
            await profiles.give_consent(db, "i" * 64, NOW + timedelta(seconds=1))
    async with inline_reads(session_pool) as db:
        assert await profiles.segment_of(db, "h" * 64) is None
        assert await profiles.segment_of(db, "i" * 64) == (None, False)


async def test_telling_the_segment_returns_what_is_stored(session_pool: SessionPool) -> None:
    async with inline_transaction(session_pool) as db:
        assert await profiles.segment_told(db, "s" * 64, "citizen") is None  # no row yet
        assert await profiles.give_consent(db, "s" * 64, NOW) is False  # not asked before
        assert await profiles.segment_told(db, "s" * 64, "citizen") == ("citizen",)
        assert await profiles.segment_told(db, "s" * 64, None) == ("citizen",)  # skipped: kept
        assert await profiles.give_consent(db, "s" * 64, NOW) is True  # asked before now
    async with inline_reads(session_pool) as db:
        assert await profiles.segment_of(db, "s" * 64) == ("citizen", True)
