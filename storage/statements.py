"""Core statements for the hot path, built once and run through the caller's `AsyncSession`.

A Telegram update of a questionnaire runs a handful of short statements. Built once as
module constants with bind parameters, each is compiled once per dialect: SQLAlchemy keeps
the compiled form in the engine's cache, keyed by the statement's structure, so a statement
costs a cache lookup and the driver's call, not an ORM flush. The few that differ between
dialects (an upsert's ON CONFLICT clause) are built once per dialect (`PerDialect`).

This is the one data path: SQLite and PostgreSQL alike, through SQLAlchemy's public API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.ext.asyncio import AsyncSession

Params = Mapping[str, Any]
if TYPE_CHECKING:
    AnyRow = sa.Row[*tuple[Any, ...]]
else:  # SQLAlchemy 2.0 (the lowest allowed) types Row by a tuple, 2.1 by its columns
    AnyRow = sa.Row


def dialect_insert(dialect: str) -> Callable[[sa.Table], Any]:
    """The dialect's own INSERT, for statements with an ON CONFLICT clause."""
    return postgresql.insert if dialect == "postgresql" else sqlite_dialect.insert


def binds(*names: str) -> dict[str, Any]:
    """`{name: bindparam(name)}` for an INSERT's values: parameters named after their columns."""
    return {name: sa.bindparam(name) for name in names}


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class PerDialect:
    """A statement that differs by dialect, built once for each (`build(dialect name)`)."""

    def __init__(self, build: Callable[[str], sa.Executable]) -> None:
        self._build = build
        self._built: dict[str, sa.Executable] = {}

    def of(self, session: AsyncSession) -> sa.Executable:
        dialect = dialect_of(session)
        statement = self._built.get(dialect)
        if statement is None:
            statement = self._built[dialect] = self._build(dialect)
        return statement


Statement = sa.Executable | PerDialect


def _for(session: AsyncSession, statement: Statement) -> sa.Executable:
    return statement.of(session) if isinstance(statement, PerDialect) else statement


async def _execute(session: AsyncSession, statement: Statement, params: Params | None) -> Any:
    return await session.execute(_for(session, statement), dict(params or {}))


async def run(session: AsyncSession, statement: Statement, params: Params | None = None) -> int:
    """Execute a write; the number of rows it matched (a compare-and-set's verdict)."""
    result = await _execute(session, statement, params)
    if result.returns_rows:
        result.all()
    return int(result.rowcount)


async def run_many(session: AsyncSession, statement: Statement, params: Sequence[Params]) -> None:
    """Execute a write once per parameter set, in one call (the driver's executemany)."""
    if params:
        await session.execute(_for(session, statement), [dict(row) for row in params])


async def rows(
    session: AsyncSession, statement: Statement, params: Params | None = None
) -> Sequence[AnyRow]:
    """Every row the statement returns."""
    return (await _execute(session, statement, params)).all()  # type: ignore[no-any-return]


async def first(
    session: AsyncSession, statement: Statement, params: Params | None = None
) -> AnyRow | None:
    """The statement's first row, or None."""
    return (await _execute(session, statement, params)).first()  # type: ignore[no-any-return]


async def scalar(session: AsyncSession, statement: Statement, params: Params | None = None) -> Any:
    """The first column of the first row, or None."""
    row = await first(session, statement, params)
    return row[0] if row is not None else None
