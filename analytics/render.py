"""Charts and workbooks are drawn in a worker process, not on a thread of the bot's.

matplotlib's and openpyxl's work is CPU-bound Python and C that holds the GIL: on a thread it
still takes the interpreter from the event loop for tens of milliseconds at a time, so every
chat waits while a report is drawn. One spawned worker process (started on first use, then
reused) does the drawing and hands back the file's bytes; the event loop only waits for them.
If the worker cannot be started or dies, the drawing falls back to a thread.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from core.heap import settle_heap

log = logging.getLogger(__name__)

Output = str | Path | BinaryIO


class Out:
    """Marks the argument where the drawing function takes its output file."""


OUT = Out()

_worker: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    global _worker
    if _worker is None:
        _worker = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
    return _worker


def _drawn(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """Run `function` with an in-memory file in place of OUT; return what it wrote."""
    buffer = io.BytesIO()
    function(*(buffer if isinstance(arg, Out) else arg for arg in args), **kwargs)
    return buffer.getvalue()


async def render(function: Callable[..., Any], *args: Any, out: Output, **kwargs: Any) -> None:
    """Call `function(*args, **kwargs)` in the worker, with OUT among `args`; save to `out`."""
    job = partial(_drawn, function, args, kwargs)
    global _worker
    try:
        data = await asyncio.get_running_loop().run_in_executor(_executor(), job)
    except (BrokenProcessPool, OSError) as error:
        log.warning("drawing worker unavailable (%s); drawing on a thread", type(error).__name__)
        _worker = None
        data = await asyncio.to_thread(job)
        settle_heap()  # matplotlib now lives in this process
    if isinstance(out, str | Path):
        await asyncio.to_thread(Path(out).write_bytes, data)
    else:
        out.write(data)
