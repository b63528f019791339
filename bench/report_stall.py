"""Benchmark: does building a report stall the bot or block other writers?

One SQLite file of synthetic responses (10 M by default, `bench/_data.py`) with its monthly
rollup rebuilt. The bot's real dispatcher (`bot.factory.create_dispatcher`, the bot's own
settings and engine, a recording Bot session instead of Telegram) gets the updates an owner
and the officer send for each report: /stats, a process's details, the pain map, the segment
profile, the dynamics of all processes. While each update is handled:

* a ticker task on the bot's event loop sleeps 5 ms at a time and records how late it woke
  up: the event-loop lag every other update would feel;
* a writer task in the bot's process runs short write transactions (one inbox row, commit)
  through the bot's session pool, every 20 ms, and records how long each took;
* a writer process does the same through the stdlib `sqlite3` driver (`BEGIN IMMEDIATE`,
  insert, commit) and records the wait for the lock.

The same three are first measured for a few seconds with no report running (the baseline),
and the figures are printed as ratios to it.

    python bench/report_stall.py --db /work/benchdata/stall.db     # 10 M; README updated
    python bench/report_stall.py --responses 20000 --no-readme     # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from _data import CACHE_DIR, Spec, build_database, cached  # noqa: E402
from _readme import README, write_figures  # noqa: E402
from pydantic import SecretStr  # noqa: E402

if TYPE_CHECKING:  # aiogram loads on first use, as in the bot
    from aiogram.types import Update

LAG_GOAL_MS = 50.0  # event-loop lag, p99, while a report is built
WRITER_GOAL_MS = 200.0  # the longest wait of another writer
TICK_S = 0.005
WRITE_EVERY_S = 0.02
OWNER, OFFICER = 700001, 900001
OWNED = (50, 7)  # the owner's processes: a declining one and a steady one
WRITER_IDS = -1_000_000_000  # inbox rows the writers add (removed at the end)


# ----------------------------------------------------------------------------- data


def rollup_marker(path: Path) -> Path:
    return path.with_name(path.name + ".rollup")


def prepare(path: Path, spec: Spec, regenerate: bool) -> dict[str, float]:
    """The responses (cached like bench/_data.py does), the rollup, the owner; seconds taken."""
    taken: dict[str, float] = {}
    if regenerate or not cached(path, spec):
        rollup_marker(path).unlink(missing_ok=True)
        print(f"generating {spec.responses:,} responses into {path} …", flush=True)
        started = time.perf_counter()
        build_database(path, spec)
        taken["generate_s"] = time.perf_counter() - started
    if not rollup_marker(path).exists():
        print("rebuilding the monthly rollup …", flush=True)
        started = time.perf_counter()
        asyncio.run(_rebuild(path))
        taken["rollup_s"] = time.perf_counter() - started
        rollup_marker(path).write_text("done\n")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("DELETE FROM inbox")
        connection.executemany(
            "INSERT OR IGNORE INTO people (telegram_id, is_employee, is_officer, unreachable,"
            " created_at) VALUES (?, 1, ?, 0, '2026-01-01 00:00:00.000000')",
            [(OWNER, 0), (OFFICER, 1)],
        )
        [(person,)] = connection.execute("SELECT id FROM people WHERE telegram_id = ?", (OWNER,))
        connection.execute(
            f"UPDATE processes SET owner_id = ? WHERE id IN ({', '.join('?' * len(OWNED))})",
            (person, *OWNED),
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return taken


async def _rebuild(path: Path) -> None:
    from analytics.rollup import rebuild_rollups
    from storage.database import create_engine, create_session_pool

    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with create_session_pool(engine)() as session, session.begin():
            await rebuild_rollups(session)
    finally:
        await engine.dispose()


# ----------------------------------------------------------------------------- probes


@dataclass
class Samples:
    """Milliseconds, with the perf_counter time each was taken at."""

    at: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)

    def add(self, at: float, ms: float) -> None:
        self.at.append(at)
        self.ms.append(ms)

    def between(self, start: float, end: float) -> list[float]:
        return [ms for at, ms in zip(self.at, self.ms, strict=True) if start <= at <= end]


def quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def ticker(samples: Samples, stop: asyncio.Event) -> None:
    """How late the loop wakes a task that asked to sleep TICK_S."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(TICK_S)
        woke = time.perf_counter()
        samples.add(woke, max(0.0, (woke - asked - TICK_S) * 1000))


async def writer_task(pool: Any, samples: Samples, stop: asyncio.Event) -> None:
    """Short write transactions through the bot's own session pool (its writer queue)."""
    import sqlalchemy as sa

    from storage.delivery_models import InboxUpdate

    update_id = WRITER_IDS
    while not stop.is_set():
        update_id -= 1
        started = time.perf_counter()
        async with pool() as session, session.begin():
            await session.execute(
                sa.insert(InboxUpdate).values(
                    update_id=update_id, status="done", received_at=datetime.now(UTC)
                )
            )
        ended = time.perf_counter()
        samples.add(ended, (ended - started) * 1000)
        await asyncio.sleep(WRITE_EVERY_S)


