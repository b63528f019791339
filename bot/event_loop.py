"""The event loop every command runs on: uvloop's where it is installed, asyncio's elsewhere.

uvloop runs the same asyncio program on libuv, with less CPU per socket event and per task
step: callgrind counts 7.5 % fewer instructions for a Bot API call and its answer
(bench/README.md, survey_throughput), and the bot makes two or three of those for every
answer a respondent gives. It has no Windows build; there the standard loop runs, and the
bot behaves the same, only a little slower.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's `new_event_loop`, or None (asyncio's own) where uvloop is not installed."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` gives."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
