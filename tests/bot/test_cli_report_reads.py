"""`otklik report` reads in a read-only transaction: the bot's writers never wait for it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.cli import main
from bot.demo import EXAMPLE_REGISTRY

pytestmark = pytest.mark.sqlite_only

READS = ("monthly_rollups", "responses")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    return path


@pytest.fixture
def lock_free_while_reading(database: Path) -> Iterator[list[bool]]:
    """For every report query: could another process take the write lock at that moment?"""
    seen: list[bool] = []

    def try_to_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not any(read in statement for read in READS):
            return
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
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


@pytest.mark.parametrize(
    "kind",
    [
        ["dynamics"],
        ["internal"],
        ["pain-map", "--process", "SUP01"],
        ["segments", "--process", "SUP01"],
    ],
)
def test_a_report_from_the_command_line_takes_no_write_lock(
    database: Path, lock_free_while_reading: list[bool], kind: list[str]
) -> None:
    out = database.parent / "report.xlsx"
    assert main(["report", *kind, "--month", "2025-03", "--out", str(out)]) == 0
    assert out.exists()
    assert lock_free_while_reading, "the report read responses or the rollup"
    assert all(lock_free_while_reading), "the write lock was held while the report read"
