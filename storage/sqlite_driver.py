"""aiosqlite with one thread hop per statement instead of four.

aiosqlite runs sqlite3 in a worker thread; SQLAlchemy's adapter makes a separate round trip
to that thread to create the cursor, execute, fetch the rows and close the cursor. Each trip
wakes the event loop through a queue and a self-pipe, which cost about a quarter of a
millisecond of the loop's CPU here, four times per statement: with ~15 statements per
Telegram update that was most of the bot's CPU (see bench/README.md, survey_throughput).

This cursor does the four steps in one function run in aiosqlite's thread. It relies on two
long-stable internals of aiosqlite (`Connection._execute` queues a function for the worker
thread, `Connection._conn` is the sqlite3 connection) and on SQLAlchemy's aiosqlite adapter
choosing its cursor class through `_cursor_cls`; `fast_dbapi` checks they are there and
returns None otherwise, so an upgrade that moves them falls back to the stock adapter. This is
the project's one adapter around SQLite driver internals (SQLAlchemy offers no public way to
choose the aiosqlite cursor); `tests/storage/test_sqlite_adapter.py` fails when they move.

Inside `inline_statements()` (an update's handling) statements skip the
trip altogether and run on the loop's thread; only a `BEGIN IMMEDIATE` that finds another
process holding the write lock goes to aiosqlite's thread to wait for it.
"""

from __future__ import annotations

import collections
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

Outcome = tuple[Any, list[Any], int, int | None]

_INLINE: ContextVar[bool] = ContextVar("otklik_sqlite_inline", default=False)


@contextmanager
def inline_statements() -> Iterator[None]:
    """Within this block, SQLite statements run on the event loop's own thread.

    For short transactions only (an update's handling): a statement on a local WAL database
    takes microseconds, while a trip to aiosqlite's thread and back costs a fraction of a
    millisecond of the loop's CPU. `BEGIN IMMEDIATE` runs here only when the write lock is
    free; when another process holds it, the wait happens on aiosqlite's thread, so the loop
    never blocks. Reports and jobs stay on the thread throughout (`off_loop_statements`).
    """
    token = _INLINE.set(True)
    try:
        yield
    finally:
        _INLINE.reset(token)


def statements_inline() -> bool:
    """True inside `inline_statements()`: SQLite statements run on the loop's thread."""
    return _INLINE.get()


@contextmanager
def off_loop_statements() -> Iterator[None]:
    """Within this block, SQLite statements go to aiosqlite's thread even inside an update.

    For long reads (reports, charts): a statement that scans thousands of rows would hold
    the event loop, and every other chat with it, for as long as it runs.
    """
    token = _INLINE.set(False)
    try:
        yield
    finally:
        _INLINE.reset(token)


BUSY_TIMEOUT_MS = 30_000
"""How long a statement on the thread waits for another process's lock (PRAGMA busy_timeout)."""


def _may_wait(operation: Any) -> bool:
    return isinstance(operation, str) and operation.startswith("BEGIN IMMEDIATE")


def begin_if_free(connection: sqlite3.Connection, operation: str) -> Outcome | None:
    """`BEGIN IMMEDIATE` at once if no other process holds the write lock, else None.

    Writers of this process queue before it (storage.database), so the lock is nearly always
    free; when it is not, the caller waits for it on aiosqlite's thread instead.
    """
    connection.execute("PRAGMA busy_timeout=0")
    try:
        return _run(connection, operation, None)
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY:
            return None
        raise
    finally:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _run(connection: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    cursor = connection.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, operation: str, seq: Any) -> Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, seq)
        return None, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def fast_dbapi() -> Any | None:
    """A DB-API module for `create_async_engine(module=...)`, or None to use the stock one."""
    try:
        import aiosqlite
        from sqlalchemy.dialects.sqlite import aiosqlite as adapter
    except ImportError:  # pragma: no cover
        return None
    base_cursor = getattr(adapter, "AsyncAdapt_aiosqlite_cursor", None)
    base_connection = getattr(adapter, "AsyncAdapt_aiosqlite_connection", None)
    base_dbapi = getattr(adapter, "AsyncAdapt_aiosqlite_dbapi", None)
    internals = (
        hasattr(aiosqlite.Connection, "_execute")
        and hasattr(aiosqlite.Connection, "_conn")
        and base_connection is not None
        and hasattr(base_connection, "_cursor_cls")
        and base_cursor is not None
        and base_dbapi is not None
    )
    if not internals:
        log.warning("aiosqlite internals changed; using the stock (slower) adapter")
        return None
    connection_class = _one_hop_connection(base_connection, _one_hop_cursor(base_cursor))

    class OneHopDbapi(base_dbapi):  # type: ignore[misc, valid-type]
        def connect(self, *arg: Any, **kw: Any) -> Any:
            stock = super().connect(*arg, **kw)
            return connection_class(self, stock._connection)

    return OneHopDbapi(aiosqlite, sqlite3)


