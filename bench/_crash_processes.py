"""The bot processes of the crash test: spawned, killed with SIGKILL, restarted, waited for."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from _crash_crowd import Config
from sqlalchemy.pool import NullPool

from sandbox import SandboxServer
from storage.database import create_engine

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "examples" / "registry.xlsx"

TOKEN_PREFIX = "1000001:crash-bench-token"
SECRET_KEY = "crash-bench-secret-key"

LOG_PATTERNS = {
    "Traceback": re.compile(r"^Traceback", re.MULTILINE),
    "ERROR lines": re.compile(r" ERROR "),
    "query is too old": re.compile(r"query is too old"),
    "recovered at start-up": re.compile(r"recovered \d+ updates"),
    "updates given up (inbox)": re.compile(r"given up after"),
    "applied concurrently (DuplicateUpdate)": re.compile(r"applied concurrently"),
    "seen before; skipped": re.compile(r"seen before; skipped"),
    "database is locked": re.compile(r"database is locked"),
}
RECOVERED = re.compile(r"recovered (\d+) updates")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(sandbox: SandboxServer, database_url: str, token: str, timezone: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    env.update(
        {
            "OTKLIK_BOT_TOKEN": token,
            "OTKLIK_TELEGRAM_API_URL": sandbox.base_url,
            "OTKLIK_DATABASE_URL": database_url,
            "OTKLIK_SECRET_KEY": SECRET_KEY,
            "OTKLIK_TIMEZONE": timezone,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


def token_for(replica: int, incarnation: int) -> str:
    """One token per bot process, so the sandbox can tell who sent what."""
    return f"{TOKEN_PREFIX}-r{replica}-i{incarnation}"


async def spawn(args: Sequence[str], env: dict[str, str], cwd: Path, log: Path) -> Any:
    with log.open("ab") as out:
        out.write(f"\n===== {time.strftime('%H:%M:%S')} start: {' '.join(args)}\n".encode())
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, cwd=cwd, stdout=out, stderr=asyncio.subprocess.STDOUT
        )


async def import_registry(env: dict[str, str], cwd: Path, log: Path) -> None:
    process = await spawn(["-m", "bot.cli", "registry", "import", str(REGISTRY)], env, cwd, log)
    if await process.wait() != 0:
        raise RuntimeError(f"registry import failed, see {log}")


async def stop(process: Any, sig: int = signal.SIGINT) -> int:
    if process.returncode is None:
        process.send_signal(sig)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
    return int(process.returncode)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_issues(log: Path) -> dict[str, int]:
    text = log.read_text(errors="replace") if log.exists() else ""
    found = {name: len(pattern.findall(text)) for name, pattern in LOG_PATTERNS.items()}
    found["updates recovered at start-up"] = sum(int(n) for n in RECOVERED.findall(text))
    return {name: count for name, count in found.items() if count}


async def wait_until(
    check: Callable[[], Awaitable[bool] | bool], limit: float, what: str, step: float = 0.05
) -> None:
    """Start-up only: poll `check` until true."""
    deadline = time.monotonic() + limit
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not within {limit:.0f} s")
        await asyncio.sleep(step)


class BotProcess:
    """One bot (or replica) command; every restart is a new incarnation with its own token."""

    def __init__(
        self, index: int, args: Sequence[str], env: dict[str, str], workdir: Path, log: Path
    ) -> None:
        self.index = index
        self.args = list(args)
        self.env = env
        self.workdir = workdir
        self.log = log
        self.incarnation = 0
        self.process: Any = None
        self.cpu = 0.0
        """CPU seconds of the incarnations that have ended."""
        self.port: int | None = None

    @property
    def token(self) -> str:
        return token_for(self.index, self.incarnation)

    @property
    def pid(self) -> int | None:
        alive = self.process is not None and self.process.returncode is None
        return int(self.process.pid) if alive else None

    async def start(self) -> None:
        env = {**self.env, "OTKLIK_BOT_TOKEN": self.token}
        self.process = await spawn(self.args, env, self.workdir, self.log)

    async def kill_and_restart(self) -> None:
        self.cpu += cpu_seconds(self.process.pid)
        self.process.kill()
        await self.process.wait()
        self.incarnation += 1
        await self.start()

    async def stop(self) -> None:
        if self.process is not None:
            self.cpu += cpu_seconds(self.process.pid)
            await stop(self.process)

    async def healthy(self) -> bool:
        try:
            async with aiohttp.ClientSession() as session:
                url = f"http://127.0.0.1:{self.port}/healthz"
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    return answer.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"replica {self.index} exited, see {self.log}") from None
            return False


def short_sender(token: str) -> str:
    """r<replica>-i<incarnation> from a bench token."""
    return "-".join(token.rsplit("-", 2)[-2:])


async def scalar(database_url: str, query: str) -> int:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            value = await connection.scalar(sa.text(query))
    finally:
        await engine.dispose()
    return int(value or 0)


PENDING_INBOX = "SELECT count(*) FROM inbox WHERE status = 'pending'"
SENT_OUTBOX = "SELECT count(*) FROM outbox WHERE kind = 'crash_bench' AND status = 'sent'"


async def settle(database_url: str, bots: Sequence[BotProcess], config: Config) -> None:
    """After the last respondent: every replica up, the inbox drained, the outbox sent.

    A killed replica's accepted updates wait in the inbox until a restart recovers them;
    their late effects (messages after the thanks) are part of the figures, so wait for
    them — but not forever: what is still pending after a minute is reported as such.
    """
    for bot in bots:
        if bot.port is not None:
            await wait_until(bot.healthy, 240, f"replica {bot.index} after the run", 0.5)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pending = await scalar(database_url, PENDING_INBOX)
        sent = await scalar(database_url, SENT_OUTBOX) if config.outbox else 0
        if pending == 0 and sent >= config.outbox:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(2.0)  # the renders that follow the last commits
