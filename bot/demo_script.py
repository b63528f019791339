"""The demo's scenario data: what its simulated people say and the replies they wait for.

Those people speak the bot's default language, so their words are data (`demo_script.yaml`)
rather than interface wording; the demo's bot is set to the script's `locale` to match.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCRIPT_FILE = Path(__file__).with_name("demo_script.yaml")


@cache
def _script() -> dict[str, Any]:
    with SCRIPT_FILE.open(encoding="utf-8") as source:
        loaded: dict[str, Any] = yaml.safe_load(source)
    return loaded


LOCALE: str = _script()["locale"]
CITIZEN: dict[str, Any] = _script()["citizen"]
SEGMENTS: tuple[str, ...] = tuple(CITIZEN["segments"])
PROBLEMS: tuple[str, ...] = tuple(CITIZEN["problems"])
SEVERITIES: tuple[str, ...] = tuple(CITIZEN["severities"])
HISTORY_COMMENTS: tuple[str, ...] = tuple(_script()["history_comments"])
TAPS: dict[str, str] = _script()["taps"]
"""Buttons the simulated people tap, by what they do (a label or the start of one)."""
WAITS: dict[str, str] = _script()["waits"]
"""Words of the bot's reply each simulated step waits for, by the step."""
LOOP: dict[str, str] = _script()["loop"]
"""The closed loop's words: the citizen's comment, the owner's answer and what they wait for."""


@dataclass(frozen=True)
class CitizenPlan:
    """What one simulated citizen will answer, drawn before the first tap or page.

    Every channel's citizen follows a plan drawn the same way, so the channels' answers are
    alike and differ only in where they were given.
    """

    score: int
    problems: tuple[str, ...]
    stage_pick: float  # which of the process's stages, as a fraction of their number
    severity: str
    comment: str | None
    segment: str
    wants_answer: bool

    def stage(self, options: Sequence[str]) -> str:
        return options[min(int(self.stage_pick * len(options)), len(options) - 1)]


def plan_citizen(rng: random.Random) -> CitizenPlan:
    """Mostly satisfied people, a few unhappy ones who say what went wrong."""
    score = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 6, 8])[0]
    problems = tuple(rng.sample(PROBLEMS, k=rng.randint(1, 2)))
    said = CITIZEN["comment_satisfied"] if score > 3 else CITIZEN["comment_unsatisfied"]
    stage_pick, severity = rng.random(), rng.choice(SEVERITIES)
    comment = said if rng.random() < 0.4 else None
    segment = rng.choice(SEGMENTS)
    # Only feedback with a comment has something to answer (the bot offers it only then).
    wants_answer = rng.random() < 0.3 and comment is not None
    return CitizenPlan(
        score=score,
        problems=problems if score <= 3 else (),
        stage_pick=stage_pick,
        severity=severity,
        comment=comment,
        segment=segment,
        wants_answer=wants_answer,
    )
