"""Benchmark: rebuild the monthly rollup from 10 M responses and scan for declines.

Times, in one run and on one table:

* the SQL floor: a hand-written GROUP BY over `responses`, run by the stdlib `sqlite3`
  module with every row fetched, i.e. the least any rebuild must cost;
* our full rebuild: `rebuild_rollups` + commit, then `scan_month` for the last complete month,
  through the project's async SQLAlchemy stack;
* pandas: `read_sql` of the needed columns into a DataFrame and a groupby (in a child process,
  so its peak memory is its own);
* the incremental path: 100 000 new responses in the current month, counted in with
  `absorb_new_responses` + commit.

Then the absorbed rollup is checked against a second full rebuild (which is timed too).

First, the decline rule's false alarms and detections, literal and guarded, on simulated
rollups (`bench/_decline_rates.py`, no database); the scan of the 10 M table also runs with
both rules.

    python bench/decline_scan.py              # 10 M responses, figures written to bench/README.md
    python bench/decline_scan.py --quick      # 200 000 responses, a smoke run; README untouched
    python bench/decline_scan.py --rates-only # only the rates (a minute), written to the README
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import resource
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pandas
import sqlalchemy
from _data import (
    CACHE_DIR,
    Model,
    Spec,
    build_database,
    cached,
    insert_rows,
    questionnaire_ids,
    warm_file,
)
from _decline_rates import RateSpec, goals_met, measure, rate_lines
from _readme import README, write_figures
from sqlalchemy.ext.asyncio import AsyncEngine

from analytics.decline_guard import NoiseGuard
from analytics.rollup import absorb_new_responses, cell_key, rebuild_rollups
from analytics.scan import DeclineRules, ScanReport, scan_month
from core.i18n import translator
from storage.database import create_engine, create_session_pool

REBUILD_GOAL = 1.5  # × the SQL floor
ABSORB_GOAL = 2.0  # seconds for 100 000 new responses

KEYS = (
    "questionnaire_id",
    "process_id",
    "touchpoint_id",
    "segment",
    "channel",
    "department_id",
    "client_type",
    "month",
)
FLOOR_SQL = (
    f"SELECT {', '.join(KEYS)}, count(*), sum(rating), sum(rating*rating), sum(rating>=4) "
    f"FROM responses GROUP BY {', '.join(KEYS)}"
)
PANDAS_SQL = f"SELECT {', '.join(KEYS)}, rating FROM responses"
ROLLUP_COLUMNS = (
    "cell, month, questionnaire_id, process_id, touchpoint_id, segment, channel, client_type,"
    " department_id, n, total, total_sq, top2"
)
ROLLUP_SQL = f"SELECT {ROLLUP_COLUMNS} FROM monthly_rollups"
# The new rows' sums, written by hand (the cell key is made in Python by `cell_key`), to
# check the absorbed rollup independently of the SQL that `absorb_new_responses` runs.
NEW_GROUPS_SQL = (
    "SELECT r.questionnaire_id, r.process_id, r.touchpoint_id, r.segment, r.channel,"
    " r.department_id, r.client_type, r.month, count(*), sum(r.rating),"
    " sum(r.rating * r.rating), sum(r.rating >= q.scale_max - 1)"
    " FROM responses r JOIN questionnaires q ON q.id = r.questionnaire_id"
    " WHERE r.id > ? AND r.rating IS NOT NULL"
    " GROUP BY r.questionnaire_id, r.process_id, r.touchpoint_id, r.segment, r.channel,"
    " r.department_id, r.client_type, r.month"
)

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of this process (all threads: aiosqlite works in one).

    The machine is shared, so wall time depends on the neighbours; CPU time much less.
    """

    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.2f} s (CPU {self.cpu:.2f} s)"


NO_TIME = Timing(float("nan"), float("nan"))


def best(timings: Sequence[Timing]) -> Timing:
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


@dataclass
class Figures:
    spec: Spec
    new_responses: int
    generated_s: float | None = None
    db_mb: float = 0.0
    floor_runs: list[Timing] = field(default_factory=list)
    floor_groups: int = 0
    rebuild_runs: list[Timing] = field(default_factory=list)
    rollup_rows: int = 0
    scan_t: Timing = NO_TIME
    scan: ScanReport | None = None
    literal_scan: ScanReport | None = None
    pandas: dict[str, float] = field(default_factory=dict)
    insert_new_s: float = 0.0
    absorb_runs: list[Timing] = field(default_factory=list)
    absorbed: int = 0
    absorb_correct: bool = False
    rebuild_full_t: Timing | None = None
    absorb_matches_rebuild: bool | None = None
    plans: dict[str, list[str]] = field(default_factory=dict)
    machine: dict[str, str] = field(default_factory=dict)
    total_s: float = 0.0

    @property
    def floor(self) -> Timing:
        return best(self.floor_runs)

    @property
    def rebuild(self) -> Timing:
        return best(self.rebuild_runs)

    @property
    def absorb(self) -> Timing:
        return best(self.absorb_runs)

    @property
    def correct(self) -> bool:
        return self.absorb_correct and self.absorb_matches_rebuild is not False


