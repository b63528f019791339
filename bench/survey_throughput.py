"""Benchmark: concurrent respondents completing the touchpoint questionnaire over HTTP.

The real bot (`python -m bot.cli run`, a separate process, SQLite file database loaded with
`examples/registry.xlsx`) and a bare aiogram echo bot (`bench/echo_bot.py`, also a process)
are driven through the same in-process sandbox Bot API by simulated people with fresh user
ids, all started at once. Each respondent follows a seeded plan (a touchpoint of the registry,
consent, rating, the conditional questions, comment or skip, segment); the echo bot's
respondents send the same plans' messages and button presses, each waited for an answer, so
updates/s compare like for like.

For each concurrency it prints updates/s and questionnaires/s of both bots and the ratio
(real/echo), checks that every questionnaire completed (rows of `responses` = respondents)
and reads the real bot's peak memory (VmHWM of /proc/<pid>/status).

    python bench/survey_throughput.py                        # 500 and 2 000, README updated
    python bench/survey_throughput.py --respondents 100      # any sizes
    python bench/survey_throughput.py --quick                # 20 respondents, README untouched
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from _readme import README, write_figures  # noqa: E402

from sandbox import SandboxServer  # noqa: E402
from sandbox.telegram.simulated import SimulatedUser  # noqa: E402

REGISTRY = ROOT / "examples" / "registry.xlsx"
ECHO_BOT = Path(__file__).with_name("echo_bot.py")
TOKEN = "1000001:bench-token-for-the-sandbox-only"
RATIO_GOAL = 0.5
MEMORY_GOAL_MB = 200.0

SEGMENTS = ("Гражданин", "Пенсионер", "Многодетная семья", "Индивидуальный предприниматель")
PROBLEMS = ("Время ожидания", "Очередь", "Вежливость", "Доступность информации")
CRITICALITY = ("Низкая", "Средняя", "Высокая")
LOG_PATTERNS = {
    "database is locked": re.compile(r"database is locked"),
    "pool timeout": re.compile(r"QueuePool limit"),
    "query is too old": re.compile(r"query is too old"),
    "Traceback": re.compile(r"^Traceback", re.MULTILINE),
    "ERROR lines": re.compile(r" ERROR "),
}

USER_ID = re.compile(r"user \d+")


@dataclass(frozen=True)
class Step:
    """One update a respondent sends and the words that show it was answered."""

    kind: str  # "say" (a message) or "tap" (a callback button, by its label)
    text: str
    expect: str


def questionnaire_plan(payload: str, stages: Sequence[str], rng: random.Random) -> list[Step]:
    """A citizen who scanned a touchpoint's QR code completes the touchpoint questionnaire.

    The path follows the questionnaire: a rating of 3 or less adds what went wrong (one or
    two problems, then Done), the stage (when the process has stages) and the criticality;
    40 % leave a comment, the rest skip it; the segment is asked once per person.
    """
    steps = [
        Step("say", f"/start {payload}", "Прежде чем начать"),
        Step("tap", "Согласен", "Вопрос 1"),
    ]
    score = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 6, 8])[0]
    steps.append(Step("tap", str(score), "Вопрос 2"))
    if score <= 3:
        for problem in rng.sample(PROBLEMS, k=rng.randint(1, 2)):
            steps.append(Step("tap", problem, "Что пошло не так"))
        steps.append(Step("tap", "Готово", "Вопрос 3"))
        if stages:
            steps.append(Step("tap", rng.choice(stages), "серьёзной"))
        steps.append(Step("tap", rng.choice(CRITICALITY), "комментарий"))
    if rng.random() < 0.4:
        comment = "Спасибо, всё понятно" if score > 3 else "Долго ждал ответа"
        steps.append(Step("say", comment, "кем вы обратились"))
    else:
        steps.append(Step("tap", "Пропустить", "кем вы обратились"))
    steps.append(Step("tap", rng.choice(SEGMENTS), "Спасибо"))
    return steps


def echo_plan(plan: Sequence[Step]) -> list[Step]:
    """The same messages and button presses for the echo bot, with its own answers."""
    steps: list[Step] = []
    taps = 0
    for step in plan:
        if step.kind == "say":
            taps = 0
            steps.append(Step("say", step.text, step.text))
        else:
            taps += 1
            steps.append(Step("tap", "tap", f"tapped {taps}"))
    return steps


@dataclass
class Script:
    """What one respondent sent, how many of those were answered, and how fast."""

    sent: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    last_answer: float = 0.0


async def respondent(user: SimulatedUser, plan: Sequence[Step], script: Script) -> None:
    """Send each update and wait (event-driven) until the bot's answer shows `expect`."""
    for step in plan:
        script.sent += 1
        started = time.perf_counter()
        if step.kind == "say":
            await user.say(step.text, expect=step.expect)
        else:
            await user.tap(step.text, expect=step.expect)
        script.last_answer = time.perf_counter()
        script.latencies.append(script.last_answer - started)
        script.answered += 1


