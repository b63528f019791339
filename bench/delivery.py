"""Benchmark: the outbox sender (bot/delivery.py) pushing a bulk campaign through flood limits.

N messages to N private chats (one each) go through the in-process sandbox Bot API with its
global flood limit set to R messages/s (per chat 1/s), sent by one `OutboxSender(bot, pool,
rate_per_second=R)` until no pending row remains. The sandbox answers, with a fixed seed,
2% of sendMessage calls with 429 (retry_after 1) and 1% with 500; 1% of the users have blocked
the bot up front (`block_user`), so every send to them is a stable 403.

Printed: achieved rate ÷ R (over the delivery span and over the wall time of the run),
messages lost and duplicated (each text carries a unique marker read back from the sandbox
chats), people marked unreachable against blocked users, the sandbox's 429 counts, and a
profile of where the sender's time went (global pauses after 429, passes, database).

    python bench/delivery.py                          # 10 000 messages at R = 200/s
    python bench/delivery.py --messages 2000 --rate 100
    python bench/delivery.py --quick                  # 300 messages at R = 100/s
    python bench/delivery.py --no-faults              # diagnosis: flood limit only
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from aiogram import Bot  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bench._delivery_profile import DeliveryClock, LoopLag, Profile  # noqa: E402
from bench._delivery_result import DeliveryResult, Run, Timings, marker, report, tally  # noqa: E402
from bot.delivery import OutboxSender  # noqa: E402
from bot.factory import create_bot  # noqa: E402
from core.settings import Settings  # noqa: E402
from sandbox import SandboxServer  # noqa: E402
from storage.database import SessionPool, create_engine, create_session_pool  # noqa: E402
from storage.delivery_models import OutboxLane, OutboxMessage, OutboxStatus  # noqa: E402
from storage.migrate import upgrade_database  # noqa: E402
from storage.models import Person  # noqa: E402
from storage.outbox import enqueue  # noqa: E402

TOKEN = "1000001:bench-token-for-the-sandbox-only"
FIRST_CHAT = 5_000_000

SenderFactory = Callable[..., OutboxSender]


async def prepare(
    pool: SessionPool, sandbox: SandboxServer, chats: list[int], blocked: set[int]
) -> None:
    """Users and chats in the sandbox, Person rows, and the campaign queued in one transaction."""
    for chat_id in chats:
        sandbox.register_user(chat_id, first_name=f"Bench {chat_id}")
    for chat_id in blocked:
        sandbox.block_user(chat_id, emit_update=False)
    async with pool() as session, session.begin():
        await session.execute(
            sa.insert(Person),
            [{"telegram_id": chat_id, "full_name": f"Bench {chat_id}"} for chat_id in chats],
        )
    async with pool() as session, session.begin():
        for index, chat_id in enumerate(chats):
            await enqueue(
                session,
                chat_id=chat_id,
                text=f"Оцените, пожалуйста, полученную услугу. {marker(index)}",
                kind="bench",
                lane=OutboxLane.BULK,
            )


def pending_rows(database: Path) -> int:
    """Read with the stdlib driver (a plain WAL reader) so the sender's locks are untouched."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
        return int(
            connection.execute(
                "SELECT count(*) FROM outbox WHERE status = ?", (OutboxStatus.PENDING.value,)
            ).fetchone()[0]
        )


async def run_benchmark(
    messages: int = 10_000,
    rate: float = 200.0,
    *,
    retry_after_share: float = 0.02,
    server_error_share: float = 0.01,
    blocked_share: float = 0.01,
    seed: int = 20240601,
    sandbox_burst: float | None = None,
    sender_factory: SenderFactory = OutboxSender,
    sender_name: str = "bot.delivery",
    workdir: Path | None = None,
    limit_s: float = 900.0,
    progress: Callable[[str], None] | None = None,
) -> DeliveryResult:
    """Run one campaign end to end; see the module docstring."""
    say = progress or (lambda _text: None)
    with tempfile.TemporaryDirectory(prefix="otklik-delivery-") as tmp:
        directory = workdir or Path(tmp)
        database = fresh_database(directory)
        url = f"sqlite+aiosqlite:///{database}"
        chats, blocked = campaign_chats(messages, blocked_share, seed)

        setup_start = time.monotonic()
        engine = create_engine(url)
        sandbox = SandboxServer(token=TOKEN, fault_seed=seed)
        bot: Bot | None = None
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        try:
            await sandbox.start()
            await upgrade_database(engine)
            pool = create_session_pool(engine)
            await prepare(pool, sandbox, chats, blocked)
            inject_faults(sandbox, rate, sandbox_burst, retry_after_share, server_error_share)
            bot = create_bot(bench_settings(url, sandbox, directory))
            clock = DeliveryClock()
            bot.session.middleware(clock)
            sender = sender_factory(bot, pool, rate_per_second=rate)
            profile = Profile()
            profile.attach(sender)
            setup_s = time.monotonic() - setup_start
            say(f"setup {setup_s:.1f} s; sending {messages} messages at R = {rate:g}/s")

            lag = LoopLag()
            run_start, cpu_start = time.monotonic(), time.process_time()
            tasks = [
                asyncio.create_task(sender.run(stop)),
                asyncio.create_task(lag.watch(stop)),
            ]
            await wait_until_sent(database, tasks[0], clock, run_start, limit_s, say)
            run_end, cpu_s = time.monotonic(), time.process_time() - cpu_start
            load = os.getloadavg()[0]
            stop.set()
            for task in tasks:
                await task
            statuses, unreachable = await outcome_rows(pool)
        finally:
            stop.set()
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if bot is not None:
                await bot.session.close()
            await sandbox.stop()
            await engine.dispose()

    return tally(
        Run(messages, rate, sender_name, chats, blocked),
        sandbox,
        clock.accepted,
        statuses,
        unreachable,
        Timings(setup_s, run_start, run_end, cpu_s, load),
        sender_stats=asdict(sender.stats),
        profile=profile.summary(run_start, run_end) | lag.summary(),
    )