# ----------------------------------------------------------------------------- helpers


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


# ----------------------------------------------------------------------------- steps


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
    for q, p, t, segment, channel, d, client_type, month, n, total, total_sq, top2 in groups:
        key = (cell_key(q, p, t, segment, channel, d), month)
        old = expected.get(key)
        sums = (n, total, total_sq, top2)
        if old is not None:
            sums = tuple(a + b for a, b in zip(old[-4:], sums, strict=True))
        expected[key] = (q, p, t, segment, channel, client_type, d, *sums)
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


# ----------------------------------------------------------------------------- report


def detections(report: ScanReport | None, spec: Spec) -> tuple[int, int, int, int]:
    """(planted found, planted, other processes found, touchpoints found)."""
    if report is None:
        return 0, len(spec.declining_processes), 0, 0
    found = {d.process_id for d in report.new if d.level == "process"}
    planted = set(spec.declining_processes)
    touchpoints = sum(1 for d in report.new if d.level == "touchpoint")
    return len(found & planted), len(planted), len(found - planted), touchpoints


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def goal_lines(f: Figures) -> list[str]:
    """Each goal judged on wall time and, apart, on CPU time (the machine is shared)."""
    floor = f.floor
    rebuilds = [("into an empty rollup", f.rebuild)]
    if f.rebuild_full_t is not None:
        rebuilds.append(("over the full rollup", f.rebuild_full_t))
    lines = []
    for label, t in rebuilds:
        wall, cpu = t.wall / floor.wall, t.cpu / floor.cpu
        lines.append(
            f"* full rebuild ≤ {REBUILD_GOAL}× the SQL floor ({label}): wall {wall:.2f}× — "
            f"{verdict(wall <= REBUILD_GOAL)}; CPU {cpu:.2f}× — {verdict(cpu <= REBUILD_GOAL)}"
        )
    lines.append(
        f"* absorb of {f.new_responses:,} new responses ≤ {ABSORB_GOAL:.0f} s: wall "
        f"{f.absorb.wall:.2f} s — {verdict(f.absorb.wall <= ABSORB_GOAL)}; CPU "
        f"{f.absorb.cpu:.2f} s — {verdict(f.absorb.cpu <= ABSORB_GOAL)}"
    )
    return lines