def writer_process(path: str, pipe: Connection) -> None:
    """Another process's short writes: how long each waits for SQLite's write lock."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=60)
    waits: list[tuple[float, float]] = []
    update_id = WRITER_IDS * 2
    pipe.send("ready")
    while not pipe.poll():
        update_id -= 1
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        locked = time.perf_counter()
        connection.execute(
            "INSERT INTO inbox (update_id, status, attempts, received_at)"
            " VALUES (?, 'done', 0, '2026-01-01 00:00:00.000000')",
            (update_id,),
        )
        connection.execute("COMMIT")
        # Wall clocks of two processes: perf_counter is system-wide on Linux (CLOCK_MONOTONIC).
        waits.append((locked, (locked - started) * 1000))
        time.sleep(WRITE_EVERY_S)
    pipe.recv()
    connection.close()
    pipe.send(waits)


# ----------------------------------------------------------------------------- the bot


@dataclass
class Step:
    """One update of an owner or the officer and what it must produce."""

    name: str
    user: int
    text: str | None = None  # a command
    data: str | None = None  # or a callback
    expect: str = "SendDocument"


def steps() -> list[Step]:
    from handlers.callbacks import ReportCb, StatsCb

    process = OWNED[0]
    return [
        Step("owner /stats (charts, pains, comments)", OWNER, text="/stats", expect="SendPhoto"),
        Step("owner: process details", OWNER, data=StatsCb(p=process).pack(), expect="SendPhoto"),
        Step("owner: pain map (Excel)", OWNER, data=ReportCb(k="p", p=process).pack()),
        Step("owner: segment profile (Excel)", OWNER, data=ReportCb(k="s", p=process).pack()),
        Step("officer /stats (overview chart)", OFFICER, text="/stats", expect="SendPhoto"),
        Step("officer: dynamics of all (Excel)", OFFICER, data=ReportCb(k="d", p=0).pack()),
    ]


@dataclass
class Window:
    name: str
    seconds: float
    produced: bool
    lag: list[float]
    inner: list[float]
    outer: list[float]

    def figures(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": self.seconds,
            "produced": self.produced,
            "lag_p50": quantile(self.lag, 0.5),
            "lag_p99": quantile(self.lag, 0.99),
            "lag_max": max(self.lag, default=0.0),
            "writer_max": max(self.inner, default=0.0),
            "writer_p99": quantile(self.inner, 0.99),
            "other_process_max": max(self.outer, default=0.0),
            "writes": len(self.inner) + len(self.outer),
        }


async def measure(path: Path, baseline_s: float, repeat: int) -> list[Window]:
    """Feeds each report's update to the dispatcher while the ticker and the writers sample."""
    from bot.factory import create_dispatcher
    from core.settings import Settings
    from storage.database import create_engine, create_session_pool
    from tests.mocked_bot import make_bot

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr("1000001:bench-token"),
        database_url=f"sqlite+aiosqlite:///{path}",
        secret_key=SecretStr("bench-secret-key"),
        officer_ids=[OFFICER],
        data_dir=path.parent / "stall-var",
    )
    engine = create_engine(settings.database_url)
    pool = create_session_pool(engine)
    bot, recorded = make_bot()
    dispatcher = create_dispatcher(settings, pool)
    lag, inner = Samples(), Samples()
    stop = asyncio.Event()
    parent, child = multiprocessing.Pipe()
    other = multiprocessing.get_context("spawn").Process(
        target=writer_process, args=(str(path), child), daemon=True
    )
    other.start()
    parent.recv()
    tasks = [
        asyncio.create_task(ticker(lag, stop)),
        asyncio.create_task(writer_task(pool, inner, stop)),
    ]
    marks: list[tuple[str, float, float, bool]] = []
    update_id = 1
    try:
        await asyncio.sleep(0.5)  # warm: connections open, first samples in
        start = time.perf_counter()
        await asyncio.sleep(baseline_s)
        marks.append(("no report (baseline)", start, time.perf_counter(), True))
        for round_ in range(1, repeat + 1):
            for step in steps():
                update = update_for(step, update_id)
                update_id += 1
                before = len(recorded.requests)
                start = time.perf_counter()
                await dispatcher.feed_update(bot, update)
                end = time.perf_counter()
                sent = {type(r).__name__ for r in recorded.requests[before:]}
                name = step.name if repeat == 1 else f"{step.name}, round {round_}"
                marks.append((name, start, end, step.expect in sent))
                await asyncio.sleep(0.3)  # the writers' queue drains between reports
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        parent.send("stop")
        outer = Samples()
        for at, ms in parent.recv():
            outer.add(at, ms)
        other.join(10)
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"DELETE FROM inbox WHERE update_id < {WRITER_IDS}")
            await connection.exec_driver_sql(f"DELETE FROM inbox WHERE update_id = {WRITER_IDS}")
        await engine.dispose()
        await bot.session.close()
    return windows_of(marks, lag, inner, outer)


