"""Crash test: simulated answers through the sandbox while the bot is killed with SIGKILL.

Two scenarios, each on a fresh database loaded with `examples/registry.xlsx`:

* **polling** — one bot process (`python -m bot.cli run`, long polling, SQLite file database),
  killed with SIGKILL at random points and restarted at once each time;
* **replicas** — PostgreSQL and Redis (throwaway servers), three webhook replicas
  (`run --webhook http://LB/hook --listen …`, the first registers the webhook, the others
  `--no-register`) behind a round-robin balancer (`bench/_balancer.py`, a 502 when the chosen
  replica is down, so the sandbox's webhook delivery retries); one replica is killed with
  SIGKILL repeatedly and restarted. Outbox messages enqueued at the start (due times spread
  over the run) check that the sender ran in one replica at a time: each must reach its chat
  exactly once, and the `leases` table is sampled for its holder.

Simulated people (distinct user ids, `--concurrency` of them at a time, a new one starting as
soon as one finishes) follow the short path /start <touchpoint> → Согласен → 5 → Пропустить →
Гражданин → «Спасибо! Ваш ответ сохранён.» They act on what the chat shows: when their wait
times out (the bot was killed) they press the same button again (or send the same message);
when the bot says the question was already answered and nothing follows, they send the
/start link again to resume. Figures per scenario: answers acknowledged (people who saw the
thanks), answers stored (rows of `responses`), duplicates (people with more than one row).
The goal is stored = acknowledged and 0 duplicates.

Kill schedule: the run, counted in finished respondents, is cut into `--kills` equal windows
around k/(kills + 1) of the answers; kill k comes at a random (seeded) point of window k, plus a
random 0–1 s. The last respondent does not start before the last kill, so every requested kill
lands while the run is on, however small it is. The bots run in a fixed-offset time zone in
which it is about noon at the start (`--timezone` to choose another), so a run does not cross
local midnight, where the daily limit ("already rated today") starts afresh.

    python bench/crash.py                  # 5 000 answers, 10 kills per scenario; README updated
    python bench/crash.py --quick          # 150 answers, 3 kills; README untouched
    python bench/crash.py --scenario polling --answers 1000 --kills 5 --no-readme
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import json
import os
import platform
import random
import re
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from _readme import README, write_figures  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.typedefs import Handler  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from core.clock import utcnow  # noqa: E402
from sandbox import SandboxServer  # noqa: E402
from sandbox.errors import ApiError  # noqa: E402
from sandbox.telegram.params import Params  # noqa: E402
from sandbox.telegram.records import ChatRecord, MessageRecord  # noqa: E402
from storage.database import create_engine, create_session_pool  # noqa: E402
from storage.delivery_models import OutboxLane  # noqa: E402
from storage.outbox import enqueue  # noqa: E402
from surveys.respondents import respondent_key  # noqa: E402

REGISTRY = ROOT / "examples" / "registry.xlsx"
BALANCER = Path(__file__).with_name("_balancer.py")
FULL_ANSWERS = 5000
"""The issue's size: about 18 minutes for both scenarios on this 2-core machine."""
TOKEN_PREFIX = "1000001:crash-bench-token"
SECRET_KEY = "crash-bench-secret-key"

THANKS = "Спасибо! Ваш ответ сохранён."
LIMIT = "Вы уже оценили эту услугу сегодня"
STALE = "На этот вопрос уже дан ответ"
SORRY = "Извините, у нас что-то пошло не так"
PATH = ("Согласен", "Гражданин", "Пропустить", "5")
"""The buttons a respondent presses, by priority: whichever the newest keyboard offers."""
OUTBOX_PREFIX = "crash-outbox #"
FIRST_USER = 50_000_000
FIRST_OUTBOX_CHAT = 90_000_000

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


# ------------------------------------------------------------------------------ sandbox

SENDER: contextvars.ContextVar[str] = contextvars.ContextVar("sender", default="")


