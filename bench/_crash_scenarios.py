"""The crash test's two scenarios, each on a fresh database, under a seeded kill schedule."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from _crash_crowd import FIRST_USER, Config, Crowd
from _crash_processes import (
    BotProcess,
    bot_env,
    free_port,
    import_registry,
    log_issues,
    settle,
    short_sender,
    spawn,
    stop,
    token_for,
    wait_until,
)
from _crash_replicas import (
    BALANCER,
    LeaseWatch,
    balancer_counters,
    duplicated_rows,
    feed_outbox,
    outbox_figures,
    replica,
    servers,
)
from _crash_results import Result, collect, note_kill, payloads_of
from _crash_sandbox import RecordingSandbox


def kill_points(config: Config, rng: random.Random) -> list[int]:
    """When to kill, as numbers of finished respondents: one random point per window.

    Kill k (1-based) falls in [(k - 1/2) / (kills + 1), (k + 1/2) / (kills + 1)) of the
    answers, so the kills are spread over the whole run, in order, and the last one is due
    before the last respondent finishes (at most answers - 1 finished): with the last
    respondent held back until the kills are done (`Crowd(last_waits_for=…)`), every kill
    is reached, whatever the size of the run.
    """
    slots = config.kills + 1
    return [
        min(int(rng.uniform(k - 0.5, k + 0.5) / slots * config.answers), config.answers - 1)
        for k in range(1, config.kills + 1)
    ]


async def kill_on_schedule(
    config: Config,
    rng: random.Random,
    crowd: Crowd,
    kills_done: asyncio.Event,
    kill: Callable[[], Awaitable[None]],
) -> None:
    """Call `kill` at each of `kill_points` (plus a random 0–1 s); then set `kills_done`."""
    try:
        for point in kill_points(config, rng):
            await crowd.reached(point)
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            await kill()
    finally:
        kills_done.set()  # never leave the last respondent waiting


async def scenario_polling(config: Config, workdir: Path) -> Result:
    """One long-polling bot on a SQLite file, SIGKILLed and restarted on the schedule."""
    result = Result("polling", config.answers, config.concurrency)
    database_url = f"sqlite+aiosqlite:///{workdir / 'polling.db'}"
    rng = random.Random(config.seed * 7 + 1)
    async with RecordingSandbox(callback_ttl=config.callback_ttl) as sandbox:
        env = bot_env(sandbox, database_url, token_for(1, 0), config.timezone)
        bot = BotProcess(1, ["-m", "bot.cli", "run"], env, workdir, workdir / "polling-bot.log")
        result.logs = [str(bot.log)]
        await import_registry(env, workdir, bot.log)
        payloads = await payloads_of(database_url)
        await bot.start()
        await wait_until(lambda: sandbox.calls["getupdates"] > 0, 180, "the bot's first poll")
        kills_done = asyncio.Event()
        crowd = Crowd(sandbox, payloads, config, FIRST_USER, kills_done)
        cpu_before = time.process_time()
        people = asyncio.create_task(crowd.run())

        async def kill() -> None:
            sender = short_sender(bot.token)
            await bot.kill_and_restart()
            note_kill(result, crowd, "the bot", sender)

        killing = asyncio.create_task(kill_on_schedule(config, rng, crowd, kills_done, kill))
        try:
            await asyncio.gather(killing, people)
            await settle(database_url, [bot], replace(config, outbox=0))
        finally:
            result.driver_cpu = time.process_time() - cpu_before
            killing.cancel()
            await asyncio.gather(killing, return_exceptions=True)
            await bot.stop()
        result.bot_cpu = bot.cpu
        await collect(result, crowd, database_url, sandbox)
    result.log_issues = log_issues(bot.log)
    return result


async def scenario_replicas(config: Config, workdir: Path) -> Result:
    """Three webhook replicas on PostgreSQL and Redis; one SIGKILLed, the outbox fed meanwhile."""
    result = Result("replicas", config.answers, config.concurrency)
    rng = random.Random(config.seed * 7 + 2)
    with servers() as (database_url, redis_url):
        async with RecordingSandbox(callback_ttl=config.callback_ttl) as sandbox:
            env = bot_env(sandbox, database_url, token_for(0, 0), config.timezone)
            env["OTKLIK_REDIS_URL"] = redis_url
            await import_registry(env, workdir, workdir / "replicas-setup.log")
            payloads = await payloads_of(database_url)
            balancer_log = workdir / "balancer.log"
            replicas, balancer = await start_replicas(sandbox, env, workdir, balancer_log)
            result.logs = [str(r.log) for r in replicas]
            watch = LeaseWatch(database_url, replicas)
            watching_stop = asyncio.Event()
            watching = asyncio.create_task(watch.run(watching_stop))
            kills_done = asyncio.Event()
            crowd = Crowd(sandbox, payloads, config, FIRST_USER, kills_done)
            cpu_before = time.process_time()
            people = asyncio.create_task(crowd.run())
            feeding = asyncio.create_task(feed_outbox(database_url, config, sandbox, crowd))

            def victim() -> BotProcess:
                if config.victim == "leader" and watch.holders:
                    pid = watch.holders[-1].split(":")[1]
                    for bot in replicas:
                        if str(bot.pid) == pid:
                            return bot
                return replicas[0]

            async def kill() -> None:
                target = victim()
                sender = short_sender(target.token)
                await target.kill_and_restart()
                note_kill(result, crowd, f"replica {target.index}", sender)

            killing = asyncio.create_task(kill_on_schedule(config, rng, crowd, kills_done, kill))
            try:
                await asyncio.gather(killing, people)
                await feeding
                await settle(database_url, replicas, config)
            finally:
                result.driver_cpu = time.process_time() - cpu_before
                killing.cancel()
                await asyncio.gather(killing, return_exceptions=True)
                watching_stop.set()
                await asyncio.gather(watching, return_exceptions=True)
                for bot in replicas:
                    await bot.stop()
                await stop(balancer, signal.SIGTERM)
            result.bot_cpu = sum(bot.cpu for bot in replicas)
            await collect(result, crowd, database_url, sandbox)
            await replica_figures(
                result, sandbox, database_url, config.outbox, crowd, watch, balancer_log
            )
    result.log_issues = {}
    for bot in replicas:
        for name, count in log_issues(bot.log).items():
            result.log_issues[name] = result.log_issues.get(name, 0) + count
    return result


async def start_replicas(
    sandbox: RecordingSandbox, env: dict[str, str], workdir: Path, balancer_log: Path
) -> tuple[list[BotProcess], Any]:
    """Three webhook replicas behind the balancer, each healthy; the first registers alone."""
    lb_port = free_port()
    hook = f"http://127.0.0.1:{lb_port}/hook"
    replicas = [replica(i, hook, env, workdir) for i in (1, 2, 3)]
    upstreams = [f"http://127.0.0.1:{r.port}" for r in replicas]
    balancer = await spawn(
        [str(BALANCER), "--listen", f"127.0.0.1:{lb_port}", *upstreams],
        env,
        workdir,
        balancer_log,
    )
    # The first replica starts alone: it takes the scheduler lease and registers.
    await replicas[0].start()
    await wait_until(lambda: bool(sandbox.webhook and sandbox.webhook.url), 180, "the webhook")
    for bot in replicas[1:]:
        await bot.start()
    for bot in replicas:
        await wait_until(bot.healthy, 180, f"replica {bot.index}", 0.2)
    return replicas, balancer


async def replica_figures(
    result: Result,
    sandbox: RecordingSandbox,
    database_url: str,
    expected: int,
    crowd: Crowd,
    watch: LeaseWatch,
    balancer_log: Path,
) -> None:
    """The replicas' own figures: outbox copies and senders, lease holders, the balancer."""
    outbox_figures(result, sandbox, expected, crowd.started)
    result.outbox_rows = await duplicated_rows(database_url, result)
    result.lease_samples = watch.samples
    result.lease_holders = watch.holders
    result.lease_max_holders = watch.max_holders
    result.lease_vacant_samples = watch.vacant
    result.lease_dead_holder_samples = watch.dead_holder
    result.balancer = balancer_counters(balancer_log)
