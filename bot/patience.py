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

import aiohttp
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from core.i18n import translator
from core.settings import Settings, SettingsError

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSIENT = (TelegramServerError, TelegramNetworkError, ClientDecodeError, TimeoutError, OSError)


class Stopped(Exception):
    """The process was asked to stop while it waited for Telegram."""


class Unreachable(Exception):
    """No connection to the API could be made at all for as long as start-up may wait."""


def never_connected(error: BaseException) -> bool:
    """The request found nobody to talk to (refused, no such host, no route), as opposed to
    an API that answered badly or slowly; aiogram and maxapi keep aiohttp's error as a cause."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, aiohttp.ClientConnectorError | ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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
    unreachable_after: float | None = None,
) -> T:
    """`call()` again and again, backing off, until it succeeds (or `stop` is set).

    With `unreachable_after`, an API that no connection reached in that many seconds raises
    `Unreachable` (a wrong address is not waited out forever); one that answered, even with
    an error, is waited for as long as it takes.
    """
    delay = first_delay
    started = asyncio.get_running_loop().time()
    answered = False
    while True:
        try:
            return await call()
        except TelegramRetryAfter as error:
            answered = True
            log.warning("%s: Telegram asks to wait %d s", what, error.retry_after)
            await pause(error.retry_after, stop)
        except TRANSIENT as error:
            answered = answered or not never_connected(error)
            waited = asyncio.get_running_loop().time() - started
            if unreachable_after is not None and not answered and waited >= unreachable_after:
                raise Unreachable(what) from error
            # The error's type and Telegram's words only: never the call's parameters.
            reason = getattr(error, "message", None) or type(error).__name__
            log.warning("%s failed (%s); retrying in %.0f s", what, reason, delay)
            await pause(delay, stop)
            delay = min(delay * 2, max_delay)


def telegram_refused(settings: Settings) -> SettingsError:
    """What to check when Telegram answers 401: one line, in settings.locale."""
    _ = translator(settings.locale)
    return SettingsError(
        _("Telegram does not accept the token from OTKLIK_BOT_TOKEN: check it with @BotFather.")
    )


def telegram_unreachable(settings: Settings) -> SettingsError:
    _ = translator(settings.locale)
    return SettingsError(
        _(
            "The Telegram Bot API at {url} cannot be reached: check OTKLIK_TELEGRAM_API_URL, "
            "the network and the proxy."
        ).format(url=settings.telegram_api_url)
    )


def max_refused(settings: Settings) -> SettingsError:
    _ = translator(settings.locale)
    return SettingsError(
        _("MAX does not accept the token from OTKLIK_MAX_TOKEN: check it at dev.max.ru.")
    )


def max_unreachable(settings: Settings) -> SettingsError:
    _ = translator(settings.locale)
    return SettingsError(
        _(
            "The MAX API at {url} cannot be reached: check OTKLIK_MAX_API_URL and the network."
        ).format(url=settings.max_api_url)
    )
