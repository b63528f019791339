"""The demo's scenario data: what its simulated people say and the replies they wait for.

Those people speak the bot's default language, so their words are data (`demo_script.yaml`)
rather than interface wording; the demo's bot is set to the script's `locale` to match.
"""

from __future__ import annotations

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
