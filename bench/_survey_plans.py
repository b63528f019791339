"""The respondents of bench/survey_throughput.py: seeded plans over the registry's touchpoints.

The echo bot's respondents follow the same plans' messages and presses, so the two bots are
compared like for like; bench/channel_throughput.py runs the same plans in Telegram and MAX
(a plan opens with the deep link: `/start <payload>` in Telegram, `bot_started` in MAX).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.simulated import SimulatedUser

SEGMENTS = ("Гражданин", "Пенсионер", "Многодетная семья", "Индивидуальный предприниматель")
PROBLEMS = ("Время ожидания", "Очередь", "Вежливость", "Доступность информации")
CRITICALITY = ("Низкая", "Средняя", "Высокая")


@dataclass(frozen=True)
class Step:
    """One update a respondent sends and the words that show it was answered."""

    kind: str  # "start" (the deep link, by its payload), "say" (a message) or "tap" (a button)
    text: str
    expect: str


def questionnaire_plan(payload: str, stages: Sequence[str], rng: random.Random) -> list[Step]:
    """A citizen who scanned a touchpoint's QR code completes the touchpoint questionnaire.

    The path follows the questionnaire: a rating of 3 or less adds what went wrong (one or
    two problems, then Done), the stage (when the process has stages) and the criticality;
    40 % leave a comment, the rest skip it; the segment is asked once per person.
    """
    steps = [
        Step("start", payload, "Прежде чем начать"),
        Step("tap", "Дать согласие", "Вопрос 1"),
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
        steps.append(Step("say", comment, "в каком качестве вы обращались"))
    else:
        steps.append(Step("tap", "Пропустить", "в каком качестве вы обращались"))
    steps.append(Step("tap", rng.choice(SEGMENTS), "Спасибо"))
    return steps


def echo_plan(plan: Sequence[Step]) -> list[Step]:
    """The same messages and button presses for the echo bot, with its own answers."""
    steps: list[Step] = []
    taps = 0
    for step in plan:
        if step.kind == "start":  # what Telegram delivers for a deep link: the /start message
            taps = 0
            steps.append(Step("say", f"/start {step.text}", f"/start {step.text}"))
        elif step.kind == "say":
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
        if step.kind == "start":
            await user.start(step.text, expect=step.expect)
        elif step.kind == "say":
            await user.say(step.text, expect=step.expect)
        else:
            await user.tap(step.text, expect=step.expect)
        script.last_answer = time.perf_counter()
        script.latencies.append(script.last_answer - started)
        script.answered += 1


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