def figures_table(f: Figures) -> list[str]:
    spec = f.spec
    floor = f.floor
    found, planted, others, touchpoints = detections(f.scan, spec)
    literal_found, _, literal_others, literal_touchpoints = detections(f.literal_scan, spec)
    generated = f"{f.generated_s:.0f} s" if f.generated_s is not None else "cached"

    def best_of(runs: Sequence[Timing]) -> str:
        if len(runs) < 2:
            return ""
        walls = ", ".join(f"{t.wall:.2f}" for t in runs)
        return f"; best of {len(runs)} (wall {walls} s)"

    def row(step: str, t: Timing, ratio: bool = True, bold: bool = False) -> str:
        cells = [f"{t.wall:.2f} s", f"{t.cpu:.2f} s"]
        if ratio:
            cells += [f"{t.wall / floor.wall:.2f}", f"{t.cpu / floor.cpu:.2f}"]
        else:
            cells += ["—", "—"]
        if bold:
            step, cells = f"**{step}**", [f"**{cell}**" for cell in cells]
        return f"| {step} | {' | '.join(cells)} |"

    full = Timing(f.rebuild.wall + f.scan_t.wall, f.rebuild.cpu + f.scan_t.cpu)
    pandas_total = f.pandas.get("total_s", float("nan"))
    peak = f.pandas.get("peak_rss_mb", float("nan"))
    growth = peak - f.pandas.get("baseline_rss_mb", float("nan"))
    scanned = (
        f"{f.scan.processes:,} process and {f.scan.touchpoints:,} touchpoint series"
        if f.scan
        else "no series"
    )
    table = [
        "| step | wall | CPU | × floor (wall) | × floor (CPU) |",
        "|---|---:|---:|---:|---:|",
        row(
            f"SQL floor: GROUP BY via stdlib sqlite3, {f.floor_groups:,} rows fetched"
            + best_of(f.floor_runs),
            floor,
        ),
        row(
            f"rebuild_rollups + commit, {f.rollup_rows:,} rows into an empty rollup"
            + best_of(f.rebuild_runs),
            f.rebuild,
        ),
    ]
    if f.rebuild_full_t is not None:
        table.append(
            row("rebuild_rollups + commit over the full rollup (DELETE + INSERT)", f.rebuild_full_t)
        )
    table += [
        row(f"scan_month ({scanned})", f.scan_t),
        row("full rebuild + scan", full, bold=True),
        f"| pandas: read_sql {f.pandas.get('load_s', float('nan')):.1f} s + groupby "
        f"{f.pandas.get('groupby_s', float('nan')):.1f} s; peak RSS {peak:,.0f} MB "
        f"(+{growth:,.0f} MB) | {pandas_total:.2f} s | — | {pandas_total / floor.wall:.2f} | — |",
        row(
            f"absorb_new_responses + commit: {f.new_responses:,} new ({f.absorbed:,} rated)"
            + best_of(f.absorb_runs),
            f.absorb,
            ratio=False,
        ),
    ]
    checks = [
        "absorbed rollup = rollup before + the new rows' sums (hand-written SQL, Python "
        f"cell_key): {'yes' if f.absorb_correct else 'NO'}",
        "pandas groups = SQL floor groups: "
        f"{'yes' if int(f.pandas.get('groups', -1)) == f.floor_groups else 'NO'}",
    ]
    if f.absorb_matches_rebuild is not None:
        checks.append(
            f"absorbed rollup = full rebuild: {'yes' if f.absorb_matches_rebuild else 'NO'}"
        )
    return [
        f"Run {time.strftime('%Y-%m-%d %H:%M')}: {spec.responses:,} responses, "
        f"{spec.processes:,} processes, {spec.touchpoints:,} touchpoints, {spec.months} months "
        f"(current month {spec.current_month:%Y-%m}, scan of {spec.scan_month:%Y-%m}); "
        f"database {f.db_mb:,.0f} MB; generation {generated}; whole run {f.total_s / 60:.1f} min.",
        "",
        f"Machine: {f.machine['cpu']}; {f.machine['memory']} RAM; {f.machine['software']}. "
        f"Load average {f.machine['load']} at the start, {f.machine.get('load_end', '?')} at the "
        "end: the machine is shared, so wall times carry the neighbours' load; CPU times "
        "much less.",
        "",
        *table,
        "",
        f"Declines recorded for {spec.scan_month:%Y-%m} at the defaults (noise guard on): "
        f"{found} of {planted} planted processes, {others} other processes, {touchpoints} "
        f"touchpoints; {f.scan.within_noise if f.scan else 0} streaks set aside as noise. With "
        f"`OTKLIK_DECLINE_GUARD=literal`: {literal_found} of {planted} planted, {literal_others} "
        f"other processes (a flat series ends in three decreases about 1 time in 24), "
        f"{literal_touchpoints} touchpoints.",
        "",
        f"Checks: {'; '.join(checks)}.",
        "",
        "Goals:",
        "",
        *goal_lines(f),
    ]


