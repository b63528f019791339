"""The replicas scenario's parts: throwaway servers, replicas, the outbox feed, the lease watch."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _crash_crowd import Config, Crowd
from _crash_processes import BotProcess, free_port, short_sender
from _crash_results import Result
from _crash_sandbox import OUTBOX_PREFIX, RecordingSandbox
from sqlalchemy.pool import NullPool

from core.clock import utcnow
from sandbox import SandboxServer
from storage.database import create_engine, create_session_pool
from storage.delivery_models import OutboxLane
from storage.outbox import enqueue

BALANCER = Path(__file__).with_name("_balancer.py")

FIRST_OUTBOX_CHAT = 90_000_000


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str]]:
    from tests.pg_server import postgres_server
    from tests.redis_server import redis_server

    with postgres_server() as database_url, redis_server() as redis_url:
        yield database_url, redis_url


def replica(index: int, hook: str, env: dict[str, str], workdir: Path) -> BotProcess:
    port = free_port()
    args = ["-m", "bot.cli", "run", "--webhook", hook, "--listen", f"127.0.0.1:{port}"]
    if index > 1:
        args.append("--no-register")
    bot = BotProcess(index, args, env, workdir, workdir / f"replica-{index}.log")
    bot.port = port
    return bot


async def feed_outbox(
    database_url: str, config: Config, sandbox: SandboxServer, crowd: Crowd, batches: int = 10
) -> None:
    """Enqueue `config.outbox` messages to sandbox chats in `batches` spread over the run.

    Batch k goes in when k/batches of the respondents have finished, so the sender is at
    work while replicas are killed, whatever the speed of the machine.
    """
    for chat in range(config.outbox_chats):
        sandbox.register_user(FIRST_OUTBOX_CHAT + chat)
    engine = create_engine(database_url)
    pool = create_session_pool(engine)
    try:
        for batch in range(batches):
            await crowd.reached(config.answers * batch // batches)
            async with pool() as session, session.begin():
                for number in range(batch, config.outbox, batches):
                    await enqueue(
                        session,
                        chat_id=FIRST_OUTBOX_CHAT + number % config.outbox_chats,
                        text=f"{OUTBOX_PREFIX}{number}",
                        kind="crash_bench",
                        lane=OutboxLane.ALERT,
                        dedupe_key=f"crash-bench-{number}",
                    )
    finally:
        await engine.dispose()


class LeaseWatch:
    """Samples the `leases` table: who holds the scheduler lease, and is that process alive."""

    def __init__(self, database_url: str, replicas: Sequence[BotProcess]) -> None:
        self.database_url = database_url
        self.replicas = replicas
        self.samples = 0
        self.holders: list[str] = []
        self.max_holders = 0
        self.vacant = 0
        self.dead_holder = 0

    def alive_pids(self) -> set[int]:
        return {pid for r in self.replicas if (pid := r.pid) is not None}

    async def run(self, stop_event: asyncio.Event, interval: float = 0.5) -> None:
        engine = create_engine(self.database_url, pool_size=1, max_overflow=0)
        try:
            while not stop_event.is_set():
                async with engine.connect() as connection:
                    rows = (
                        await connection.execute(
                            sa.text("SELECT holder, expires_at FROM leases WHERE name = :name"),
                            {"name": "scheduler"},
                        )
                    ).all()
                self.samples += 1
                now = utcnow()
                live = [(str(h), e) for h, e in rows if e is not None and _aware(e) > now]
                self.max_holders = max(self.max_holders, len(live))
                if not live:
                    self.vacant += 1
                for holder, _expires in live:
                    if not self.holders or self.holders[-1] != holder:
                        self.holders.append(holder)
                    pid = int(holder.split(":")[1]) if holder.count(":") >= 2 else -1
                    if pid not in self.alive_pids():
                        self.dead_holder += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop_event.wait(), interval)
        finally:
            await engine.dispose()


def _aware(moment: Any) -> Any:

    if isinstance(moment, datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def outbox_figures(result: Result, sandbox: RecordingSandbox, expected: int, origin: float) -> None:
    copies: Counter[str] = Counter(text for _t, _s, _c, text in sandbox.outbox_sends)
    result.outbox_expected = expected
    result.outbox_delivered = sum(
        1 for number in range(expected) if copies[f"{OUTBOX_PREFIX}{number}"]
    )
    result.outbox_missing = expected - result.outbox_delivered
    result.outbox_duplicated = sum(1 for n in copies.values() if n > 1)
    senders: list[str] = []
    runs: list[str] = []
    for _at, sender, _chat, _text in sorted(sandbox.outbox_sends):
        short = short_sender(sender)
        if short not in senders:
            senders.append(short)
        if not runs or runs[-1] != short:
            runs.append(short)
    result.outbox_senders = senders
    result.concurrent_senders = len(runs) - len(set(runs))
    for text, count in copies.items():
        if count > 1:
            sends = [
                (t - origin, short_sender(s)) for t, s, _c, x in sandbox.outbox_sends if x == text
            ]
            detail = ", ".join(f"{s} at {t:.1f} s" for t, s in sends)
            first_at, first_by = sends[0]
            killed = [k.at for k in result.kills if k.sender == first_by and k.at >= first_at]
            why = (
                f"{first_by} was SIGKILLed {killed[0] - first_at:.1f} s after sending, before "
                "it recorded the send: the at-least-once window of bot/delivery.py"
                if killed
                else "its sender was not killed: sent twice by live senders"
            )
            result.outbox_duplicates_detail.append(f"{text}: {count} copies, by {detail}; {why}")


async def duplicated_rows(database_url: str, result: Result) -> list[str]:
    texts = [line.split(":")[0] for line in result.outbox_duplicates_detail]
    if not texts:
        return []
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT text, status, attempts, created_at, sent_at, last_error FROM outbox"
                    " WHERE text IN :texts ORDER BY id"
                ).bindparams(sa.bindparam("texts", expanding=True)),
                {"texts": texts},
            )
            return [" | ".join(str(value) for value in row) for row in rows]
    finally:
        await engine.dispose()


def balancer_counters(log: Path) -> dict[str, Any]:
    for line in reversed(log.read_text(errors="replace").splitlines() if log.exists() else []):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                return dict(json.loads(line))
    return {}
