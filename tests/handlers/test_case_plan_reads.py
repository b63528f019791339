"""The action plan workbook of a case is built in a read-only transaction (no write lock)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from aiogram.methods import SendDocument
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.settings import Settings
from handlers.callbacks import CaseCb
from storage.database import SessionPool
from tests.handlers.test_cases_ui import OWNER, People, open_by_instruction, walk
from tests.handlers.test_cases_ui import people as people  # the fixture
from tests.mocked_bot import Telegram

pytestmark = pytest.mark.sqlite_only


async def test_the_plan_workbook_leaves_the_write_lock_free(
    telegram: Telegram,
    session_pool: SessionPool,
    people: People,
    engine: AsyncEngine,
    settings: Settings,
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, until="D4")
    path = settings.database_url.split(":///", 1)[1]
    seen: list[bool] = []

    def try_to_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "case_" not in statement and "reengineering_cases" not in statement:
            return
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append(True)
        except sqlite3.OperationalError:
            seen.append(False)
        finally:
            other.close()

    event.listen(engine.sync_engine, "before_cursor_execute", try_to_write)
    try:
        await telegram.press(
            OWNER, CaseCb(c=case_id, a="px").pack(), telegram.message_update(OWNER, "·").message
        )  # type: ignore[arg-type]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", try_to_write)
    assert any(isinstance(r, SendDocument) for r in telegram.session.requests)
    assert seen and all(seen), "the write lock was held while the plan was read"
