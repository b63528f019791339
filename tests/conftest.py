"""Shared fixtures: settings, a migrated database per test."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.settings import Settings
from storage.database import SessionPool, create_engine, create_session_pool
from storage.migrate import upgrade_database

TEST_TOKEN = "1000001:TEST-token-for-otklik-tests-only"
# OTKLIK_TEST_DB=postgresql runs the whole suite on a throwaway PostgreSQL (+ Redis for FSM).
ON_POSTGRES = os.environ.get("OTKLIK_TEST_DB", "sqlite") == "postgresql"
# Staff messages wait out quiet hours of the wall clock (core.quiet): the tests run at any
# hour, so they run without them, bot processes included; tests/core/test_quiet.py sets them.
os.environ["OTKLIK_QUIET_HOURS"] = "off"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="SQLite-specific (WAL, locking, file databases)")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database per test: a SQLite file, or a new database on the PostgreSQL server."""
    if not ON_POSTGRES:
        return f"sqlite+aiosqlite:///{tmp_path / 'otklik.db'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Settings:
    redis_url = request.getfixturevalue("redis_url") if ON_POSTGRES else None
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TEST_TOKEN),
        database_url=database_url,
        secret_key=SecretStr("test-secret-key"),
        officer_ids=[900001],
        data_dir=tmp_path / "var",
        redis_url=redis_url,
    )


def _run_apart(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `work` to its end on a loop of its own thread: session fixtures are first asked
    for from inside a test's running loop, where `asyncio.run` is refused."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work()).result()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought to head once per session.

    Running every migration costs about half a second; copying the result costs a
    millisecond. Tests of the migrations themselves build their own databases.
    """
    path = tmp_path_factory.mktemp("migrated") / "head.db"

    async def build() -> None:
        template = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade_database(template)
        await template.dispose()

    _run_apart(build)
    with closing(sqlite3.connect(path)) as connection:  # the WAL into the file, so it copies whole
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
async def engine(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """The test's database at head: a copy of the session's migrated file on SQLite, a clone
    of the migrated template database on PostgreSQL; the upgrade then finds nothing to do."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        target = Path(url.database)
        if not target.exists():
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), target)
    engine = create_engine(settings.database_url)
    await upgrade_database(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_pool(engine: AsyncEngine) -> SessionPool:
    return create_session_pool(engine)


@dataclass(frozen=True)
class SmallRegistry:
    department_id: int
    process_id: int
    internal_process_id: int
    touchpoint_id: int
    offline_touchpoint_id: int
    owner_telegram_id: int


@pytest.fixture
async def registry(session_pool: SessionPool) -> SmallRegistry:
    return await build_small_registry(session_pool)


async def build_small_registry(session_pool: SessionPool) -> SmallRegistry:
    """A tiny registry written straight through the models (the Excel import is tested apart)."""
    from storage.models import (
        ActivityDirection,
        ClientType,
        Department,
        Person,
        Process,
        Touchpoint,
        TouchpointKind,
    )

    async with session_pool() as session, session.begin():
        support = await session.scalar(
            sa.select(ActivityDirection).where(ActivityDirection.code == "support")
        )
        it = await session.scalar(
            sa.select(ActivityDirection).where(ActivityDirection.code == "internal_it")
        )
        assert support is not None and it is not None
        department = Department(code="SOC", name="Отдел социальных выплат")
        owner = Person(telegram_id=700001, is_employee=True, department=department)
        process = Process(
            code="SUP01",
            name="Назначение ежемесячной денежной выплаты",
            direction=support,
            department=department,
            owner=owner,
            client_type=ClientType.EXTERNAL,
            stages=["информирование", "подача заявления", "рассмотрение", "получение результата"],
        )
        internal = Process(
            code="IT01",
            name="Техническая поддержка рабочих мест",
            direction=it,
            department=department,
            client_type=ClientType.INTERNAL,
            stages=[],
        )
        digital = Touchpoint(
            code="SUP01-EPGU",
            process=process,
            name="Портал Госуслуг",
            kind=TouchpointKind.DIGITAL,
            channel="ЕПГУ",
            needs=[1, 4, 6],
            payload="t-SUP01-EPGU",
        )
        offline = Touchpoint(
            code="SUP01-MFC",
            process=process,
            name="МФЦ, окно приёма",
            kind=TouchpointKind.OFFLINE,
            channel="МФЦ",
            needs=[2, 4],
            payload="t-SUP01-MFC",
        )
        session.add_all([department, owner, process, internal, digital, offline])
        await session.flush()
        return SmallRegistry(department.id, process.id, internal.id, digital.id, offline.id, 700001)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session; skipped with a reason only outside CI."""
    from tests.pg_server import PostgresUnavailable, postgres_server

    try:
        with postgres_server() as url:
            yield url
    except PostgresUnavailable as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL test skipped: {error}")


@pytest.fixture(scope="session")
def migrated_postgres(postgres_url: str) -> str:
    """The name of a database on the throwaway server the migrations brought to head once."""
    name = "t_migrated_head"

    async def build() -> None:
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        await admin.dispose()
        template = create_engine(postgres_url.rsplit("/", 1)[0] + f"/{name}")
        await upgrade_database(template)
        await template.dispose()  # a template database takes no connections while cloned

    _run_apart(build)
    return name


@pytest.fixture
async def postgres_database(
    postgres_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A fresh database on the throwaway server for one test: a clone of the migrated
    template when the test takes the `engine` (which migrates anyway), else empty."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:12]}"
    clone = ""
    if "engine" in request.fixturenames:
        clone = f' TEMPLATE "{request.getfixturevalue("migrated_postgres")}"'
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.exec_driver_sql(f'CREATE DATABASE "{name}"{clone}')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    async with admin.connect() as connection:
        await connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway Redis server; skipped with a reason only outside CI."""
    from tests.redis_server import RedisUnavailable, redis_server

    try:
        with redis_server() as url:
            yield url
    except RedisUnavailable as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis test skipped: {error}")


@pytest.fixture(autouse=True)
async def close_fsm_storages(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Dispatchers built in a test get their FSM storage (Redis connections) closed after it."""
    import bot.factory

    made: list[Any] = []
    original = bot.factory.create_fsm_storage

    def recording(*args: Any, **kwargs: Any) -> Any:
        storage = original(*args, **kwargs)
        made.append(storage)
        return storage

    monkeypatch.setattr(bot.factory, "create_fsm_storage", recording)
    yield
    for storage in made:
        await storage.close()
