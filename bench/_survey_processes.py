"""The bot processes of the survey benchmarks: started, watched, measured, stopped."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from sandbox import MaxSandboxServer, SandboxServer

StandIn = SandboxServer | MaxSandboxServer

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "examples" / "registry.xlsx"
ECHO_BOT = Path(__file__).with_name("echo_bot.py")
TOKEN = "1000001:bench-token-for-the-sandbox-only"
MAX_TOKEN = "bench-max-token-for-the-stand-in-only"

LOG_PATTERNS = {
    "database is locked": re.compile(r"database is locked"),
    "pool timeout": re.compile(r"QueuePool limit"),
    "query is too old": re.compile(r"query is too old"),
    "Traceback": re.compile(r"^Traceback", re.MULTILINE),
    "ERROR lines": re.compile(r" ERROR "),
}

USER_ID = re.compile(r"user \d+")


def bot_env(sandbox: StandIn, database: Path) -> dict[str, str]:
    """The bot's environment: the stand-in's messenger only (MAX: just its token and URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    if isinstance(sandbox, MaxSandboxServer):
        env.update({"OTKLIK_MAX_TOKEN": MAX_TOKEN, "OTKLIK_MAX_API_URL": sandbox.base_url})
    else:
        env.update({"OTKLIK_BOT_TOKEN": TOKEN, "OTKLIK_TELEGRAM_API_URL": sandbox.base_url})
    env.update(
        {
            "OTKLIK_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
            "OTKLIK_SECRET_KEY": "bench-secret-key",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


async def spawn(args: Sequence[str], env: dict[str, str], cwd: Path, log: Path) -> Any:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, cwd=cwd, stdout=out, stderr=asyncio.subprocess.STDOUT
        )


async def import_registry(env: dict[str, str], cwd: Path, log: Path) -> None:
    process = await spawn(["-m", "bot.cli", "registry", "import", str(REGISTRY)], env, cwd, log)
    if await process.wait() != 0:
        raise RuntimeError(f"registry import failed, see {log}")


async def fresh_database(
    env: dict[str, str], database: Path, cwd: Path, log: Path, template: Path | None
) -> None:
    """The example registry in a fresh file: imported once, then copied for later phases
    (the same pages, seconds faster than another `registry import`)."""
    if template is not None and template.exists():
        copy_database(template, database)
        return
    await import_registry(env, cwd, log)
    if template is not None:
        copy_database(database, template)


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy whatever is left in the source's WAL."""
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


async def wait_polling(sandbox: StandIn, process: Any, log: Path, limit: float = 120) -> None:
    """Start-up only: wait until the bot's first getUpdates (MAX: GET /updates) arrives."""
    deadline = time.monotonic() + limit
    while sandbox.calls["getupdates"] == 0:
        if process.returncode is not None:
            raise RuntimeError(f"bot exited with {process.returncode} at start-up, see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"bot did not start polling within {limit} s, see {log}")
        await asyncio.sleep(0.05)


async def stop(process: Any) -> int:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
    return int(process.returncode)


def peak_memory_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_rows(database: Path) -> tuple[int, int]:
    """(responses, completed survey sessions)."""
    with sqlite3.connect(database) as connection:
        responses = connection.execute("SELECT count(*) FROM responses").fetchone()[0]
        completed = connection.execute(
            "SELECT count(*) FROM survey_sessions WHERE lower(status) = 'completed'"
        ).fetchone()[0]
    return int(responses), int(completed)


def collected_via(database: Path) -> dict[str, int]:
    """`responses` rows by `collected_via`: a MAX phase's answers must say MAX."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT collected_via, count(*) FROM responses GROUP BY collected_via ORDER BY 1"
        ).fetchall()
    return {str(channel): int(count) for channel, count in rows}


def log_issues(log: Path, upto: int) -> dict[str, int]:
    """Known trouble in the bot's log up to byte `upto` (the end of the measurement: what a
    bot logs while being stopped with requests in flight is not counted)."""
    with log.open("rb") as file:
        text = file.read(upto).decode(errors="replace")
    found = {name: len(pattern.findall(text)) for name, pattern in LOG_PATTERNS.items()}
    return {name: count for name, count in found.items() if count}
