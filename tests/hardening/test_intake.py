"""Durable intake: stored before confirmed, handled after a crash, never applied twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update

from bot.factory import create_dispatcher
from bot.intake import Inbox, durable_polling
from core.settings import Settings
from sandbox import SandboxServer
from storage.database import SessionPool
from storage.delivery_models import InboxUpdate
from storage.models import Response
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        yield server


def make_bot(sandbox: SandboxServer) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url))
    return Bot("1000001:intake-test-token-abcdefghijkl", session=session)


async def inbox_rows(pool: SessionPool) -> dict[int, str]:
    async with pool() as session:
        rows = await session.execute(sa.select(InboxUpdate.update_id, InboxUpdate.status))
        return {row[0]: row[1] for row in rows}


async def test_updates_stored_before_confirmation_survive_a_crash(
    sandbox: SandboxServer, session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    await sync_questionnaires(session_pool)
    bot = make_bot(sandbox)
    dispatcher = create_dispatcher(settings, session_pool)
    crashed = Inbox(session_pool, dispatcher, bot)
    crashed.handle_soon = lambda update, fresh=False: None  # type: ignore[method-assign]  # died before handling
    stop = asyncio.Event()
    polling = asyncio.create_task(durable_polling(crashed, stop, poll_seconds=1))
    sandbox.inject_message(6001, "/start")
    sandbox.inject_message(6002, "/help")
    for _ in range(200):  # stored within seconds
        if len(await inbox_rows(session_pool)) == 2:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.5)  # the next getUpdates confirms them to Telegram
    stop.set()
    await polling
    assert set((await inbox_rows(session_pool)).values()) == {"pending"}
    assert sandbox.stats()["updates_pending"] == 0, "Telegram was told they arrived"
    assert sandbox.messages(6001) == []

    restarted = Inbox(session_pool, create_dispatcher(settings, session_pool), bot)
    assert await restarted.recover() == 2
    assert await restarted.recover() == 0
    assert set((await inbox_rows(session_pool)).values()) == {"done"}
    assert "Здравствуйте" in str(sandbox.messages(6001)[-1].get("text"))
    assert len(sandbox.messages(6002)) == 1
    await bot.session.close()


async def test_an_update_seen_before_is_never_applied_twice(
    sandbox: SandboxServer, session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    await sync_questionnaires(session_pool)
    bot = make_bot(sandbox)
    inbox = Inbox(session_pool, create_dispatcher(settings, session_pool), bot)
    stop = asyncio.Event()
    polling = asyncio.create_task(durable_polling(inbox, stop, poll_seconds=1))
    sandbox.inject_message(6010, "/start t-SUP01-EPGU")
    await sandbox.wait_for(6010, lambda ms: any("Прежде" in str(m.get("text")) for m in ms), 10)
    sandbox.press_button(6010, "Дать согласие")
    await sandbox.wait_for(6010, lambda ms: any("Вопрос 1" in str(m.get("text")) for m in ms), 10)
    sandbox.press_button(6010, "5")
    await sandbox.wait_for(
        6010, lambda ms: any("комментарий" in str(m.get("text")) for m in ms), 10
    )
    pressed = sandbox.press_button(6010, "Пропустить")
    await sandbox.wait_for(
        6010, lambda ms: any("в каком качестве" in str(m.get("text")) for m in ms), 10
    )
    sandbox.press_button(6010, "Гражданин")
    await sandbox.wait_for(6010, lambda ms: any("Спасибо" in str(m.get("text")) for m in ms), 10)
    stop.set()
    await polling
    # the same update delivered again (a retry, a second replica, a recovery)
    from aiogram.types import Update

    again = Update.model_validate(pressed["update"], context={"bot": bot})
    await inbox.store([again])
    await inbox.handle(again)
    await inbox.recover()
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(Response.id))) == 1
    await bot.session.close()


async def test_polling_stops_fetching_while_the_backlog_is_full(
    sandbox: SandboxServer, session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    """Beyond `backlog` waiting updates, the rest stay at Telegram: memory does not grow."""
    await sync_questionnaires(session_pool)
    bot = make_bot(sandbox)
    dispatcher = create_dispatcher(settings, session_pool)
    inbox = Inbox(session_pool, dispatcher, bot, workers=1, backlog=2)
    release = asyncio.Event()
    handled: list[int] = []
    original = inbox.handle

    async def slow_handle(update: Update, *, fresh: bool = False) -> None:
        await release.wait()
        await original(update, fresh=fresh)
        handled.append(update.update_id)

    inbox.handle = slow_handle  # type: ignore[method-assign]
    stop = asyncio.Event()
    polling = asyncio.create_task(durable_polling(inbox, stop, poll_seconds=1))
    for user in (6101, 6102, 6103):  # one taken by the stuck worker, two waiting: full
        sandbox.inject_message(user, "/help")
    for _ in range(200):
        if len(await inbox_rows(session_pool)) == 3:
            break
        await asyncio.sleep(0.05)
    for user in range(6110, 6120):
        sandbox.inject_message(user, "/help")
    await asyncio.sleep(2.5)  # two long-poll rounds: nothing more may be fetched
    assert len(await inbox_rows(session_pool)) == 3
    release.set()
    for _ in range(400):
        if len(handled) == 13:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await polling
    await bot.session.close()
    assert len(handled) == 13
    assert set((await inbox_rows(session_pool)).values()) == {"done"}


async def test_a_failed_store_keeps_polling_and_the_update_comes_again(
    sandbox: SandboxServer, session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    """The database refuses once (locked, restarting): polling goes on, nothing is confirmed."""
    await sync_questionnaires(session_pool)
    bot = make_bot(sandbox)
    inbox = Inbox(session_pool, create_dispatcher(settings, session_pool), bot)
    original = inbox.store
    failures = [OSError("database is locked")]

    async def store_failing_once(updates: list[Update]) -> set[int]:
        if failures:
            raise failures.pop()
        return await original(updates)

    inbox.store = store_failing_once  # type: ignore[method-assign,assignment]
    stop = asyncio.Event()
    polling = asyncio.create_task(durable_polling(inbox, stop, poll_seconds=1))
    sandbox.inject_message(6201, "/start")
    try:
        await sandbox.wait_for(
            6201, lambda ms: any("Здравствуйте" in str(m.get("text")) for m in ms), 20
        )
    finally:
        stop.set()
        await polling
        await bot.session.close()
    assert failures == [] and set((await inbox_rows(session_pool)).values()) == {"done"}