# ----------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--responses", type=int)
    parser.add_argument("--processes", type=int)
    parser.add_argument("--touchpoints", type=int)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--new", type=int, help="new responses for the incremental step")
    parser.add_argument("--repeat", type=int, default=1, help="runs of floor and rebuild")
    parser.add_argument("--absorb-repeat", type=int, default=3, help="runs of the absorb")
    parser.add_argument(
        "--verify-rebuild",
        action="store_true",
        help="end with a full rebuild over the full rollup, timed and compared",
    )
    parser.add_argument("--db", type=Path, help="database file (default: a cache in var/bench)")
    parser.add_argument("--quick", action="store_true", help="200 000 responses, a smoke run")
    parser.add_argument("--regenerate", action="store_true", help="ignore a cached database")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    parser.add_argument(
        "--rates-only", action="store_true", help="only the decline rule's rates (no database)"
    )
    args = parser.parse_args(argv)
    quick = {"responses": 200_000, "processes": 100, "touchpoints": 500, "new": 10_000}
    full = {"responses": 10_000_000, "processes": 1_000, "touchpoints": 5_000, "new": 100_000}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def rates(args: argparse.Namespace) -> bool:
    """The decline rule's rates on simulated rollups; written to the README on a full run."""
    spec = RateSpec(flat_processes=300, planted_processes=300) if args.quick else RateSpec()
    print("decline rule on simulated rollups …", flush=True)
    measured = measure(spec)
    lines = rate_lines(measured)
    print("\n".join(lines) + "\n", flush=True)
    if not (args.quick or args.no_readme):
        write_figures("decline_rates", lines)
    return goals_met(measured)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    rates_met = rates(args)
    if args.rates_only:
        return 0 if rates_met else 1
    spec = Spec(
        responses=args.responses,
        processes=args.processes,
        touchpoints=args.touchpoints,
        months=args.months,
    )
    path: Path = args.db or CACHE_DIR / spec.cache_name()
    figures = Figures(spec=spec, new_responses=args.new, machine=machine())

    prepare(path, spec, args.regenerate, figures)
    figures.plans = plans(path)
    print(f"database: {figures.db_mb:,.0f} MB; warming the page cache …", flush=True)
    warm_file(path)

    for run in range(args.repeat):
        timing, figures.floor_groups = sql_floor(path)
        figures.floor_runs.append(timing)
        print(f"[{run + 1}] SQL floor: {timing}, {figures.floor_groups:,} rows", flush=True)
        if run:  # back to an empty rollup, as in the first run
            reset(path, spec.responses)
        timing, figures.rollup_rows = asyncio.run(rebuild(path))
        figures.rebuild_runs.append(timing)
        print(f"[{run + 1}] rebuild_rollups + commit: {timing}, ", end="")
        print(f"{figures.rollup_rows:,} rollup rows", flush=True)

    _, figures.literal_scan = asyncio.run(scan(path, spec.scan_month, LITERAL))
    forget_detections(path)
    figures.scan_t, figures.scan = asyncio.run(scan(path, spec.scan_month))
    found, planted, others, touchpoints = detections(figures.scan, spec)
    print(
        f"scan_month({spec.scan_month:%Y-%m}): {figures.scan_t}; declines: {found}/"
        f"{planted} planted processes, {others} others, {touchpoints} touchpoints",
        flush=True,
    )

    if not args.no_pandas:
        figures.pandas = run_pandas(path)
        print(
            f"pandas: {figures.pandas['total_s']:.2f} s (read_sql {figures.pandas['load_s']:.2f}"
            f" s, groupby {figures.pandas['groupby_s']:.2f} s), peak RSS "
            f"{figures.pandas['peak_rss_mb']:,.0f} MB, {int(figures.pandas['groups']):,} groups",
            flush=True,
        )

    inserted, after_id = timed(lambda: insert_new(path, spec, args.new))
    figures.insert_new_s = inserted.wall
    checkpoint(path)
    print(f"stored {args.new:,} new responses in {figures.insert_new_s:.1f} s", flush=True)
    before = rollup_snapshot(path)
    saved = save_month(path, spec.current_month)
    for run in range(args.absorb_repeat):
        if run:
            restore_month(path, spec.current_month, saved)
        timing, figures.absorbed = asyncio.run(absorb(path, after_id))
        figures.absorb_runs.append(timing)
        print(
            f"[{run + 1}] absorb_new_responses({args.new:,} new) + commit: {timing}, "
            f"{figures.absorbed:,} counted",
            flush=True,
        )
    absorbed_rollup = rollup_snapshot(path)
    figures.absorb_correct = absorbed_rollup == expected_after_absorb(path, before, after_id)
    print(f"absorbed rollup = before + new sums: {figures.absorb_correct}", flush=True)

    if args.verify_rebuild:
        checkpoint(path)
        figures.rebuild_full_t, _ = asyncio.run(rebuild(path))
        figures.absorb_matches_rebuild = rollup_snapshot(path) == absorbed_rollup
        print(
            f"rebuild over the full rollup: {figures.rebuild_full_t}; absorbed rollup "
            f"{'==' if figures.absorb_matches_rebuild else '!='} rebuild",
            flush=True,
        )

    figures.machine["load_end"] = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    figures.total_s = time.perf_counter() - started
    lines = figures_table(figures)
    print("\n" + "\n".join(lines))
    print("\nquery plans:", json.dumps(figures.plans, ensure_ascii=False))
    if not (args.quick or args.no_readme):
        write_figures("decline_scan", lines)
        print(f"\nfigures written to {README}")
    return 0 if figures.correct and rates_met else 1


if __name__ == "__main__":
    sys.exit(main())