def fresh_database(directory: Path) -> Path:
    """The benchmark's database file in `directory`, with any earlier run's files removed."""
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "delivery.db"
    for stale in directory.glob("delivery.db*"):
        stale.unlink()
    return database


def campaign_chats(messages: int, blocked_share: float, seed: int) -> tuple[list[int], set[int]]:
    """One private chat per message, and the seeded share of people who blocked the bot."""
    rng = random.Random(seed)
    chats = [FIRST_CHAT + index for index in range(messages)]
    return chats, set(rng.sample(chats, round(messages * blocked_share)))


def inject_faults(
    sandbox: SandboxServer,
    rate: float,
    sandbox_burst: float | None,
    retry_after_share: float,
    server_error_share: float,
) -> None:
    """Telegram's flood limits at R, plus the seeded 429 and 5xx answers of sendMessage."""
    sandbox.set_rate_limits(
        True,
        global_rate=rate,
        per_chat_rate=1,
        **({"global_burst": sandbox_burst} if sandbox_burst else {}),
    )
    if retry_after_share:
        sandbox.add_fault(
            "retry_after",
            probability=retry_after_share,
            method="sendMessage",
            retry_after=1,
        )
    if server_error_share:
        # Rules are tried in order with independent draws: condition on "not a 429"
        # so that the share of all answers is the one asked for.
        sandbox.add_fault(
            "server_error",
            probability=server_error_share / (1 - retry_after_share),
            method="sendMessage",
        )


def bench_settings(url: str, sandbox: SandboxServer, directory: Path) -> Settings:
    """The bot's settings: the benchmark's database and the sandbox as Telegram."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TOKEN),
        database_url=url,
        telegram_api_url=sandbox.base_url,
        data_dir=directory / "var",
    )


async def wait_until_sent(
    database: Path,
    sending: asyncio.Task[None],
    clock: DeliveryClock,
    run_start: float,
    limit_s: float,
    say: Callable[[str], None],
) -> None:
    """Until no outbox row is pending, with progress every 10 s; fails if the sender stops."""
    last_report = run_start
    while await asyncio.to_thread(pending_rows, database):
        if sending.done():
            sending.result()
            raise RuntimeError("the sender stopped with rows pending")
        now = time.monotonic()
        if now - run_start > limit_s:
            raise TimeoutError(f"rows still pending after {limit_s:.0f} s")
        if now - last_report >= 10:
            last_report = now
            say(f"  {now - run_start:5.0f} s: {len(clock.accepted)} delivered")
        await asyncio.sleep(0.1)


async def outcome_rows(
    pool: SessionPool,
) -> tuple[dict[int | None, OutboxStatus], set[int | None]]:
    """Each chat's outbox status, and the people marked unreachable."""
    async with pool() as session:
        result = await session.execute(sa.select(OutboxMessage.chat_id, OutboxMessage.status))
        statuses = {chat_id: status for chat_id, status in result}
        unreachable = set(
            (
                await session.scalars(
                    sa.select(Person.telegram_id).where(Person.unreachable.is_(True))
                )
            ).all()
        )
    return statuses, unreachable


def sender_factory(name: str = "current", max_burst: float = 10.0) -> SenderFactory:
    """The sender under test: bot.delivery.OutboxSender (the prototype fixes now live there)."""
    return OutboxSender


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="R, messages per second")
    parser.add_argument("--quick", action="store_true", help="300 messages at R = 100")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--sandbox-burst", type=float, default=None, help="sandbox global burst (default 30)"
    )
    parser.add_argument("--no-faults", action="store_true", help="no 429/5xx faults, no blocks")
    parser.add_argument(
        "--sender",
        choices=("current",),
        default="current",
        help="current: bot.delivery.OutboxSender (the earlier prototype fixes are ported)",
    )
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.rate = 300, 100.0
    faults = 0.0 if args.no_faults else 1.0
    name = "bot.delivery"
    result = asyncio.run(
        run_benchmark(
            args.messages,
            args.rate,
            seed=args.seed,
            sandbox_burst=args.sandbox_burst,
            sender_factory=sender_factory(args.sender),
            sender_name=name + (", no faults" if args.no_faults else ""),
            progress=lambda text: print(text, flush=True),
            retry_after_share=0.02 * faults,
            server_error_share=0.01 * faults,
            blocked_share=0.01 * faults,
        )
    )
    print(report(result))
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False))
    # The rate depends on the machine; a non-zero exit means something was lost or duplicated.
    correct = [name for name in result.goals if not name.startswith("rate")]
    return 0 if all(result.goals[name] for name in correct) else 1


if __name__ == "__main__":
    sys.exit(main())