def update_for(step: Step, update_id: int) -> Update:
    """The step's command as a message, or its button press as a callback query."""
    from aiogram.types import CallbackQuery, Chat, Message, Update, User

    user = User(id=step.user, is_bot=False, first_name="Bench")
    chat = Chat(id=step.user, type="private")
    message = Message(
        message_id=update_id,
        date=datetime.now(UTC),
        chat=chat,
        from_user=user,
        text=step.text,
    )
    if step.data is None:
        return Update(update_id=update_id, message=message)
    return Update(
        update_id=update_id,
        callback_query=CallbackQuery(
            id=str(update_id),
            from_user=user,
            chat_instance="b",
            message=message,
            data=step.data,
        ),
    )


def windows_of(
    marks: list[tuple[str, float, float, bool]], lag: Samples, inner: Samples, outer: Samples
) -> list[Window]:
    """The samples inside each report's window; rounds of one report share a window."""
    windows: dict[str, Window] = {}
    for name, start, end, produced in marks:
        # A write that began inside the window ends up to its own length after it.
        window = windows.setdefault(name, Window(name, 0.0, True, [], [], []))
        window.seconds = max(window.seconds, end - start)
        window.produced = window.produced and produced
        window.lag += lag.between(start, end + 0.05)
        window.inner += inner.between(start, end + 0.25)
        window.outer += outer.between(start, end + 0.25)
    return list(windows.values())


# ----------------------------------------------------------------------------- report


def machine() -> str:
    import pandas
    import sqlalchemy

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores; Python {platform.python_version()}, SQLite"
        f" {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}, pandas"
        f" {pandas.__version__}; load average {load}"
    )


def table(windows: Sequence[Window]) -> list[str]:
    base = windows[0].figures()

    def ratio(value: float, baseline: float) -> str:
        return f"{value / baseline:.1f}×" if baseline > 0 else "—"

    lines = [
        "| update | handled in | loop lag p50 / p99 / max | p99 × baseline"
        " | writer (same process) p99 / max | writer (other process) max | made |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for window in windows:
        f = window.figures()
        lines.append(
            f"| {f['name']} | {f['seconds']:.2f} s"
            f" | {f['lag_p50']:.1f} / {f['lag_p99']:.1f} / {f['lag_max']:.1f} ms"
            f" | {ratio(f['lag_p99'], base['lag_p99'])}"
            f" | {f['writer_p99']:.1f} / {f['writer_max']:.1f} ms"
            f" | {f['other_process_max']:.1f} ms | {'yes' if f['produced'] else 'NO'} |"
        )
    return lines


def goals(windows: Sequence[Window]) -> list[str]:
    reports = [w.figures() for w in windows[1:]]
    lag = max((f["lag_p99"] for f in reports), default=0.0)
    wait = max((max(f["writer_max"], f["other_process_max"]) for f in reports), default=0.0)
    return [
        f"* loop lag p99 ≤ {LAG_GOAL_MS:.0f} ms while a report is built: worst {lag:.1f} ms —"
        f" {'met' if lag <= LAG_GOAL_MS else 'NOT met'}",
        f"* no writer waits > {WRITER_GOAL_MS:.0f} ms: longest {wait:.1f} ms —"
        f" {'met' if wait <= WRITER_GOAL_MS else 'NOT met'}",
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--processes", type=int, default=1_000)
    parser.add_argument("--touchpoints", type=int, default=5_000)
    parser.add_argument("--db", type=Path, help="the generated database (reused when it matches)")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--baseline", type=float, default=3.0, help="seconds with no report")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every update")
    parser.add_argument("--prepare-only", action="store_true", help="generate the data, no run")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    processes = min(args.processes, max(60, args.responses // 1000))
    spec = Spec(
        responses=args.responses,
        processes=processes,
        touchpoints=min(args.touchpoints, processes * 5),
        current_month=date.today().replace(day=1),
    )
    path = args.db or CACHE_DIR / ("stall-" + spec.cache_name())
    started = time.perf_counter()
    taken = prepare(path, spec, args.regenerate)
    if args.prepare_only:
        print(json.dumps(taken))
        return 0
    windows = asyncio.run(measure(path, args.baseline, args.repeat))
    lines = [
        f"Run {datetime.now():%Y-%m-%d %H:%M}: {spec.responses:,} responses, {spec.processes:,}"
        f" processes, {spec.touchpoints:,} touchpoints, {spec.months} months; database"
        f" {path.stat().st_size / 2**20:,.0f} MB; generation"
        f" {taken.get('generate_s', 0):.0f} s, rollup {taken.get('rollup_s', 0):.0f} s"
        f" (0 s: cached); whole run {time.perf_counter() - started:.0f} s.",
        "",
        f"Machine: {machine()}.",
        "",
        *table(windows),
        "",
        "Goals:",
        "",
        *goals(windows),
    ]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                {"spec": spec.as_json(), "taken": taken, "windows": [w.figures() for w in windows]},
                indent=1,
            )
        )
    if not args.no_readme:
        write_figures("report_stall", lines, README)
    return 0 if all(w.produced for w in windows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
