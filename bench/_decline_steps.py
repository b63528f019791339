"""The measured steps of bench/decline_scan.py: SQL floor, rebuild, scan, pandas, absorb.

Each step opens its own connection or engine on the benchmark's SQLite file, so one step's
caches never flatter the next; the checks compare rollups read back by hand-written SQL.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pandas
import sqlalchemy
from _data import Model, Spec, build_database, cached, insert_rows, questionnaire_ids
from _decline_figures import Figures, Timing
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.decline_guard import NoiseGuard
from analytics.rollup import absorb_new_responses, cell_key, rebuild_rollups
from analytics.scan import DeclineRules, ScanReport, scan_month
from core.i18n import translator
from storage.database import create_engine, create_session_pool

KEYS = (
    "questionnaire_id",
    "process_id",
    "touchpoint_id",
    "segment",
    "channel",
    "department_id",
    "collected_via",
    "client_type",
    "month",
)
FLOOR_SQL = (
    f"SELECT {', '.join(KEYS)}, count(*), sum(rating), sum(rating*rating), sum(rating>=4) "
    f"FROM responses GROUP BY {', '.join(KEYS)}"
)
PANDAS_SQL = f"SELECT {', '.join(KEYS)}, rating FROM responses"
ROLLUP_COLUMNS = (
    "cell, month, questionnaire_id, process_id, touchpoint_id, segment, channel, collected_via,"
    " client_type, department_id, n, total, total_sq, top2"
)
ROLLUP_SQL = f"SELECT {ROLLUP_COLUMNS} FROM monthly_rollups"
# The new rows' sums, written by hand (the cell key is made in Python by `cell_key`), to
# check the absorbed rollup independently of the SQL that `absorb_new_responses` runs.
NEW_GROUPS_SQL = (
    "SELECT r.questionnaire_id, r.process_id, r.touchpoint_id, r.segment, r.channel,"
    " r.department_id, r.collected_via, r.client_type, r.month, count(*), sum(r.rating),"
    " sum(r.rating * r.rating), sum(r.rating >= q.scale_max - 1)"
    " FROM responses r JOIN questionnaires q ON q.id = r.questionnaire_id"
    " WHERE r.id > ? AND r.rating IS NOT NULL"
    " GROUP BY r.questionnaire_id, r.process_id, r.touchpoint_id, r.segment, r.channel,"
    " r.department_id, r.collected_via, r.client_type, r.month"
)

T = TypeVar("T")


def timed(function: Callable[[], T]) -> tuple[Timing, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), result


async def atimed(awaitable: Awaitable[T]) -> tuple[Timing, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = await awaitable
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), result


def engine_for(path: Path) -> AsyncEngine:
    return create_engine(f"sqlite+aiosqlite:///{path}")


async def warm_engine(engine: AsyncEngine) -> None:
    """Open the pooled connection (and run its PRAGMAs) before anything is timed."""
    async with engine.connect() as connection:
        await connection.exec_driver_sql("SELECT 1")


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return {
        "cpu": f"{os.cpu_count()} cores, {model}",
        "memory": f"{memory:.0f} GiB",
        "software": (
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"SQLAlchemy {sqlalchemy.__version__}, pandas {pandas.__version__}"
        ),
        "load": load,
    }


def prepare(path: Path, spec: Spec, regenerate: bool, figures: Figures) -> None:
    if regenerate or not cached(path, spec):
        print(f"generating {path} …", flush=True)
        generation, _ = timed(lambda: build_database(path, spec))
        figures.generated_s = generation.wall
    else:
        print(f"reusing {path}", flush=True)
    reset(path, spec.responses)
    figures.db_mb = path.stat().st_size / 2**20


def reset(path: Path, responses: int) -> None:
    """Back to the generated state: drop what an earlier run added, empty the WAL."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA cache_size=-1000000")  # index pages of 10 M rows: 1 GB
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("DELETE FROM responses WHERE id > ?", (responses,))
        connection.execute("DELETE FROM decline_detections")
        connection.execute("DELETE FROM monthly_rollups")
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def forget_detections(path: Path) -> None:
    """Drop recorded detections (the literal scan's), keeping the rollup."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("DELETE FROM decline_detections")
    finally:
        connection.close()


def checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def query_plan(connection: sqlite3.Connection, sql: str) -> list[str]:
    return [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql)]


def sql_floor(path: Path) -> tuple[Timing, int]:
    """The hand-written GROUP BY with the stdlib driver, every row fetched."""
    connection = sqlite3.connect(path)
    try:
        seconds, rows = timed(lambda: connection.execute(FLOOR_SQL).fetchall())
    finally:
        connection.close()
    return seconds, len(rows)


async def rebuild(path: Path) -> tuple[Timing, int]:
    """`rebuild_rollups` + commit through the project's engine (WAL, BEGIN IMMEDIATE)."""
    engine = engine_for(path)
    try:
        await warm_engine(engine)
        pool = create_session_pool(engine)

        async def run() -> int:
            async with pool() as session, session.begin():
                return await rebuild_rollups(session)

        return await atimed(run())
    finally:
        await engine.dispose()


