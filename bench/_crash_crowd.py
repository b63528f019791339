"""The crash test's simulated respondents: they act on what the chat shows, as people would.

A respondent follows the short path of the questionnaire; when a wait times out (the bot was
killed) they do the same again, and when told a question was already answered with nothing
following, they send the /start link again.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox import SandboxServer

THANKS = "Спасибо! Ваш ответ сохранён."
LIMIT = "Вы уже оценили эту услугу сегодня"
STALE = "На этот вопрос уже дан ответ"
SORRY = "Извините, у нас что-то пошло не так"
PATH = ("Дать согласие", "Гражданин", "Пропустить", "5")
"""The buttons a respondent presses, by priority: whichever the newest keyboard offers."""

FIRST_USER = 50_000_000


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


def midday_timezone(now: datetime | None = None) -> str:
    """A fixed-offset zone in which it is between 12:00 and 13:00 now.

    The daily limit counts answers per local day. A run across local midnight would let a
    person whose thanks a kill swallowed answer a second time (a second `responses` row, a
    "duplicate") where before midnight they are told "already rated today"; in this zone a
    run has 11 hours before midnight (and the 09:00 jobs are long past).
    """
    offset = 12 - (now or datetime.now(UTC)).hour  # -11 … +12 hours from UTC
    return f"Etc/GMT{-offset:+d}"  # POSIX signs: Etc/GMT-3 is UTC+3
