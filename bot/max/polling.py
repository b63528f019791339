"""MAX's long polling, durable as Telegram's (bot.intake): stored, then confirmed, then handled.

The marker of an answer is committed in the same transaction as the updates it covers, so
a crash before that commit fetches them again (the inbox ignores copies it has) and a crash
after it loses nothing. A bad answer from MAX (429, 5xx, a network error, even a refused
token) is waited out, never the end of the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiohttp
import sqlalchemy as sa
from maxapi import Bot as MaxClient
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection
from sqlalchemy.ext.asyncio import AsyncSession

from bot.intake import Inbox
from bot.max.pacing import MaxPacer
from bot.max.updates import UpdateTranslator
from core.channels import Channel
from storage.database import SessionPool
from storage.delivery_models import ChannelMarker
from storage.statements import dialect_insert, dialect_of

log = logging.getLogger(__name__)
_markers = cast(sa.Table, ChannelMarker.__table__)


async def load_marker(pool: SessionPool) -> int | None:
    async with pool() as session:
        marker = await session.scalar(
            sa.select(_markers.c.marker).where(_markers.c.channel == Channel.MAX.value)
        )
    return int(marker) if marker is not None else None


def confirm(marker: int) -> Callable[[AsyncSession], Awaitable[None]]:
    """The marker's upsert, for the transaction that stores the updates it covers."""

    async def write(session: AsyncSession) -> None:
        insert = dialect_insert(dialect_of(session))(_markers)
        await session.execute(
            insert.values(channel=Channel.MAX.value, marker=marker).on_conflict_do_update(
                index_elements=["channel"], set_={"marker": marker}
            )
        )

    return write


async def _fetch(
    client: MaxClient, marker: int | None, poll_seconds: int, stop: asyncio.Event
) -> dict[str, Any] | None:
    """One long poll, or None when asked to stop while it waits."""
    halt = asyncio.create_task(stop.wait())
    fetch = asyncio.create_task(client.get_updates(marker=marker, timeout=poll_seconds))
    try:
        done, _ = await asyncio.wait({fetch, halt}, return_when=asyncio.FIRST_COMPLETED)
        if fetch not in done:
            fetch.cancel()
            return None
        return cast(dict[str, Any], fetch.result())
    finally:
        halt.cancel()


async def durable_max_polling(
    inbox: Inbox,
    client: MaxClient,
    translator: UpdateTranslator,
    stop: asyncio.Event,
    *,
    poll_seconds: int = 25,
    pacer: MaxPacer | None = None,
) -> None:
    """GET /updates → store with the marker → handle; never drops what MAX gave. Each poll
    waits its turn in the channel's budget of requests (`pacer`), as every reply does."""
    await inbox.recover()
    marker = await load_marker(inbox.pool)
    backoff = 1.0
    while not stop.is_set():
        await inbox.room()  # back-pressure: the rest stays at MAX, unconfirmed
        if pacer is not None:
            await pacer.take()
        try:
            answer = await _fetch(client, marker, poll_seconds, stop)
            if answer is None:
                break
            backoff = 1.0
        except (MaxApiError, InvalidToken, MaxConnection, aiohttp.ClientError, OSError) as error:
            status = getattr(error, "code", None)
            if status == 429 and pacer is not None:
                pacer.pause()
            log.warning(
                "MAX updates failed (%s %s); retrying in %.0f s",
                type(error).__name__,
                status,
                backoff,
            )
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        next_marker = answer.get("marker")
        try:
            updates = await translator.translate(inbox.bot, answer.get("updates") or [])
            then = confirm(int(next_marker)) if next_marker is not None else None
            fresh = await inbox.store(updates, then=then)
        except Exception:  # the marker stays: MAX gives them again, nothing is lost
            log.exception("storing MAX updates failed; fetching them again")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        if next_marker is not None:
            marker = int(next_marker)
        for update in updates:
            inbox.handle_soon(update, fresh=update.update_id in fresh)
    await inbox.drain()
