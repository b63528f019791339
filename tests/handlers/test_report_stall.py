"""Reports and charts hold neither the write lock nor the event loop while they are built.

Each /stats view and each report is asked for through the real dispatcher; while its queries
run, another connection tries to take SQLite's write lock (it must get it at once), and
SQLite's trace callback records the thread each statement ran on (never the loop's).
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.methods import SendDocument, SendPhoto
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

from core.settings import Settings
from handlers.callbacks import ReportCb, StatsCb
from storage.database import SessionPool
from storage.delivery_models import InboxUpdate
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.jobs.test_scan import declining_year
from tests.mocked_bot import Telegram

OWNER, OFFICER = 700001, 900001
READS = ("monthly_rollups", "responses")


def _updates(process_id: int) -> list[tuple[str, int, str, type]]:
    """(label, user, /command or callback data, what the bot must send)."""
    return [
        ("owner /stats", OWNER, "/stats", SendPhoto),
        ("owner details", OWNER, StatsCb(p=process_id).pack(), SendPhoto),
        ("owner pain map", OWNER, ReportCb(k="p", p=process_id).pack(), SendDocument),
        ("owner segments", OWNER, ReportCb(k="s", p=process_id).pack(), SendDocument),
        ("officer /stats", OFFICER, "/stats", SendPhoto),
        ("officer dynamics", OFFICER, ReportCb(k="d", p=0).pack(), SendDocument),
    ]


async def _ask(telegram: Telegram, user: int, what: str) -> None:
    if what.startswith("/"):
        await telegram.send(user, what)
    else:
        await telegram.press(user, what, telegram.message_update(user, "·").message)


@pytest.fixture
async def year(session_pool: SessionPool, registry: SmallRegistry, telegram: Telegram) -> None:
    await declining_year(session_pool, registry, date(2025, 2, 1))
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))


def _database_file(settings: Settings) -> str:
    return settings.database_url.split(":///", 1)[1]


@pytest.mark.sqlite_only
async def test_reports_leave_the_write_lock_free_while_they_read(
    telegram: Telegram,
    engine: AsyncEngine,
    settings: Settings,
    registry: SmallRegistry,
    year: None,
) -> None:
    path = _database_file(settings)
    seen: list[tuple[str, bool]] = []
    asking = {"label": ""}

    def try_to_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not any(read in statement for read in READS):
            return
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append((asking["label"], True))
        except sqlite3.OperationalError:
            seen.append((asking["label"], False))
        finally:
            other.close()

    event.listen(Engine, "before_cursor_execute", try_to_write)  # a report may use its own
    try:
        for label, user, what, sent in _updates(registry.process_id):
            asking["label"] = label
            before = len(telegram.session.requests)
            await _ask(telegram, user, what)
            assert any(isinstance(r, sent) for r in telegram.session.requests[before:]), label
    finally:
        event.remove(Engine, "before_cursor_execute", try_to_write)
    labels = {name for name, _free in seen}
    assert labels == {name for name, *_ in _updates(registry.process_id)}, "every update read"
    blocked = sorted({name for name, free in seen if not free})
    assert blocked == [], f"the write lock was held while these read: {blocked}"


@pytest.mark.sqlite_only
async def test_report_queries_run_off_the_event_loop(
    telegram: Telegram, engine: AsyncEngine, registry: SmallRegistry, year: None
) -> None:
    loop_thread = threading.get_ident()
    threads: dict[str, set[int]] = {}
    asking = {"label": ""}

    def trace_every_connection(dbapi_connection: Any, _record: Any) -> None:
        def traced(statement: str) -> None:
            if any(read in statement for read in READS):
                threads.setdefault(asking["label"], set()).add(threading.get_ident())

        await_only(dbapi_connection.driver_connection.set_trace_callback(traced))

    event.listen(Engine, "connect", trace_every_connection)  # every engine's connections
    await engine.dispose()  # the connections opened from now on are traced
    try:
        for label, user, what, _sent in _updates(registry.process_id):
            asking["label"] = label
            await _ask(telegram, user, what)
    finally:
        event.remove(Engine, "connect", trace_every_connection)
    assert set(threads) == {name for name, *_ in _updates(registry.process_id)}
    on_loop = sorted(name for name, ids in threads.items() if loop_thread in ids)
    assert on_loop == [], f"these ran their queries on the event loop: {on_loop}"


async def test_a_report_update_is_marked_done_and_not_built_twice(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, year: None
) -> None:
    update = telegram.callback_update(
        OWNER,
        telegram.message_update(OWNER, "·").message,  # type: ignore[arg-type]
        ReportCb(k="p", p=registry.process_id).pack(),
    )
    await telegram.feed(update)
    await telegram.feed(update)  # delivered again, e.g. after a restart
    documents = [r for r in telegram.session.requests if isinstance(r, SendDocument)]
    assert len(documents) == 1
    async with session_pool() as session:
        status = await session.scalar(
            sa.select(InboxUpdate.status).where(InboxUpdate.update_id == update.update_id)
        )
    assert status == "done"