@web.middleware
async def note_sender(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Remember which bot token (which bot incarnation) made this Bot API call."""
    SENDER.set(request.match_info.get("token", ""))
    return await handler(request)


class RecordingSandbox(SandboxServer):
    """The sandbox, taking notes for the figures.

    Which bot token (one per bot incarnation) sent each outbox message; when each chat first
    showed the thanks and which bot messages came after it; which callback queries the bot
    answered too late ("query is too old").
    """

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.outbox_sends: list[tuple[float, str, int, str]] = []
        self.thanks_at: dict[int, float] = {}
        self.after_thanks: dict[int, list[str]] = {}
        self.too_old: set[str] = set()
        self.api_errors: Counter[str] = Counter()

    async def call_method(self, method: str, params: Params) -> Any:
        try:
            return await super().call_method(method, params)
        except ApiError as error:
            self.api_errors[f"{method} {error.error_code}: {error.description[:60]}"] += 1
            if method.lower() == "answercallbackquery" and "too old" in error.description:
                self.too_old.add(str(params.get_str("callback_query_id")))
            raise

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.middlewares.append(note_sender)
        return app

    def _note(self, chat: ChatRecord, message: dict[str, Any], new: bool) -> None:
        text = text_of(message)
        if chat.id in self.thanks_at and new:
            self.after_thanks.setdefault(chat.id, []).append(text)
        if THANKS in text and chat.id not in self.thanks_at:
            self.thanks_at[chat.id] = time.monotonic()

    def add_bot_message(
        self, chat: ChatRecord, body: dict[str, Any], sent_markup: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        message = super().add_bot_message(chat, body, sent_markup)
        self._note(chat, message, True)
        text = str(message.get("text") or "")
        if text.startswith(OUTBOX_PREFIX):
            self.outbox_sends.append((time.monotonic(), SENDER.get(), chat.id, text))
        return message

    def edit_bot_message(
        self, chat: ChatRecord, record: MessageRecord, message: dict[str, Any]
    ) -> None:
        super().edit_bot_message(chat, record, message)
        self._note(chat, message, False)


# ---------------------------------------------------------------------------- respondents


@dataclass
class Config:
    answers: int
    kills: int
    concurrency: int = 100
    answer_timeout: float = 10.0
    """A respondent's wait for the bot's answer before doing the same again."""
    stale_grace: float = 2.0
    """After "already answered" with nothing else, wait this long before re-sending /start."""
    user_deadline: float = 300.0
    """A respondent still without the thanks this long after starting gives up."""
    seed: int = 1
    callback_ttl: float = 15.0
    outbox: int = 0
    outbox_chats: int = 50
    victim: str = "first"
    timezone: str = field(default_factory=lambda: midday_timezone())
    """The bots' OTKLIK_TIMEZONE: by default a zone where it is about noon now."""


@dataclass
class Respondent:
    user_id: int
    payload: str
    outcome: str = ""
    """thanks | limit (told it was rated today already) | gave_up."""
    actions: int = 0
    retries: int = 0
    """The same button pressed (or message sent) again after a timed-out wait."""
    stale: int = 0
    """"This question has already been answered" with nothing following."""
    resumes: int = 0
    """/start sent again mid-questionnaire."""
    errors: int = 0
    """"Something went wrong" answers."""
    thanks_messages: int = 0
    seconds: float = 0.0
    last_taps: dict[str, list[str]] = field(default_factory=dict)
    """Callback query ids of each button label pressed."""


@dataclass(frozen=True)
class Action:
    kind: str  # "tap" | "say"
    text: str
    message_id: int | None = None


def text_of(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def state_of(message: dict[str, Any]) -> str:
    return repr((message.get("text"), message.get("reply_markup")))


def has_keyboard(message: dict[str, Any]) -> bool:
    return bool((message.get("reply_markup") or {}).get("inline_keyboard"))


def choose(sandbox: SandboxServer, person: Respondent, messages: list[dict[str, Any]]) -> Action:
    """The button the newest keyboard offers on our path, or the /start link."""
    start = Action("say", f"/start {person.payload}")
    newest = next((m for m in reversed(messages) if has_keyboard(m)), None)
    if newest is None:
        return start
    message_id = int(newest["message_id"])
    for label in PATH:
        if sandbox.find_button(person.user_id, label, message_id=message_id, callback_only=True):
            return Action("tap", label, message_id)
    return start


async def respond(sandbox: SandboxServer, person: Respondent, config: Config) -> None:
    """Act on the chat until the thanks (or the daily-limit notice, or the deadline)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    previous: Action | None = None
    force_start = False
    while True:
        messages = sandbox.messages(person.user_id)
        texts = [text_of(m) for m in messages]
        person.thanks_messages = sum(THANKS in t for t in texts)
        if person.thanks_messages:
            person.outcome = "thanks"
            break
        if any(LIMIT in t for t in texts):
            person.outcome = "limit"
            break
        if loop.time() - started > config.user_deadline:
            person.outcome = "gave_up"
            break
        action = Action("say", f"/start {person.payload}") if force_start else None
        action = action or choose(sandbox, person, messages)
        if action == previous:
            person.retries += 1
        elif action.kind == "say" and person.actions:
            person.resumes += 1
        previous, force_start = action, False
        person.actions += 1
        force_start = await act(sandbox, person, action, messages, config)
    person.seconds = loop.time() - started


async def act(
    sandbox: SandboxServer,
    person: Respondent,
    action: Action,
    messages: list[dict[str, Any]],
    config: Config,
) -> bool:
    """Do `action` and wait for the bot's answer; True when /start should be sent next."""
    before = {int(m["message_id"]): state_of(m) for m in messages}
    query_id: str | None = None
    if action.kind == "tap":
        pressed = sandbox.press_button(person.user_id, action.text, message_id=action.message_id)
        query_id = str(pressed["callback_query"]["id"])
        person.last_taps.setdefault(action.text, []).append(query_id)
    else:
        sandbox.inject_message(person.user_id, action.text)

    def answered(current: list[dict[str, Any]]) -> bool:
        fresh = [m for m in current if before.get(int(m["message_id"])) != state_of(m)]
        if any(THANKS in text_of(m) or LIMIT in text_of(m) or SORRY in text_of(m) for m in fresh):
            return True
        # A resumed questionnaire is a notice and then the question: wait for the keyboard.
        return bool(fresh) and has_keyboard(current[-1]) and current[-1] in fresh

    def popup() -> str:
        answer = sandbox.callback_answer(query_id) if query_id else None
        return str((answer or {}).get("text") or "")

    try:
        await sandbox.wait_for(
            person.user_id,
            lambda current: answered(current) or STALE in popup() or SORRY in popup(),
            config.answer_timeout,
        )
    except TimeoutError:
        return False  # the bot is down or slow: the same again
    if SORRY in popup():
        person.errors += 1
        return False
    if STALE in popup() and not answered(sandbox.messages(person.user_id)):
        person.stale += 1
        try:  # the original press may still be rendering (a recovered copy, say)
            await sandbox.wait_for(person.user_id, answered, config.stale_grace)
        except TimeoutError:
            return True
    return False


class Crowd:
    """Respondents with distinct user ids, `concurrency` at a time, until all have finished."""

    def __init__(
        self,
        sandbox: SandboxServer,
        payloads: Sequence[str],
        config: Config,
        first_user: int,
        last_waits_for: asyncio.Event | None = None,
    ) -> None:
        """`last_waits_for`: the last respondent starts only once it is set (the kills done)."""
        rng = random.Random(config.seed)
        self.sandbox = sandbox
        self.config = config
        self.people = [
            Respondent(first_user + i, rng.choice(payloads)) for i in range(config.answers)
        ]
        self.finished = 0
        self.in_flight = 0
        self.progress = asyncio.Event()
        self.last_waits_for = last_waits_for
        self.started = 0.0
        self.ended = 0.0

    async def _one(self, person: Respondent, slots: asyncio.Semaphore) -> None:
        if self.last_waits_for is not None and person is self.people[-1]:
            await self.last_waits_for.wait()  # the run cannot end while kills remain
        async with slots:
            self.in_flight += 1
            try:
                await respond(self.sandbox, person, self.config)
            finally:
                self.in_flight -= 1
                self.finished += 1
                self.progress.set()

    async def run(self) -> None:
        slots = asyncio.Semaphore(self.config.concurrency)
        self.started = time.monotonic()
        await asyncio.gather(*(self._one(person, slots) for person in self.people))
        self.ended = time.monotonic()

    async def reached(self, count: int) -> None:
        while self.finished < count:
            self.progress.clear()
            await self.progress.wait()


# ------------------------------------------------------------------------------ processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def midday_timezone(now: datetime | None = None) -> str:
    """A fixed-offset zone in which it is between 12:00 and 13:00 now.

    The daily limit counts answers per local day. A run across local midnight would let a
    person whose thanks a kill swallowed answer a second time (a second `responses` row, a
    "duplicate") where before midnight they are told "already rated today"; in this zone a
    run has 11 hours before midnight (and the 09:00 jobs are long past).
    """
    offset = 12 - (now or datetime.now(UTC)).hour  # -11 … +12 hours from UTC
    return f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-3 is UTC+3


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


# ------------------------------------------------------------------------------ results


@dataclass
class Kill:
    at: float
    """Seconds since the first respondent started."""
    finished: int
    in_flight: int
    victim: str
    sender: str = ""
    """r<replica>-i<incarnation> of the process killed."""


@dataclass
class Result:
    scenario: str
    answers: int
    concurrency: int
    acknowledged: int = 0
    stored: int = 0
    duplicates: int = 0
    """People with more than one `responses` row."""
    extra_rows: int = 0
    stored_not_acknowledged: list[int] = field(default_factory=list)
    acknowledged_not_stored: list[int] = field(default_factory=list)
    people_with_two_sessions: int = 0
    """People for whom more than one questionnaire attempt (survey_sessions row) was opened."""
    open_sessions_left: int = 0
    """Attempts still open at the end: a second questionnaire a person could still answer."""
    told_limit: int = 0
    gave_up: int = 0
    thanks_twice: int = 0
    unacknowledged_causes: dict[str, int] = field(default_factory=dict)
    """Why the stored-but-not-acknowledged people saw no thanks."""
    traces: list[str] = field(default_factory=list)
    """What a few people who were not acknowledged saw (bot messages, popups)."""
    after_thanks: dict[str, int] = field(default_factory=dict)
    """Bot messages that came after the thanks (late handling of older updates), by kind."""
    kills: list[Kill] = field(default_factory=list)
    elapsed: float = 0.0
    retries: int = 0
    stale: int = 0
    resumes: int = 0
    errors: int = 0
    latency_median: float = 0.0
    latency_max: float = 0.0
    updates_created: int = 0
    inbox: dict[str, int] = field(default_factory=dict)
    sandbox_errors: dict[str, int] = field(default_factory=dict)
    log_issues: dict[str, int] = field(default_factory=dict)
    bot_cpu: float = 0.0
    """CPU seconds of every bot process (all incarnations, all replicas)."""
    driver_cpu: float = 0.0
    """CPU seconds of this process: the sandbox, the respondents (and the lease sampler)."""
    load_average: float = 0.0
    # replicas only
    outbox_expected: int = 0
    outbox_delivered: int = 0
    outbox_duplicated: int = 0
    outbox_missing: int = 0
    outbox_duplicates_detail: list[str] = field(default_factory=list)
    outbox_rows: list[str] = field(default_factory=list)
    """The outbox rows of the duplicated messages, as the database ended up with them."""
    outbox_senders: list[str] = field(default_factory=list)
    """Bot incarnations that sent outbox messages, in the order they started sending."""
    concurrent_senders: int = 0
    """Times an incarnation sent again after another one had started sending."""
    lease_samples: int = 0
    lease_holders: list[str] = field(default_factory=list)
    lease_max_holders: int = 0
    lease_vacant_samples: int = 0
    lease_dead_holder_samples: int = 0
    balancer: dict[str, Any] = field(default_factory=dict)
    webhook_failed: int = 0
    logs: list[str] = field(default_factory=list)

    @property
    def goal_met(self) -> bool:
        answers_ok = (
            self.stored == self.acknowledged
            and self.duplicates == 0
            and not self.stored_not_acknowledged
            and not self.acknowledged_not_stored
        )
        return answers_ok

    @property
    def jobs_once(self) -> bool:
        """Outbox sender in one replica at a time, every message delivered, one lease holder."""
        return (
            self.outbox_delivered == self.outbox_expected
            and self.concurrent_senders == 0
            and self.lease_max_holders <= 1
        )


async def collect(
    result: Result, crowd: Crowd, database_url: str, sandbox: RecordingSandbox
) -> None:
    """Compare what people saw with what the database holds."""
    people = crowd.people
    by_key = {respondent_key(SECRET_KEY.encode(), p.user_id): p for p in people}
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text("SELECT respondent_key, count(*) FROM responses GROUP BY 1")
                )
            ).all()
            inbox = (
                await connection.execute(sa.text("SELECT status, count(*) FROM inbox GROUP BY 1"))
            ).all()
            sessions = (
                await connection.execute(
                    sa.text(
                        "SELECT respondent_key, count(*), sum(CASE WHEN lower(status) = 'open'"
                        " THEN 1 ELSE 0 END) FROM survey_sessions GROUP BY 1"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    stored = {str(key): int(n) for key, n in rows}
    result.stored = sum(stored.values())
    result.duplicates = sum(1 for n in stored.values() if n > 1)
    result.extra_rows = sum(n - 1 for n in stored.values() if n > 1)
    result.inbox = {str(status): int(n) for status, n in inbox}
    result.people_with_two_sessions = sum(1 for _key, n, _open in sessions if int(n) > 1)
    result.open_sessions_left = sum(int(still or 0) for _key, _n, still in sessions)
    stored_users = {by_key[key].user_id for key in stored if key in by_key}
    strangers = [key for key in stored if key not in by_key]
    if strangers:
        result.stored_not_acknowledged.extend(-1 for _ in strangers)
    acknowledged = {p.user_id for p in people if p.outcome == "thanks"}
    result.acknowledged = len(acknowledged)
    result.stored_not_acknowledged += sorted(stored_users - acknowledged)
    result.acknowledged_not_stored = sorted(acknowledged - stored_users)
    result.told_limit = sum(p.outcome == "limit" for p in people)
    result.gave_up = sum(p.outcome == "gave_up" for p in people)
    result.thanks_twice = sum(p.thanks_messages > 1 for p in people)
    late: Counter[str] = Counter()
    late_users: list[int] = []
    for person in people:
        after = sandbox.after_thanks.get(person.user_id, [])
        late.update(text[:40] for text in after)
        if after:
            late_users.append(person.user_id)
    result.after_thanks = dict(late.most_common())
    causes: Counter[str] = Counter()
    by_id = {p.user_id: p for p in people}
    for user_id in result.stored_not_acknowledged:
        who = by_id.get(user_id)
        last = who.last_taps.get(PATH[1], []) if who else []
        if any(query in sandbox.too_old for query in last):
            causes["the last answer's answerCallbackQuery failed: query is too old"] += 1
        else:
            causes["no thanks after the last answer's commit (no failed callback answer)"] += 1
    result.unacknowledged_causes = dict(causes)
    for user_id in [*result.stored_not_acknowledged, *result.acknowledged_not_stored][:3]:
        result.traces.append(trace(sandbox, user_id))
    result.traces += [trace(sandbox, user_id) for user_id in late_users[:2]]
    result.retries = sum(p.retries for p in people)
    result.stale = sum(p.stale for p in people)
    result.resumes = sum(p.resumes for p in people)
    result.errors = sum(p.errors for p in people)
    result.elapsed = crowd.ended - crowd.started
    seconds = sorted(p.seconds for p in people)
    if seconds:
        result.latency_median = seconds[len(seconds) // 2]
        result.latency_max = seconds[-1]
    stats = sandbox.stats()
    result.updates_created = int(stats["updates_created"])
    result.sandbox_errors = dict(sandbox.api_errors.most_common())
    result.webhook_failed = int(stats["webhook_failed"])


def trace(sandbox: SandboxServer, user_id: int) -> str:
    """The chat as the person saw it: each bot message's states (edits) and the popups."""
    if user_id < 0:
        return "a response of nobody in the crowd"
    parts = []
    for message in sandbox.messages(user_id):
        states = [*message.get("history", []), message]
        shown = " → ".join(repr(text_of(state)[:28]) for state in states)
        parts.append(f"#{message['message_id']}: {shown}")
    too_old: set[str] = getattr(sandbox, "too_old", set())
    taps = []
    for query in sandbox.callbacks.values():
        if query.user_id != user_id:
            continue
        if query.answer is not None:
            taps.append(str(query.answer.get("text") or "answered"))
        else:
            taps.append("TOO OLD" if query.query_id in too_old else "unanswered")
    return f"user {user_id}: " + "; ".join(parts) + f"; taps answered: {taps}"


async def payloads_of(database_url: str) -> list[str]:
    """Payloads of the active external touchpoints of the imported registry."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT t.payload FROM touchpoints t JOIN processes p ON p.id = t.process_id"
                    " WHERE t.active AND p.active AND lower(p.client_type) = 'external'"
                    " ORDER BY t.code"
                )
            )
            found = [str(row[0]) for row in rows]
    finally:
        await engine.dispose()
    if not found:
        raise RuntimeError("the example registry gave no external touchpoints")
    return found


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


# ------------------------------------------------------------------ scenario 1: polling


async def scenario_polling(config: Config, workdir: Path) -> Result:
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


def note_kill(result: Result, crowd: Crowd, victim: str, sender: str) -> None:
    kill = Kill(time.monotonic() - crowd.started, crowd.finished, crowd.in_flight, victim, sender)
    result.kills.append(kill)
    print(
        f"   kill {len(result.kills)} ({victim}) at {kill.at:.1f} s: {kill.finished} finished, "
        f"{kill.in_flight} in flight",
        flush=True,
    )


# ----------------------------------------------------------------- scenario 2: replicas


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str]]:
    from tests.pg_server import postgres_server
    from tests.redis_server import redis_server

    with postgres_server() as database_url, redis_server() as redis_url:
        yield database_url, redis_url


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
    from datetime import UTC, datetime

    if isinstance(moment, datetime) and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def short_sender(token: str) -> str:
    """r<replica>-i<incarnation> from a bench token."""
    return "-".join(token.rsplit("-", 2)[-2:])


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


async def scenario_replicas(config: Config, workdir: Path) -> Result:
    result = Result("replicas", config.answers, config.concurrency)
    rng = random.Random(config.seed * 7 + 2)
    with servers() as (database_url, redis_url):
        async with RecordingSandbox(callback_ttl=config.callback_ttl) as sandbox:
            env = bot_env(sandbox, database_url, token_for(0, 0), config.timezone)
            env["OTKLIK_REDIS_URL"] = redis_url
            await import_registry(env, workdir, workdir / "replicas-setup.log")
            payloads = await payloads_of(database_url)
            lb_port = free_port()
            hook = f"http://127.0.0.1:{lb_port}/hook"
            replicas = [replica(i, hook, env, workdir) for i in (1, 2, 3)]
            result.logs = [str(r.log) for r in replicas]
            balancer_log = workdir / "balancer.log"
            upstreams = [f"http://127.0.0.1:{r.port}" for r in replicas]
            balancer = await spawn(
                [str(BALANCER), "--listen", f"127.0.0.1:{lb_port}", *upstreams],
                env,
                workdir,
                balancer_log,
            )
            # The first replica starts alone: it takes the scheduler lease and registers.
            await replicas[0].start()
            await wait_until(
                lambda: bool(sandbox.webhook and sandbox.webhook.url), 180, "the webhook"
            )
            for bot in replicas[1:]:
                await bot.start()
            for bot in replicas:
                await wait_until(bot.healthy, 180, f"replica {bot.index}", 0.2)
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
            outbox_figures(result, sandbox, config.outbox, crowd.started)
            result.outbox_rows = await duplicated_rows(database_url, result)
            result.lease_samples = watch.samples
            result.lease_holders = watch.holders
            result.lease_max_holders = watch.max_holders
            result.lease_vacant_samples = watch.vacant
            result.lease_dead_holder_samples = watch.dead_holder
            result.balancer = balancer_counters(balancer_log)
    result.log_issues = {}
    for bot in replicas:
        for name, count in log_issues(bot.log).items():
            result.log_issues[name] = result.log_issues.get(name, 0) + count
    return result


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


def balancer_counters(log: Path) -> dict[str, Any]:
    for line in reversed(log.read_text(errors="replace").splitlines() if log.exists() else []):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                return dict(json.loads(line))
    return {}


# -------------------------------------------------------------------------------- output


def summary(result: Result) -> list[str]:
    goal = "met" if result.goal_met else "NOT met"
    lines = [
        f"== {result.scenario}: {result.answers} answers, {result.concurrency} at a time",
        f"   answers acknowledged: {result.acknowledged}",
        f"   answers stored:       {result.stored}",
        f"   duplicates:           {result.duplicates} people ({result.extra_rows} extra rows)",
        f"   kills:                {len(result.kills)}",
        f"   elapsed:              {result.elapsed:.1f} s",
        f"   stored, not acknowledged: {len(result.stored_not_acknowledged)}"
        f" {result.stored_not_acknowledged[:10]}",
        f"   acknowledged, not stored: {len(result.acknowledged_not_stored)}"
        f" {result.acknowledged_not_stored[:10]}",
        f"   told 'already rated today': {result.told_limit}; gave up: {result.gave_up}; "
        f"thanks shown twice: {result.thanks_twice}",
        *(f"   cause: {n} × {why}" for why, n in result.unacknowledged_causes.items()),
        *(f"   trace: {line}" for line in result.traces),
        f"   messages after the thanks: {sum(result.after_thanks.values())} {result.after_thanks}",
        f"   people with more than one attempt opened: {result.people_with_two_sessions}; "
        f"attempts still open at the end: {result.open_sessions_left}",
        f"   respondents' retries {result.retries}, 'already answered' {result.stale}, "
        f"/start again {result.resumes}, 'something went wrong' {result.errors}; "
        f"time per respondent median {result.latency_median:.1f} s, max "
        f"{result.latency_max:.1f} s",
        f"   CPU: bot processes {result.bot_cpu:.0f} s, driver {result.driver_cpu:.0f} s; "
        f"{result.updates_created / result.elapsed if result.elapsed else 0:.1f} updates/s",
        f"   updates {result.updates_created}; inbox {result.inbox}; Bot API errors "
        f"{result.sandbox_errors}; bot logs {result.log_issues}",
    ]
    if result.scenario == "replicas":
        lines += [
            f"   outbox: expected {result.outbox_expected}, delivered {result.outbox_delivered},"
            f" duplicated {result.outbox_duplicated}, missing {result.outbox_missing};"
            f" senders {result.outbox_senders}, concurrent {result.concurrent_senders}",
            *(f"     {line}" for line in result.outbox_duplicates_detail[:10]),
            *(f"     row: {line}" for line in result.outbox_rows[:10]),
            f"   lease: {result.lease_samples} samples, holders {len(result.lease_holders)}"
            f" ({', '.join(h.split(':')[1] for h in result.lease_holders)}), at most "
            f"{result.lease_max_holders} at once, vacant {result.lease_vacant_samples},"
            f" held by a dead process {result.lease_dead_holder_samples}",
            f"   webhook deliveries failed (retried) {result.webhook_failed}; balancer "
            f"{result.balancer}",
        ]
    if result.scenario == "replicas":
        jobs = "yes" if result.jobs_once else "NO"
        lines.append(f"   jobs ran in one replica at a time, all outbox delivered: {jobs}")
    lines.append(f"   goal (stored = acknowledged, 0 duplicates): {goal}")
    return lines


def table(results: Sequence[Result]) -> list[str]:
    names = {"polling": "1 process, polling, SQLite", "replicas": "3 webhook replicas, PostgreSQL"}
    rows = [
        ("answers (people)", lambda r: str(r.answers)),
        ("**answers acknowledged**", lambda r: f"**{r.acknowledged}**"),
        ("**answers stored**", lambda r: f"**{r.stored}**"),
        ("**duplicates** (people with > 1 response)", lambda r: f"**{r.duplicates}**"),
        ("stored, not acknowledged", lambda r: str(len(r.stored_not_acknowledged))),
        ("acknowledged, not stored", lambda r: str(len(r.acknowledged_not_stored))),
        ("told «already rated today» instead of the thanks", lambda r: str(r.told_limit)),
        ("gave up (no thanks within the deadline)", lambda r: str(r.gave_up)),
        (
            "messages after the thanks (late handling of older updates)",
            lambda r: str(sum(r.after_thanks.values())),
        ),
        (
            "people with 2 attempts opened / attempts left open",
            lambda r: f"{r.people_with_two_sessions} / {r.open_sessions_left}",
        ),
        ("kills (SIGKILL)", lambda r: str(len(r.kills))),
        ("elapsed", lambda r: f"{r.elapsed:.0f} s"),
        (
            "updates/s; CPU of the bot processes / of the driver",
            lambda r: (
                f"{r.updates_created / r.elapsed if r.elapsed else 0:.1f};"
                f" {r.bot_cpu:.0f} s / {r.driver_cpu:.0f} s"
            ),
        ),
        (
            "taps answered too late («query is too old»)",
            lambda r: str(sum(n for k, n in r.sandbox_errors.items() if "too old" in k)),
        ),
        ("updates sent by respondents", lambda r: str(r.updates_created)),
        ("retries after a timed-out wait", lambda r: str(r.retries)),
        ("«already answered» popups / /start sent again", lambda r: f"{r.stale} / {r.resumes}"),
        (
            "outbox: expected / delivered / duplicated",
            lambda r: (
                f"{r.outbox_expected} / {r.outbox_delivered} / {r.outbox_duplicated}"
                if r.scenario == "replicas"
                else "—"
            ),
        ),
        (
            "lease holders observed (at most at once)",
            lambda r: (
                f"{len(r.lease_holders)} ({r.lease_max_holders})"
                if r.scenario == "replicas"
                else "—"
            ),
        ),
        (
            "outbox sender in one replica at a time; every message delivered",
            lambda r: ("yes" if r.jobs_once else "**no**") if r.scenario == "replicas" else "—",
        ),
        (
            "**goal met** (stored = acknowledged, 0 duplicates)",
            lambda r: "yes" if r.goal_met else "**no**",
        ),
    ]
    head = "| | " + " | ".join(names.get(r.scenario, r.scenario) for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for name, value in rows:
        lines.append(f"| {name} | " + " | ".join(value(r) for r in results) + " |")
    return lines


def report(results: Sequence[Result], config: Config, started: float, load: float) -> list[str]:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')}: {config.answers} answers per scenario, "
        f"{config.concurrency} respondents at a time, {config.kills} kills per scenario; "
        f"whole run {(time.monotonic() - started) / 60:.1f} min.",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}; load average {load:.1f} at the start (shared machine). "
        f"Respondent's wait before retrying {config.answer_timeout:g} s; callback answer "
        f"deadline {config.callback_ttl:g} s (Telegram's is about 15 s). Bots' time zone "
        f"{config.timezone} (about noon at the start: no local midnight during the run).",
        "",
        *table(results),
    ]
    for result in results:
        extra = [
            "kills at " + ", ".join(f"{k.at:.0f} s ({k.in_flight} in flight)" for k in result.kills)
        ]
        extra += [f"{n} not thanked: {why}" for why, n in result.unacknowledged_causes.items()]
        extra += [f"trace of {line}" for line in result.traces[:2]]
        if result.after_thanks:
            extra.append(f"messages after the thanks: {result.after_thanks}")
        if result.log_issues:
            extra.append(f"bot logs: {result.log_issues}")
        if result.inbox:
            extra.append(f"inbox rows by status: {result.inbox}")
        if result.scenario == "replicas":
            extra.append(
                f"outbox senders in order {result.outbox_senders} (r = replica, i = restart "
                f"number), {result.concurrent_senders} overlaps; {result.lease_samples} lease "
                f"samples, vacant {result.lease_vacant_samples}, held by a dead process "
                f"{result.lease_dead_holder_samples}; webhook deliveries retried "
                f"{result.webhook_failed}; balancer {result.balancer}"
            )
            extra += result.outbox_duplicates_detail[:5]
        if extra:
            lines += ["", f"{result.scenario}: " + "; ".join(extra) + "."]
    return lines


# ---------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="150 answers, 3 kills; no README")
    parser.add_argument("--answers", type=int, help="answers per scenario (default 5000)")
    parser.add_argument("--kills", type=int, help="SIGKILLs per scenario (default 10)")
    parser.add_argument("--concurrency", type=int, default=50, help="respondents at a time")
    parser.add_argument(
        "--scenario", choices=("polling", "replicas", "both"), default="both", help="which"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="wait before a retry, s")
    parser.add_argument("--deadline", type=float, default=300.0, help="per respondent, s")
    parser.add_argument("--callback-ttl", type=float, default=15.0, help="sandbox's, s")
    parser.add_argument("--outbox", type=int, help="outbox messages (default answers / 10)")
    parser.add_argument(
        "--victim",
        choices=("first", "leader"),
        default="first",
        help="replica killed: always the first, or whichever holds the scheduler lease",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--timezone", help="the bots' OTKLIK_TIMEZONE (default: a zone where it is noon now)"
    )
    parser.add_argument("--workdir", type=Path, help="databases and bot logs (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    answers = args.answers or (150 if args.quick else FULL_ANSWERS)
    kills = args.kills if args.kills is not None else (3 if args.quick else 10)
    outbox = args.outbox if args.outbox is not None else max(20, answers // 10)
    return Config(
        answers=answers,
        kills=kills,
        concurrency=args.concurrency,
        answer_timeout=args.timeout,
        user_deadline=args.deadline,
        seed=args.seed,
        callback_ttl=args.callback_ttl,
        outbox=outbox,
        victim=args.victim,
        timezone=args.timezone or midday_timezone(),
    )


async def run(args: argparse.Namespace, config: Config, workdir: Path) -> list[Result]:
    results: list[Result] = []
    scenarios = ("polling", "replicas") if args.scenario == "both" else (args.scenario,)
    for name in scenarios:
        print(f"\n== scenario {name}: {config.answers} answers, {config.kills} kills", flush=True)
        runner = scenario_polling if name == "polling" else scenario_replicas
        result = await runner(config, workdir)
        results.append(result)
        print("\n".join(summary(result)), flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_from(args)
    started, load = time.monotonic(), os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="otklik-crash-"))
        )
        workdir.mkdir(parents=True, exist_ok=True)
        results = asyncio.run(run(args, config, workdir))
    lines = report(results, config, started, load)
    print()
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                [{**asdict(r), "goal_met": r.goal_met} for r in results],
                ensure_ascii=False,
                indent=2,
            )
        )
    full = not args.quick and args.answers is None and args.kills is None
    if full and not args.no_readme and args.scenario == "both":
        write_figures("crash", lines)
        print(f"\nfigures written to {README}")
    return 0 if all(r.goal_met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
