"""Webhook intake with the secret header, and one scheduler leader among replicas."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.config import Settings
from bot.factory import create_dispatcher
from bot.intake import Inbox
from bot.webhook import SECRET_HEADER, serve_webhook, webhook_secret
from jobs.leader import Leadership
from sandbox import SandboxServer
from sandbox.simulated import SimulatedUser
from storage.database import SessionPool
from storage.models import InboxUpdate, Response
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(webhook_retry_base=0.05) as server:
        yield server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_and_carries_a_whole_questionnaire(
    sandbox: SandboxServer, session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    await sync_questionnaires(session_pool)
    bot = Bot(
        "1000001:webhook-test-token-abcdefghijk",
        session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url)),
    )
    inbox = Inbox(session_pool, create_dispatcher(settings, session_pool), bot)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve_webhook(
            inbox,
            stop,
            url=url,
            listen=f"127.0.0.1:{port}",
            secret=webhook_secret(settings),
            max_connections=10,
            allowed_updates=None,
        )
    )
    try:
        for _ in range(100):
            if (await bot.get_webhook_info()).url == url:
                break
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as http:
            forged = await http.post(url, json={"update_id": 1}, headers={SECRET_HEADER: "no"})
            missing = await http.post(url, json={"update_id": 1})
        assert (forged.status, missing.status) == (401, 401)
        user = SimulatedUser(sandbox, 7100, timeout=20)
        await user.say("/start t-SUP01-EPGU", expect="Прежде чем начать")
        await user.tap("Согласен", expect="Вопрос 1")
        await user.tap("4", expect="комментарий")
        await user.tap("Пропустить", expect="кем вы")
        await user.tap("Гражданин", expect="Спасибо")
    finally:
        stop.set()
        await server
        await bot.session.close()
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(Response.id))) == 1
        statuses = set((await session.scalars(sa.select(InboxUpdate.status))).all())
    assert statuses == {"done"}


async def test_one_leader_and_takeover_when_it_dies(session_pool: SessionPool) -> None:
    now = datetime(2025, 3, 3, 9, tzinfo=UTC)
    clock = {"now": now}
    replicas = [
        Leadership(session_pool, ttl=timedelta(seconds=30), clock=lambda: clock["now"])
        for _ in range(3)
    ]
    runs: list[str] = []

    async def job(name: str) -> None:
        runs.append(name)

    leaders = [await r.renew() for r in replicas]
    assert leaders == [True, False, False]
    for replica in replicas:
        await replica.guard(job)(replica.holder)
    assert runs == [replicas[0].holder]

    clock["now"] = now + timedelta(seconds=20)  # the leader renews in time: still the leader
    assert [await r.renew() for r in replicas] == [True, False, False]
    clock["now"] = now + timedelta(seconds=80)  # replica 0 died: its lease lapsed
    assert await replicas[1].renew() is True
    assert await replicas[2].renew() is False
    assert await replicas[0].renew() is False  # it came back: it no longer leads
