"""One round of bench/survey_throughput.py: the real bot's phase, then the echo bot's.

`run_otklik` also serves bench/channel_throughput.py: the real bot in either stand-in.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _survey_plans import Script, Step, echo_plan, plans, respondent
from _survey_processes import (
    ECHO_BOT,
    USER_ID,
    StandIn,
    bot_env,
    count_rows,
    cpu_seconds,
    fresh_database,
    log_issues,
    peak_memory_mb,
    spawn,
    stop,
    wait_polling,
)

from sandbox import MaxSandboxServer, SandboxServer
from sandbox.simulated import SimulatedUser

RATIO_GOAL = 0.5
MEMORY_GOAL_MB = 200.0
MAX_REQUESTS_PER_S = 30.0
"""MAX Bot API's limit: 30 requests a second per bot, every request counted (dev.max.ru)."""


@dataclass
class Options:
    answer_timeout: float = 120.0
    """SimulatedUser's wait for each answer."""
    deadline: float = 600.0
    """Respondents still unfinished this long after the start are cancelled (not completed)."""
    callback_ttl: float | None = None
    """Sandbox's answerCallbackQuery deadline; None makes it the answer timeout (see README)."""
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])
    """1-minute load average when the benchmark started (other work on the machine)."""

    @property
    def ttl(self) -> float:
        return self.answer_timeout if self.callback_ttl is None else self.callback_ttl


