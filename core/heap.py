"""Keep the interpreter's full garbage collections short by freezing long-lived objects.

A full collection walks every tracked object while holding the GIL. With aiogram's models,
SQLAlchemy, pandas and matplotlib loaded that is about 400 000 objects and 250–330 ms on a
2-core machine: no chat is answered meanwhile, and a write transaction open on the loop keeps
SQLite's lock, so other writers wait as long (bench/report_stall.py found these ticks in the
officer's overview and the first /stats). Modules live as long as the process, so after
startup and after each first import of a heavy module the heap is frozen (`gc.freeze`):
collections skip the permanent generation, and report-time ones take 20–35 ms instead.
"""

from __future__ import annotations

import gc
import sys

_modules_frozen: set[str] = set()

YOUNG_OBJECTS = 10_000
"""Allocations between collections of the youngest generation (Python's default is 700)."""


def tune_collector() -> None:
    """Collect the young generation every 10 000 allocations, for a process that serves updates.

    Each update makes and drops thousands of short-lived objects (models, dicts, results);
    most die by reference counting before a collection would look at them, so a young
    generation of 700 meant a collection every few statements. Under the survey benchmark's
    load the bot spent 0.43 s collecting the young generations with the default and 0.24 s
    with this (bench/README.md, survey_throughput). The older generations wait for 20
    collections of the one below instead of 10.
    """
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, max(middle, 20), max(old, 20))


def settle_heap() -> bool:
    """Freeze what is alive now when modules were imported since the last call; whether it did.

    `gc.freeze` only moves the collector's lists (no walk, no pause). Objects frozen with a
    request still alive are freed by reference counting as usual; only a garbage cycle among
    them would stay, which is why this runs once per new import, not per request.
    """
    new = sys.modules.keys() - _modules_frozen
    if not new:
        return False
    _modules_frozen.update(new)
    gc.freeze()
    return True
