"""Direct statements: the survey hot path without the ORM and, on SQLite, without SQLAlchemy.

A Telegram update of a questionnaire runs four or five short statements. Through an ORM
session each costs about 0.15 ms of the event loop's CPU here (compile-cache lookup,
execution context, result wrappers, greenlet switches) and the transaction around them
(session, pool checkout, BEGIN, commit, check-in) about 0.8 ms; the statements themselves
take microseconds. For the embedded SQLite default that overhead was most of the bot's CPU
per update (bench/README.md, survey_throughput).

So the hot path writes its statements once, as SQLAlchemy Core constructs (`Statement`), and
runs them through a `Direct`:

* `SqliteDirect`: the statement compiled once for SQLite, run by the stdlib `sqlite3` on a
  connection of its own, on the event loop's thread, with SQLAlchemy's own type processors
  for the parameters and rows (dates, JSON, enums come out exactly as through the ORM).
  Its transactions take this process's writer gate (storage.database) like every other
  writer, so writers stay one at a time and in arrival order.
* `SessionDirect`: the same statements through an `AsyncSession`: PostgreSQL, in-memory
  SQLite, and callers that already hold a session (tests, the reengineering handlers).

`tests/storage/test_direct.py` runs every statement of the hot path through both and
compares what comes back.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql.compiler import SQLCompiler

from storage.database import SessionPool, read_only_of, sqlite_pragmas, writer_gate
from storage.sqlite_driver import begin_if_free

Row = tuple[Any, ...]
READER_WAIT_MS = 200
Params = Mapping[str, Any]
_LINK = "otklik_direct_link"


def dialect_insert(dialect: str) -> Callable[[sa.Table], Any]:
    """The dialect's own INSERT, for statements with an ON CONFLICT clause."""
    return postgresql.insert if dialect == "postgresql" else sqlite_dialect.insert


def binds(*names: str) -> dict[str, Any]:
    """`{name: bindparam(name)}` for an INSERT's values: parameters named after their columns."""
    return {name: sa.bindparam(name) for name in names}


class Statement:
    """A Core statement built once, compiled once per dialect.

    `build` receives the dialect's name, for the few statements that differ (an upsert's
    ON CONFLICT clause); most ignore it.
    """

    def __init__(self, build: Callable[[str], sa.Executable]) -> None:
        self._build = build
        self._statements: dict[str, Any] = {}
        self._plans: dict[str, _Plan] = {}

    @classmethod
    def of(cls, statement: sa.Executable) -> Statement:
        return cls(lambda _dialect: statement)

    def statement(self, dialect: str) -> Any:
        built = self._statements.get(dialect)
        if built is None:
            built = self._statements[dialect] = self._build(dialect)
        return built

    def plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan.compile(self.statement(dialect.name), dialect)
        return plan


@dataclass(frozen=True)
class _Plan:
    """What running a statement on the DB-API needs: SQL, parameter order, type processors."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    fixed: Mapping[str, Any]
    defaults: Mapping[str, Callable[[], Any]]
    results: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect) -> _Plan:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if compiled.positiontup is None:
            raise TypeError(f"{dialect.name}: direct statements need positional parameters")
        binds = compiled.binds
        if any(bind.expanding for bind in binds.values()):
            raise TypeError("direct statements cannot expand IN lists; use a fixed form")
        fixed = {
            name: bind.effective_value
            for name, bind in binds.items()
            if bind.callable is not None or bind.value is not None
        }
        defaults: dict[str, Callable[[], Any]] = {}
        for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
            generator = column.default if column in compiled.insert_prefetch else column.onupdate
            defaults[column.key] = _default_maker(column, generator)
        names = tuple(compiled.positiontup)
        exported = getattr(statement, "exported_columns", ())
        return cls(
            sql=compiled.string,
            names=names,
            binds=tuple(
                binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
            ),
            fixed=fixed,
            defaults=defaults,
            results=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in exported
            ),
        )

    def parameters(self, params: Params) -> tuple[Any, ...]:
        values = []
        for name, process in zip(self.names, self.binds, strict=True):
            if name in params:
                value = params[name]
            elif name in self.fixed:
                value = self.fixed[name]
            elif name in self.defaults:
                value = self.defaults[name]()
            else:
                raise KeyError(f"parameter {name!r} missing for: {self.sql}")
            values.append(process(value) if process is not None else value)
        return tuple(values)

    def row(self, raw: Sequence[Any]) -> Row:
        return tuple(
            process(value) if process is not None else value
            for process, value in zip(self.results, raw, strict=True)
        )


def _default_maker(column: sa.Column[Any], generator: Any) -> Callable[[], Any]:
    """A column's Python-side default (or onupdate) without an execution context."""
    if generator is None or not (generator.is_scalar or generator.is_callable):
        raise TypeError(f"direct statements cannot compute the default of {column}")
    if generator.is_scalar:
        value = generator.arg
        return lambda: value
    return lambda: generator.arg(None)


class Direct(Protocol):
    """One transaction of direct statements."""

    dialect: str
    info: dict[str, Any]

    def get_bind(self) -> Engine: ...

    async def rows(self, statement: Statement, params: Params | None = None) -> list[Row]: ...

    async def row(self, statement: Statement, params: Params | None = None) -> Row | None: ...

    async def scalar(self, statement: Statement, params: Params | None = None) -> Any: ...

    async def run(self, statement: Statement, params: Params | None = None) -> int: ...


class _Rows:
    """The shared conveniences over `rows` and `run`."""

    async def rows(self, statement: Statement, params: Params | None = None) -> list[Row]:
        raise NotImplementedError

    async def row(self, statement: Statement, params: Params | None = None) -> Row | None:
        rows = await self.rows(statement, params)
        return rows[0] if rows else None

    async def scalar(self, statement: Statement, params: Params | None = None) -> Any:
        row = await self.row(statement, params)
        return row[0] if row else None