DEFAULTS = DeclineRules()
LITERAL = DeclineRules(guard=NoiseGuard(rule="literal"))


async def scan(
    path: Path, month: date, rules: DeclineRules = DEFAULTS
) -> tuple[Timing, ScanReport]:
    engine = engine_for(path)
    try:
        await warm_engine(engine)
        pool = create_session_pool(engine)

        async def run() -> ScanReport:
            async with pool() as session, session.begin():
                return await scan_month(session, month, rules, translator())

        return await atimed(run())
    finally:
        await engine.dispose()


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would carry the parent's peak
    over fork + exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pandas_groupby(path: str) -> dict[str, float]:
    """Runs in a child process: read_sql of the needed columns, then the same groupby."""
    import pandas as pd

    baseline = peak_rss_mb()
    connection = sqlite3.connect(path)
    start = time.perf_counter()
    frame = pd.read_sql(PANDAS_SQL, connection)
    loaded = time.perf_counter()
    frame["sq"] = frame["rating"] * frame["rating"]
    frame["top"] = frame["rating"] >= 4
    grouped = frame.groupby(list(KEYS), dropna=False, sort=False).agg(
        n=("rating", "size"),
        total=("rating", "sum"),
        total_sq=("sq", "sum"),
        top2=("top", "sum"),
    )
    done = time.perf_counter()
    connection.close()
    peak = peak_rss_mb()
    return {
        "load_s": loaded - start,
        "groupby_s": done - loaded,
        "total_s": done - start,
        "groups": float(len(grouped)),
        "rows": float(len(frame)),
        "peak_rss_mb": peak,
        "baseline_rss_mb": baseline,
    }


def run_pandas(path: Path) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(pandas_groupby, (str(path),))


def insert_new(path: Path, spec: Spec, count: int) -> int:
    """Store `count` new responses in the current month (not timed); returns the watermark."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")  # synthetic session ids, as in the load
        connection.execute("PRAGMA cache_size=-1000000")  # random index inserts: 1 GB cache
        after_id = int(connection.execute("SELECT max(id) FROM responses").fetchone()[0])
        model = Model(spec, questionnaire_ids(connection))
        rows = model.rows(after_id + 1, count, stream=1_000_000, month=spec.months - 1)
        connection.execute("BEGIN IMMEDIATE")
        insert_rows(connection, rows)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return after_id


async def absorb(path: Path, after_id: int) -> tuple[Timing, int]:
    engine = engine_for(path)
    try:
        await warm_engine(engine)
        pool = create_session_pool(engine)

        async def run() -> int:
            async with pool() as session, session.begin():
                return await absorb_new_responses(session, after_id)

        return await atimed(run())
    finally:
        await engine.dispose()


Rollup = dict[tuple[str, str], tuple[Any, ...]]


def rollup_snapshot(path: Path) -> Rollup:
    """The rollup keyed by (cell, month), without the surrogate ids."""
    connection = sqlite3.connect(path)
    try:
        return {(row[0], row[1]): row[2:] for row in connection.execute(ROLLUP_SQL)}
    finally:
        connection.close()


def expected_after_absorb(path: Path, before: Rollup, after_id: int) -> Rollup:
    """`before` plus the new rows' sums, cell keys made by the Python `cell_key`."""
    expected = dict(before)
    connection = sqlite3.connect(path)
    try:
        groups = connection.execute(NEW_GROUPS_SQL, (after_id,)).fetchall()
    finally:
        connection.close()
    for q, p, t, segment, channel, d, via, client_type, month, n, total, total_sq, top2 in groups:
        key = (cell_key(q, p, t, segment, channel, d, via), month)
        old = expected.get(key)
        sums = (n, total, total_sq, top2)
        if old is not None:
            sums = tuple(a + b for a, b in zip(old[-4:], sums, strict=True))
        expected[key] = (q, p, t, segment, channel, via, client_type, d, *sums)
    return expected


def save_month(path: Path, month: date) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT * FROM monthly_rollups WHERE month = ?", (month.isoformat(),)
        ).fetchall()
    finally:
        connection.close()


def restore_month(path: Path, month: date, rows: list[tuple[Any, ...]]) -> None:
    """Put one month of the rollup back as saved, so the absorb can be timed again."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("DELETE FROM monthly_rollups WHERE month = ?", (month.isoformat(),))
        if rows:
            marks = ", ".join("?" for _ in rows[0])
            connection.executemany(f"INSERT INTO monthly_rollups VALUES ({marks})", rows)
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def plans(path: Path) -> dict[str, list[str]]:
    """Query plans of the floor and of the rebuild's SELECT, as SQLite will run them."""
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from analytics.rollup import _grouped_responses

    compiled = _grouped_responses().compile(
        dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}
    )
    connection = sqlite3.connect(path)
    try:
        return {
            "floor": query_plan(connection, FLOOR_SQL),
            "rebuild": query_plan(connection, str(compiled)),
        }
    finally:
        connection.close()
