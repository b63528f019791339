"""The command line's one progress bar, for the long work of domain code (rows, QR codes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def progress_bar(description: str) -> Callable[[int, int], None]:
    """A tqdm bar fed by (done, total) callbacks from domain code."""
    from tqdm import tqdm  # with the first long command, not with the bot's start

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=description, unit="", leave=False)
        bar["bar"].n = done
        bar["bar"].refresh()
        if done >= total:
            bar["bar"].close()

    return update
