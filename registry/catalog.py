"""Fixed lists from the regulations: activity directions and client needs.

The words are the regulations' own, so they live as data in `catalog.yaml`; the registry
import validates against them and the first migration seeded the directions from a frozen copy.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import yaml

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")


class Direction(NamedTuple):
    code: str
    name: str
    internal: bool


def _load() -> dict[str, Any]:
    with CATALOG_FILE.open(encoding="utf-8") as source:
        loaded: dict[str, Any] = yaml.safe_load(source)
    return loaded


_CATALOG = _load()
ACTIVITY_DIRECTIONS: tuple[Direction, ...] = tuple(
    Direction(str(d["code"]), str(d["name"]), bool(d["internal"])) for d in _CATALOG["directions"]
)
DIRECTION_BY_CODE = {d.code: d for d in ACTIVITY_DIRECTIONS}
DIRECTION_ALIASES: dict[str, tuple[str, ...]] = {
    str(code): tuple(str(name) for name in names)
    for code, names in (_CATALOG.get("direction_aliases") or {}).items()
}
DIGITAL_WORDS: tuple[str, ...] = tuple(str(w) for w in _CATALOG.get("digital_words") or ())
OFFLINE_WORDS: tuple[str, ...] = tuple(str(w) for w in _CATALOG.get("offline_words") or ())
PUBLICATION_TITLE = str(_CATALOG["publication"]["title"])
PUBLICATION_APPROVAL: tuple[str, ...] = tuple(
    str(line) for line in _CATALOG["publication"]["approval"]
)
CLIENT_NEEDS: dict[int, str] = {int(n): str(text) for n, text in _CATALOG["needs"].items()}

REVIEW_PERIOD_YEARS = 3  # seed 003 §1.5: every process is reengineered at least every 3 years


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
