"""Bot API calls that must succeed before the bot can go on: retried until they do.

Start-up (getMe, deleteWebhook, setWebhook) must not end `otklik run` because Telegram, or a
proxy in front of it, answered 5xx, 429 or nothing for a while. Errors that waiting cannot
cure (a refused token, a rejected webhook address) are raised at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (TelegramServerError, TelegramNetworkError, ClientDecodeError, TimeoutError, OSError)


class Stopped(Exception):
    """The process was asked to stop while it waited for Telegram."""


async def pause(seconds: float, stop: asyncio.Event | None) -> None:
    """Sleep `seconds`, or less when `stop` is set; then raise `Stopped` if it is."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    if stop.is_set():
        raise Stopped


async def until_done(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    stop: asyncio.Event | None = None,
    first_delay: float = 1.0,
    max_delay: float = 30.0,
) -> T:
    """`call()` again and again, backing off, until it succeeds (or `stop` is set)."""
    delay = first_delay
    while True:
        try:
            return await call()
        except TelegramRetryAfter as error:
            log.warning("%s: Telegram asks to wait %d s", what, error.retry_after)
            await pause(error.retry_after, stop)
        except TRANSIENT as error:
            # The error's type and Telegram's words only: never the call's parameters.
            reason = getattr(error, "message", None) or type(error).__name__
            log.warning("%s failed (%s); retrying in %.0f s", what, reason, delay)
            await pause(delay, stop)
            delay = min(delay * 2, max_delay)