# ---------------------------------------------------------------------------- processes


def bot_env(sandbox: SandboxServer, database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}
    env.update(
        {
            "OTKLIK_BOT_TOKEN": TOKEN,
            "OTKLIK_TELEGRAM_API_URL": sandbox.base_url,
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


async def wait_polling(sandbox: SandboxServer, process: Any, log: Path, limit: float = 120) -> None:
    """Start-up only: wait until the bot's first getUpdates reaches the sandbox."""
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


def touchpoints(database: Path) -> list[tuple[str, list[str]]]:
    """(payload, process stages) of the active external touchpoints the import left."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT t.payload, p.stages FROM touchpoints t JOIN processes p ON p.id = t.process_id"
            " WHERE t.active AND p.active AND lower(p.client_type) = 'external' ORDER BY t.code"
        ).fetchall()
    return [(str(payload), list(json.loads(stages or "[]"))) for payload, stages in rows]


def plans(database: Path, respondents: int) -> list[list[Step]]:
    """A fixed mix of touchpoints and answers for this many respondents (seeded)."""
    places = touchpoints(database)
    if not places:
        raise RuntimeError("the example registry gave no external touchpoints")
    rng = random.Random(respondents)
    return [questionnaire_plan(*rng.choice(places), rng) for _ in range(respondents)]


def count_rows(database: Path) -> tuple[int, int]:
    """(responses, completed survey sessions)."""
    with sqlite3.connect(database) as connection:
        responses = connection.execute("SELECT count(*) FROM responses").fetchone()[0]
        completed = connection.execute(
            "SELECT count(*) FROM survey_sessions WHERE lower(status) = 'completed'"
        ).fetchone()[0]
    return int(responses), int(completed)


def log_issues(log: Path, upto: int) -> dict[str, int]:
    """Known trouble in the bot's log up to byte `upto` (the end of the measurement: what a
    bot logs while being stopped with requests in flight is not counted)."""
    with log.open("rb") as file:
        text = file.read(upto).decode(errors="replace")
    found = {name: len(pattern.findall(text)) for name, pattern in LOG_PATTERNS.items()}
    return {name: count for name, count in found.items() if count}


# -------------------------------------------------------------------------------- phases


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


def sandbox_for(options: Options) -> SandboxServer:
    return SandboxServer(callback_ttl=options.ttl)


async def drive(
    sandbox: SandboxServer,
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
    respondents: int, workdir: Path, options: Options
) -> tuple[Phase, list[list[Step]]]:
    """The real bot as `otklik run` on a fresh SQLite file loaded with the example registry."""
    phase = Phase("otklik", respondents)
    database = workdir / f"otklik-{respondents}.db"
    log = workdir / f"otklik-{respondents}.log"
    phase.log = str(log)
    async with sandbox_for(options) as sandbox:
        env = bot_env(sandbox, database)
        await import_registry(env, workdir, log)
        steps = plans(database, respondents)
        process = await spawn(["-m", "bot.cli", "run"], env, workdir, log)
        try:
            await wait_polling(sandbox, process, log)
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


# ------------------------------------------------------------------------------ output


def summary(phase: Phase) -> str:
    return (
        f"{phase.completed}/{phase.respondents} completed, {phase.answered}/{phase.updates} "
        f"updates answered in {phase.seconds:.1f} s ({phase.updates_per_s:.0f}/s), "
        f"peak {phase.peak_mb:.0f} MB"
    )


def table(result: Round) -> list[str]:
    real, echo = result.otklik, result.echo

    def row(name: str, otklik: str, baseline: str, ratio: str = "") -> str:
        return f"| {name} | {otklik} | {baseline} | {ratio} |"

    def both(name: str, fmt: str, attribute: str) -> str:
        return row(
            name, format(getattr(real, attribute), fmt), format(getattr(echo, attribute), fmt)
        )

    def latency(phase: Phase) -> str:
        return f"{phase.latency_median:.2f} / {phase.latency_p95:.2f} / {phase.latency_max:.2f}"

    return [
        row("", "Otklik (real bot)", "echo bot", "real/echo"),
        "|---|---:|---:|---:|",
        row(
            "updates/s",
            f"{real.updates_per_s:.0f}",
            f"{echo.updates_per_s:.0f}",
            f"**{result.ratio:.2f}**",
        ),
        both("questionnaires/s", ".1f", "questionnaires_per_s"),
        row(
            "questionnaires completed",
            f"{real.completed}/{real.respondents}",
            f"{echo.completed}/{echo.respondents}",
        ),
        row("`responses` rows", str(real.responses_rows), "—"),
        row(
            "updates answered / sent / planned",
            f"{real.answered} / {real.updates} / {real.planned}",
            f"{echo.answered} / {echo.updates} / {echo.planned}",
        ),
        both("time to the last answer, s", ".1f", "seconds"),
        both("wall time (incl. waiting for stuck respondents), s", ".1f", "wall"),
        row("answer latency median / p95 / max, s", latency(real), latency(echo)),
        both("CPU of the bot process, s", ".1f", "bot_cpu"),
        row(
            "bot CPU per answered update, ms",
            f"{real.cpu_ms_per_update:.1f}",
            f"{echo.cpu_ms_per_update:.1f}",
            f"{real.cpu_ms_per_update / echo.cpu_ms_per_update:.1f}×"
            if echo.cpu_ms_per_update
            else "",
        ),
        both("CPU of the driver (sandbox + respondents), s", ".1f", "driver_cpu"),
        both("bot peak memory (VmHWM), MB", ".0f", "peak_mb"),
    ]


def report(rounds: Sequence[Round], options: Options) -> list[str]:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores "
        f"({platform.machine()}, Python {platform.python_version()}); 1-minute load average "
        f"{options.load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after it (the "
        f"machine is shared). The driver (sandbox + simulated respondents) runs in the benchmark "
        f"process on the same cores. Callback answer deadline {options.ttl:g} s, per-answer "
        f"timeout {options.answer_timeout:g} s, phase deadline {options.deadline:g} s."
    ]
    for result in rounds:
        lines += ["", f"#### {result.respondents} concurrent respondents", "", *table(result)]
        goals = ", ".join(
            f"{name}: {'met' if ok else '**not met**'}" for name, ok in result.goals.items()
        )
        lines += ["", f"Goals — {goals}."]
        for phase in (result.otklik, result.echo):
            problems = [*phase.failures]
            if phase.log_issues:
                problems.append(f"bot log: {phase.log_issues}")
            if phase.api_errors:
                problems.append(f"Bot API errors by code: {phase.api_errors}")
            if problems:
                lines += ["", f"Problems ({phase.bot}): " + "; ".join(problems) + "."]
    return lines


def print_report(lines: Sequence[str]) -> None:
    print()
    for line in lines:
        print(line)


# -------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--respondents", type=int, nargs="+", help="concurrent respondents (default 500 2000)"
    )
    parser.add_argument("--quick", action="store_true", help="20 respondents; README untouched")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per answer")
    parser.add_argument(
        "--deadline", type=float, default=600.0, help="seconds per bot and size; then give up"
    )
    parser.add_argument(
        "--callback-ttl",
        type=float,
        help="sandbox's answerCallbackQuery deadline (default: --timeout; Telegram's is ~15)",
    )
    parser.add_argument("--workdir", type=Path, help="databases and bot logs (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    args = parser.parse_args(argv)
    if args.respondents is None:
        args.respondents = [20] if args.quick else [500, 2000]
    if args.quick or args.respondents != [500, 2000]:
        args.no_readme = True
    return args


async def run(args: argparse.Namespace, options: Options) -> list[Round]:
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return [await run_round(n, args.workdir, options) for n in args.respondents]
    with tempfile.TemporaryDirectory(prefix="survey-throughput-") as tmp:
        return [await run_round(n, Path(tmp), options) for n in args.respondents]


def as_json(rounds: Sequence[Round]) -> list[dict[str, Any]]:
    return [
        {
            "respondents": r.respondents,
            "ratio": r.ratio,
            "all_completed": r.all_completed,
            "goals": r.goals,
            **{
                p.bot: {
                    **asdict(p),
                    "updates_per_s": p.updates_per_s,
                    "questionnaires_per_s": p.questionnaires_per_s,
                    "cpu_ms_per_update": p.cpu_ms_per_update,
                }
                for p in (r.otklik, r.echo)
            },
        }
        for r in rounds
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(
        answer_timeout=args.timeout, deadline=args.deadline, callback_ttl=args.callback_ttl
    )
    rounds = asyncio.run(run(args, options))
    lines = report(rounds, options)
    print_report(lines)
    if args.json is not None:
        args.json.write_text(json.dumps(as_json(rounds), ensure_ascii=False, indent=2))
    if not args.no_readme:
        write_figures("survey_throughput", lines)
        print(f"\nfigures written to {README}")
    return 0 if all(r.all_completed and r.echo.completed == r.respondents for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
