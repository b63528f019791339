"""The monthly scan judges every series without the write lock: the bot's writers go on.

At 10 M responses `scan_month` takes about 30 s; it used to run, with the charts of new
declines, inside the write transaction that records them, so every writer waited behind it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.settings import Settings
from jobs.scan import scan_and_notify
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import DeclineDetection
from tests.conftest import SmallRegistry
from tests.jobs.test_scan import declining_year

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def lock_free_while_judging(settings: Settings) -> Iterator[list[bool]]:
    """For every read of the rollup: could another process take the write lock then?"""
    path = Path(settings.database_url.split("///", 1)[1])
    seen: list[bool] = []

    def try_to_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "monthly_rollups" not in statement or not statement.lstrip().startswith("SELECT"):
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

    event.listen(Engine, "before_cursor_execute", try_to_write)
    yield seen
    event.remove(Engine, "before_cursor_execute", try_to_write)


async def test_the_scan_reads_without_the_write_lock_and_still_records_once(
    session_pool: SessionPool,
    registry: SmallRegistry,
    settings: Settings,
    lock_free_while_judging: list[bool],
) -> None:
    march = date(2025, 3, 1)
    await declining_year(session_pool, registry, march)
    now = lambda: datetime(2025, 4, 1, 9, tzinfo=UTC)  # noqa: E731
    lock_free_while_judging.clear()  # the data was written above, under the lock
    first = await scan_and_notify(session_pool, settings, march, now)
    assert [d.level for d in first.new] == ["process", "touchpoint"]
    assert lock_free_while_judging, "the scan read the rollup"
    assert all(lock_free_while_judging), "the write lock was held while the scan read"
    again = await scan_and_notify(session_pool, settings, march, now)
    assert again.new == [] and again.already_recorded == 2
    async with session_pool() as session:
        detections = await session.scalar(sa.select(sa.func.count(DeclineDetection.id)))
        charts = await session.scalars(
            sa.select(OutboxMessage.file_path).where(OutboxMessage.kind == "decline_chart")
        )
        paths = {str(p) for p in charts}
    assert detections == 2
    assert len(paths) == 1 and Path(paths.pop()).exists(), "one chart, drawn before the write"