async def _execute_one_hop(cursor: Any, operation: Any, parameters: Any) -> Outcome:
    """Inside `inline_statements()` on the loop's thread (a `BEGIN IMMEDIATE` only when the
    lock is free); otherwise in one function on aiosqlite's thread."""
    async with cursor._adapt_connection._execute_mutex:
        connection = cursor._connection
        if _INLINE.get():
            if not _may_wait(operation):
                return _run(connection._conn, operation, parameters)
            began = begin_if_free(connection._conn, operation)
            if began is not None:
                return began
        outcome: Outcome = await connection._execute(_run, connection._conn, operation, parameters)
        return outcome


def _one_hop_cursor(base_cursor: Any) -> type:
    """aiosqlite's adapted cursor, its four trips to the thread made one."""

    class OneHopCursor(base_cursor):  # type: ignore[misc, valid-type]
        """The rows, description and counts arrive together, in one trip to the thread."""

        __slots__ = ("_description", "_lastrowid", "_rowcount")

        def __init__(self, adapt_connection: Any) -> None:
            this: Any = self  # the base class's slots are untyped for mypy
            this._adapt_connection = adapt_connection
            this._connection = adapt_connection._connection
            this._cursor = None
            this._soft_closed_memoized = {}
            this._rows = collections.deque()
            self._description: Any = None
            self._rowcount = -1
            self._lastrowid: int | None = None

        @property
        def description(self) -> Any:
            return self._description

        @property
        def rowcount(self) -> int:
            return self._rowcount

        @property
        def lastrowid(self) -> int | None:
            return self._lastrowid

        @property
        def arraysize(self) -> int:
            return 1

        @arraysize.setter
        def arraysize(self, value: int) -> None:
            return None

        def _take(self, outcome: Outcome) -> None:
            self._description, rows, self._rowcount, self._lastrowid = outcome
            this: Any = self
            this._rows = collections.deque(rows)

        async def _execute_async(self, operation: Any, parameters: Any) -> Any:
            self._take(await _execute_one_hop(self, operation, parameters))

        async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
            async with self._adapt_connection._execute_mutex:
                connection = self._connection
                if _INLINE.get():  # inside a transaction begun already: no lock to wait for
                    self._take(_run_many(connection._conn, operation, seq_of_parameters))
                    return
                self._take(
                    await connection._execute(
                        _run_many, connection._conn, operation, seq_of_parameters
                    )
                )

        async def _async_soft_close(self) -> None:
            return None

        def close(self) -> None:
            self._rows.clear()

        def nextset(self) -> None:
            return None

        def setinputsizes(self, *inputsizes: Any) -> None:
            return None

    return OneHopCursor


def _one_hop_connection(base_connection: Any, cursor_class: type) -> type:
    """aiosqlite's adapted connection with the one-hop cursor and inline commits."""

    class OneHopConnection(base_connection):  # type: ignore[misc, valid-type]
        __slots__ = ()
        _cursor_cls = cursor_class

        def _ended_inline(self, end: str) -> bool:
            """COMMIT or ROLLBACK on the loop's thread inside `inline_statements()`.

            WAL with synchronous=NORMAL: neither waits for a lock; a commit fsyncs only
            when it checkpoints. False: not inline, the stock trip to the thread follows.
            """
            raw = self._connection._connection
            if not _INLINE.get() or raw is None:
                return False
            try:
                getattr(raw, end)()
            except Exception as error:
                self._handle_exception(error)
            return True

        def begin_inline(self, operation: str) -> bool:
            """`BEGIN …` on the loop's thread inside `inline_statements()` when no other
            process holds the write lock: no trip through SQLAlchemy's statement execution
            for the one statement every transaction runs. False: the caller executes it."""
            raw = self._connection._connection
            if not _INLINE.get() or raw is None:
                return False
            if _may_wait(operation):
                return begin_if_free(raw, operation) is not None
            raw.execute(operation)  # a deferred BEGIN takes no lock
            return True

        def commit(self) -> None:
            if not self._ended_inline("commit"):
                super().commit()

        def rollback(self) -> None:
            if not self._ended_inline("rollback"):
                super().rollback()

    return OneHopConnection