@dataclass
class Phase:
    bot: str
    respondents: int
    completed: int = 0
    planned: int = 0
    updates: int = 0
    answered: int = 0
    seconds: float = 0.0
    """From the start to the last answer: the denominator of the rates."""
    wall: float = 0.0
    """From the start until every respondent finished, failed or was cancelled."""
    latency_median: float = 0.0
    latency_p95: float = 0.0
    latency_max: float = 0.0
    bot_cpu: float = 0.0
    driver_cpu: float = 0.0
    peak_mb: float = 0.0
    responses_rows: int | None = None
    sessions_completed: int | None = None
    failures: list[str] = field(default_factory=list)
    log_issues: dict[str, int] = field(default_factory=dict)
    api_errors: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None
    log: str = ""
    messenger: str = "telegram"
    limits: dict[str, float | bool] = field(default_factory=dict)
    """The stand-in's flood limits during the phase (``enabled`` False: none)."""
    requests: dict[str, int] = field(default_factory=dict)
    """Bot API requests the stand-in served during the phase, by operation."""
    rate_limited: int = 0
    """Requests the stand-in refused with 429 during the phase."""
    collected_via: dict[str, int] = field(default_factory=dict)
    """`responses` rows by the channel they were collected through (channel benchmark)."""

    @property
    def requests_per_update(self) -> float:
        """Served requests per answered update: what one update costs of a request budget."""
        return sum(self.requests.values()) / self.answered if self.answered else 0.0

    @property
    def updates_per_s(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def questionnaires_per_s(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_update(self) -> float:
        """Bot CPU per answered update: steadier than rates on a shared machine."""
        return 1000 * self.bot_cpu / self.answered if self.answered else 0.0


def sandbox_for(options: Options, messenger: str = "telegram") -> StandIn:
    if messenger == "max":
        return MaxSandboxServer(callback_ttl=options.ttl)
    return SandboxServer(callback_ttl=options.ttl)


async def drive(
    sandbox: StandIn,
    phase: Phase,
    pid: int,
    plans: Sequence[Sequence[Step]],
    first_user: int,
    options: Options,
) -> None:
    """Start every respondent at once (fresh user ids) and wait for all; fill in figures."""
    scripts = [Script() for _ in plans]
    users = [
        SimulatedUser(sandbox, first_user + i, timeout=options.answer_timeout)
        for i in range(len(plans))
    ]
    served_before = dict(sandbox.calls_ok)
    limited_before = sandbox.counters["rate_limited"]
    cpu_bot, cpu_driver = cpu_seconds(pid), time.process_time()
    started = time.perf_counter()
    tasks = [
        asyncio.ensure_future(respondent(user, plan, script))
        for user, plan, script in zip(users, plans, scripts, strict=True)
    ]
    done, pending = await asyncio.wait(tasks, timeout=options.deadline)
    phase.wall = time.perf_counter() - started
    phase.bot_cpu = cpu_seconds(pid) - cpu_bot
    phase.driver_cpu = time.process_time() - cpu_driver
    served = {key: n - served_before.get(key, 0) for key, n in sandbox.calls_ok.items()}
    phase.requests = {key: n for key, n in sorted(served.items()) if n}
    phase.rate_limited = sandbox.counters["rate_limited"] - limited_before
    phase.limits = dict(sandbox.get_rate_limits())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    phase.planned = sum(len(plan) for plan in plans)
    phase.updates = sum(script.sent for script in scripts)
    phase.answered = sum(script.answered for script in scripts)
    # Rates are taken over the time until the last answer: a stuck respondent's timeout
    # (or the deadline) is not work done by the bot.
    phase.seconds = max((s.last_answer - started for s in scripts if s.answered), default=0.0)
    phase.completed = sum(1 for task in done if task.exception() is None)
    latencies = sorted(x for script in scripts for x in script.latencies)
    if latencies:
        phase.latency_median = latencies[len(latencies) // 2]
        phase.latency_p95 = latencies[int(len(latencies) * 0.95)]
        phase.latency_max = latencies[-1]
    errors = Counter(
        f"{type(error).__name__}: {USER_ID.sub('user N', str(error))[:240]}"
        for task in done
        if (error := task.exception()) is not None
    )
    if pending:
        errors[f"still unfinished after the {options.deadline:.0f} s deadline"] = len(pending)
    phase.failures = [f"{count} × {text}" for text, count in errors.most_common(4)]
    stats = sandbox.stats()
    phase.api_errors = {str(code): n for code, n in stats["errors"].items()}
    if stats["updates_created"] != phase.updates:
        phase.failures.append(
            f"sandbox created {stats['updates_created']} updates, respondents sent {phase.updates}"
        )


async def run_otklik(
    respondents: int,
    workdir: Path,
    options: Options,
    *,
    messenger: str = "telegram",
    name: str = "otklik",
    steps: list[list[Step]] | None = None,
    limits: bool = False,
    template: Path | None = None,
) -> tuple[Phase, list[list[Step]]]:
    """The real bot as `otklik run` on a fresh SQLite file loaded with the example registry.

    `messenger` picks the stand-in (the bot gets only that messenger's token and URL);
    `steps` reuses another phase's plans; `limits` switches the stand-in's flood limits on
    once the bot polls (MAX: 30 requests a second, every request counted, as MAX has it);
    `template` keeps the imported registry for the next phase (see `fresh_database`).
    """
    phase = Phase(name, respondents, messenger=messenger)
    prefix = name if name == "otklik" else f"otklik-{name}"
    database = workdir / f"{prefix}-{respondents}.db"
    log = workdir / f"{prefix}-{respondents}.log"
    phase.log = str(log)
    async with sandbox_for(options, messenger) as sandbox:
        env = bot_env(sandbox, database)
        await fresh_database(env, database, workdir, log, template)
        steps = plans(database, respondents) if steps is None else steps
        process = await spawn(["-m", "bot.cli", "run"], env, workdir, log)
        try:
            await wait_polling(sandbox, process, log)
            if limits:  # one bucket: 30 a second, at most 30 at once
                sandbox.set_rate_limits(
                    True, global_rate=MAX_REQUESTS_PER_S, global_burst=MAX_REQUESTS_PER_S
                )
            await drive(sandbox, phase, process.pid, steps, 10_000_000, options)
            phase.peak_mb = peak_memory_mb(process.pid)
            measured = log.stat().st_size
        finally:
            phase.exit_code = await stop(process)
    phase.responses_rows, phase.sessions_completed = count_rows(database)
    phase.log_issues = log_issues(log, measured)
    return phase, steps


async def run_echo(steps: Sequence[Sequence[Step]], workdir: Path, options: Options) -> Phase:
    """The bare echo bot, given the same messages and presses as the real bot's respondents."""
    phase = Phase("echo", len(steps))
    log = workdir / f"echo-{len(steps)}.log"
    phase.log = str(log)
    async with sandbox_for(options) as sandbox:
        env = bot_env(sandbox, workdir / "unused.db")
        process = await spawn([str(ECHO_BOT)], env, workdir, log)
        try:
            await wait_polling(sandbox, process, log)
            echo_steps = [echo_plan(plan) for plan in steps]
            await drive(sandbox, phase, process.pid, echo_steps, 20_000_000, options)
            phase.peak_mb = peak_memory_mb(process.pid)
            measured = log.stat().st_size
        finally:
            phase.exit_code = await stop(process)
    phase.log_issues = log_issues(log, measured)
    return phase


@dataclass
class Round:
    respondents: int
    otklik: Phase
    echo: Phase

    @property
    def ratio(self) -> float:
        echo = self.echo.updates_per_s
        return self.otklik.updates_per_s / echo if echo else 0.0

    @property
    def all_completed(self) -> bool:
        return (
            self.otklik.completed == self.respondents
            and self.otklik.responses_rows == self.respondents
        )

    @property
    def goals(self) -> dict[str, bool]:
        return {
            f"ratio ≥ {RATIO_GOAL}": self.ratio >= RATIO_GOAL,
            "every questionnaire completed": self.all_completed,
            f"peak memory ≤ {MEMORY_GOAL_MB:.0f} MB": self.otklik.peak_mb <= MEMORY_GOAL_MB,
        }


async def run_round(respondents: int, workdir: Path, options: Options) -> Round:
    print(f"\n== {respondents} concurrent respondents", flush=True)
    otklik, steps = await run_otklik(respondents, workdir, options)
    print(f"   otklik: {summary(otklik)}", flush=True)
    echo = await run_echo(steps, workdir, options)
    print(f"   echo:   {summary(echo)}", flush=True)
    return Round(respondents, otklik, echo)


def summary(phase: Phase) -> str:
    return (
        f"{phase.completed}/{phase.respondents} completed, {phase.answered}/{phase.updates} "
        f"updates answered in {phase.seconds:.1f} s ({phase.updates_per_s:.0f}/s), "
        f"peak {phase.peak_mb:.0f} MB"
    )
