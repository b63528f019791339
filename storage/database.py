"""Engine and session factory; SQLite gets WAL and foreign keys on every connection.

SQLite allows one writer at a time. Transactions take the write lock at BEGIN (IMMEDIATE),
so a transaction that reads and then writes never fails on a stale snapshot; and within
this process writers queue on an asyncio lock (`_WriterGate`) before they ask SQLite, so
they are woken the moment the previous writer commits instead of polling in SQLite's busy
handler, which sleeps up to 100 ms between tries. Transactions opened from `read_only_pool`
take neither: under WAL, readers never wait for writers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import AdaptedConnection, Connection, Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import MissingGreenlet, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from storage.sqlite_driver import BUSY_TIMEOUT_MS, fast_dbapi, statements_inline

SessionPool = async_sessionmaker[AsyncSession]


class ProjectSession(Session):
    """The project's own session class: its listeners see this project's sessions only."""


READ_ONLY = "otklik_read_only"
WRITE_WAIT_SECONDS = 30.0
_GATE = "otklik_writer_gate"


def sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """Every SQLite connection of the project: WAL, foreign keys, our own transactions."""
    # Take transactions into our own hands (see _begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


class _WriterGate:
    """This process's writers, one at a time, in arrival order."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()

    async def enter(self) -> None:
        if not self.lock.locked():  # the usual case: no task, no timer
            await self.lock.acquire()
            return
        try:
            await asyncio.wait_for(self.lock.acquire(), WRITE_WAIT_SECONDS)
        except TimeoutError as error:
            raise OperationalError(
                "BEGIN IMMEDIATE", {}, Exception("database is locked (writer queue)")
            ) from error


def writer_gate(engine: Engine) -> _WriterGate:
    # Kept on the connection pool: engines made by execution_options() share it.
    holder = engine.pool.__dict__
    gate: _WriterGate | None = holder.get(_GATE)
    if gate is None:
        gate = holder[_GATE] = _WriterGate()
    return gate


def _begin_statement(connection: Connection, operation: str) -> None:
    """`operation` (a BEGIN) at once on the loop's thread when the adapter can and the lock
    is free (storage.sqlite_driver), else as a statement (which may wait for the lock)."""
    begin_inline = getattr(connection.connection.dbapi_connection, "begin_inline", None)
    if begin_inline is None or not begin_inline(operation):
        connection.exec_driver_sql(operation)


def _begin(connection: Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        _begin_statement(connection, "BEGIN")
        return
    gate = writer_gate(connection.engine)
    # SQLAlchemy's public way to await from a synchronous event (AdaptedConnection.run_async).
    adapted = cast(AdaptedConnection, connection.connection.dbapi_connection)
    try:
        adapted.run_async(lambda _driver: gate.enter())
    except MissingGreenlet:  # plain synchronous use: SQLite's busy handler does the waiting
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    connection.info[_GATE] = gate
    try:
        _begin_statement(connection, "BEGIN IMMEDIATE")
    except BaseException:
        _leave(connection)
        raise


def _release(info: dict[Any, Any]) -> None:
    gate: _WriterGate | None = info.pop(_GATE, None)
    if gate is not None and gate.lock.locked():
        gate.lock.release()


def _leave(connection: Connection, *_args: Any) -> None:
    if connection.invalidated:
        # A cancelled statement invalidates the connection (its state is unknown); the pool's
        # invalidate event has released the gate, and asking for `info` now would raise.
        return
    _release(connection.info)


def _leave_record(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
    # A connection returned or invalidated without a commit or rollback event.
    _release(record.info)


SQLITE_POOL_SIZE = 24
"""Connections a SQLite file engine keeps open (the inbox runs 16 workers by default)."""


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; on SQLite one writer at a time is the rule, so transactions stay short."""
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        # check_same_thread: aiosqlite's thread opens the connection, and statements of short
        # transactions may run on the loop's thread (storage.sqlite_driver.inline_statements).
        kwargs.setdefault(
            "connect_args", {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
        )
        if parsed.get_driver_name() == "aiosqlite" and "module" not in kwargs:
            module = fast_dbapi()
            if module is not None:
                kwargs["module"] = module
        file_db = parsed.database and parsed.database != ":memory:" and "mode=memory" not in url
        if file_db and "poolclass" not in kwargs:
            # Every writer waiting for the gate holds its connection: the inbox's workers,
            # the sender, the jobs and the readers together. Beyond the pool a connection is
            # opened (a thread of aiosqlite's) and closed again for each transaction.
            kwargs.setdefault("pool_size", SQLITE_POOL_SIZE)
            kwargs.setdefault("max_overflow", SQLITE_POOL_SIZE)
    engine = create_async_engine(url, **kwargs)
    if sqlite:
        sync = engine.sync_engine
        event.listen(sync, "connect", sqlite_pragmas)
        event.listen(sync, "begin", _begin)
        event.listen(sync, "commit", _leave)
        event.listen(sync, "rollback", _leave)
        event.listen(sync.pool, "checkin", _leave_record)
        event.listen(sync.pool, "invalidate", _leave_record)
    return engine


def create_session_pool(engine: AsyncEngine) -> SessionPool:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ProjectSession)


def read_only_pool(engine: AsyncEngine) -> SessionPool:
    """Sessions that only read: on SQLite they neither queue behind writers nor block them.

    On PostgreSQL their transactions are READ ONLY, so a write slipped into a report fails
    loudly instead of holding row locks for as long as the report takes.
    """
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    return async_sessionmaker(
        engine.execution_options(**options),
        expire_on_commit=False,
        sync_session_class=ProjectSession,
    )


def read_only_of(pool: SessionPool) -> SessionPool:
    """The read-only twin of `pool` (made once), or `pool` itself when it has no engine."""
    twin: SessionPool | None = pool.__dict__.get("_otklik_read_only")
    if twin is None:
        bind = pool.kw.get("bind")
        twin = read_only_pool(bind) if isinstance(bind, AsyncEngine) else pool
        pool.__dict__["_otklik_read_only"] = twin
    return twin


@asynccontextmanager
async def session_from(pool: SessionPool) -> AsyncIterator[AsyncSession]:
    """`async with pool() as session`, for the short transactions of an update.

    `AsyncSession.__aexit__` closes the session in a task of its own, shielded, so that a
    cancellation cannot interrupt the close half way; that task and the loop iteration it
    takes cost about a sixth of a short transaction. Inside `inline_statements()` on SQLite a
    close never suspends (the rollback of the pool's reset runs on the loop's thread), so nothing
    can interrupt it and it is awaited directly; elsewhere SQLAlchemy's own exit applies.
    """
    session = pool()
    bind = pool.kw.get("bind")
    sqlite = isinstance(bind, AsyncEngine) and bind.dialect.name == "sqlite"
    if not (sqlite and statements_inline()):
        async with session:
            yield session
        return
    try:
        yield session
    finally:
        await session.close()