class SessionDirect(_Rows):
    """Direct statements in an `AsyncSession`'s transaction (PostgreSQL, tests, fallbacks)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.info: dict[str, Any] = {}

    def get_bind(self) -> Engine:
        bind = self.session.get_bind()
        assert isinstance(bind, Engine)
        return bind

    async def rows(self, statement: Statement, params: Params | None = None) -> list[Row]:
        result = await self.session.execute(statement.statement(self.dialect), dict(params or {}))
        return [tuple(row) for row in result.all()] if _returns_rows(result) else []

    async def run(self, statement: Statement, params: Params | None = None) -> int:
        result = await self.session.execute(statement.statement(self.dialect), dict(params or {}))
        if _returns_rows(result):
            result.all()
        return int(result.rowcount)  # type: ignore[attr-defined]


def _returns_rows(result: Any) -> bool:
    return bool(getattr(result, "returns_rows", True))


class SqliteDirect(_Rows):
    """Direct statements on the link's own sqlite3 connection, on the loop's thread."""

    dialect = "sqlite"

    def __init__(self, link: _SqliteLink, connection: sqlite3.Connection) -> None:
        self.link = link
        self.connection = connection
        self.info: dict[str, Any] = {}

    def get_bind(self) -> Engine:
        return self.link.engine

    def _execute(self, statement: Statement, params: Params | None) -> tuple[_Plan, sqlite3.Cursor]:
        plan = statement.plan(self.link.engine.dialect)
        parameters = plan.parameters(params or {})
        try:
            return plan, self.connection.execute(plan.sql, parameters)
        except sqlite3.IntegrityError as error:
            raise sa.exc.IntegrityError(plan.sql, parameters, error) from error
        except sqlite3.Error as error:
            raise sa.exc.OperationalError(plan.sql, parameters, error) from error

    async def rows(self, statement: Statement, params: Params | None = None) -> list[Row]:
        plan, cursor = self._execute(statement, params)
        return [plan.row(raw) for raw in cursor.fetchall()] if cursor.description else []

    async def run(self, statement: Statement, params: Params | None = None) -> int:
        _plan, cursor = self._execute(statement, params)
        if cursor.description:
            cursor.fetchall()
        return cursor.rowcount


class _SqliteLink:
    """One sqlite3 connection per engine for direct transactions.

    Used by one transaction at a time: each holds the engine's writer gate throughout.
    """

    def __init__(self, engine: Engine, path: str) -> None:
        self.engine = engine
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        sqlite_pragmas(connection)
        return connection

    @property
    def connection(self) -> sqlite3.Connection:
        """The writers' connection: only inside `transaction`."""
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    @property
    def reader(self) -> sqlite3.Connection:
        """Autocommit reads: each statement sees the last commit (WAL never blocks it)."""
        if self._reader is None:
            self._reader = self._open()
            self._reader.execute("PRAGMA query_only=ON")
            # WAL readers wait only while another connection recovers the WAL index: rare
            # and short, so a bounded wait on the loop beats failing the update.
            self._reader.execute(f"PRAGMA busy_timeout={READER_WAIT_MS}")
        return self._reader

    def close(self) -> None:
        for connection in (self._connection, self._reader):
            if connection is not None:
                connection.close()
        self._connection = self._reader = None

    async def _begin(self) -> None:
        if begin_if_free(self.connection, "BEGIN IMMEDIATE") is not None:
            return
        # Another process holds the write lock: wait for it off the loop's thread.
        waiting = asyncio.ensure_future(
            asyncio.to_thread(self.connection.execute, "BEGIN IMMEDIATE")
        )
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            with suppress(Exception):
                await waiting
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteDirect]:
        gate = writer_gate(self.engine)
        await gate.enter()
        try:
            await self._begin()
            try:
                yield SqliteDirect(self, self.connection)
            except BaseException:
                self._rollback()
                raise
            try:
                self.connection.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise sa.exc.OperationalError("COMMIT", (), error) from error
        finally:
            gate.lock.release()


def _link_of(pool: SessionPool) -> _SqliteLink | None:
    """The direct SQLite link of the pool's engine, or None when the session path applies."""
    bind = pool.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        return None
    engine = bind.sync_engine
    holder = engine.pool.__dict__
    if _LINK in holder:
        link: _SqliteLink | None = holder[_LINK]
        return link
    link = None
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        if "mode=memory" not in str(url):
            link = _SqliteLink(engine, url.database)
            event.listen(engine, "engine_disposed", lambda _engine: link.close())  # type: ignore[union-attr]
    holder[_LINK] = link
    return link


@asynccontextmanager
async def direct_transaction(pool: SessionPool) -> AsyncIterator[Direct]:
    """One write transaction of direct statements, committed when the block ends."""
    link = _link_of(pool)
    if link is None:
        async with pool() as session, session.begin():
            yield SessionDirect(session)
        return
    async with link.transaction() as direct:
        yield direct


@asynccontextmanager
async def direct_reads(pool: SessionPool) -> AsyncIterator[Direct]:
    """Reads only, each statement on its own (no snapshot across them), never waiting for
    a writer: the FSM state and the sender's roles of every update."""
    link = _link_of(pool)
    if link is None:
        async with read_only_of(pool)() as session:
            yield SessionDirect(session)
        return
    yield SqliteDirect(link, link.reader)


def as_direct(session: AsyncSession | Direct) -> Direct:
    """Direct statements in the caller's session, for callers that hold one."""
    if isinstance(session, AsyncSession):
        return SessionDirect(session)
    return session
